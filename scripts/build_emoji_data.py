"""Rebuild data/emoji/ and data/emoji-queries/ from the npm package emoji-datasource-google.

Learners never need this: both folders are committed. It records where the data came from.

    npm pack emoji-datasource-google@16.0.0
    tar xzf emoji-datasource-google-16.0.0.tgz      # gives ./package
    python scripts/build_emoji_data.py package --apache-license path/to/Apache-2.0.txt

The PNG files are copied byte for byte; nothing is re-encoded.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from pathlib import Path

PACKAGE = "emoji-datasource-google@16.0.0"
SKIN_TONES = {
    "1F3FB": "light",
    "1F3FC": "medium-light",
    "1F3FD": "medium",
    "1F3FE": "medium-dark",
    "1F3FF": "dark",
}

ATTRIBUTION = """# {title}

{what}

- Images: Google's Noto Emoji, 64x64 PNG with transparent background,
  taken unchanged from `img/google/64/` of the npm package `{package}`.
  Noto Emoji images are licensed under the Apache License 2.0
  (`LICENSE-Apache-2.0.txt`, copyright Google Inc.).
- Names and categories: `emoji.json` of the same package
  (emoji-data by Cal Henderson), MIT licence (`LICENSE-MIT-emoji-data.txt`).

Rebuild with `scripts/build_emoji_data.py` (see its docstring).
Labels are never used to train the autoencoder: only to score and colour results.
"""


def _write_labels(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def build(package: Path, out: Path, apache_license: Path) -> tuple[int, int]:
    """Copy base emoji to out/emoji and skin-tone variants to out/emoji-queries; return the counts."""
    entries = json.loads((package / "emoji.json").read_text(encoding="utf-8"))
    entries = sorted((e for e in entries if e.get("has_img_google")), key=lambda e: e["sort_order"])
    src = package / "img" / "google" / "64"
    base_dir, query_dir = out / "emoji", out / "emoji-queries"
    for folder in (base_dir, query_dir):
        if (folder / "images").exists():
            shutil.rmtree(folder / "images")
        (folder / "images").mkdir(parents=True)

    base_rows, query_rows = [], []
    for e in entries:
        name = e["name"].lower()
        shutil.copyfile(src / e["image"], base_dir / "images" / e["image"])
        base_rows.append([e["image"], name, e["category"], e["subcategory"]])
        for tone_code, variant in sorted(e.get("skin_variations", {}).items()):
            if not variant.get("has_img_google"):
                continue
            shutil.copyfile(src / variant["image"], query_dir / "images" / variant["image"])
            tone = "-".join(SKIN_TONES.get(code, code) for code in tone_code.split("-"))
            query_rows.append([variant["image"], name, tone, e["image"], e["category"], e["subcategory"]])

    _write_labels(base_dir / "labels.csv", ["file", "name", "category", "subcategory"], base_rows)
    _write_labels(
        query_dir / "labels.csv",
        ["file", "name", "skin_tone", "base_file", "category", "subcategory"],
        query_rows,
    )
    texts = {
        base_dir: (
            "Emoji collection (the default data set)",
            f"{len(base_rows)} base emoji (no skin-tone variants): the collection we index and search.",
        ),
        query_dir: (
            "Emoji queries (never indexed)",
            f"{len(query_rows)} skin-tone variants of emoji in `data/emoji/`; `base_file` names "
            "the base emoji each one belongs to, so a search has a known right answer.",
        ),
    }
    for folder, (title, what) in texts.items():
        shutil.copyfile(apache_license, folder / "LICENSE-Apache-2.0.txt")
        shutil.copyfile(package / "LICENSE", folder / "LICENSE-MIT-emoji-data.txt")
        (folder / "README.md").write_text(ATTRIBUTION.format(title=title, what=what, package=PACKAGE), encoding="utf-8")
    return len(base_rows), len(query_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="the unpacked npm package folder")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data")
    parser.add_argument("--apache-license", type=Path, required=True, help="text of the Apache-2.0 licence")
    args = parser.parse_args()
    n_base, n_queries = build(args.package, args.out, args.apache_license)
    print(f"{n_base} base emoji, {n_queries} skin-tone queries written under {args.out}")


if __name__ == "__main__":
    main()

"""The Chinese editions from the English notebooks and the catalogues in locales/ (course/translation.py).

    python -m scripts.translate update    # extract the English again into locales/zh_CN/LC_MESSAGES/*.po and
                                          # count what needs a translator: untranslated, fuzzy, obsolete
    python -m scripts.translate           # update, then zh_TW from zh_CN (OpenCC s2twp), then write notebooks/zh/
                                          # and notebooks/zh_TW/ (make translations)
    python -m scripts.translate --check   # change nothing: exit 1 if a catalogue or an edition is not current
    python -m scripts.translate lint [PO ...]  # each translation keeps its English's code, math, links and
                                          # fields, and passes the Chinese prose lint (autocorrect)

Run from the repository root. How translators work: docs/zh/translating.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from course import translation
from tutorial_utils import i18n


def report(counts: dict[str, dict[str, int]]) -> int:
    """Print the catalogues that need work and the totals; return how many entries need work."""
    totals = {"entries": 0, "translated": 0, "untranslated": 0, "fuzzy": 0, "obsolete": 0}
    for name, count in counts.items():
        for key in totals:
            totals[key] += count[key]
        todo = count["untranslated"] + count["fuzzy"] + count["obsolete"]
        if todo:
            kinds = ", ".join(f"{count[kind]} {kind}" for kind in ("untranslated", "fuzzy", "obsolete"))
            print(f"  {name}: {kinds}")
    print(
        f"{totals['entries']} entries in {len(counts)} catalogues: {totals['translated']} translated, "
        f"{totals['untranslated']} untranslated, {totals['fuzzy']} fuzzy, {totals['obsolete']} obsolete"
    )
    return totals["untranslated"] + totals["fuzzy"] + totals["obsolete"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", nargs="?", choices=["update", "all", "lint"], default="all")
    parser.add_argument("catalogues", nargs="*", help="lint: these PO files (default: all of zh_CN)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything is not current")
    args = parser.parse_args(argv)
    if args.check:
        problems = translation.check_all()
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(problems)} problems" if problems else "catalogues and editions are current")
        return 1 if problems else 0
    if args.part == "lint":
        paths = [Path(p) for p in args.catalogues] or sorted((i18n.LOCALES / translation.REVIEWED).rglob("*.po"))
        problems = [p for path in paths for p in translation.catalogue_problems(path.resolve())]
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problems in {len(paths)} catalogues")
        return 1 if problems else 0
    todo = report(translation.update_catalogues())
    if args.part == "update":
        return 0
    if todo:
        print(f"{todo} entries need a translator first; the editions were not written", file=sys.stderr)
        return 1
    translation.convert_catalogues()
    changed = translation.write_editions()
    print(f"{len(changed)} files of the editions {', '.join(i18n.EDITIONS)} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())

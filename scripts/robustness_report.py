"""The full robustness table: restyled copies of *every* emoji, for every embedding notebook 09 compares.

Notebook 09 uses copies of every second emoji to stay within its time; this script uses all 1,911 and writes
benchmarks/results/robustness.json (the README's table). About a minute on a 2-core CPU.

    python scripts/robustness_report.py [--autoencoder runs/lesson/best.pt]
"""

from __future__ import annotations

import argparse
import json
import platform
from functools import lru_cache
from pathlib import Path

import torch

from tutorial_utils.checkpoints import load_checkpoint
from tutorial_utils.data import FolderDataset
from tutorial_utils.embeddings import embed_images
from tutorial_utils.evaluation.baselines import colour_histograms, pca_projector, pixel_embeddings, stack_images
from tutorial_utils.evaluation.robustness import robustness_suite, robustness_table
from tutorial_utils.evaluation.tables import table_rows
from tutorial_utils.notebook import format_table
from tutorial_utils.paths import DEFAULT_DATA, REFERENCE_CHECKPOINT
from tutorial_utils.selfsup.embedder import SIMCLR_CHECKPOINT

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--autoencoder",
        type=Path,
        default=None,
        help="an autoencoder checkpoint (default: the shipped data/pretrained/autoencoder.pt)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "robustness.json")
    args = parser.parse_args()
    images = stack_images(FolderDataset(DEFAULT_DATA, image_size=64))
    autoencoder, _, _, _ = load_checkpoint(args.autoencoder or REFERENCE_CHECKPOINT)
    simclr, _, _, _ = load_checkpoint(SIMCLR_CHECKPOINT)
    shipped = lru_cache(maxsize=None)(lambda x: embed_images(simclr, x))
    embed = {
        "raw pixels": pixel_embeddings,
        "colour histogram": colour_histograms,
        "PCA of pixels (256)": pca_projector(images),
        "autoencoder": lambda x: embed_images(autoencoder, x),
        "SimCLR shipped, alone": lambda x: shipped(x)[:, :1280],
        "SimCLR shipped + histogram": shipped,
    }
    suite = robustness_suite(images)
    rows = robustness_table(embed, images, suite)
    for k in ("R@1", "R@5"):
        columns = ["embedding"] + [f"{t} {k}" for t in suite] + (["mean R@1"] if k == "R@1" else [])
        print(format_table(table_rows(rows, columns), columns, decimals=3), end="\n\n")
    record = {
        "copies_per_transform": len(images),
        "rows": rows,
        "threads": torch.get_num_threads(),
        "torch": str(torch.__version__),
        "machine": platform.processor() or platform.machine(),
    }
    args.out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()

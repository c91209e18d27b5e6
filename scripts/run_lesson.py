"""`make run`: the whole lesson end to end on the shipped emoji data, everything written to one folder.

With notebooks in notebooks/, each is executed in order in a fresh kernel (executed copy + HTML).
Without them, the same steps run through the command-line pipeline.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tutorial_utils.checkpoints import load_checkpoint  # noqa: E402
from tutorial_utils.data import FolderDataset, read_labels  # noqa: E402
from tutorial_utils.embeddings import Embedder  # noqa: E402
from tutorial_utils.pipeline import (  # noqa: E402
    DEFAULT_DATA, DEFAULT_QUERIES, DEFAULT_RUN, index_folder, train_folder,
)
from tutorial_utils.plots import plot_losses, plot_neighbours, plot_reconstructions  # noqa: E402
from tutorial_utils.search import SimilarityIndex  # noqa: E402
from tutorial_utils.training import BEST_CHECKPOINT, reconstruct  # noqa: E402

QUERIES = ["1f44b-1f3fd.png", "1f385-1f3ff.png", "1f44d-1f3fb.png", "1f9d1-1f3fe.png"]


def run_pipeline(out: Path) -> list[str]:
    """Train, index and search with the package's functions; return summary lines."""
    history = train_folder(DEFAULT_DATA, out, progress=False)
    index = index_folder(DEFAULT_DATA, out / BEST_CHECKPOINT, out / "index.npz")
    encoder, decoder, config, _ = load_checkpoint(out / BEST_CHECKPOINT)
    plot_losses(history).savefig(out / "loss_curve.png", dpi=100)
    dataset = FolderDataset(DEFAULT_DATA, config.image_size)
    images = torch.stack([dataset[i][0] for i in range(0, len(dataset), len(dataset) // 12)][:12])
    plot_reconstructions({"original": images, "reconstructed": reconstruct(encoder, decoder, images)}).savefig(
        out / "reconstructions.png", dpi=100)
    searcher = SimilarityIndex(index, Embedder(encoder, config.image_size))
    names = read_labels(DEFAULT_QUERIES.parent / "labels.csv", QUERIES, column="name")
    for name, query in zip(names, QUERIES):
        (result,) = searcher.search(DEFAULT_QUERIES / query, k=6)
        plot_neighbours(DEFAULT_QUERIES / query, result, query_title=name[:18]).savefig(
            out / f"neighbours_{Path(query).stem}.png", dpi=100)
    return [f"trained {len(history.train_loss)} epochs: best validation MSE {history.best_val_loss:.4f} "
            f"(epoch {history.best_epoch})", f"indexed {len(index.files)} images"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_RUN)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    summary = run_pipeline(args.out)
    print("\n".join(["", "Lesson finished in %.0f s." % (time.perf_counter() - start), *summary,
                     f"Look in {args.out}:"] + [f"  {p.name}" for p in sorted(args.out.glob("*.png"))]))


if __name__ == "__main__":
    main()

"""What makes the lesson's training and embedding faster on a CPU: the options side by side, measured in one run.

Trains the lesson's autoencoder (64 px, 1,529 training images of the shipped emoji) for a few epochs per option
and embeds the 1,911 emoji, printing seconds per epoch / per pass. Nothing is asserted: read the table.

    .venv/bin/python scripts/benchmark_training.py            # about 2 minutes on a 2-core CPU
    .venv/bin/python scripts/benchmark_training.py --epochs 1 # quicker, noisier
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
from torch import nn
from torch.utils.data import DataLoader

from tutorial_utils.data import FolderDataset
from tutorial_utils.models import ModelConfig, build_models
from tutorial_utils.paths import DEFAULT_DATA
from tutorial_utils.training import make_loaders


def epoch_seconds(dataset: FolderDataset, batch_size: int, channels_last: bool, epochs: int) -> float:
    """Mean seconds of one training epoch (forward, backward, Adam step) with the given options."""
    torch.manual_seed(0)
    encoder, decoder = build_models(ModelConfig(image_size=64))
    layout = torch.channels_last if channels_last else torch.contiguous_format
    encoder.to(memory_format=layout)
    decoder.to(memory_format=layout)
    train_loader, _, _ = make_loaders(dataset, batch_size, 0.2, 0)
    optimizer = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=2e-3)
    loss_fn = nn.MSELoss()
    times = []
    for _ in range(epochs + 1):  # the first epoch warms up oneDNN's kernel caches and is not counted
        start = time.perf_counter()
        for images, _ in train_loader:
            images = images.contiguous(memory_format=layout)
            optimizer.zero_grad(set_to_none=True)
            loss_fn(decoder(encoder(images)), images).backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    return sum(times[1:]) / epochs


def loader_seconds(dataset: FolderDataset, batch_size: int) -> float:
    """Seconds to iterate one training epoch of the loader alone (the data pipeline's share)."""
    train_loader, _, _ = make_loaders(dataset, batch_size, 0.2, 0)
    start = time.perf_counter()
    for _ in train_loader:
        pass
    return time.perf_counter() - start


@torch.no_grad()
def embed_seconds(dataset: FolderDataset, batch_size: int, channels_last: bool) -> float:
    """Seconds to embed every image once with the (untrained) encoder."""
    torch.manual_seed(0)
    encoder, _ = build_models(ModelConfig(image_size=64))
    layout = torch.channels_last if channels_last else torch.contiguous_format
    encoder.eval().to(memory_format=layout)
    loader = DataLoader(dataset, batch_size=batch_size)
    for images, _ in loader:  # warm-up pass
        encoder(images.contiguous(memory_format=layout))
        break
    start = time.perf_counter()
    for images, _ in loader:
        encoder(images.contiguous(memory_format=layout))
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per option (after one warm-up epoch)")
    args = parser.parse_args()
    dataset = FolderDataset(DEFAULT_DATA, image_size=64)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {len(dataset):,} images at 64 px\n")
    rows = []
    for threads in sorted({1, torch.get_num_threads()}):
        torch.set_num_threads(threads)
        for batch in (32, 64):
            for cl in (False, True):
                rows.append(
                    (
                        threads,
                        batch,
                        "channels-last" if cl else "contiguous",
                        epoch_seconds(dataset, batch, cl, args.epochs),
                    )
                )
    reference = next(r[3] for r in rows if r[0] == torch.get_num_threads() and r[1] == 32 and r[2] == "contiguous")
    print(f"{'threads':>7}  {'batch':>5}  {'layout':<14} {'s/epoch':>8}  {'speed-up':>8}")
    for threads, batch, layout, seconds in rows:
        print(f"{threads:>7}  {batch:>5}  {layout:<14} {seconds:8.2f}  {reference / seconds:7.2f}x")
    print(f"\ndata loader alone (cached uint8 images, batch 32): {loader_seconds(dataset, 32):.3f} s per epoch")
    print("\nembedding all images once (inference):")
    for batch in (64, 256):
        for cl in (False, True):
            print(
                f"  batch {batch:>3}  {'channels-last' if cl else 'contiguous':<14} "
                f"{embed_seconds(dataset, batch, cl):6.2f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

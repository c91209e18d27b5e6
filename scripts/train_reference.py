"""Train the reference lesson model with notebook 03's recipe and ship it as ``data/pretrained/autoencoder.pt``.

Notebooks 04-09 and their solutions compute from this file, not from the model that notebook 03 trains in the
same run: a model trained a minute ago carries that machine's float rounding (CPU, threads, kernels) into every
number downstream, while inference on fixed weights gives the same outputs on any machine to many digits.

    .venv/bin/python -m scripts.train_reference            # train, then write the checkpoint and its record
    .venv/bin/python -m scripts.train_reference --check    # train again into a temporary folder and compare

It runs as a module from the repository root, where it finds the tolerances of the tests (``tests``) and
``scripts.benchmark``'s CPU name.

Writes, beside the checkpoint, ``autoencoder.json`` (command, seed, settings, versions, machine, losses) and
``autoencoder-log.jsonl`` (one line per epoch). ``--check`` exits non-zero when the new best validation MSE is
outside notebook 03's loss tolerance of the shipped one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from scripts.benchmark import cpu_name
from tests.nbval_tolerance import TOLERANCES
from tutorial_utils.checkpoints import load_checkpoint, read_checkpoint, save_checkpoint
from tutorial_utils.models import ModelConfig
from tutorial_utils.paths import BEST_CHECKPOINT, DEFAULT_DATA, REFERENCE_CHECKPOINT, relative
from tutorial_utils.pipeline import TrainSettings, train_folder

ROOT = Path(__file__).resolve().parents[1]


def train(run_dir: Path) -> tuple[Path, float]:
    """Notebook 03's run: the default ModelConfig and TrainSettings on the shipped emoji; (best.pt, seconds)."""
    start = time.perf_counter()
    train_folder(DEFAULT_DATA, run_dir, ModelConfig(image_size=64), TrainSettings(), verbose=True)
    return run_dir / BEST_CHECKPOINT, time.perf_counter() - start


def record(state: dict, seconds: float) -> dict:
    """What made the checkpoint, for ``autoencoder.json``."""
    return {
        "command": "python -m scripts.train_reference",
        "recipe": "notebook 03: train_folder(DEFAULT_DATA, run_dir, ModelConfig(image_size=64), TrainSettings())",
        "data": relative(DEFAULT_DATA),
        "seed": TrainSettings().seed,
        "config": state["config"],
        "settings": asdict(TrainSettings()),
        "best_epoch": state["history"]["best_epoch"],
        "best_val_loss": state["history"]["best_val_loss"],
        "device": "cpu",
        "threads": torch.get_num_threads(),
        "seconds": round(seconds, 1),
        "versions": {"python": platform.python_version(), "torch": str(torch.__version__), "numpy": np.__version__},
        "machine": f"{cpu_name()}, {os.cpu_count()} cores",
    }


def write(best: Path, seconds: float, out: Path) -> None:
    """The best epoch's weights (no optimizer state) and the record of how they were made."""
    encoder, decoder, config, state = load_checkpoint(best)
    meta = record(state, seconds)
    save_checkpoint(
        out,
        config,
        encoder,
        decoder,
        epoch=state["epoch"],
        history=state["history"],
        val_loss=state["val_loss"],
        meta=meta,
    )
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    h = state["history"]
    lines = [
        json.dumps({"epoch": e + 1, "train_mse": t, "val_mse": v})
        for e, (t, v) in enumerate(zip(h["train_loss"], h["val_loss"], strict=True))
    ]
    (out.parent / f"{out.stem}-log.jsonl").write_text("\n".join(lines) + "\n")
    print(
        f"wrote {relative(out)} ({out.stat().st_size / 1e6:.2f} MB), best validation MSE "
        f"{h['best_val_loss']:.4f} at epoch {h['best_epoch']}, in {seconds:.0f} s"
    )


def check(out: Path) -> int:
    """Train again and compare the best validation MSE with the shipped one under notebook 03's tolerance."""
    shipped = read_checkpoint(out)["history"]["best_val_loss"]
    with tempfile.TemporaryDirectory() as tmp:
        best, seconds = train(Path(tmp))
        new = read_checkpoint(best)["history"]["best_val_loss"]
    tol = TOLERANCES["loss"]
    allowed = tol.atol + tol.rtol * shipped
    ok = abs(new - shipped) <= allowed
    print(
        f"best validation MSE: shipped {shipped:.5f}, this run {new:.5f} ({seconds:.0f} s); "
        f"|difference| {abs(new - shipped):.5f}, allowed {allowed:.5f}: {'reproduced' if ok else 'NOT reproduced'}"
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REFERENCE_CHECKPOINT)
    parser.add_argument("--check", action="store_true", help="retrain and compare with the shipped file; write nothing")
    args = parser.parse_args()
    os.environ.setdefault("TUTORIAL_DEVICE", "cpu")  # the shipped model is a CPU run, like the stored outputs
    if args.check:
        return check(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        write(*train(Path(tmp)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Tiny image folders made by the tests themselves: no network, no shipped data needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def distinct_image(i: int, size: int = 32) -> Image.Image:
    """An RGB image that is recognisable by its pixels: colour and stripe both depend on i."""
    rng = np.random.default_rng(i)
    arr = np.zeros((size, size, 3), dtype=np.uint8)
    arr[:] = rng.integers(0, 256, size=3, dtype=np.uint8)
    arr[:, (i % size)] = 255 - arr[0, 0]
    arr[(3 * i) % size, :] = rng.integers(0, 256, size=3, dtype=np.uint8)
    return Image.fromarray(arr, mode="RGB")


def load_script(name: str):
    """A module from ``scripts/`` (not a package), loaded by path so its functions can be tested."""
    import importlib.util
    import sys

    path = Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # registered before it runs, as a dataclass in it needs
    spec.loader.exec_module(module)
    return module


def write_huge_png(path: Path, width: int, height: int) -> Path:
    """A valid, all-black 1-bit PNG of ``width`` x ``height`` pixels, written in a few kB without allocating it."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def make_folder(folder: Path, n: int = 12, size: int = 32) -> list[Path]:
    """Write n distinct PNG images named img_000.png ... into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"img_{i:03d}.png"
        distinct_image(i, size).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """A folder of 12 distinct 32x32 images."""
    make_folder(tmp_path / "images")
    return tmp_path / "images"


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """best.pt of a 32-pixel autoencoder trained for one epoch on :func:`make_folder`'s 12 images, trained once
    per test session. Tests that need *a* trained model copy it into their own run folder (:func:`tiny_run`);
    the tests of training itself still train."""
    from tutorial_utils.models import ModelConfig
    from tutorial_utils.pipeline import TrainSettings, train_folder

    root = tmp_path_factory.mktemp("tiny-model")
    make_folder(root / "images")
    train_folder(
        root / "images",
        root / "run",
        ModelConfig(image_size=32),
        TrainSettings(epochs=1, batch_size=4),
        device="cpu",
        verbose=False,
    )
    checkpoint = root / "run" / "best.pt"
    checkpoint.chmod(0o444)  # shared by every test of the session: none may change it
    return checkpoint


@pytest.fixture
def tiny_run(tiny_checkpoint: Path, tmp_path: Path) -> Path:
    """A run folder of this test's own that holds a copy of the session's tiny trained model as best.pt."""
    import shutil

    run = tmp_path / "run"
    run.mkdir()
    shutil.copyfile(tiny_checkpoint, run / "best.pt")
    return run


def train_args(folder: Path, run: Path, epochs: int = 1, *extra: str) -> list[str]:
    """The command line that trains a tiny model on ``folder`` (what follows ``python -m tutorial_utils``):
    32 pixels, batches of 4, on the CPU."""
    return [
        "train",
        *("--data", str(folder), "--run-dir", str(run), "--epochs", str(epochs)),
        *("--image-size", "32", "--batch-size", "4", "--device", "cpu", *extra),
    ]

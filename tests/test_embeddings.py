from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tutorial_utils.data import FolderDataset
from tutorial_utils.embeddings import (
    Embedder,
    EmbeddingIndex,
    StaleIndexError,
    create_embeddings,
    embed_images,
    pool_features,
)
from tutorial_utils.models import ConvEncoder

from .conftest import distinct_image


class MeanColour(nn.Module):
    """A stand-in encoder whose output is the image's mean colour: row i must equal file i's colour."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3), keepdim=True)


def _solid_folder(folder: Path, n: int) -> list[int]:
    """n solid grey images whose level identifies them; the names do not sort like the levels."""
    folder.mkdir()
    levels = [(37 * i + 11) % 256 for i in range(n)]
    for i, level in enumerate(levels):
        Image.new("RGB", (32, 32), (level, level, level)).save(folder / f"{(i * 7) % n:02d}_{i}.png")
    return levels


def test_row_i_is_file_i(tmp_path: Path):
    _solid_folder(tmp_path / "solid", 10)
    ds = FolderDataset(tmp_path / "solid", 32)
    emb = create_embeddings(MeanColour(), DataLoader(ds, batch_size=3), "cpu")
    assert emb.shape == (10, 3)
    assert emb.dtype == np.float32
    for i, path in enumerate(ds.paths):
        level = Image.open(path).getpixel((0, 0))[0]
        assert emb[i] == pytest.approx([level / 255] * 3, abs=1e-6), f"row {i} is not {path.name}"


def test_no_placeholder_row_and_matches_one_by_one(image_folder: Path):
    torch.manual_seed(0)
    encoder = ConvEncoder()
    ds = FolderDataset(image_folder, 32)
    emb = create_embeddings(encoder, DataLoader(ds, batch_size=5), "cpu")
    assert emb.shape == (len(ds), 256)
    single = Embedder(encoder, 32, device="cpu")
    for i in (0, 5, 11):
        assert np.allclose(emb[i], single(ds.path(i))[0], atol=1e-5)


def test_shuffled_loader_is_refused(image_folder: Path):
    ds = FolderDataset(image_folder, 32)
    with pytest.raises(ValueError, match="unshuffled"):
        create_embeddings(ConvEncoder(), DataLoader(ds, batch_size=4, shuffle=True), "cpu")


def test_pooling_options():
    x = torch.rand(2, 256, 2, 2)
    assert pool_features(x, "flatten").shape == (2, 1024)
    assert torch.allclose(pool_features(x, "avg"), x.mean(dim=(2, 3)))
    with pytest.raises(ValueError, match="pooling"):
        pool_features(x, "max")


def _index(folder: Path) -> EmbeddingIndex:
    ds = FolderDataset(folder, 32)
    emb = create_embeddings(MeanColour(), DataLoader(ds, batch_size=4), "cpu")
    return EmbeddingIndex.build(emb, folder, ds.relative_paths, checkpoint="none")


def test_save_load_round_trip(image_folder: Path, tmp_path: Path):
    index = _index(image_folder)
    index.save(tmp_path / "index.json")
    loaded = EmbeddingIndex.load(tmp_path / "index.json")
    assert np.array_equal(loaded.embeddings, index.embeddings)
    assert loaded.files == index.files
    assert loaded.meta == {"checkpoint": "none"}


@pytest.mark.parametrize(("change", "word"), [("add", "added"), ("remove", "removed"), ("replace", "changed")])
def test_stale_index_is_detected(image_folder: Path, tmp_path: Path, change: str, word: str):
    _index(image_folder).save(tmp_path / "index.json")
    if change == "add":
        distinct_image(99).save(image_folder / "new.png")
    elif change == "remove":
        (image_folder / "img_004.png").unlink()
    else:
        distinct_image(42).save(image_folder / "img_004.png")
    with pytest.raises(StaleIndexError, match=rf"1 file\(s\) {word} \(e\.g\. (new|img_004)\.png\).*Rebuild"):
        EmbeddingIndex.load(tmp_path / "index.json")
    assert EmbeddingIndex.load(tmp_path / "index.json", check=False).files[4] == "img_004.png"


def test_unchanged_files_are_not_read_again(image_folder: Path, tmp_path: Path, monkeypatch):
    import tutorial_utils.embeddings as embeddings

    _index(image_folder).save(tmp_path / "index.json")
    reads = []
    real = embeddings.file_digest
    monkeypatch.setattr(embeddings, "file_digest", lambda p: reads.append(Path(p).name) or real(p))
    EmbeddingIndex.load(tmp_path / "index.json")
    assert reads == []
    import os

    os.utime(image_folder / "img_002.png", ns=(1, 1))  # touched but not changed (as after a git clone)
    EmbeddingIndex.load(tmp_path / "index.json")
    assert reads == ["img_002.png"]


def test_failed_save_keeps_the_old_index(image_folder: Path, tmp_path: Path, monkeypatch):
    index = _index(image_folder)
    path = index.save(tmp_path / "index.json")
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    old_npy = sorted(p.name for p in tmp_path.glob("index-*.npy"))
    monkeypatch.setattr(np, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        index.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["images", "index.json", *old_npy])
    assert np.array_equal(EmbeddingIndex.load(path).embeddings, index.embeddings)


def test_saving_again_replaces_the_rows_file_and_loads_memory_mapped(image_folder: Path, tmp_path: Path):
    index = _index(image_folder)
    index.save(tmp_path / "index.json")
    first = sorted(tmp_path.glob("index-*.npy"))
    index.save(tmp_path / "index.json")
    second = sorted(tmp_path.glob("index-*.npy"))
    assert len(first) == len(second) == 1
    assert first != second
    loaded = EmbeddingIndex.load(tmp_path / "index.json")
    assert isinstance(loaded.embeddings, np.memmap)
    assert np.array_equal(loaded.embeddings, index.embeddings)


def test_rows_file_that_does_not_match_the_manifest_is_refused(image_folder: Path, tmp_path: Path):
    _index(image_folder).save(tmp_path / "index.json")
    (npy,) = tmp_path.glob("index-*.npy")
    np.save(npy, np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match=r"holds \(3, 3\) float32, the manifest says \(12, 3\)"):
        EmbeddingIndex.load(tmp_path / "index.json")


def test_mismatched_rows_and_files_are_refused(image_folder: Path):
    with pytest.raises(ValueError, match="must match 1:1"):
        EmbeddingIndex(np.zeros((3, 2), np.float32), ["a", "b"], image_folder, ["x", "y"])


def test_unreadable_index_is_a_clear_error(tmp_path: Path):
    (tmp_path / "index.json").write_bytes(b"nope")
    with pytest.raises(ValueError, match=r"index\.json: not a readable index"):
        EmbeddingIndex.load(tmp_path / "index.json")
    with pytest.raises(FileNotFoundError, match="build it first"):
        EmbeddingIndex.load(tmp_path / "missing.json")
    (tmp_path / "old.npz").write_bytes(b"PK")
    with pytest.raises(ValueError, match=r"old\.npz: an index in the old single-file format; rebuild"):
        EmbeddingIndex.load(tmp_path / "old.npz")


def test_embeddings_do_not_depend_on_the_memory_layout():
    # create_embeddings, embed_images and Embedder convolve in channels-last layout: same values as the plain layout
    torch.manual_seed(0)
    encoder = ConvEncoder().eval()
    images = torch.rand(6, 3, 32, 32)
    with torch.no_grad():
        plain = encoder(images).flatten(1).numpy()
    fast = create_embeddings(encoder, DataLoader(TensorDataset(images, images), batch_size=4), "cpu")
    assert np.allclose(fast, plain, atol=1e-5)
    assert np.allclose(embed_images(encoder, images, batch_size=4), fast, atol=1e-6)  # a stack, not a loader

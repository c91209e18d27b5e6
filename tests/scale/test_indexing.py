"""The streaming index build: row i = file i, files read once, interruptions leave the old index, resume works."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import tutorial_utils.scale.indexing as indexing
from tests.conftest import distinct_image, make_folder, write_huge_png
from tutorial_utils.checkpoints import save_checkpoint
from tutorial_utils.data import FolderDataset
from tutorial_utils.embeddings import EmbeddingIndex, create_embeddings
from tutorial_utils.models import ModelConfig, build_models
from tutorial_utils.scale.indexing import build_index

CONFIG = ModelConfig(image_size=32)


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    encoder, decoder = build_models(CONFIG)
    return save_checkpoint(tmp_path / "best.pt", CONFIG, encoder, decoder)


def _reference(folder: Path, checkpoint: Path) -> np.ndarray:
    """The in-memory path (FolderDataset + create_embeddings): what every build must reproduce row for row."""
    from torch.utils.data import DataLoader

    from tutorial_utils.checkpoints import load_checkpoint

    encoder, *_ = load_checkpoint(checkpoint)
    return create_embeddings(encoder, DataLoader(FolderDataset(folder, 32), batch_size=5), "cpu")


@pytest.mark.parametrize("workers", [0, 2])
def test_rows_match_the_in_memory_embeddings(image_folder: Path, checkpoint: Path, tmp_path: Path, workers: int):
    index = build_index(
        image_folder, checkpoint, tmp_path / "index.json", batch_size=5, device="cpu", num_workers=workers
    )
    assert index.files == [f"img_{i:03d}.png" for i in range(12)]
    np.testing.assert_allclose(index.embeddings, _reference(image_folder, checkpoint), atol=1e-5)
    loaded = EmbeddingIndex.load(tmp_path / "index.json")
    assert isinstance(loaded.embeddings, np.memmap)
    assert loaded.digests == index.digests
    assert not (tmp_path / ".index.json.build").exists()  # the work folder is gone once committed


def test_each_file_is_read_once(image_folder: Path, checkpoint: Path, tmp_path: Path, monkeypatch):
    reads: list[str] = []
    real = indexing.read_file_bytes
    monkeypatch.setattr(indexing, "read_file_bytes", lambda p: reads.append(Path(p).name) or real(p))
    build_index(image_folder, checkpoint, tmp_path / "index.json", device="cpu", num_workers=0)
    assert sorted(reads) == [f"img_{i:03d}.png" for i in range(12)]


def test_interrupted_build_keeps_the_old_index_and_resumes(
    image_folder: Path, checkpoint: Path, tmp_path: Path, monkeypatch
):
    path = tmp_path / "index.json"
    old = build_index(image_folder, checkpoint, path, batch_size=4, device="cpu", num_workers=0)
    old_manifest = path.read_text()
    for i in range(12, 20):
        distinct_image(i).save(image_folder / f"img_{i:03d}.png")
    monkeypatch.setattr(indexing, "SAVE_EVERY_S", 0.0)  # progress saved after every batch
    real_embed, calls = indexing.embed_batch, []

    def interrupt_third_batch(encoder, images, pooling):
        calls.append(len(images))
        if len(calls) == 3:  # two batches, then Ctrl-C
            raise KeyboardInterrupt
        return real_embed(encoder, images, pooling)

    monkeypatch.setattr(indexing, "embed_batch", interrupt_third_batch)
    with pytest.raises(KeyboardInterrupt):
        build_index(image_folder, checkpoint, path, batch_size=4, device="cpu", num_workers=0)
    assert path.read_text() == old_manifest  # the old index is untouched and still loads (as stale: 8 added)
    assert np.array_equal(EmbeddingIndex.load(path, check=False).embeddings, old.embeddings)

    calls.clear()
    monkeypatch.setattr(indexing, "embed_batch", lambda e, x, p: calls.append(len(x)) or real_embed(e, x, p))
    new = build_index(image_folder, checkpoint, path, batch_size=4, device="cpu", num_workers=0)
    assert calls == [4, 4, 4]  # only the 12 rows the first run had not saved
    assert len(new.files) == 20
    assert len(list(tmp_path.glob("index-*.npy"))) == 1
    np.testing.assert_allclose(new.embeddings, _reference(image_folder, checkpoint), atol=1e-5)


def test_a_changed_plan_restarts_instead_of_resuming(image_folder: Path, checkpoint: Path, tmp_path: Path, monkeypatch):
    path = tmp_path / "index.json"
    monkeypatch.setattr(indexing, "SAVE_EVERY_S", 0.0)
    real_embed, calls = indexing.embed_batch, []

    def interrupt(encoder, images, pooling):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_embed(encoder, images, pooling)

    monkeypatch.setattr(indexing, "embed_batch", interrupt)
    with pytest.raises(KeyboardInterrupt):
        build_index(image_folder, checkpoint, path, batch_size=4, device="cpu", num_workers=0)
    monkeypatch.setattr(indexing, "embed_batch", real_embed)
    index = build_index(image_folder, checkpoint, path, batch_size=4, device="cpu", num_workers=0, pooling="avg")
    assert index.embeddings.shape == (12, 256)
    assert index.meta["pooling"] == "avg"
    np.testing.assert_allclose(
        index.embeddings[5],
        build_index(
            image_folder, checkpoint, tmp_path / "again.json", device="cpu", num_workers=0, pooling="avg"
        ).embeddings[5],
    )


def test_hostile_files_are_skipped_and_named(image_folder: Path, checkpoint: Path, tmp_path: Path, caplog):
    write_huge_png(image_folder / "bomb.png", 20000, 20000)
    png = io.BytesIO()
    distinct_image(3, 32).save(png, format="PNG")
    (image_folder / "cut.png").write_bytes(png.getvalue()[:60])
    (image_folder / "notes.jpg").write_text("not a picture")
    index = build_index(image_folder, checkpoint, tmp_path / "index.json", batch_size=4, device="cpu", num_workers=2)
    assert len(index.files) == 12
    assert index.meta["skipped"] == ["bomb.png", "cut.png", "notes.jpg"]
    assert [m.split(":")[0] for m in caplog.messages] == ["skipped bomb.png", "skipped cut.png", "skipped notes.jpg"]
    np.testing.assert_allclose(index.embeddings, _reference(image_folder, checkpoint), atol=1e-5)
    EmbeddingIndex.load(tmp_path / "index.json")  # skipped files do not make it stale


def test_a_file_that_disappears_mid_run_is_reported_not_fatal(
    image_folder: Path, checkpoint: Path, tmp_path: Path, monkeypatch, caplog
):
    real = indexing.list_image_files

    def list_then_delete(root):
        files = real(root)
        (Path(root) / "img_007.png").unlink()  # gone between listing and reading
        return files

    monkeypatch.setattr(indexing, "list_image_files", list_then_delete)
    index = build_index(image_folder, checkpoint, tmp_path / "index.json", device="cpu", num_workers=0)
    assert "img_007.png" not in index.files
    assert len(index.files) == 11
    assert caplog.messages == ["skipped img_007.png: disappeared (deleted after the folder was listed)"]


def test_a_folder_larger_than_one_block_of_rows(tmp_path: Path, checkpoint: Path):
    make_folder(tmp_path / "many", n=70)
    index = build_index(
        tmp_path / "many", checkpoint, tmp_path / "index.json", batch_size=16, device="cpu", num_workers=1
    )
    assert index.embeddings.shape == (70, 256)
    np.testing.assert_allclose(index.embeddings, _reference(tmp_path / "many", checkpoint), atol=1e-5)


def test_readers_start_from_a_clean_process_and_build_what_one_process_builds(
    image_folder: Path, checkpoint: Path, tmp_path: Path, monkeypatch
):
    """The reader processes are never forked from this one, which runs threads (a forked child can deadlock on a lock
    a thread held): they come from a fork server, or are spawned; the shared counter reaches them all the same."""
    loaders: list[tuple[object, object]] = []
    real = indexing.DataLoader

    def recording(dataset, **options):
        loaders.append((dataset, options.get("multiprocessing_context")))
        return real(dataset, **options)

    monkeypatch.setattr(indexing, "DataLoader", recording)
    alone = build_index(image_folder, checkpoint, tmp_path / "alone.json", batch_size=4, device="cpu", num_workers=0)
    readers = build_index(image_folder, checkpoint, tmp_path / "two.json", batch_size=4, device="cpu", num_workers=2)
    dataset, context = loaders[-1]
    assert context is not None
    assert context.get_start_method() != "fork"
    assert context.get_start_method() in ("forkserver", "spawn")
    assert dataset.done.value == 12  # each reader counted its files into the shared counter
    assert readers.files == alone.files
    assert readers.digests == alone.digests
    assert readers.stats == alone.stats
    assert readers.meta == alone.meta
    np.testing.assert_allclose(readers.embeddings, alone.embeddings, rtol=0, atol=1e-6)


def test_the_encoder_gets_every_core_once_the_readers_wait():
    import torch

    from tutorial_utils.scale.indexing import PREFETCH_BYTES, _ThreadBalance

    before = torch.get_num_threads()
    balance = _ThreadBalance(1, 64, 64, torch.device("cpu"), total=1000)
    assert balance.prefetch >= 2
    assert balance.prefetch * 64 * 64 * 64 * 3 <= PREFETCH_BYTES
    assert balance.done is not None  # the shared counter goes to readers of any start method, on any platform
    with balance:
        assert torch.get_num_threads() == balance.shared
        balance.done.value = 128  # the readers are just ahead: they keep their core
        balance.update(64)
        assert torch.get_num_threads() == balance.shared
        balance.done.value = 1000  # every file decoded: nothing left for the readers to do
        balance.update(64)
        assert torch.get_num_threads() == balance.all
    assert torch.get_num_threads() == before


@pytest.mark.skipif(sys.platform == "win32", reason="advisory file locks are POSIX only")
def test_a_second_holder_waits_for_the_lock(tmp_path: Path):
    """flock locks belong to an open file, so a second thread that opens the lock file waits like a process."""
    import threading

    from tutorial_utils.files import file_lock

    lock, events, taken = tmp_path / ".index.json.lock", [], threading.Event()

    def hold() -> None:
        with file_lock(lock):
            events.append("first holds")
            taken.set()
            threading.Event().wait(0.5)
            events.append("first releases")

    first = threading.Thread(target=hold)
    first.start()
    assert taken.wait(30), "the first holder never took the lock"
    with file_lock(lock):
        events.append("second holds")
    first.join(30)
    assert events == ["first holds", "first releases", "second holds"]


def test_build_index_holds_a_lock_beside_the_index(image_folder: Path, checkpoint: Path, tmp_path: Path, monkeypatch):
    from contextlib import contextmanager

    held: list[str] = []
    real = indexing.file_lock

    @contextmanager
    def recording(path):
        with real(path):
            held.append(Path(path).name)
            yield
            held.append("released")

    monkeypatch.setattr(indexing, "file_lock", recording)
    built = build_index(image_folder, checkpoint, tmp_path / "index.json", device="cpu", num_workers=0)
    assert held == [".index.json.lock", "released"]
    assert len(built.files) == 12

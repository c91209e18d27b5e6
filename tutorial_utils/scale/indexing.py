"""Index a folder of any size: each file read and decoded once, rows streamed into a memory-mapped ``.npy``.

The build works in a folder beside the manifest (``.index.json.build/``): a preallocated (N, D) float32 array
and, per process, a small progress file. Nothing the finished index uses is touched until the very end, when
the rows file is renamed into place and the manifest is switched to it atomically. So Ctrl-C or a kill at
any moment leaves the previous index intact, and running the same command again resumes where it stopped
(or starts cleanly when the files, the checkpoint or the settings changed).

Under ``torchrun`` each process embeds its own contiguous share of the files into the same array; the
first process (rank 0) writes the manifest once every share is done. Notebook 08 shows how; the command line's
``index`` uses it. The rows are embedded by :func:`~tutorial_utils.embeddings.embed_batch` and the index is written
by :func:`~tutorial_utils.pipeline.write_index`, as in :func:`tutorial_utils.pipeline.index_folder`.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import time
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from ..checkpoints import load_checkpoint
from ..data import (
    MAX_PIXELS,
    ImageReadError,
    decode_hwc_uint8,
    list_image_files,
    read_file_bytes,
    report_skipped,
    vanished,
)
from ..devices import pick_device
from ..embeddings import EmbeddingIndex, embed_batch, file_digest
from ..files import atomic_write, file_lock
from ..pipeline import write_index
from .distributed import barrier, process_group_info

SAVE_EVERY_S = 5.0  # progress is flushed to disk at most this often: what a kill can cost, in seconds of work


@dataclass
class _Item:
    row: int
    pixels: np.ndarray | None
    digest: str
    stat: tuple[int, int] | None
    error: str


class ImageFileReader(Dataset):
    """Row i -> file i read once: its bytes give both the SHA-1 and the decoded pixels; failures are data."""

    def __init__(self, paths: list[Path], rows: range, image_size: int, max_pixels: int, done=None) -> None:
        self.paths, self.rows, self.image_size, self.max_pixels = paths, rows, image_size, max_pixels
        self.done = done  # a shared counter of finished files, so the encoder can tell when the readers wait

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> _Item:
        row = self.rows[i]
        path = self.paths[row]
        try:
            try:
                before = path.stat()
                data = read_file_bytes(path)
                after = path.stat()
            except FileNotFoundError as err:
                raise vanished(path) from err
            if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(data) != after.st_size:
                raise ImageReadError(path, "changed while being read")
            pixels = decode_hwc_uint8(data, path, self.image_size, self.max_pixels)  # (S, S, 3)
            item = _Item(row, pixels, hashlib.sha1(data).hexdigest(), (after.st_size, after.st_mtime_ns), "")
        except ImageReadError as err:
            item = _Item(row, None, "", None, err.why)
        if self.done is not None:
            with self.done.get_lock():
                self.done.value += 1
        return item


def _collate(items: list[_Item]) -> list[_Item]:
    return items


def _plan(
    files: list[str], root: Path, checkpoint_sha1: str, pooling: str, image_size: int, dim: int, world: int
) -> dict[str, Any]:
    return {
        "root": str(root),
        "files_sha1": hashlib.sha1("\n".join(files).encode()).hexdigest(),
        "n": len(files),
        "checkpoint_sha1": checkpoint_sha1,
        "pooling": pooling,
        "image_size": image_size,
        "dim": dim,
        "world": world,
    }


def _shard(n: int, rank: int, world: int) -> range:
    """Contiguous rows of process ``rank``: shares differ by at most one row."""
    lo, hi = n * rank // world, n * (rank + 1) // world
    return range(lo, hi)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def default_workers() -> int:
    """DataLoader worker processes that read and decode: 1 per 4 cores (at least 1, at most 4; none on 1 core)."""
    cores = os.cpu_count() or 1
    return 0 if cores == 1 else min(4, max(1, cores // 4))


PREFETCH_BYTES = 256 * 2**20  # decoded pixels the readers may hold ahead of the encoder: bounded, whatever the folder


def reader_context() -> BaseContext:
    """How the reader processes start: from a fork server where there is one (Linux, macOS), else spawned (Windows).

    Never by forking the process that builds the index: it already runs threads (PyTorch's, a notebook kernel's), and
    a forked child can inherit a lock that one of them held and wait on it forever (Python 3.12 warns of it, and
    3.14 no longer forks by default). The fork server is a clean, single-threaded process that imports this module
    and the calling script once, so each reader forked from it starts in a moment; the dataset, the shared counter
    with it, is pickled to every reader as it starts.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # a script run by path ("__main__"), or by name (python -m pkg.script), is imported by every reader: import it in
    # the server once instead (not a package's __main__.py, which multiprocessing never imports again)
    script = getattr(sys.modules["__main__"].__spec__, "name", None)
    run_by_name = [script] if script and not script.endswith(".__main__") else []
    context.set_forkserver_preload(["__main__", __name__, *run_by_name])  # read when the server first starts
    return context


class _ThreadBalance:
    """On a CPU, share the cores between the reader processes and the encoder, batch by batch.

    While the readers are decoding, the encoder gets the cores they leave; once they have filled their prefetch
    queue and wait, it gets every core. A shared counter of decoded files tells which is the case. The queue holds
    up to PREFETCH_BYTES of pixels, so a small folder is decoded at once and then encoded on every core
    (``python -m scripts.benchmark --only indexing`` measures what this gains).
    """

    def __init__(self, workers: int, batch_size: int, image_size: int, device: torch.device, total: int) -> None:
        self.before = torch.get_num_threads()
        self.active = workers > 0 and device.type == "cpu"
        cores = os.cpu_count() or 1
        self.shared, self.all = max(1, cores - workers), max(1, self.before)
        self.context = reader_context()
        self.done = self.context.Value("q", 0) if self.active else None  # handed to the readers with the dataset
        self.prefetch = max(2, PREFETCH_BYTES // max(1, workers * batch_size * image_size**2 * 3))  # batches/reader
        self.full = self.prefetch * workers * batch_size  # decoded but not yet encoded, when the queues are full
        self.consumed, self.total = 0, total

    def __enter__(self) -> _ThreadBalance:
        if self.active:
            torch.set_num_threads(self.shared)
        return self

    def update(self, consumed: int) -> None:
        """Called after each batch is taken from the loader: every core if the readers are idle, else a share."""
        self.consumed += consumed
        if self.done is not None:
            waiting = self.done.value - self.consumed >= self.full - consumed
            torch.set_num_threads(self.all if waiting or self.done.value >= self.total else self.shared)

    def __exit__(self, *exc) -> None:
        torch.set_num_threads(self.before)


@torch.no_grad()
def build_index(
    data: str | os.PathLike,
    checkpoint: str | os.PathLike,
    index_path: str | os.PathLike,
    pooling: str = "flatten",
    batch_size: int = 64,
    device: str | torch.device | None = None,
    num_workers: int | None = None,
    progress: bool = False,
    max_pixels: int = MAX_PIXELS,
) -> EmbeddingIndex:
    """Embed every image under ``data`` and save the index (manifest ``index_path`` + rows ``.npy``).

    Unreadable files are skipped and logged one line each; an interrupted build resumes on the next call.
    Two processes that build the same index (not torchrun's ranks, which share the work) take turns. The reader
    processes start from a clean process that imports the calling script (:func:`reader_context`): a script that
    builds with ``num_workers`` > 0 needs the ``if __name__ == "__main__":`` guard.
    """
    args = (data, checkpoint, index_path, pooling, batch_size, device, num_workers, progress, max_pixels)
    if process_group_info()[1] > 1:
        return _build_index(*args)
    with file_lock(Path(index_path).with_name(f".{Path(index_path).name}.lock")):
        return _build_index(*args)


def _build_index(
    data, checkpoint, index_path, pooling, batch_size, device, num_workers, progress, max_pixels
) -> EmbeddingIndex:
    rank, world = process_group_info()
    root = Path(data).resolve()
    index_path = Path(index_path)
    work = index_path.with_name(f".{index_path.name}.build")
    device = pick_device(str(device) if device is not None else None)
    encoder, _, config, _ = load_checkpoint(checkpoint)
    encoder = encoder.eval().to(device).to(memory_format=torch.channels_last)
    size = config.image_size
    # a self-supervised embedder knows its row length; an autoencoder's encoder has it from its config and pooling
    pooled = config.embedding_dim if pooling == "flatten" else config.embedding_shape[0]
    dim = getattr(encoder, "embedding_dim", None) or pooled
    paths = list_image_files(root)
    if not paths:
        raise ValueError(f"{root}: no image files found")
    files = [p.relative_to(root).as_posix() for p in paths]
    checkpoint_sha1 = file_digest(checkpoint)
    plan = _plan(files, root, checkpoint_sha1, pooling, size, dim, world)
    rows_file = work / "embeddings.npy"

    # resume only a build of exactly this plan; anything else starts cleanly
    if rank == 0 and (_read_json(work / "plan.json") != plan or not rows_file.is_file()):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        np.lib.format.open_memmap(rows_file, mode="w+", dtype=np.float32, shape=(len(files), dim)).flush()
        atomic_write(work / "plan.json", lambda tmp: tmp.write_text(json.dumps(plan)))
    barrier()

    rows = np.load(rows_file, mmap_mode="r+")
    shard = _shard(len(files), rank, world)
    progress_file = work / f"progress-{rank}.json"
    state = _read_json(progress_file) or {}
    if state.get("shard") != [shard.start, shard.stop]:
        state = {"shard": [shard.start, shard.stop], "done": 0, "digests": [], "stats": [], "errors": {}}

    def save_state(rows: np.memmap) -> None:
        rows.flush()  # rows first: the progress file never claims rows that are not on disk
        atomic_write(progress_file, lambda tmp: tmp.write_text(json.dumps(state)))

    todo = range(shard.start + state["done"], shard.stop)
    workers = default_workers() if num_workers is None else num_workers
    workers = workers if len(todo) > batch_size else 0
    balance = _ThreadBalance(workers, batch_size, size, device, len(todo))
    extra = {"prefetch_factor": balance.prefetch, "multiprocessing_context": balance.context} if workers else {}
    loader = DataLoader(
        ImageFileReader(paths, todo, size, max_pixels, balance.done),
        batch_size=batch_size,
        collate_fn=_collate,
        num_workers=workers,
        **extra,
    )
    bar = tqdm(
        total=len(shard),
        initial=state["done"],
        desc=f"indexing{f' (rank {rank})' if world > 1 else ''}",
        unit="img",
        disable=not progress,
    )
    last_save = time.monotonic()
    with balance:
        for items in loader:
            balance.update(len(items))
            _embed_items(items, encoder, pooling, rows, state)
            bar.update(len(items))
            if time.monotonic() - last_save > SAVE_EVERY_S:
                save_state(rows)
                last_save = time.monotonic()
    bar.close()
    save_state(rows)
    del rows  # closes the memory map before rank 0 renames the file
    barrier()
    index = None
    if rank == 0:
        index = _finish(work, index_path, root, files, world, checkpoint, checkpoint_sha1, pooling, size)
    barrier()
    return index if index is not None else EmbeddingIndex.load(index_path, check=False)  # the other ranks load it


def _embed_items(
    items: list[_Item], encoder: torch.nn.Module, pooling: str, rows: np.ndarray, state: dict[str, Any]
) -> None:
    """Embed the readable images of a batch into their rows; record every file's digest, stat or error."""
    good = [(it.row, it.pixels) for it in items if it.pixels is not None]
    if good:
        # (N, S, S, 3) bytes viewed as (N, 3, S, S) *are* the channels-last layout: no copy, no transpose
        batch = torch.from_numpy(np.stack([pixels for _, pixels in good])).permute(0, 3, 1, 2)
        rows[[row for row, _ in good]] = embed_batch(encoder, batch, pooling)
    for it in items:
        state["digests"].append(it.digest)
        state["stats"].append(it.stat)
        if it.error:
            state["errors"][str(it.row)] = it.error
    state["done"] += len(items)


def _finish(
    work: Path,
    index_path: Path,
    root: Path,
    files: list[str],
    world: int,
    checkpoint: str | os.PathLike,
    checkpoint_sha1: str,
    pooling: str,
    image_size: int,
) -> EmbeddingIndex:
    """Merge the shares, drop skipped rows, move the rows file into place and commit the manifest."""
    digests: list[str] = []
    stats: list[Any] = []
    errors: dict[int, str] = {}
    for r in range(world):
        state = _read_json(work / f"progress-{r}.json")
        if state is None or state["done"] != state["shard"][1] - state["shard"][0]:
            raise RuntimeError(f"{work}: process {r} did not finish its share; run the index command again")
        digests += state["digests"]
        stats += state["stats"]
        errors.update({int(k): v for k, v in state["errors"].items()})
    keep = [i for i in range(len(files)) if i not in errors]
    if not keep:
        raise ValueError(f"{root}: none of the {len(files)} image files could be read")
    rows_file = work / "embeddings.npy"
    if errors:  # copy the kept rows, a block at a time, into a smaller array
        rows = np.load(rows_file, mmap_mode="r")
        out = np.lib.format.open_memmap(
            work / "kept.npy", mode="w+", dtype=np.float32, shape=(len(keep), rows.shape[1])
        )
        for start in range(0, len(keep), 65536):
            out[start : start + 65536] = rows[keep[start : start + 65536]]
        out.flush()
        del out, rows
        rows_file = work / "kept.npy"
    report_skipped([(root / files[i], errors[i]) for i in sorted(errors)], root)
    index = EmbeddingIndex(
        np.load(rows_file, mmap_mode="r"),
        [files[i] for i in keep],
        root,
        [digests[i] for i in keep],
        stats=[tuple(stats[i]) for i in keep],
    )
    skipped = [files[i] for i in sorted(errors)]
    write_index(index, index_path, checkpoint, pooling, image_size, skipped, rows_file, checkpoint_sha1)
    index = EmbeddingIndex.load(index_path, check=False)  # the rows from where they now are
    shutil.rmtree(work, ignore_errors=True)
    return index

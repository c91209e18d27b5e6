"""The lesson's steps end to end on one folder: train, then index (notebooks 03-05, the command line).

Each step writes into a run folder (``best.pt``, ``index.json`` + its ``.npy``, ``history.json``). Notebooks 04-09
index with the shipped reference model (``REFERENCE_CHECKPOINT``, notebook 03's recipe trained once) unless told
otherwise, so their outputs do not depend on a training run of the moment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import DataLoader

from .checkpoints import load_checkpoint, read_checkpoint
from .data import FolderDataset
from .devices import pick_device
from .embeddings import EmbeddingIndex, StaleIndexError, create_embeddings, file_digest
from .files import atomic_write, file_lock
from .models import ModelConfig, build_models
from .paths import BEST_CHECKPOINT, DEFAULT_DATA, DEFAULT_RUN, HISTORY_FILE, INDEX_FILE, REFERENCE_CHECKPOINT, relative
from .training import History, fit, make_loaders, seed_everything


@dataclass(frozen=True)
class TrainSettings:
    """The knobs of one training run; the defaults are notebook 03's recipe (docs/results.md compares others)."""

    epochs: int = 15
    batch_size: int = 32
    lr: float = 2e-3
    val_fraction: float = 0.2
    seed: int = 0


def training_recipe(
    config: ModelConfig, settings: TrainSettings, data: str | os.PathLike[str] = DEFAULT_DATA
) -> dict[str, Any]:
    """What a training run's result depends on: the data folder, the model config and the training settings."""
    return {"data": relative(data), **config.to_dict(), **asdict(settings)}


@dataclass(frozen=True)
class ReferenceComparison:
    """A run's best validation MSE beside the reference model's, compared only when both runs used one recipe."""

    this_run: float
    reference: float
    differences: tuple[str, ...]  # e.g. "image_size 128 (the reference: 64)"; empty when the recipes agree
    rtol: float = 0.15

    @property
    def same_recipe(self) -> bool:
        return not self.differences

    @property
    def agrees(self) -> bool | None:
        """Within ``rtol`` of the reference; None when the recipes differ and there is nothing to compare."""
        if not self.same_recipe:
            return None
        return abs(self.this_run - self.reference) <= self.rtol * self.reference

    def __str__(self) -> str:
        if not self.same_recipe:
            return (
                f"best validation MSE: this run {self.this_run:.4f}; not compared with the shipped reference "
                f"model, which was trained with another recipe: {', '.join(self.differences)}"
            )
        return (
            f"best validation MSE: this run {self.this_run:.4f}, the shipped reference model {self.reference:.4f} "
            f"(the same recipe; {'within' if self.agrees else 'NOT within'} {self.rtol:.0%} of it)"
        )


def compare_with_reference(
    best_val_loss: float,
    config: ModelConfig,
    settings: TrainSettings,
    data: str | os.PathLike[str] = DEFAULT_DATA,
    reference: str | os.PathLike[str] = REFERENCE_CHECKPOINT,
    rtol: float = 0.15,
) -> ReferenceComparison:
    """Set a run's best validation MSE beside the reference checkpoint's, reading the recipe stored in its meta.

    Floats differ across machines, so the same recipe gives a nearby loss, not the same one; another recipe
    (a GPU learner's 128 px for 50 epochs, say) gives another model, and its loss is not compared at all.
    """
    state = read_checkpoint(reference)
    meta = state.get("meta")
    if not meta or not {"data", "config", "settings"} <= set(meta):
        raise ValueError(f"{reference}: no record of the recipe that trained it (meta with data, config, settings)")
    ours = training_recipe(config, settings, data)
    theirs = {"data": meta["data"], **meta["config"], **meta["settings"]}
    differences = tuple(
        f"{key} {ours.get(key)} (the reference: {theirs.get(key)})"
        for key in dict.fromkeys([*ours, *theirs])
        if ours.get(key) != theirs.get(key)
    )
    return ReferenceComparison(float(best_val_loss), float(state["history"]["best_val_loss"]), differences, rtol)


def train_folder(
    data: str | os.PathLike[str] = DEFAULT_DATA,
    run_dir: str | os.PathLike[str] = DEFAULT_RUN,
    config: ModelConfig = ModelConfig(),
    settings: TrainSettings = TrainSettings(),
    device: str | None = None,
    verbose: bool = True,
    dataset: FolderDataset | None = None,
    trainer: Callable[..., History] = fit,
    **trainer_options: Any,
) -> History:
    """Train an autoencoder on every image under ``data``; checkpoints and ``history.json`` go to ``run_dir``.

    ``trainer`` is :func:`~tutorial_utils.training.fit` unless told otherwise; the command line passes
    :func:`tutorial_utils.scale.fit_at_scale` with its options (``resume``, ``progress``, ``callbacks``...).
    """
    dataset = dataset or FolderDataset(data, image_size=config.image_size)
    train_loader, val_loader, _ = make_loaders(dataset, settings.batch_size, settings.val_fraction, settings.seed)
    seed_everything(settings.seed)  # the initial weights depend on the seed too
    encoder, decoder = build_models(config)
    history = trainer(
        encoder,
        decoder,
        train_loader,
        val_loader,
        config,
        epochs=settings.epochs,
        lr=settings.lr,
        device=device,
        out_dir=run_dir,
        seed=settings.seed,
        verbose=verbose,
        **trainer_options,
    )
    record = {"data": str(data), "config": config.to_dict(), "settings": asdict(settings), "history": asdict(history)}
    # under torchrun every process holds the same history and writes the same file: each rename is atomic
    atomic_write(Path(run_dir) / HISTORY_FILE, lambda tmp: tmp.write_text(json.dumps(record, indent=1)))
    return history


def load_history(run_dir: str | os.PathLike[str] = DEFAULT_RUN) -> History:
    """The loss history a :func:`train_folder` run saved."""
    record = json.loads((Path(run_dir) / HISTORY_FILE).read_text())
    return History(**record["history"])


def index_folder(
    data: str | os.PathLike[str] = DEFAULT_DATA,
    checkpoint: str | os.PathLike[str] = DEFAULT_RUN / BEST_CHECKPOINT,
    index_path: str | os.PathLike[str] = DEFAULT_RUN / INDEX_FILE,
    pooling: str = "flatten",
    batch_size: int = 64,
    device: str | None = None,
) -> EmbeddingIndex:
    """Embed every image under ``data`` with the checkpoint's encoder and save the index with its manifest.

    A folder too large for memory, or several processes, need the streaming build of
    :func:`tutorial_utils.scale.build_index`, which writes the same index.
    """
    encoder, _, config, _ = load_checkpoint(checkpoint)
    encoder.to(pick_device(device))
    dataset = FolderDataset(data, image_size=config.image_size)
    rows = create_embeddings(encoder, DataLoader(dataset, batch_size=batch_size), pooling=pooling)
    index = EmbeddingIndex.build(rows, dataset.root.resolve(), dataset.relative_paths)
    skipped = [p.relative_to(dataset.root).as_posix() for p, _ in dataset.skipped]
    return write_index(index, index_path, checkpoint, pooling, config.image_size, skipped)


def write_index(
    index: EmbeddingIndex,
    path: str | os.PathLike[str],
    checkpoint: str | os.PathLike[str],
    pooling: str,
    image_size: int,
    skipped: Sequence[str] = (),
    rows_file: str | os.PathLike[str] | None = None,
    checkpoint_sha1: str | None = None,
) -> EmbeddingIndex:
    """Record in ``index.meta`` how an encoder made it, then save it to ``path`` (``rows_file``: as in
    :meth:`EmbeddingIndex.save`).

    The one writer of an encoder's index: :func:`index_folder` and the streaming
    :func:`tutorial_utils.scale.build_index` both save through it, so :func:`ensure_index` finds the same record
    in either: the checkpoint and its SHA-1 (``checkpoint_sha1`` when already computed), the pooling, the image
    size, and the files left out as unreadable (which :meth:`EmbeddingIndex.check` does not count as added).
    """
    index.meta = {
        "checkpoint": str(Path(checkpoint).resolve()),
        "checkpoint_sha1": checkpoint_sha1 or file_digest(checkpoint),
        "pooling": pooling,
        "image_size": image_size,
        "skipped": list(skipped),
    }
    index.save(path, rows_file)
    return index


def ensure_index(
    run_dir: str | os.PathLike[str],
    checkpoint: str | os.PathLike[str] = REFERENCE_CHECKPOINT,
    data: str | os.PathLike[str] = DEFAULT_DATA,
    name: str = INDEX_FILE,
    pooling: str = "flatten",
) -> EmbeddingIndex:
    """``run_dir/name``: the index of ``data`` under ``checkpoint``, rebuilt when missing, stale or made with
    another checkpoint or pooling (as :func:`write_index` recorded them), so every notebook can start in a fresh
    kernel.

    Two notebooks that need the same index at the same time take turns (a lock beside the index).
    """
    path = Path(run_dir) / name
    with file_lock(path.with_name(f".{path.name}.lock")):
        try:
            index = EmbeddingIndex.load(path, root=Path(data).resolve())
            if index.meta.get("checkpoint_sha1") == file_digest(checkpoint) and index.meta.get("pooling") == pooling:
                return index
        except (FileNotFoundError, StaleIndexError):
            pass
        return index_folder(data, checkpoint, path, pooling=pooling)

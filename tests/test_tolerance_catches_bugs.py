"""The notebook tolerance is loose enough for another CPU and still tight enough to catch the original's bugs.

Each test recomputes part of a stored notebook output on the shipped data twice: once with this package's
code (the control, which must pass the cell's tolerance) and once with a bug of the original tutorial put
back (which must fail it). The comparison is the one nbval runs on the tagged cell (tests/nbval_tolerance.py).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from torch import nn

import tutorial_utils.training as training
from tests.nbval_tolerance import cell_tolerance, compare_text
from tutorial_utils.data import FolderDataset, read_labels
from tutorial_utils.evaluation.baselines import stack_images
from tutorial_utils.evaluation.tables import encoder_embeddings, score_table, table_rows
from tutorial_utils.models import ConvEncoder, ModelConfig, build_models
from tutorial_utils.notebook import format_table
from tutorial_utils.paths import DEFAULT_DATA, DEFAULT_LABELS, DEFAULT_QUERIES
from tutorial_utils.pipeline import TrainSettings, train_folder

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def stored_cell(notebook: str, marker: str) -> tuple[str, object]:
    """(stored stdout, tolerance) of the one code cell of ``notebook`` whose source contains ``marker``."""
    cells = [
        c
        for c in nbformat.read(NOTEBOOKS / notebook, as_version=4).cells
        if c.cell_type == "code" and marker in c.source
    ]
    assert len(cells) == 1, f"{notebook}: {len(cells)} cells contain {marker!r}"
    text = "".join(o.get("text", "") for o in cells[0].outputs if o.output_type == "stream")
    return text, cell_tolerance(list(cells[0].metadata.get("tags", [])))


class _Stop(Exception):
    pass


def first_epochs_log(epochs_shown: int, dataset: FolderDataset, tmp_path: Path) -> str:
    """The log that notebook 03's training cell prints, cut after ``epochs_shown`` epochs."""

    def stop(epoch, *_):
        if epoch == epochs_shown:
            raise _Stop

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(_Stop):
        train_folder(
            DEFAULT_DATA,
            tmp_path,
            ModelConfig(image_size=64),
            TrainSettings(),
            device="cpu",
            dataset=dataset,
            callbacks=[stop],
        )
    return out.getvalue()


def last_batch_train_step(encoder, decoder, loader, loss_fn, optimizer, device, scaler=None) -> float:
    """The original tutorial's train_step: trains an epoch but returns the loss of its last batch only."""
    encoder.train()
    decoder.train()
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(decoder(encoder(inputs)), targets)
        loss.backward()
        optimizer.step()
    return loss.item()


@torch.no_grad()
def last_batch_val_step(encoder, decoder, loader, loss_fn, device, amp=False) -> float:
    """The original tutorial's val_step: the loss of the last validation batch only."""
    encoder.eval()
    decoder.eval()
    for inputs, targets in loader:
        loss = loss_fn(decoder(encoder(inputs)), targets)
    return loss.item()


@pytest.fixture(scope="module")
def lesson_dataset() -> FolderDataset:
    return FolderDataset(DEFAULT_DATA, image_size=64)


def test_last_batch_loss_bug_fails_the_training_cell(lesson_dataset, tmp_path, monkeypatch):
    stored, tol = stored_cell("03_training.ipynb", "history = train_folder(")
    assert tol is not None, "notebook 03's training cell should carry a tolerance tag"
    shown = 1  # the first epoch is where the last batch and the epoch mean differ most
    stored_head = "".join(stored.splitlines(keepends=True)[:shown])

    control = first_epochs_log(shown, lesson_dataset, tmp_path / "control")
    assert compare_text(stored_head, control, tol) is None, control

    monkeypatch.setattr(training, "train_step", last_batch_train_step)
    monkeypatch.setattr(training, "val_step", last_batch_val_step)
    buggy = first_epochs_log(shown, lesson_dataset, tmp_path / "buggy")
    why = compare_text(stored_head, buggy, tol)
    assert why is not None, f"the last-batch loss passed the tolerance:\n{stored_head}\n{buggy}"
    assert "now" in why, f"the last-batch loss passed the tolerance:\n{stored_head}\n{buggy}"


def test_placeholder_row_bug_fails_the_score_table(lesson_dataset):
    stored, tol = stored_cell("06_evaluation.ipynb", 'methods["untrained encoder"] =')
    assert tol is not None
    stored_line = next(line for line in stored.splitlines() if line.startswith("untrained encoder"))
    files = lesson_dataset.relative_paths
    labels = {level: read_labels(DEFAULT_LABELS, files, column=level) for level in ("category", "subcategory")}
    query_set = FolderDataset(DEFAULT_QUERIES, image_size=64)
    targets = [
        files.index(f)
        for f in read_labels(DEFAULT_QUERIES.parent / "labels.csv", query_set.relative_paths, column="base_file")
    ]
    torch.manual_seed(0)
    images, query_images = stack_images(lesson_dataset), stack_images(query_set)
    collection, queries = encoder_embeddings(ConvEncoder().eval(), images, query_images)
    placeholder = np.random.default_rng(0).standard_normal((1, collection.shape[1])).astype(np.float32)
    shifted = np.concatenate([placeholder, collection])[: len(collection)]  # the original: row i holds image i - 1
    columns = [
        "embedding",
        "dims",
        "category P@10",
        "category mAP@10",
        "subcategory P@10",
        "subcategory mAP@10",
        "R@1",
        "R@5",
    ]

    def line(embeddings: np.ndarray) -> str:
        rows = score_table({"untrained encoder": (embeddings, queries)}, labels, targets)
        return format_table(table_rows(rows, columns), columns, decimals=3).splitlines()[-1].strip()

    assert compare_text(stored_line, line(collection), tol) is None
    why = compare_text(stored_line, line(shifted), tol)
    assert why is not None, "an index shifted by one row passed the tolerance"


def test_the_buggy_steps_really_differ_from_the_epoch_mean():
    # guards the test above: on a loader whose last batch differs from the rest, the two steps disagree
    torch.manual_seed(0)
    data = torch.cat([torch.zeros(8, 3, 32, 32), torch.ones(3, 3, 32, 32)])
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data, data), batch_size=4)
    enc, dec = build_models(ModelConfig(image_size=32))
    mean = training.val_step(enc, dec, loader, nn.MSELoss(), "cpu")
    last = last_batch_val_step(enc, dec, loader, nn.MSELoss(), "cpu")
    assert abs(mean - last) > 0.1 * mean

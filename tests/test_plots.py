from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from tutorial_utils.embeddings import map_2d
from tutorial_utils.plots import (
    plot_embedding_map,
    plot_losses,
    plot_neighbours,
    plot_reconstructions,
    save_figure,
    show_grid,
    show_images,
)
from tutorial_utils.search import Neighbours
from tutorial_utils.training import History


def test_grid_and_images(image_folder: Path):
    assert len(show_grid(torch.rand(10, 3, 32, 32), nrow=5).axes) == 1
    fig = show_images([image_folder / "img_000.png", torch.rand(3, 32, 32)], ["a", "b"])
    assert [ax.get_xlabel() for ax in fig.axes] == ["a", "b"]


def test_reconstructions_have_one_row_per_entry():
    fig = plot_reconstructions({"original": torch.rand(4, 3, 32, 32), "epoch 1": torch.rand(4, 3, 32, 32)})
    assert len(fig.axes) == 8
    assert fig.axes[4].get_ylabel() == "epoch 1"


def test_loss_curve_marks_best_epoch_and_baseline():
    history = History()
    for t, v in [(0.5, 0.4), (0.3, 0.2), (0.2, 0.25)]:
        history.record(t, v)
    ax = plot_losses(history, baseline=0.45).axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["train", "validation", "best epoch (2)", "predict the mean image"]


def test_neighbours_titles_carry_rank_and_distance(image_folder: Path, tmp_path: Path):
    result = Neighbours([1, 2], [image_folder / "img_001.png", image_folder / "img_002.png"], [0.0123, 0.5])
    fig = plot_neighbours(image_folder / "img_000.png", result)
    assert fig.axes[1].get_xlabel().startswith("#1 d=0.012")
    assert fig.axes[2].get_xlabel().startswith("#2 d=0.500")
    save_figure(fig, tmp_path / "out", "n.png")
    assert (tmp_path / "out" / "n.png").stat().st_size > 1000


def test_embedding_map_is_seeded_and_drawn(image_folder: Path):
    emb = np.random.default_rng(0).standard_normal((12, 20)).astype(np.float32)
    a, b = map_2d(emb, seed=0), map_2d(emb, seed=0)
    assert a.shape == (12, 2)
    assert np.array_equal(a, b)
    paths = sorted(image_folder.glob("*.png"))
    fig = plot_embedding_map(a, ["x"] * 6 + ["y"] * 6, paths, thumb_every=4)
    assert fig.axes[0].get_legend_handles_labels()[1] == ["x", "y"]


def test_plot_recall_curve_draws_one_point_per_setting():
    from tutorial_utils.plots import plot_recall_curve

    fig = plot_recall_curve(
        [{"nprobe": 1, "seconds": 0.01, "recall": 0.7}, {"nprobe": 8, "seconds": 0.03, "recall": 0.97}],
        exact_seconds=0.5,
        title="t",
    )
    (ax,) = fig.axes
    assert list(ax.lines[0].get_ydata()) == [0.7, 0.97]
    assert ax.get_title() == "t"

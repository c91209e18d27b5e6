"""Pictures for every notebook: image grids, reconstructions, loss curves, neighbours of a query.

Each function returns a matplotlib ``Figure`` built without pyplot, so notebooks show it once
and scripts can ``fig.savefig(...)`` without a screen.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from .data import ImageLike, rgb_square_pil
from .training import History

if TYPE_CHECKING:  # annotations only
    from .search import Neighbours


def _to_hwc(image: torch.Tensor | ImageLike, size: int = 64) -> np.ndarray:
    """A (3, H, W) tensor in [0, 1], a path or a PIL image -> an (H, W, 3) array for imshow."""
    if isinstance(image, torch.Tensor):
        return image.detach().cpu().clamp(0, 1).permute(1, 2, 0).numpy()
    return np.asarray(rgb_square_pil(image, size))


def show_grid(images: torch.Tensor, nrow: int = 8, title: str | None = None, scale: float = 0.9) -> Figure:
    """A batch (N, 3, H, W) as one grid picture (torchvision ``make_grid``)."""
    from torchvision.utils import make_grid  # imported when used: torchvision is slow to import

    grid = make_grid(images.detach().cpu().clamp(0, 1), nrow=nrow, padding=2, pad_value=1.0)
    rows = int(np.ceil(len(images) / nrow))
    fig = Figure(figsize=(scale * nrow, scale * rows + (0.4 if title else 0)))
    ax = fig.add_subplot()
    ax.imshow(grid.permute(1, 2, 0).numpy())
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def show_images(
    images: Sequence[torch.Tensor | ImageLike], titles: Sequence[str] | None = None, ncols: int = 6, size: float = 1.6
) -> Figure:
    """Images side by side with a title under each (paths, PIL images or tensors)."""
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(size * min(n, ncols), (size + 0.35) * nrows))
    for i, image in enumerate(images):
        ax = fig.add_subplot(nrows, min(n, ncols), i + 1)
        ax.imshow(_to_hwc(image))
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_xlabel(titles[i], fontsize=8)
    fig.tight_layout()
    return fig


def plot_reconstructions(rows: Mapping[str, torch.Tensor], size: float = 1.0) -> Figure:
    """One row per entry (e.g. "original", "epoch 1", "epoch 20"), the same images in each column."""
    n_rows = len(rows)
    n_cols = max(len(t) for t in rows.values())
    fig = Figure(figsize=(size * n_cols + 1.2, size * n_rows))
    for r, (label, batch) in enumerate(rows.items()):
        for c in range(len(batch)):
            ax = fig.add_subplot(n_rows, n_cols, r * n_cols + c + 1)
            ax.imshow(_to_hwc(batch[c]))
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.subplots_adjust(left=1.2 / (size * n_cols + 1.2), right=0.99, wspace=0.05, hspace=0.05)
    return fig


def plot_losses(history: History, baseline: float | None = None, title: str = "Reconstruction loss (MSE)") -> Figure:
    """Train and validation loss per epoch, the best epoch marked, and an optional baseline line."""
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    epochs = np.arange(1, len(history.train_loss) + 1)
    ax.plot(epochs, history.train_loss, marker="o", ms=3, label="train")
    ax.plot(epochs, history.val_loss, marker="o", ms=3, label="validation")
    if history.best_epoch:
        ax.axvline(history.best_epoch, color="grey", ls=":", label=f"best epoch ({history.best_epoch})")
    if baseline is not None:
        ax.axhline(baseline, color="red", ls="--", label="predict the mean image")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_neighbours(
    query: torch.Tensor | ImageLike, neighbours: Neighbours, query_title: str = "query", size: float = 1.6
) -> Figure:
    """The query, then its neighbours nearest first, each titled with its rank and distance."""
    images = [query, *list(neighbours.paths)]
    titles = [query_title] + [
        f"#{rank} d={dist:.3f}\n{os.path.basename(path)[:18]}"
        for rank, (path, dist) in enumerate(zip(neighbours.paths, neighbours.distances, strict=True), start=1)
    ]
    fig = show_images(images, titles, ncols=len(images), size=size)
    fig.axes[0].patch.set_edgecolor("red")
    for spine in fig.axes[0].spines.values():
        spine.set_edgecolor("red")
        spine.set_linewidth(2)
    return fig


def plot_embedding_map(
    coords: np.ndarray,
    labels: Sequence[str],
    thumbnails: Sequence[ImageLike] = (),
    thumb_every: int = 12,
    thumb_zoom: float = 0.28,
    title: str = "",
) -> Figure:
    """2-D map of the embeddings: one dot per image coloured by label, with some images drawn as thumbnails."""
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    fig = Figure(figsize=(11, 9))
    ax = fig.add_subplot()
    names = sorted(set(labels))
    colours = {name: f"C{i % 10}" for i, name in enumerate(names)}
    label_array = np.asarray(labels)
    for name in names:
        mask = label_array == name
        ax.scatter(coords[mask, 0], coords[mask, 1], s=8, c=colours[name], label=name, alpha=0.7)
    for i in range(0, len(thumbnails), thumb_every):
        box = OffsetImage(np.asarray(rgb_square_pil(thumbnails[i], 64)), zoom=thumb_zoom)
        ab = AnnotationBbox(
            box, coords[i], frameon=True, pad=0.05, bboxprops={"edgecolor": colours[labels[i]], "linewidth": 1.2}
        )
        ax.add_artist(ab)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), markerscale=3, fontsize=9)
    fig.tight_layout()
    return fig


def save_figure(fig: Figure, folder: str | os.PathLike[str], name: str, dpi: int = 100) -> Figure:
    """Save ``fig`` as ``folder/name`` (so ``make run`` leaves PNGs behind) and return it for display."""
    os.makedirs(folder, exist_ok=True)
    fig.savefig(os.path.join(folder, name), dpi=dpi, bbox_inches="tight")
    return fig


def plot_scores(rows: Sequence[Mapping[str, float | str]], columns: Sequence[str], title: str = "") -> Figure:
    """Horizontal grouped bars: one group per embedding, one bar per score column."""
    names = [str(r["embedding"]) for r in rows]
    fig = Figure(figsize=(8, 0.3 * len(rows) * len(columns) + 1.5))
    ax = fig.add_subplot()
    height = 0.8 / len(columns)
    y = np.arange(len(rows))
    for j, col in enumerate(columns):
        values = [float(r[col]) for r in rows]
        bars = ax.barh(y + j * height, values, height, label=col)
        ax.bar_label(bars, fmt="%.3f", fontsize=7, padding=2)
    ax.set_yticks(y + height * (len(columns) - 1) / 2, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.08)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=len(columns), frameon=False)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_label_matrix(names: Sequence[str], matrix: np.ndarray, title: str = "") -> Figure:
    """Rows: the label of the query; columns: the labels of its neighbours (shares, rows sum to 1)."""
    fig = Figure(figsize=(7.5, 6.5))
    ax = fig.add_subplot()
    im = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    for i in range(len(names)):
        for j in range(len(names)):
            if matrix[i, j] >= 0.05:
                ax.text(
                    j,
                    i,
                    f"{matrix[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if matrix[i, j] > 0.5 else "black",
                )
    ax.set_xlabel("category of the neighbours")
    ax.set_ylabel("category of the query")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def plot_neighbour_comparison(
    query: torch.Tensor | ImageLike, results: Mapping[str, Neighbours], size: float = 1.3
) -> Figure:
    """The same query's neighbours under several embeddings, one row each."""
    k = max(len(r.paths) for r in results.values())
    fig = Figure(figsize=(size * (k + 1) + 1.5, (size + 0.3) * len(results)))
    for r, (name, result) in enumerate(results.items()):
        ax = fig.add_subplot(len(results), k + 1, r * (k + 1) + 1)
        ax.imshow(_to_hwc(query))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
        for c, (path, dist) in enumerate(zip(result.paths, result.distances, strict=True)):
            ax = fig.add_subplot(len(results), k + 1, r * (k + 1) + c + 2)
            ax.imshow(_to_hwc(path))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(f"{dist:.3f}", fontsize=7)
    fig.tight_layout()
    return fig


def plot_recall_curve(curve: Sequence[Mapping[str, float]], exact_seconds: float, title: str = "") -> Figure:
    """Recall against query time for an approximate index (one point per nprobe), with exact search's time."""
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    seconds = [c["seconds"] for c in curve]
    ax.plot(seconds, [c["recall"] for c in curve], "o-", label="faiss-ann (IVF)")
    for c in curve:
        ax.annotate(
            f"nprobe {c['nprobe']:g}",
            (c["seconds"], c["recall"]),
            textcoords="offset points",
            xytext=(5, -12),
            fontsize=8,
        )
    ax.axvline(exact_seconds, color="tab:red", ls="--", label="exact search (faiss)")
    ax.axhline(0.95, color="gray", ls=":", label="recall 0.95")
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels of a narrow log axis overlap
    ax.set_xlabel("seconds for all queries (log scale)")
    ax.set_ylabel("recall@10 against exact search")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(loc="lower right")
    return fig


def plot_training_log(records: Sequence[Mapping[str, float]], scores: Sequence[str], title: str = "") -> Figure:
    """A self-supervised run's log: the loss per epoch (left) and the scores logged every few epochs (right)."""
    fig = Figure(figsize=(10, 3.4))
    ax = fig.add_subplot(1, 2, 1)
    ax.plot([r["epoch"] for r in records], [r["loss"] for r in records])
    ax.set_xlabel("epoch")
    ax.set_ylabel("NT-Xent loss")
    ax.set_title(title or "Contrastive loss")
    ax = fig.add_subplot(1, 2, 2)
    for name in scores:
        points = [(r["epoch"], r[name]) for r in records if name in r]
        ax.plot(*zip(*points, strict=True), marker="o", markersize=3, label=name)
    ax.set_xlabel("epoch")
    ax.set_title("Scores logged during training (labels only score)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig

"""The self-supervised search embedding: SimCLR features of the lesson's encoder, centred, plus colour.

The contrastive encoder learns to ignore colour changes (its augmentations recolour every view), so on its
own it cannot tell a red heart from a blue one. The colour histogram knows exactly that. Both parts are
scaled to length 1 and put side by side, so they weigh the same in the cosine distance. The SimCLR part is
centred first: its ReLU features are all positive, so without centring every pair of images has a cosine
near 1 and the histogram alone would decide the ranking. Notebook 09 builds it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..checkpoints import register_checkpoint_kind, save_checkpoint
from ..evaluation.baselines import colour_histogram_tensor
from ..models import ConvEncoder, ModelConfig, channels_last
from ..paths import REPO_ROOT
from .contrastive import as_float

KIND = "selfsup"
SIMCLR_CHECKPOINT = REPO_ROOT / "data" / "pretrained" / "simclr.pt"  # trained by scripts/train_selfsup.py
FEATURE_PARTS = ("avg", "flatten")  # how the centred feature map is pooled: as a whole, then per grid cell


class SelfSupervisedEmbedder(nn.Module):
    """Images (N, 3, S, S) -> (N, D) embeddings: centred encoder features, pooled two ways, and a colour histogram.

    The encoder's feature map, minus its mean over the training images, is pooled as a whole (``avg``: *what* is
    in the picture) and per cell of its 2 x 2 grid (``flatten``: *where*), like a two-level spatial pyramid.
    Each part, and the colour histogram, is scaled to length 1, so that each weighs the same in the cosine
    distance. ``histogram_weight=0`` leaves the histogram out. The output is already one vector per image, which
    ``create_embeddings`` and ``Embedder`` pass through unchanged: the index and search code need nothing new.
    """

    feature_mean: torch.Tensor  # a buffer, registered in __init__

    def __init__(
        self,
        encoder: ConvEncoder,
        feature_mean: torch.Tensor,
        pooling: tuple[str, ...] = FEATURE_PARTS,
        histogram_weight: float = 1.0,
        bins: int = 8,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.register_buffer("feature_mean", feature_mean.detach().clone().float())  # (C, H, W): the mean map
        self.pooling = tuple(pooling)
        self.histogram_weight = float(histogram_weight)
        self.bins = bins

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's part: the centred feature map, pooled each way of ``pooling``, each part of length 1."""
        centred = self.encoder(x) - self.feature_mean
        pooled = {"avg": lambda: centred.mean(dim=(2, 3)), "flatten": lambda: centred.flatten(1)}
        return torch.cat([F.normalize(pooled[p](), dim=1) for p in self.pooling], dim=1)

    def part_widths(self) -> dict[str, int]:
        """Each part's number of values, in output order: C for ``avg``, C * H * W for ``flatten``, bins^3 for the
        histogram."""
        # the map the mean was taken of
        width = {"avg": self.feature_mean.shape[0], "flatten": self.feature_mean.numel()}
        parts = {p: width[p] for p in self.pooling}
        return parts | ({"histogram": self.bins**3} if self.histogram_weight else {})

    @property
    def embedding_dim(self) -> int:
        """Values per embedding: the sum of :meth:`part_widths`."""
        return sum(self.part_widths().values())

    def split(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The columns of each part of embeddings this embedder made: {"avg": ..., "flatten": ..., "histogram": ...}.

        Each part is already of length 1, so parts can be compared alone or recombined without encoding again.
        """
        widths = self.part_widths()
        if rows.shape[1] != sum(widths.values()):
            raise ValueError(f"rows have {rows.shape[1]} values; this embedder makes {sum(widths.values())}")
        ends = np.cumsum(list(widths.values()))
        return {name: rows[:, end - width : end] for (name, width), end in zip(widths.items(), ends, strict=True)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        learned = self.features(x)
        if self.histogram_weight == 0:
            return learned
        colour = F.normalize(colour_histogram_tensor(x, self.bins), dim=1)
        return torch.cat([learned, self.histogram_weight * colour], dim=1)


@torch.no_grad()
def mean_features(encoder: nn.Module, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The mean feature map (C, H, W) of ``images`` (uint8 or float): the centre of the embedding."""
    encoder.eval()
    total: torch.Tensor | None = None
    for start in range(0, len(images), batch_size):
        maps = encoder(channels_last(as_float(images[start : start + batch_size]))).sum(0)
        total = maps if total is None else total + maps
    return (cast(torch.Tensor, total) / len(images)).contiguous()


def save_selfsup_checkpoint(
    path: str | os.PathLike, config: ModelConfig, embedder: SelfSupervisedEmbedder, **extra: Any
) -> Path:
    """Write the encoder and the centring as a checkpoint that ``load_checkpoint`` turns back into the embedder."""
    return save_checkpoint(
        path,
        config,
        embedder.encoder,
        None,
        kind=KIND,
        feature_mean=embedder.feature_mean.cpu(),
        pooling=list(embedder.pooling),
        histogram_weight=embedder.histogram_weight,
        bins=embedder.bins,
        **extra,
    )


def embedder_from_state(encoder: ConvEncoder, state: dict[str, Any]) -> SelfSupervisedEmbedder:
    """Rebuild the embedder around a loaded encoder from a checkpoint's raw state."""
    return SelfSupervisedEmbedder(
        encoder, state["feature_mean"], tuple(state["pooling"]), state["histogram_weight"], state["bins"]
    ).eval()


register_checkpoint_kind(KIND, embedder_from_state)

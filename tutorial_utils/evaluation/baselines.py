"""Embeddings that need no training, to measure the autoencoder against: pixels, PCA, colour histograms
(notebooks 06, 07 and 09).

A learned representation is only worth its training if it finds similar images better than these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import overload

import numpy as np
import torch
from sklearn.decomposition import PCA
from torch.utils.data import Dataset

from ..data import ImagePair, dataset_size


def stack_images(dataset: Dataset[ImagePair]) -> torch.Tensor:
    """All images of a dataset as one (N, 3, H, W) float tensor, in dataset order."""
    return torch.stack([dataset[i][0] for i in range(dataset_size(dataset))])


def pixel_embeddings(images: torch.Tensor) -> np.ndarray:
    """Each image's raw pixels as one vector: the simplest embedding there is."""
    return images.flatten(1).numpy().astype(np.float32)


@overload
def pca_embeddings(
    images: torch.Tensor, dims: int = 256, seed: int = 0, fit_on: torch.Tensor | None = None, queries: None = None
) -> np.ndarray: ...
@overload
def pca_embeddings(
    images: torch.Tensor, dims: int = 256, seed: int = 0, fit_on: torch.Tensor | None = None, *, queries: torch.Tensor
) -> tuple[np.ndarray, np.ndarray]: ...
def pca_embeddings(
    images: torch.Tensor,
    dims: int = 256,
    seed: int = 0,
    fit_on: torch.Tensor | None = None,
    queries: torch.Tensor | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Pixels projected on the ``dims`` main directions of variance of ``fit_on`` (default: the same images).

    Pass the collection as ``fit_on`` to embed new queries in the collection's PCA space, or pass
    ``queries`` to get ``(images, queries)`` embedded with one fit (the fit is the slow part).
    """
    project = pca_projector(images if fit_on is None else fit_on, dims, seed)
    embedded = project(images)
    if queries is None:
        return embedded
    return embedded, project(queries)


def pca_projector(fit_on: torch.Tensor, dims: int = 256, seed: int = 0) -> Callable[[torch.Tensor], np.ndarray]:
    """A function images -> their pixels projected on the ``dims`` main directions of ``fit_on`` (fitted once)."""
    reference = pixel_embeddings(fit_on)
    pca = PCA(n_components=min(dims, *reference.shape), random_state=seed).fit(reference)
    return lambda images: pca.transform(pixel_embeddings(images)).astype(np.float32)


def colour_histogram_tensor(
    images: torch.Tensor, bins: int = 8, drop_white: bool = True, sqrt: bool = True
) -> torch.Tensor:
    """A bins^3 RGB histogram per image, normalised to sum 1, as an (N, bins^3) tensor on the images' device.

    ``drop_white`` removes the brightest bin, which the white background fills in every emoji;
    ``sqrt`` (the Hellinger trick) keeps a few dominant colours from swamping the rest.
    """
    quantised = (images.float().clamp(0, 1) * (bins - 1e-6)).long()  # (N, 3, H, W) in 0..bins-1
    codes = ((quantised[:, 0] * bins + quantised[:, 1]) * bins + quantised[:, 2]).flatten(1)
    hist = torch.zeros(len(images), bins**3, device=images.device)
    hist.scatter_add_(1, codes, torch.ones_like(codes, dtype=torch.float32))
    if drop_white:
        hist[:, -1] = 0
    hist = hist / hist.sum(1, keepdim=True).clamp_min(1)
    return hist.sqrt() if sqrt else hist


def colour_histograms(images: torch.Tensor, bins: int = 8, drop_white: bool = True, sqrt: bool = True) -> np.ndarray:
    """:func:`colour_histogram_tensor` as a float32 NumPy array, one row per image."""
    return colour_histogram_tensor(images, bins, drop_white, sqrt).cpu().numpy().astype(np.float32)

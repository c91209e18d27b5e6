"""k-nearest-neighbour search over an embedding index, fitted once and queried many times.

Fix from the original tutorial: it built and fitted a new ``NearestNeighbors`` for every query.
Fitting is done once here; each query only embeds the image and asks the fitted model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors

from .data import ImageLike
from .embeddings import Embedder, EmbeddingIndex


@dataclass
class Neighbours:
    """The ``k`` nearest indexed images of one query, nearest first."""

    indices: list[int]
    paths: list[Path]
    distances: list[float]


class SimilarityIndex:
    """A fitted scikit-learn ``NearestNeighbors`` over the rows of an :class:`EmbeddingIndex`.

    Query it with images (paths, PIL images, tensors; one or a list) through :meth:`search`,
    with ready-made vectors through :meth:`search_vectors`, or with an indexed row through
    :meth:`search_indexed`, which leaves the query itself out.
    """

    def __init__(self, index: EmbeddingIndex, embedder: Embedder | None = None, metric: str = "cosine") -> None:
        self.index = index
        self.embedder = embedder
        self.metric = metric
        self._paths = index.paths
        self._nn = NearestNeighbors(metric=metric, algorithm="brute").fit(index.embeddings)

    def __len__(self) -> int:
        return len(self._paths)

    def _neighbours(self, vectors: np.ndarray, k: int, exclude: list[int | None]) -> list[Neighbours]:
        """Ask the fitted model for k (+1 where a row must be left out) neighbours of each vector."""
        n_ask = min(len(self), k + (1 if any(e is not None for e in exclude) else 0))
        distances, indices = self._nn.kneighbors(np.atleast_2d(vectors), n_neighbors=n_ask)
        results = []
        for dist_row, idx_row, skip in zip(distances, indices, exclude):
            pairs = [(int(i), float(d)) for i, d in zip(idx_row, dist_row) if int(i) != skip][:k]
            results.append(Neighbours([i for i, _ in pairs], [self._paths[i] for i, _ in pairs],
                                      [d for _, d in pairs]))
        return results

    def search_vectors(self, vectors: np.ndarray, k: int = 5) -> list[Neighbours]:
        """Neighbours of ready-made embedding vectors, shape (Q, D) or (D,)."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        return self._neighbours(vectors, k, [None] * len(vectors))

    def search_indexed(self, rows: int | list[int], k: int = 5) -> list[Neighbours]:
        """Neighbours of images already in the index, each one leaving itself out."""
        rows = [rows] if isinstance(rows, int) else list(rows)
        return self._neighbours(self.index.embeddings[rows], k, rows)

    def search(self, queries: ImageLike | torch.Tensor | list, k: int = 5, exclude_self: bool = True) -> list[Neighbours]:
        """Neighbours of one or many query images of any size or mode.

        With ``exclude_self``, a query given by the path of an indexed file does not find itself.
        """
        if self.embedder is None:
            raise ValueError("this SimilarityIndex has no Embedder: pass one to query with images")
        vectors = self.embedder(queries)
        items = queries if isinstance(queries, (list, tuple)) else [queries]
        exclude: list[int | None] = [None] * len(vectors)
        if exclude_self and len(items) == len(vectors):  # a 4-D tensor batch has no paths to match
            rows = {p.resolve(): i for i, p in enumerate(self._paths)}
            exclude = [rows.get(Path(q).resolve()) if isinstance(q, (str, os.PathLike)) else None for q in items]
        return self._neighbours(vectors, k, exclude)

"""k-nearest-neighbour search over an embedding index, fitted once and queried many times.

Fix from the original tutorial: it built and fitted a new ``NearestNeighbors`` for every query.
Fitting is done once here; each query only embeds the image and asks the fitted model. The model is
scikit-learn's by default; FAISS (exact or approximate) is one argument away (:mod:`tutorial_utils.backends`).

Near-ties are ordered the same on every machine: the fitted model proposes a few more candidates than
asked for, their distances are recomputed in float64 and rounded to ``TIE_DECIMALS`` decimals, and equal
rounded distances are ordered by row (= file name order). Without this, two identical images (the flags
of France and of St. Martin are the same picture) swap places between CPUs, because the last bits of a
float32 matrix product depend on the kernel that computed it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .backends import make_backend
from .data import ImageLike
from .embeddings import Embedder, EmbeddingIndex

TIE_DECIMALS = 6
EXTRA_CANDIDATES = 8  # asked for beyond k (+1 for a left-out row), so rows tied with the k-th are seen before the cut


@dataclass
class Neighbours:
    """The ``k`` nearest indexed images of one query, nearest first."""

    indices: list[int]
    paths: list[Path]
    distances: list[float]


def exact_distances(rows: np.ndarray, vector: np.ndarray, metric: str) -> np.ndarray:
    """Distances from ``vector`` to each of ``rows`` in float64 (cosine and Euclidean by hand: no per-call overhead)."""
    x, v = rows.astype(np.float64), np.asarray(vector, dtype=np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1) * np.linalg.norm(v)
        return 1.0 - (x @ v) / np.where(norms > 0, norms, 1.0)
    if metric == "euclidean":
        return np.sqrt(((x - v) ** 2).sum(axis=1))
    from sklearn.metrics import pairwise_distances  # other metrics only: importing scikit-learn costs ~1.5 s

    return pairwise_distances(x, v[None], metric=metric).ravel()


class SimilarityIndex:
    """A nearest-neighbour model fitted once over the rows of an :class:`EmbeddingIndex`.

    Query it with images (paths, PIL images, tensors; one or a list) through :meth:`search`,
    with ready-made vectors through :meth:`search_vectors`, or with an indexed row through
    :meth:`search_indexed`, which leaves the query itself out. ``backend`` is ``"sklearn"`` (exact,
    the default), ``"faiss"`` (exact) or ``"faiss-ann"`` (approximate; ``options`` such as ``nprobe``).
    """

    def __init__(self, index: EmbeddingIndex, embedder: Embedder | None = None, metric: str = "cosine",
                 backend: str = "sklearn", **options) -> None:
        self.index = index
        self.embedder = embedder
        self.metric = metric
        self._paths = index.paths
        self.backend = make_backend(backend, index.embeddings, metric, **options)

    def __len__(self) -> int:
        return len(self._paths)

    def _neighbours(self, vectors: np.ndarray, k: int, exclude: list[int | None]) -> list[Neighbours]:
        """Ask the fitted model for k neighbours of each vector (leaving out ``exclude``), ties ordered by row.

        A few more than k are asked for, so that rows tied with the k-th are all seen before the cut.
        """
        n_ask = min(len(self), k + 1 + EXTRA_CANDIDATES)
        vectors = np.atleast_2d(vectors)
        indices = self.backend.candidates(vectors, n_ask)
        results = []
        for vector, idx_row, skip in zip(vectors, indices, exclude):
            idx_row = idx_row[idx_row >= 0]  # an approximate index may find fewer than asked
            # float64: identical images get distances equal to ~1e-16, far below the rounding of TIE_DECIMALS
            dist_row = exact_distances(self.index.embeddings[idx_row], vector, self.metric)
            order = np.lexsort((idx_row, np.round(dist_row, TIE_DECIMALS)))  # by rounded distance, then row
            pairs = [(int(idx_row[j]), float(dist_row[j])) for j in order if int(idx_row[j]) != skip][:k]
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

    def search(self, queries: ImageLike | torch.Tensor | list, k: int = 5,
               exclude_self: bool = True) -> list[Neighbours]:
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

"""k-nearest-neighbour search over an embedding index, fitted once and queried many times (notebook 05).

Fix from the original tutorial: it built and fitted a new ``NearestNeighbors`` for every query.
Fitting is done once here; each query only embeds the image and asks the fitted model. The model is
scikit-learn's by default; other engines register themselves in :data:`BACKENDS` (FAISS, exact or
approximate, comes with :mod:`tutorial_utils.scale`).

Near-ties are ordered the same on every machine (:func:`order_candidates`): the fitted model proposes a few
more candidates than asked for, their distances are recomputed in float64 and rounded to ``TIE_DECIMALS``
decimals, and equal rounded distances are ordered by row (= file name order). Without this, two identical
images (the flags of France and of St. Martin are the same picture) swap places between CPUs, because the
last bits of a float32 matrix product depend on the kernel that computed it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .data import Queries
from .embeddings import Embedder, EmbeddingIndex

METRICS = ("cosine", "euclidean")  # the distances the lesson compares
TIE_DECIMALS = 6
EXTRA_CANDIDATES = 8  # asked for beyond k (+1 for a left-out row), so rows tied with the k-th are seen before the cut


@runtime_checkable
class Backend(Protocol):
    """A fitted engine that proposes candidate rows: ``candidates(queries (Q, D), n) -> (Q, n)`` row numbers.

    It also says what one row costs in memory (``bytes_per_vector``), and takes the speed/recall knob of an
    approximate search after it is built (``tune``: ``nprobe`` for IVF, ``ef_search`` for HNSW); an engine without
    the knob asked for refuses it.
    """

    def candidates(self, queries: np.ndarray, n: int) -> np.ndarray: ...

    def bytes_per_vector(self) -> float: ...

    def tune(self, nprobe: int | None = None, ef_search: int | None = None) -> None: ...


def normalise_rows(x: np.ndarray, dtype: type[np.floating[Any]] = np.float32) -> np.ndarray:
    """A copy of ``x`` in ``dtype`` with every row scaled to length 1 (all-zero rows stay zero).

    The package's one L2 normalisation: cosine distances here, the FAISS backends and the evaluation's
    concatenated embeddings all scale rows with it.
    """
    x = np.array(x, dtype=dtype, copy=True)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x /= np.where(norms > 0, norms, 1.0)
    return x


class SklearnBackend:
    """Exact brute-force search with scikit-learn's ``NearestNeighbors`` (any metric it knows)."""

    name = "sklearn"

    def __init__(self, vectors: np.ndarray, metric: str) -> None:
        from sklearn.neighbors import NearestNeighbors  # imported when first used: scikit-learn takes a while

        self._nn = NearestNeighbors(metric=metric, algorithm="brute").fit(vectors)
        self._rows = vectors  # what brute force searches: scikit-learn keeps float rows as they are given

    def candidates(self, queries: np.ndarray, n: int) -> np.ndarray:
        """(Q, n) row numbers, nearest first."""
        return self._nn.kneighbors(queries, n_neighbors=n, return_distance=False)

    def bytes_per_vector(self) -> float:
        return self._rows.nbytes / len(self._rows)

    def tune(self, nprobe: int | None = None, ef_search: int | None = None) -> None:
        """An exact search has no speed/recall knob: asking to turn one is an error."""
        if nprobe is not None or ef_search is not None:
            raise ValueError("the sklearn backend is exact: it has no nprobe or ef_search to tune")


def _sklearn(vectors: np.ndarray, metric: str, **options: Any) -> SklearnBackend:
    if options:
        raise ValueError(f"the sklearn backend takes no options, got {sorted(options)}")
    return SklearnBackend(vectors, metric)


BackendFactory = Callable[..., Backend]  # (vectors, metric, **options) -> a fitted Backend
BACKENDS: dict[str, BackendFactory] = {"sklearn": _sklearn}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``SimilarityIndex(..., backend=name)`` fit its rows with ``factory(vectors, metric, **options)``."""
    BACKENDS[name] = factory


def make_backend(name: str, vectors: np.ndarray, metric: str, **options: Any) -> Backend:
    """The backend called ``name``, fitted on ``vectors``."""
    if name not in BACKENDS:
        hint = " (the faiss backends come with: import tutorial_utils.scale)" if name.startswith("faiss") else ""
        raise ValueError(f"backend must be one of {tuple(BACKENDS)}, got {name!r}{hint}")
    return BACKENDS[name](vectors, metric, **options)


@dataclass
class Neighbours:
    """The ``k`` nearest indexed images of one query, nearest first."""

    indices: list[int]
    paths: list[Path]
    distances: list[float]


def exact_distances(rows: np.ndarray, vector: np.ndarray, metric: str) -> np.ndarray:
    """Distances from ``vector`` to each of ``rows`` in float64 (cosine and Euclidean by hand: no per-call overhead)."""
    if metric == "cosine":
        return 1.0 - normalise_rows(rows, np.float64) @ normalise_rows(np.atleast_2d(vector), np.float64)[0]
    x, v = rows.astype(np.float64), np.asarray(vector, dtype=np.float64)
    if metric == "euclidean":
        return np.sqrt(((x - v) ** 2).sum(axis=1))
    from sklearn.metrics import pairwise_distances

    return pairwise_distances(x, v[None], metric=metric).ravel()


def order_candidates(
    rows: np.ndarray, candidates: np.ndarray, vector: np.ndarray, metric: str, k: int, skip: int | None = None
) -> tuple[list[int], list[float]]:
    """The k nearest of ``candidates`` (row numbers; -1 = none) to ``vector``, leaving out row ``skip``:
    float64 distances, rounded to ``TIE_DECIMALS``, ties ordered by row."""
    found, distances = order_candidate_rows(rows, candidates[None], np.atleast_2d(vector), metric, k, [skip])
    kept = found[0] >= 0
    return [int(i) for i in found[0][kept]], [float(d) for d in distances[0][kept]]


def order_candidate_rows(
    rows: np.ndarray,
    candidates: np.ndarray,
    vectors: np.ndarray,
    metric: str,
    k: int,
    skip: Sequence[int | None] | None = None,
    unit: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`order_candidates` for Q queries at once, the rule the search and the evaluation share: (Q, k) rows and
    distances, nearest first, padded with -1 and inf where a query has fewer than k candidates (``candidates``
    (Q, m) row numbers, -1 = none; ``skip[q]``, a row query q leaves out)."""
    candidates = np.asarray(candidates, dtype=np.int64)
    # float64: identical images get distances equal to ~1e-16, far below the rounding of TIE_DECIMALS
    distances = _candidate_distances(rows, candidates, vectors, metric, unit)
    left_out = candidates < 0  # an approximate index may find fewer than asked
    if skip is not None:
        left_out |= candidates == np.array([-2 if s is None else s for s in skip])[:, None]
    # by rounded distance, then row; the rows left out go last
    order = np.lexsort((candidates, np.round(distances, TIE_DECIMALS), left_out), axis=1)[:, :k]
    found = np.take_along_axis(candidates, order, axis=1)
    found_distances = np.take_along_axis(distances, order, axis=1)
    dropped = np.take_along_axis(left_out, order, axis=1)
    return np.where(dropped, -1, found), np.where(dropped, np.inf, found_distances)


def _candidate_distances(
    rows: np.ndarray, candidates: np.ndarray, vectors: np.ndarray, metric: str, unit: np.ndarray | None = None
) -> np.ndarray:
    """(Q, m) float64 distances from each vector to the rows of its candidates (a -1 candidate: any value);
    ``unit``: the rows already scaled to length 1 in float64, if the caller keeps them (:class:`SimilarityIndex`)."""
    safe = np.where(candidates >= 0, candidates, 0)
    out = np.empty(candidates.shape, dtype=np.float64)
    # about 8 MB of candidate rows at a time: a block that stays in cache is gathered and multiplied faster than a
    # larger one (64 MB blocks took twice as long for 1,911 pixel rows)
    per_query = max(1, 2**23 // max(1, candidates.shape[1] * rows.shape[1] * 8))
    # cosine: all rows scaled to length 1 in float64 once when the queries look at least as many candidates as there
    # are rows (each row is then a candidate of many queries) and that copy stays under 256 MB; else only the
    # candidates, block by block (one query against a large index scales its few candidates, not the index)
    whole = metric == "cosine" and candidates.size >= len(rows) and rows.size * 8 <= 2**28
    if unit is None and whole:
        unit = normalise_rows(rows, np.float64)
    for start in range(0, len(candidates), per_query):
        chosen = safe[start : start + per_query]
        v = np.asarray(vectors[start : start + per_query], dtype=np.float64)
        if metric == "cosine":
            block = unit[chosen] if unit is not None else normalise_rows(rows[chosen.ravel()], np.float64)
            block = block.reshape(*chosen.shape, rows.shape[1])  # (q, m, D)
            out[start : start + per_query] = 1.0 - np.matmul(block, normalise_rows(v, np.float64)[:, :, None])[..., 0]
            continue
        block = rows[chosen].astype(np.float64)
        if metric == "euclidean":
            difference = block - v[:, None, :]
            out[start : start + per_query] = np.sqrt(np.einsum("qmd,qmd->qm", difference, difference))
        else:
            for q in range(len(block)):
                out[start + q] = exact_distances(block[q], v[q], metric)
    return out


def indexed_rows(paths: list[Path], queries: Queries, n: int) -> list[int | None]:
    """The row in ``paths`` of each of ``n`` queries given by the path of an indexed file (None for the others)."""
    items = queries if isinstance(queries, (list, tuple)) else [queries]
    if len(items) != n:  # a 4-D tensor batch has no paths to match
        return [None] * n
    rows = {p.resolve(): i for i, p in enumerate(paths)}
    return [rows.get(Path(q).resolve()) if isinstance(q, (str, os.PathLike)) else None for q in items]


class SimilarityIndex:
    """A nearest-neighbour model fitted once over the rows of an :class:`EmbeddingIndex`.

    Query it with images (:meth:`search`), ready-made vectors (:meth:`search_vectors`) or indexed rows
    (:meth:`search_indexed`, which leaves the query itself out).
    """

    def __init__(
        self,
        index: EmbeddingIndex,
        embedder: Embedder | None = None,
        metric: str = "cosine",
        backend: str = "sklearn",
        **options: Any,
    ) -> None:
        self.index, self.embedder, self.metric, self._paths = index, embedder, metric, index.paths
        self.backend = make_backend(backend, index.embeddings, metric, **options)  # fitted once, here
        self._unit: np.ndarray | None = None  # the rows at length 1 in float64, for the tie rule, made when needed

    def __len__(self) -> int:
        return len(self._paths)

    def neighbour_rows(
        self, vectors: np.ndarray, k: int, exclude: Sequence[int | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(Q, k) rows and distances of the nearest neighbours of ``vectors``, as arrays (-1 and inf where a query has
        fewer than k), query q leaving out row ``exclude[q]``: what :meth:`search` returns, without the paths."""
        vectors = np.atleast_2d(vectors)
        candidates = self.backend.candidates(vectors, min(len(self), k + 1 + EXTRA_CANDIDATES))
        rows = self.index.embeddings
        # many queries (an evaluation) look at every row: scale them all once and keep them, if under 256 MB
        if self.metric == "cosine" and self._unit is None and candidates.size >= len(rows) and rows.size * 8 <= 2**28:
            self._unit = normalise_rows(rows, np.float64)
        return order_candidate_rows(rows, candidates, vectors, self.metric, k, exclude, self._unit)

    def _neighbours(self, vectors: np.ndarray, k: int, exclude: Sequence[int | None]) -> list[Neighbours]:
        found, distances = self.neighbour_rows(vectors, k, exclude)
        results: list[Neighbours] = []
        for rows, dists in zip(found.tolist(), distances.tolist(), strict=True):
            kept = [i for i, row in enumerate(rows) if row >= 0]
            results.append(
                Neighbours([rows[i] for i in kept], [self._paths[rows[i]] for i in kept], [dists[i] for i in kept])
            )
        return results

    def search_vectors(self, vectors: np.ndarray, k: int = 5) -> list[Neighbours]:
        """Neighbours of ready-made embedding vectors, shape (Q, D) or (D,)."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        return self._neighbours(vectors, k, [None] * len(vectors))

    def search_indexed(self, rows: int | list[int], k: int = 5) -> list[Neighbours]:
        """Neighbours of images already in the index, each one leaving itself out."""
        rows = [rows] if isinstance(rows, int) else list(rows)
        return self._neighbours(self.index.embeddings[rows], k, rows)

    def search(self, queries: Queries, k: int = 5, exclude_self: bool = True) -> list[Neighbours]:
        """Neighbours of one or many query images of any size or mode.

        With ``exclude_self``, a query given by the path of an indexed file does not find itself.
        """
        if self.embedder is None:
            raise ValueError("this SimilarityIndex has no Embedder: pass one to query with images")
        vectors = self.embedder(queries)
        exclude = indexed_rows(self._paths, queries, len(vectors)) if exclude_self else [None] * len(vectors)
        return self._neighbours(vectors, k, exclude)

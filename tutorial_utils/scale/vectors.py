"""Collections larger than the shipped emoji, for measuring search at scale: vectors shaped like real embeddings
(notebook 08).

Approximate search is only meaningful on data with structure: on i.i.d. Gaussian noise every point is about
equally far from every other and "recall" measures nothing. :func:`make_vectors` starts from real embeddings
instead: each new vector is a real embedding moved part of the way towards one of its nearest real
neighbours, plus a little noise scaled to each dimension's spread, so neighbourhoods look like the real ones.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

import numpy as np

from ..search import SimilarityIndex, normalise_rows


def nearest_real_neighbours(real: np.ndarray, k: int) -> np.ndarray:
    """(N, k) rows of each real embedding's k nearest other embeddings by cosine similarity."""
    normed = normalise_rows(real)
    sims = normed @ normed.T
    np.fill_diagonal(sims, -np.inf)
    return np.argpartition(-sims, k, axis=1)[:, :k]


def make_vectors(
    real: np.ndarray,
    n: int,
    n_queries: int = 0,
    seed: int = 0,
    neighbours: int = 10,
    spread: float = 1.0,
    noise: float = 0.2,
    chunk: int = 100_000,
) -> tuple[np.ndarray, np.ndarray]:
    """(n, D) collection and (n_queries, D) queries made from ``real`` (M, D) embeddings; float32, seeded.

    Each vector is ``a + t (b - a) + noise * std * z``: ``a`` a random real embedding, ``b`` one of its
    ``neighbours`` nearest real embeddings, ``t`` uniform in [0, ``spread``], ``std`` the per-dimension
    standard deviation of ``real`` and ``z`` standard normal. Built ``chunk`` rows at a time.
    """
    real = np.asarray(real, dtype=np.float32)
    rng = np.random.default_rng(seed)
    near = nearest_real_neighbours(real, min(neighbours, len(real) - 1))
    std = real.std(axis=0)
    total, dim = n + n_queries, real.shape[1]
    out = np.empty((total, dim), dtype=np.float32)
    for start in range(0, total, chunk):
        m = min(chunk, total - start)
        a = rng.integers(0, len(real), m)
        b = near[a, rng.integers(0, near.shape[1], m)]
        t = rng.uniform(0.0, spread, (m, 1)).astype(np.float32)
        z = rng.standard_normal((m, dim), dtype=np.float32)
        out[start : start + m] = real[a] + t * (real[b] - real[a]) + noise * std * z
    return out[:n], out[n:]


def neighbour_recall(found: Sequence[Sequence[int]], truth: Sequence[Sequence[int]]) -> float:
    """Mean fraction of each query's true k nearest rows that a search returned (1.0 = exact)."""
    if len(found) != len(truth) or not truth:
        raise ValueError(f"need one result per query: {len(found)} found, {len(truth)} true")
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def recall_curve(
    searcher: SimilarityIndex,
    queries: np.ndarray,
    truth: Sequence[Sequence[int]],
    nprobes: Sequence[int],
    k: int = 10,
    repeats: int = 3,
) -> list[dict[str, float]]:
    """For each ``nprobe`` of an IVF ``SimilarityIndex``: seconds for all queries (median of ``repeats``) and
    recall@k against ``truth``. The searcher should have answered once already (a warm-up)."""
    curve = []
    for nprobe in nprobes:
        searcher.backend.tune(nprobe=nprobe)
        times, found = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            found = [r.indices for r in searcher.search_vectors(queries, k=k)]
            times.append(time.perf_counter() - start)
        curve.append({"nprobe": nprobe, "seconds": statistics.median(times), "recall": neighbour_recall(found, truth)})
    return curve

"""FAISS engines for :class:`~tutorial_utils.search.SimilarityIndex`, registered as backends on import (notebook 08).

- ``sklearn`` (in :mod:`tutorial_utils.search`): scikit-learn's brute-force ``NearestNeighbors``, the default; exact.
- ``faiss``: FAISS ``IndexFlatIP`` on L2-normalised rows (cosine) or ``IndexFlatL2`` (Euclidean); exact, and
  much faster on large collections.
- ``faiss-ann``: approximate. ``kind="ivf"`` (default) clusters the rows into ``nlist`` lists with k-means and
  scans only the ``nprobe`` lists nearest to each query; ``kind="hnsw"`` walks a graph with ``m`` links per
  node, exploring ``ef_search`` candidates per query. Larger ``nprobe`` / ``ef_search``: higher recall, slower.

FAISS is optional: ``pip install -e ".[scale]"`` (pip's ``faiss-cpu``) or ``conda install -c conda-forge faiss-cpu``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..search import METRICS, normalise_rows, register_backend


def import_faiss() -> Any:
    """The ``faiss`` module, or an ImportError that says how to install it."""
    try:
        import faiss
    except ImportError as err:
        raise ImportError(
            'the faiss backends need FAISS, which is not installed: pip install -e ".[scale]" '
            "(or: pip install faiss-cpu, conda install -c conda-forge faiss-cpu)"
        ) from err
    return faiss


def default_nlist(n: int) -> int:
    """IVF lists for ``n`` rows: about 4 * sqrt(n), at most n / 39 (FAISS wants ~39+ training rows per list)."""
    return max(1, min(int(4 * math.sqrt(n)), n // 39))


class FaissBackend:
    """FAISS, exact (``ann=False``: a flat index) or approximate (IVF or HNSW)."""

    def __init__(
        self,
        vectors: np.ndarray,
        metric: str,
        ann: bool = False,
        kind: str = "ivf",
        nlist: int | None = None,
        nprobe: int = 16,
        m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 64,
        train_size: int | None = None,
        seed: int = 0,
    ) -> None:
        if metric not in METRICS:
            raise ValueError(f"the faiss backends support {METRICS}, not {metric!r}")
        faiss = import_faiss()
        self.name = "faiss-ann" if ann else "faiss"
        self.cosine = metric == "cosine"
        x = normalise_rows(vectors) if self.cosine else np.ascontiguousarray(vectors, dtype=np.float32)
        n, d = x.shape
        fmetric = faiss.METRIC_INNER_PRODUCT if self.cosine else faiss.METRIC_L2
        if not ann:
            self.index = faiss.IndexFlatIP(d) if self.cosine else faiss.IndexFlatL2(d)
        elif kind == "ivf":
            self.nlist = nlist or default_nlist(n)
            quantizer = faiss.IndexFlatIP(d) if self.cosine else faiss.IndexFlatL2(d)
            self.index = faiss.IndexIVFFlat(quantizer, d, self.nlist, fmetric)
            self.index.cp.seed = seed
            size = min(n, train_size or 40 * self.nlist)  # k-means on a seeded sample: fast, and enough
            sample = x if size == n else x[np.sort(np.random.default_rng(seed).choice(n, size, replace=False))]
            self.index.train(sample)
            self.index.nprobe = min(nprobe, self.nlist)
            self._quantizer = quantizer  # FAISS does not own it: keep it alive
        elif kind == "hnsw":
            self.index = faiss.IndexHNSWFlat(d, m, fmetric)
            self.index.hnsw.efConstruction = ef_construction
            self.index.hnsw.efSearch = ef_search
        else:
            raise ValueError(f"kind must be 'ivf' or 'hnsw', got {kind!r}")
        self.index.add(x)

    def tune(self, nprobe: int | None = None, ef_search: int | None = None) -> None:
        """Change the speed/recall knob of an approximate index after it is built (IVF: nprobe, HNSW: ef_search)."""
        if nprobe is not None:
            self.index.nprobe = min(nprobe, self.nlist)
        if ef_search is not None:
            self.index.hnsw.efSearch = ef_search

    def candidates(self, queries: np.ndarray, n: int) -> np.ndarray:
        """(Q, n) row numbers, nearest first; -1 where an approximate index found fewer than n."""
        q = normalise_rows(queries) if self.cosine else np.ascontiguousarray(queries, dtype=np.float32)
        _, idx = self.index.search(q, n)
        return idx

    def bytes_per_vector(self) -> float:
        """Measured: the serialised index's size divided by its rows."""
        return len(import_faiss().serialize_index(self.index)) / self.index.ntotal


def faiss_exact(vectors: np.ndarray, metric: str) -> FaissBackend:
    """``backend="faiss"``: a flat FAISS index, exact."""
    return FaissBackend(vectors, metric, ann=False)


def faiss_approximate(vectors: np.ndarray, metric: str, **options: Any) -> FaissBackend:
    """``backend="faiss-ann"``: IVF (default) or HNSW; ``options`` as in :class:`FaissBackend`."""
    return FaissBackend(vectors, metric, ann=True, **options)


register_backend("faiss", faiss_exact)
register_backend("faiss-ann", faiss_approximate)

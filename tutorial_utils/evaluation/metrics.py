"""Score embeddings with labels: precision@k and mean average precision@k, leave-one-out (notebook 06).

Labels are never used to train; here they only say whether a neighbour is "right"
(same category or subcategory as the query). The neighbours are the search's own
(:class:`~tutorial_utils.search.SimilarityIndex`), near-ties ordered by its rule, so a score does not
depend on the CPU that computed it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..embeddings import EmbeddingIndex
from ..search import SimilarityIndex

Labels = Sequence[Any] | np.ndarray  # one label per item, as a list or an array


def rows_searcher(embeddings: np.ndarray, metric: str) -> SimilarityIndex:
    """A search over bare rows (row i = item i), fitted once."""
    return SimilarityIndex(EmbeddingIndex.from_vectors(embeddings), metric=metric)


def leave_one_out_neighbours(embeddings: np.ndarray, k: int, metric: str = "cosine") -> np.ndarray:
    """(N, k) indices of each row's k nearest other rows, nearest first, the row itself left out."""
    n = len(embeddings)
    if not 0 < k < n:
        raise ValueError(f"k must be between 1 and {n - 1} for {n} embeddings, got {k}")
    searcher = rows_searcher(embeddings, metric)
    return searcher.neighbour_rows(searcher.index.embeddings, k, exclude=range(n))[0]


def relevance(neighbours: np.ndarray, labels: Labels, query_labels: Labels | None = None) -> np.ndarray:
    """Boolean (Q, k): is neighbour j of query q labelled like the query?"""
    labels = np.asarray(labels)
    query_labels = labels if query_labels is None else np.asarray(query_labels)
    return labels[neighbours] == query_labels[:, None]


def precision_at_k(relevant: np.ndarray, k: int | None = None) -> float:
    """Mean over queries of the fraction of the first k neighbours that are relevant."""
    k = int(relevant.shape[1]) if k is None else k
    return float(relevant[:, :k].mean())


def average_precision_at_k(
    relevant: np.ndarray, n_relevant: np.ndarray | None = None, k: int | None = None
) -> np.ndarray:
    """AP@k of each query: the mean of precision@i over the ranks i <= k holding a relevant item.

    The sum is divided by min(k, number of relevant items in the collection) when ``n_relevant`` is
    given (so missing a findable item costs), else by the number of relevant items retrieved.
    """
    k = int(relevant.shape[1]) if k is None else k
    rel = relevant[:, :k].astype(np.float64)
    precision_at_rank = np.cumsum(rel, axis=1) / np.arange(1, k + 1)
    hits = (precision_at_rank * rel).sum(axis=1)
    denom = rel.sum(axis=1) if n_relevant is None else np.minimum(k, np.asarray(n_relevant))
    return np.divide(hits, denom, out=np.zeros_like(hits), where=denom > 0)


def mean_average_precision_at_k(
    relevant: np.ndarray, n_relevant: np.ndarray | None = None, k: int | None = None
) -> float:
    """mAP@k: the mean of :func:`average_precision_at_k` over queries."""
    return float(average_precision_at_k(relevant, n_relevant, k).mean())


def relevant_counts(labels: Labels) -> np.ndarray:
    """For each item, how many other items share its label (what a perfect search could find)."""
    labels = np.asarray(labels)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    return counts[inverse] - 1


def score_neighbours(neighbours: np.ndarray, labels: Labels) -> dict[str, float]:
    """P@k and mAP@k of leave-one-out neighbour lists (N, k) against ``labels``."""
    k = neighbours.shape[1]
    rel = relevance(neighbours, labels)
    return {
        f"P@{k}": precision_at_k(rel),
        f"mAP@{k}": mean_average_precision_at_k(rel, relevant_counts(labels)),
    }


def score_embeddings(embeddings: np.ndarray, labels: Labels, k: int = 10, metric: str = "cosine") -> dict[str, float]:
    """Leave-one-out P@k and mAP@k of ``embeddings`` against ``labels``."""
    return score_neighbours(leave_one_out_neighbours(embeddings, k, metric), labels)


def per_label_precision(
    embeddings: np.ndarray, labels: Labels, k: int = 10, metric: str = "cosine"
) -> dict[str, float]:
    """P@k of the queries of each label separately: which groups does the embedding find well?"""
    rel = relevance(leave_one_out_neighbours(embeddings, k, metric), labels)
    labels = np.asarray(labels)
    return {name: float(rel[labels == name].mean()) for name in sorted(set(labels.tolist()))}


def neighbour_label_matrix(
    embeddings: np.ndarray, labels: Labels, k: int = 10, metric: str = "cosine"
) -> tuple[list[str], np.ndarray]:
    """(names, M) where M[a, b] is the share of the k neighbours of label-a queries that have label b."""
    labels = np.asarray(labels)
    names = sorted(set(labels.tolist()))
    pos = {n: i for i, n in enumerate(names)}
    nbr_labels = labels[leave_one_out_neighbours(embeddings, k, metric)]
    matrix = np.zeros((len(names), len(names)))
    for q, row in zip(labels, nbr_labels, strict=True):
        for lab in row:
            matrix[pos[q], pos[lab]] += 1
    return names, matrix / matrix.sum(1, keepdims=True)


def recall_at_k(
    index_embeddings: np.ndarray | SimilarityIndex,
    query_embeddings: np.ndarray,
    targets: Sequence[int] | np.ndarray,
    ks: Sequence[int] = (1, 5),
    metric: str = "cosine",
) -> dict[str, float]:
    """Share of queries whose known right answer (row ``targets[q]`` of the index) is among their k nearest.

    ``index_embeddings`` may be a :class:`SimilarityIndex` already fitted on them, to search it again and again.
    """
    queries = np.asarray(query_embeddings, dtype=np.float32)  # as search_vectors takes them
    searcher = index_embeddings
    if not isinstance(searcher, SimilarityIndex):
        searcher = rows_searcher(searcher, metric)
    found, _ = searcher.neighbour_rows(queries, min(max(ks), len(searcher)))
    hits = found == np.asarray(targets)[:, None]
    return {f"R@{k}": float(hits[:, :k].any(axis=1).mean()) for k in ks}

from __future__ import annotations

import numpy as np
import pytest

from tutorial_utils.evaluation.metrics import (
    average_precision_at_k,
    leave_one_out_neighbours,
    mean_average_precision_at_k,
    precision_at_k,
    relevance,
    relevant_counts,
    score_embeddings,
)


def test_precision_at_k_by_hand():
    rel = np.array([[1, 0, 1, 0], [0, 0, 0, 1]], dtype=bool)
    assert precision_at_k(rel) == pytest.approx((2 / 4 + 1 / 4) / 2)
    assert precision_at_k(rel, k=1) == pytest.approx(0.5)
    assert precision_at_k(rel, k=3) == pytest.approx((2 / 3 + 0) / 2)


def test_average_precision_by_hand():
    rel = np.array([[1, 0, 1, 0], [0, 0, 0, 1]], dtype=bool)
    # query 0: hits at ranks 1 and 3 -> (1/1 + 2/3) / 2; query 1: hit at rank 4 -> (1/4) / 1
    assert average_precision_at_k(rel) == pytest.approx([(1 + 2 / 3) / 2, 1 / 4])
    # if 3 relevant items existed for query 0, missing one costs: divide by min(k, 3) = 3
    assert average_precision_at_k(rel, n_relevant=np.array([3, 1]))[0] == pytest.approx((1 + 2 / 3) / 3)
    assert mean_average_precision_at_k(rel) == pytest.approx(((1 + 2 / 3) / 2 + 1 / 4) / 2)


def test_no_relevant_item_scores_zero():
    assert average_precision_at_k(np.zeros((1, 3), dtype=bool)).tolist() == [0.0]


def test_leave_one_out_and_relevance_on_two_clusters():
    emb = np.array([[1, 0.0], [1, 0.1], [1, 0.2], [0, 1.0], [0.1, 1], [0.2, 1]], dtype=np.float32)
    labels = ["a", "a", "a", "b", "b", "b"]
    nbrs = leave_one_out_neighbours(emb, k=2)
    assert all(i not in row for i, row in enumerate(nbrs))
    rel = relevance(nbrs, labels)
    assert rel.all()
    scores = score_embeddings(emb, labels, k=2)
    assert scores == {"P@2": 1.0, "mAP@2": 1.0}
    mixed = score_embeddings(emb, ["a", "b", "a", "b", "a", "b"], k=2)
    assert mixed["P@2"] < 1.0


def test_leave_one_out_with_exact_duplicates_still_drops_one():
    emb = np.array([[1, 0], [1, 0], [1, 0], [0, 1]], dtype=np.float32)
    nbrs = leave_one_out_neighbours(emb, k=2)
    assert nbrs.shape == (4, 2)
    assert all(i not in row for i, row in enumerate(nbrs))


def test_relevant_counts():
    assert relevant_counts(["a", "b", "a", "a"]).tolist() == [2, 0, 2, 2]


def test_k_out_of_range():
    with pytest.raises(ValueError, match="k must be"):
        leave_one_out_neighbours(np.eye(3, dtype=np.float32), k=3)


def test_per_label_precision_and_matrix():
    from tutorial_utils.evaluation.metrics import neighbour_label_matrix, per_label_precision

    emb = np.array([[1, 0.0], [1, 0.1], [0.1, 1], [0, 1.0], [0.05, 1]], dtype=np.float32)
    labels = ["a", "a", "b", "b", "a"]
    per = per_label_precision(emb, labels, k=1)
    # a-queries: 0 -> 1 (a), 1 -> 0 (a), 4 -> 3 or 2 (b): 2/3; b-queries: 2 -> 4 or 3, 3 -> 4 (a) ...
    assert set(per) == {"a", "b"}
    assert per["a"] == pytest.approx(2 / 3)
    names, matrix = neighbour_label_matrix(emb, labels, k=1)
    assert names == ["a", "b"]
    assert np.allclose(matrix.sum(1), 1)
    assert matrix[0, 0] == pytest.approx(per["a"])


def test_recall_at_k_by_hand():
    from tutorial_utils.evaluation.metrics import recall_at_k

    index = np.array([[1, 0], [0, 1], [1, 1]], dtype=np.float32)
    queries = np.array([[1, 0.1], [0.9, 1]], dtype=np.float32)
    # query 0 is nearest to row 0; query 1 is nearest to row 2, then row 1
    assert recall_at_k(index, queries, targets=[0, 1], ks=(1, 2)) == {"R@1": 0.5, "R@2": 1.0}


def test_neighbours_and_recall_order_ties_by_row_as_the_search_does():
    """Distances equal to TIE_DECIMALS decimals come in row order, as SimilarityIndex orders them, not in the order
    their last bits give (which differs between CPUs): the leave-one-out lists and recall@k alike."""
    from tutorial_utils.embeddings import EmbeddingIndex
    from tutorial_utils.evaluation.metrics import recall_at_k
    from tutorial_utils.search import SimilarityIndex

    rng = np.random.default_rng(0)
    q = rng.normal(size=16)
    q /= np.linalg.norm(q)
    side = rng.normal(size=16)
    side -= (side @ q) * q
    side /= np.linalg.norm(side)
    # rows 0-2: q turned a little, cosine distances 4e-7, 2e-7, 5e-8 (0 to six decimals); row 3: q itself
    emb = np.array([*(q + eps * side for eps in (9e-4, 6e-4, 3e-4)), q, *rng.normal(size=(4, 16))], dtype=np.float32)
    nbrs = leave_one_out_neighbours(emb, k=2)
    assert nbrs[3].tolist() == [0, 1]  # not 2 first, though it is nearest in the last bits
    searcher = SimilarityIndex(EmbeddingIndex.from_vectors(emb))
    assert nbrs.tolist() == [r.indices for r in searcher.search_indexed(list(range(len(emb))), k=2)]
    assert recall_at_k(emb, emb[3:4], targets=[0], ks=(1,)) == {"R@1": 1.0}

"""Vectors shaped like real embeddings, recall@k, and the recall-vs-time curve of an approximate index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tutorial_utils.embeddings import EmbeddingIndex
from tutorial_utils.scale.vectors import make_vectors, nearest_real_neighbours, neighbour_recall, recall_curve
from tutorial_utils.search import SimilarityIndex


def _real(n: int = 300, d: int = 16) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.abs(rng.normal(size=(n, d))).astype(np.float32)


def test_made_vectors_stay_near_the_real_ones_and_repeat_with_the_seed():
    real = _real()
    x, q = make_vectors(real, 5000, 50, seed=1, chunk=1234)
    assert x.shape == (5000, 16)
    assert q.shape == (50, 16)
    assert x.dtype == np.float32
    again, _ = make_vectors(real, 5000, 50, seed=1, chunk=1234)
    assert np.array_equal(x, again)
    assert not np.array_equal(x, make_vectors(real, 5000, seed=2)[0])
    # every made vector is closer to some real embedding than real embeddings are to each other, typically
    gaps = np.linalg.norm(x[:200, None] - real[None], axis=2).min(1)
    real_gaps = np.sort(np.linalg.norm(real[:, None] - real[None], axis=2), axis=1)[:, 1]
    assert np.median(gaps) < np.median(real_gaps)


def test_nearest_real_neighbours_excludes_itself():
    real = _real(50)
    near = nearest_real_neighbours(real, 3)
    assert near.shape == (50, 3)
    assert not any(i in row for i, row in enumerate(near))


def test_recall_at_k():
    assert neighbour_recall([[1, 2, 3], [4, 5, 6]], [[3, 2, 1], [4, 9, 8]]) == pytest.approx((1 + 1 / 3) / 2)
    with pytest.raises(ValueError, match="one result per query"):
        neighbour_recall([[1]], [[1], [2]])


def test_recall_curve_reaches_one_when_every_list_is_probed():
    pytest.importorskip("faiss")
    x, q = make_vectors(_real(), 4000, 40, seed=0)
    index = EmbeddingIndex(x, [str(i) for i in range(len(x))], Path("."), [""] * len(x))
    truth = [r.indices for r in SimilarityIndex(index).search_vectors(q, k=10)]
    ann = SimilarityIndex(index, backend="faiss-ann")
    curve = recall_curve(ann, q, truth, [1, ann.backend.nlist], repeats=2)
    assert [c["nprobe"] for c in curve] == [1, ann.backend.nlist]
    assert curve[0]["recall"] < curve[1]["recall"] == 1.0
    assert all(c["seconds"] > 0 for c in curve)

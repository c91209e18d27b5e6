from __future__ import annotations

import numpy as np
import torch

from tutorial_utils.evaluation.tables import baseline_embeddings, l2_concat, score_table, table_rows


def test_l2_concat_gives_each_part_equal_weight():
    a = np.array([[3.0, 4.0]], dtype=np.float32)
    b = np.array([[0.0, 0.0, 10.0]], dtype=np.float32)
    out = l2_concat(a, b)
    assert np.allclose(out, [[0.6, 0.8, 0.0, 0.0, 1.0]])


def test_baselines_embed_queries_in_the_collections_space():
    images, queries = torch.rand(12, 3, 8, 8), torch.rand(3, 3, 8, 8)
    methods = baseline_embeddings(images, queries)
    assert set(methods) == {"raw pixels", "PCA of pixels (256)", "colour histogram"}
    collection, q = methods["PCA of pixels (256)"]
    assert collection.shape[1] == q.shape[1] == 12  # PCA dims capped by the 12 images
    # a query equal to a collection image lands exactly on that image's PCA coordinates
    _, same = baseline_embeddings(images, images[:1])["PCA of pixels (256)"]
    assert np.allclose(same[0], collection[0], atol=1e-4)


def test_score_table_by_hand():
    collection = np.array([[1, 0.0], [1, 0.1], [0, 1.0], [0.1, 1]], dtype=np.float32)
    queries = np.array([[1, 0.05], [0.05, 1]], dtype=np.float32)
    rows = score_table({"toy": (collection, queries)}, {"kind": ["a", "a", "b", "b"]}, targets=[1, 3], k=1)
    row = rows[0]
    assert row["embedding"] == "toy"
    assert row["dims"] == 2
    assert row["kind P@1"] == 1.0
    assert row["kind mAP@1"] == 1.0
    assert row["R@5"] == 1.0
    assert table_rows(rows, ["embedding", "kind P@1"]) == [["toy", 1.0]]

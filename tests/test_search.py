from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from tutorial_utils.data import FolderDataset
from tutorial_utils.embeddings import Embedder, EmbeddingIndex, create_embeddings
from tutorial_utils.models import ConvEncoder
from tutorial_utils.search import SimilarityIndex


@pytest.fixture
def searcher(image_folder: Path) -> SimilarityIndex:
    torch.manual_seed(0)
    encoder = ConvEncoder()
    ds = FolderDataset(image_folder, 32)
    emb = create_embeddings(encoder, DataLoader(ds, batch_size=4), "cpu")
    index = EmbeddingIndex.build(emb, image_folder, ds.relative_paths)
    return SimilarityIndex(index, Embedder(encoder, 32, device="cpu"))


def test_an_indexed_image_finds_itself_first_at_distance_zero(searcher: SimilarityIndex, image_folder: Path):
    for i in (0, 3, 11):
        path = image_folder / f"img_{i:03d}.png"
        (result,) = searcher.search(path, k=3, exclude_self=False)
        assert result.indices[0] == i
        assert result.paths[0].name == path.name
        assert result.distances[0] == pytest.approx(0.0, abs=1e-5)
        assert result.distances == sorted(result.distances)


def test_exclude_self_leaves_the_query_out(searcher: SimilarityIndex, image_folder: Path):
    (result,) = searcher.search(image_folder / "img_003.png", k=4)
    assert 3 not in result.indices
    assert len(result.indices) == 4
    (by_row,) = searcher.search_indexed(3, k=4)
    assert by_row.indices == result.indices


def test_queries_of_other_sizes_and_modes(searcher: SimilarityIndex, image_folder: Path, tmp_path: Path):
    original = Image.open(image_folder / "img_005.png")
    big = original.resize((96, 96), Image.Resampling.NEAREST)
    rgba = original.convert("RGBA")
    grey_path = tmp_path / "grey.jpg"
    original.convert("L").save(grey_path)
    results = searcher.search([big, rgba, grey_path, torch.rand(3, 40, 72)], k=2)
    assert len(results) == 4
    assert all(len(r.paths) == 2 for r in results)
    assert results[0].indices[0] == 5  # an enlarged copy still finds its original
    assert results[1].indices[0] == 5
    assert results[1].distances[0] == pytest.approx(0, abs=1e-5)


def test_many_queries_at_once_match_one_at_a_time(searcher: SimilarityIndex, image_folder: Path):
    paths = [image_folder / f"img_{i:03d}.png" for i in (1, 2, 7)]
    together = searcher.search(paths, k=3)
    alone = [searcher.search(p, k=3)[0] for p in paths]
    assert [r.indices for r in together] == [r.indices for r in alone]


def test_search_vectors_and_the_fit_happens_once(searcher: SimilarityIndex, monkeypatch):
    import sklearn.neighbors

    def no_refit(*args, **kwargs):
        raise AssertionError("NearestNeighbors was fitted again")

    monkeypatch.setattr(sklearn.neighbors.NearestNeighbors, "fit", no_refit)
    results = searcher.search_vectors(searcher.index.embeddings[:2], k=1)
    assert [r.indices[0] for r in results] == [0, 1]


def test_k_larger_than_the_index_returns_everything(searcher: SimilarityIndex):
    (result,) = searcher.search_indexed(0, k=50)
    assert sorted(result.indices) == list(range(1, 12))


def test_euclidean_metric(image_folder: Path):
    emb = np.array([[1, 0], [2, 0], [0, 1]], dtype=np.float32)
    files = ["img_000.png", "img_001.png", "img_002.png"]
    index = EmbeddingIndex.build(emb, image_folder, files)
    cos = SimilarityIndex(index, metric="cosine").search_vectors(np.array([10, 0.1]), k=2)[0]
    euc = SimilarityIndex(index, metric="euclidean").search_vectors(np.array([1, 0.9]), k=2)[0]
    assert cos.indices[:2] == [0, 1]  # both lie along the x-axis: a tie, ordered by row
    assert cos.distances[0] == pytest.approx(1 - 10 / np.hypot(10, 0.1), abs=1e-6)
    assert euc.indices[0] == 0
    assert euc.distances[0] == pytest.approx(0.9, abs=1e-6)


def test_search_without_embedder_is_a_clear_error(image_folder: Path):
    index = EmbeddingIndex.build(np.eye(2, dtype=np.float32), image_folder, ["img_000.png", "img_001.png"])
    with pytest.raises(ValueError, match="no Embedder"):
        SimilarityIndex(index).search(image_folder / "img_000.png")


def test_near_ties_are_ordered_by_row_whatever_the_last_bits(tmp_path: Path):
    # rows 1, 2 and 4 are the same vector up to noise in the 9th digit, as identical images on another CPU
    rng = np.random.default_rng(0)
    base = rng.standard_normal(16)
    far = rng.standard_normal((5, 16))
    vectors = np.stack([far[0], base * (1 + 3e-9), base, far[1], base * (1 - 2e-9), far[2]]).astype(np.float32)
    vectors[2] += np.float32(1e-7) * np.sign(vectors[2])  # a last-bit difference in float32
    for i in range(6):
        Image.new("RGB", (4, 4)).save(tmp_path / f"f{i}.png")
    index = EmbeddingIndex.build(vectors, tmp_path, [f"f{i}.png" for i in range(6)])
    searcher = SimilarityIndex(index)
    (result,) = searcher.search_vectors(base, k=3)
    assert result.indices == [1, 2, 4]
    shuffled = EmbeddingIndex.build(vectors[[0, 4, 2, 3, 1, 5]], tmp_path, [f"f{i}.png" for i in range(6)])
    (reversed_result,) = SimilarityIndex(shuffled).search_vectors(base, k=3)
    assert reversed_result.indices == [1, 2, 4]  # the same rows first, whichever vector sits in which row


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "manhattan"])
def test_exact_distances_match_scikit_learn(metric: str):
    from sklearn.metrics import pairwise_distances

    from tutorial_utils.search import exact_distances

    rng = np.random.default_rng(1)
    rows, vector = rng.standard_normal((7, 12)).astype(np.float32), rng.standard_normal(12).astype(np.float32)
    expected = pairwise_distances(rows.astype(np.float64), vector[None].astype(np.float64), metric=metric).ravel()
    assert np.allclose(exact_distances(rows, vector, metric), expected, atol=1e-12)

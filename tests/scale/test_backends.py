"""Every search backend answers through the same API; the exact ones agree with scikit-learn row for row."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from tutorial_utils.cli.main import main
from tutorial_utils.embeddings import EmbeddingIndex
from tutorial_utils.scale.backends import default_nlist
from tutorial_utils.search import Backend, SimilarityIndex, make_backend

faiss = pytest.importorskip("faiss", reason="the [scale] extra is not installed")


def _index(vectors: np.ndarray) -> EmbeddingIndex:
    files = [f"v{i:05d}.png" for i in range(len(vectors))]
    return EmbeddingIndex(vectors.astype(np.float32), files, Path("/nowhere"), [""] * len(files))


def _clustered(n: int = 3000, d: int = 32, seed: int = 0) -> np.ndarray:
    """Points around 60 centres with uneven spreads: structure an approximate index can exploit."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(60, d))
    which = rng.integers(0, 60, n)
    return (centres[which] + rng.normal(size=(n, d)) * rng.uniform(0.2, 1.0, (n, 1))).astype(np.float32)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_exact_faiss_gives_the_same_neighbours_as_sklearn(metric: str):
    x = _clustered()
    queries = _clustered(50, seed=1)
    reference = SimilarityIndex(_index(x), metric=metric).search_vectors(queries, k=10)
    fast = SimilarityIndex(_index(x), metric=metric, backend="faiss").search_vectors(queries, k=10)
    assert [r.indices for r in fast] == [r.indices for r in reference]
    np.testing.assert_allclose([r.distances for r in fast], [r.distances for r in reference], atol=1e-9)
    rows = SimilarityIndex(_index(x), metric=metric, backend="faiss").search_indexed([0, 7], k=5)
    assert rows[0].indices == SimilarityIndex(_index(x), metric=metric).search_indexed(0, k=5)[0].indices
    assert 7 not in rows[1].indices


def test_identical_rows_are_ordered_by_row_with_every_backend():
    x = _clustered(500)
    x[[10, 200, 300]] = x[50]
    for backend in ("sklearn", "faiss"):
        (result,) = SimilarityIndex(_index(x), backend=backend).search_indexed(50, k=3)
        assert result.indices == [10, 200, 300]


def _recall(found: list, truth: list) -> float:
    return float(
        np.mean([len(set(f.indices) & set(t.indices)) / len(t.indices) for f, t in zip(found, truth, strict=True)])
    )


def test_ann_recall_rises_with_nprobe_and_is_exact_when_every_list_is_scanned():
    x, queries = _clustered(), _clustered(100, seed=2)
    truth = SimilarityIndex(_index(x)).search_vectors(queries, k=10)
    nlist = default_nlist(len(x))
    recalls = [
        _recall(
            SimilarityIndex(_index(x), backend="faiss-ann", nlist=nlist, nprobe=p).search_vectors(queries, k=10), truth
        )
        for p in (1, 4, nlist)
    ]
    assert recalls[0] < recalls[1] <= recalls[2] == 1.0
    assert recalls[0] < 0.95  # one list of many misses neighbours: recall must be measured, not assumed


def test_hnsw_finds_most_true_neighbours():
    x, queries = _clustered(), _clustered(100, seed=3)
    truth = SimilarityIndex(_index(x)).search_vectors(queries, k=10)
    found = SimilarityIndex(_index(x), backend="faiss-ann", kind="hnsw", ef_search=128).search_vectors(queries, k=10)
    assert _recall(found, truth) > 0.9


def test_memory_per_vector_is_measured():
    x = _clustered(2000, d=64)
    assert make_backend("faiss", x, "cosine").bytes_per_vector() == pytest.approx(64 * 4, rel=0.01)
    ivf = make_backend("faiss-ann", x, "cosine").bytes_per_vector()
    assert 64 * 4 + 8 <= ivf < 64 * 4 + 40  # the rows, an 8-byte id each, and the centroids


@pytest.mark.parametrize(
    ("name", "options"), [("sklearn", {}), ("faiss", {}), ("faiss-ann", {}), ("faiss-ann", {"kind": "hnsw"})]
)
def test_every_backend_has_what_its_callers_use(name: str, options: dict):
    """The Backend protocol: candidates, bytes_per_vector and tune, whatever the engine."""
    x = _clustered(500)
    backend = make_backend(name, x, "cosine", **options)
    assert isinstance(backend, Backend)
    assert backend.candidates(x[:3], 5).shape == (3, 5)
    assert backend.bytes_per_vector() >= 4 * x.shape[1]
    if name == "sklearn":
        backend.tune()  # no knob asked for: nothing to do
        with pytest.raises(ValueError, match="exact"):
            backend.tune(nprobe=4)
    elif options:
        backend.tune(ef_search=8)
        assert backend.index.hnsw.efSearch == 8
    elif name == "faiss-ann":
        backend.tune(nprobe=2)
        assert backend.index.nprobe == 2


def test_bad_backend_or_options_are_clear_errors():
    x = _clustered(200)
    with pytest.raises(ValueError, match="backend must be one of"):
        SimilarityIndex(_index(x), backend="annoy")
    with pytest.raises(ValueError, match="sklearn backend takes no options"):
        SimilarityIndex(_index(x), nprobe=3)
    with pytest.raises(ValueError, match="kind must be 'ivf' or 'hnsw'"):
        SimilarityIndex(_index(x), backend="faiss-ann", kind="lsh")


def test_missing_faiss_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss now raises ImportError
    with pytest.raises(ImportError, match=r"pip install -e \"\.\[scale\]\""):
        SimilarityIndex(_index(_clustered(100)), backend="faiss")


def test_cli_search_with_each_backend_agrees(image_folder: Path, tiny_run: Path, capsys):
    run = tiny_run
    assert main(["index", "--data", str(image_folder), "--run-dir", str(run), "--quiet"]) == 0
    capsys.readouterr()
    outputs = []
    for backend in ("sklearn", "faiss"):
        assert (
            main(["search", str(image_folder / "img_003.png"), "-k", "4", "--run-dir", str(run), "--backend", backend])
            == 0
        )
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert outputs[0].count("img_") == 5

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import load_script
from tutorial_utils.checkpoints import load_checkpoint
from tutorial_utils.cli.main import main
from tutorial_utils.embeddings import EmbeddingIndex, pool_features
from tutorial_utils.models import ConvEncoder, ModelConfig
from tutorial_utils.selfsup.embedder import (
    SIMCLR_CHECKPOINT,
    SelfSupervisedEmbedder,
    mean_features,
    save_selfsup_checkpoint,
)


def _embedder(weight: float = 1.0, size: int = 64) -> SelfSupervisedEmbedder:
    torch.manual_seed(0)
    encoder = ConvEncoder().eval()
    centre = mean_features(encoder, torch.rand(20, 3, size, size))
    return SelfSupervisedEmbedder(encoder, centre, histogram_weight=weight).eval()


def test_embedding_is_centred_features_pooled_two_ways_and_a_histogram_each_of_length_one():
    embed = _embedder()
    x = torch.rand(6, 3, 64, 64)
    with torch.no_grad():
        out = embed(x)
        raw = embed.encoder(x)  # (6, 256, 2, 2)
    assert embed.feature_mean.shape == (256, 2, 2)  # the mean map of 64 px images
    assert out.shape == (6, 256 + 1024 + 512)
    assert embed.embedding_dim == 1792
    for part in (out[:, :256], out[:, 256:1280], out[:, 1280:]):
        assert torch.allclose(part.norm(dim=1), torch.ones(6), atol=1e-5)
    centred = raw - embed.feature_mean
    assert torch.allclose(out[:, :256], torch.nn.functional.normalize(centred.mean(dim=(2, 3)), dim=1), atol=1e-6)
    assert torch.allclose(out[:, 256:1280], torch.nn.functional.normalize(centred.flatten(1), dim=1), atol=1e-6)
    assert (raw >= 0).all()
    assert (out[:, :256] < 0).any()
    alone = SelfSupervisedEmbedder(embed.encoder, embed.feature_mean, ("avg",), histogram_weight=0)
    assert torch.allclose(alone(x), out[:, :256], atol=1e-6)
    assert torch.equal(pool_features(out, "avg"), out)  # already vectors: index and search take them as they are


def test_selfsup_checkpoint_round_trip(tmp_path: Path):
    embed = _embedder()
    path = save_selfsup_checkpoint(tmp_path / "s.pt", ModelConfig(image_size=64), embed, method="simclr")
    loaded, decoder, config, state = load_checkpoint(path)
    assert isinstance(loaded, SelfSupervisedEmbedder)
    assert decoder is None
    assert state["kind"] == "selfsup"
    assert loaded.pooling == ("avg", "flatten")
    assert config.image_size == 64
    x = torch.rand(3, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(loaded(x), embed(x), atol=1e-6)


def test_cli_indexes_and_searches_with_a_selfsup_checkpoint(image_folder: Path, tmp_path: Path, capsys):
    checkpoint = save_selfsup_checkpoint(tmp_path / "s.pt", ModelConfig(image_size=32), _embedder(size=32))
    out = tmp_path / "index.json"
    assert main(["index", "--data", str(image_folder), "--checkpoint", str(checkpoint), "--out", str(out)]) == 0
    assert "indexed 12 images (1024 values each)" in capsys.readouterr().out
    index = EmbeddingIndex.load(out)
    assert np.allclose(np.linalg.norm(index.embeddings, axis=1), np.sqrt(3), atol=1e-4)  # three unit parts
    assert main(["search", str(image_folder / "img_003.png"), "--index", str(out), "-k", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2 nearest images")
    assert len(lines) == 3


def test_index_rejects_both_model_and_checkpoint(tmp_path: Path, capsys):
    with pytest.raises(SystemExit):
        main(["index", "--model", "simclr", "--checkpoint", str(tmp_path / "x.pt")])
    assert "not allowed with" in capsys.readouterr().err


def test_the_shipped_checkpoint_is_small_loads_and_says_how_it_was_made():
    assert SIMCLR_CHECKPOINT.stat().st_size <= 10 * 2**20
    embed, decoder, config, state = load_checkpoint(SIMCLR_CHECKPOINT)
    assert isinstance(embed, SelfSupervisedEmbedder)
    assert config.image_size == 64
    assert decoder is None
    meta = state["meta"]
    assert meta["command"].startswith("python scripts/train_selfsup.py")
    assert "seed" in meta
    assert "versions" in meta
    assert len(state["losses"]) == meta["settings"]["epochs"]
    assert state["losses"][-1] < state["losses"][0]
    folder = SIMCLR_CHECKPOINT.parent
    for name in ("training-log.jsonl", "training.json", "README.md"):
        assert (folder / name).is_file(), name
    assert "CC BY-SA 4.0" in (folder / "README.md").read_text(encoding="utf-8")


def test_rasterise_crops_the_drawing_onto_white():
    resvg = pytest.importorskip("resvg_py", reason="pip install -e '.[test]' installs resvg-py")
    assert resvg
    script = load_script("train_selfsup")
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 72 72">'
        b'<rect x="12" y="24" width="48" height="24" fill="#ff0000"/></svg>'
    )
    image = np.asarray(script.rasterise(svg, size=64))
    assert image.shape == (64, 64, 3)
    red = (image[..., 0] > 200) & (image[..., 1] < 60)
    assert red[32, 2]
    assert red[32, 61]
    assert (image[2, 32] == 255).all()  # the wide drawing is padded to a square with white
    with pytest.raises(ValueError, match="empty"):
        script.rasterise(b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"></svg>')


def test_evaluate_reports_query_recall_and_robustness(image_folder: Path, tmp_path: Path, capsys):
    import shutil

    checkpoint = save_selfsup_checkpoint(tmp_path / "s.pt", ModelConfig(image_size=32), _embedder(size=32))
    index = tmp_path / "index.json"
    assert main(["index", "--data", str(image_folder), "--checkpoint", str(checkpoint), "--out", str(index)]) == 0
    queries = tmp_path / "queries" / "images"
    queries.mkdir(parents=True)
    for i in (1, 4, 7):  # exact copies under other names: each must find its original first
        shutil.copy(image_folder / f"img_{i:03d}.png", queries / f"copy_{i}.png")
    rows = "".join(f"copy_{i}.png,img_{i:03d}.png\n" for i in (1, 4, 7))
    (queries.parent / "labels.csv").write_text("file,base_file\n" + rows)
    capsys.readouterr()
    assert main(["evaluate", "--index", str(index), "--queries", str(queries), "--robustness"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("queries: R@1 1.000, R@5 1.000  (3 images of")
    assert out[1].startswith("robustness: restyled copies of the 12 indexed images")
    assert [line.split()[0] for line in out[2:9]] == ["hue", "greyscale", "rotated", "70", "blur", "JPEG", "outline"]
    assert out[9].strip().startswith("mean")
    assert len(out) == 10
    rows = "".join(f"copy_{i}.png,gone.png\n" for i in (1, 4, 7))
    (queries.parent / "labels.csv").write_text("file,base_file\n" + rows)
    assert main(["evaluate", "--index", str(index), "--queries", str(queries)]) == 2
    assert "not in the index, e.g. gone.png" in capsys.readouterr().err
    assert main(["evaluate", "--index", str(index)]) == 2
    assert "nothing to evaluate" in capsys.readouterr().err


def test_split_gives_each_part_of_the_rows():
    embed = _embedder()
    x = torch.rand(4, 3, 64, 64)
    with torch.no_grad():
        rows = embed(x).numpy()
    parts = embed.split(rows)
    assert list(parts) == ["avg", "flatten", "histogram"]
    assert [p.shape[1] for p in parts.values()] == [256, 1024, 512]
    assert np.allclose(np.linalg.norm(parts["histogram"], axis=1), 1, atol=1e-5)
    assert np.array_equal(np.hstack(list(parts.values())), rows)
    with pytest.raises(ValueError, match="this embedder makes 1792"):
        embed.split(rows[:, :100])

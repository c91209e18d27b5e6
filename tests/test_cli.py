from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from tutorial_utils.cli.main import main

from .conftest import train_args


def test_train_index_search_on_a_tiny_folder(image_folder: Path, tmp_path: Path, capsys):
    run = tmp_path / "run"
    assert main(train_args(image_folder, run, 2, "--quiet")) == 0
    assert (run / "best.pt").is_file()
    assert (run / "last.pt").is_file()
    assert (run / "history.json").is_file()
    assert "best validation MSE" in capsys.readouterr().out

    assert main(["index", "--data", str(image_folder), "--run-dir", str(run)]) == 0
    assert "indexed 12 images (256 values each)" in capsys.readouterr().out

    picture = tmp_path / "neighbours.png"
    query = image_folder / "img_002.png"
    assert main(["search", str(query), "-k", "3", "--run-dir", str(run), "--picture", str(picture)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("3 nearest images to")
    assert len([line for line in lines if line.strip()[:2] in ("1.", "2.", "3.")]) == 3
    assert "img_002.png" not in "\n".join(lines[1:4])  # the query itself is left out
    assert picture.stat().st_size > 1000


def test_search_on_a_stale_index_exits_2_with_the_reason(image_folder: Path, tiny_run: Path, capsys):
    run = tiny_run
    main(["index", "--data", str(image_folder), "--run-dir", str(run)])
    (image_folder / "img_000.png").unlink()
    capsys.readouterr()
    assert main(["search", str(image_folder / "img_001.png"), "--run-dir", str(run)]) == 2
    assert "stale" in capsys.readouterr().err


def test_index_without_checkpoint_needs_one(image_folder: Path, tmp_path: Path, capsys):
    from tutorial_utils.embeddings import EmbeddingIndex

    files = sorted(p.name for p in image_folder.glob("*.png"))
    EmbeddingIndex.build(np.eye(12, dtype=np.float32), image_folder, files).save(tmp_path / "index.json")
    assert main(["search", str(image_folder / "img_001.png"), "--index", str(tmp_path / "index.json")]) == 2
    assert "pass --checkpoint" in capsys.readouterr().err


def test_missing_index_is_a_one_line_error(tmp_path: Path, image_folder: Path, capsys):
    assert main(["search", str(image_folder / "img_001.png"), "--run-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "build it first" in err


def test_evaluate_scores_an_index_against_labels(image_folder: Path, tmp_path: Path, capsys):
    from tutorial_utils.embeddings import EmbeddingIndex

    files = sorted(p.name for p in image_folder.glob("*.png"))
    emb = np.array([[1, 0.1 * i] if i < 6 else [0.1 * i, 1] for i in range(12)], dtype=np.float32)
    EmbeddingIndex.build(emb, image_folder, files).save(tmp_path / "index.json")
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "file,kind,mixed\n" + "".join(f"{f},{'a' if i < 6 else 'b'},{'ab'[i % 2]}\n" for i, f in enumerate(files))
    )
    assert (
        main(
            [
                "evaluate",
                "--index",
                str(tmp_path / "index.json"),
                "--labels",
                str(labels),
                "--column",
                "kind",
                "mixed",
                "-k",
                "3",
                "--per-label",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("kind: P@3 1.000, mAP@3 1.000  (12 images, 2 labels")
    assert any(line.startswith("mixed: P@3 0.") for line in out)
    labels.write_text("file,kind\nimg_000.png,a\n")
    assert main(["evaluate", "--index", str(tmp_path / "index.json"), "--labels", str(labels), "--column", "kind"]) == 2
    assert "no label for 11 file(s)" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["train", "index", "search", "evaluate"])
def test_help_of_each_subcommand(command: str, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "usage: python -m tutorial_utils " + command in out
    assert "--run-dir" in out


def test_python_dash_m_runs_the_cli(monkeypatch, capsys):
    # what `python -m tutorial_utils --help` runs, in this process (a subprocess would spend 5 s importing torch)
    monkeypatch.setattr(sys, "argv", ["python -m tutorial_utils", "--help"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("tutorial_utils", run_name="__main__")
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "usage: python -m tutorial_utils" in out
    assert "train" in out


def test_hostile_folder_trains_indexes_and_searches_naming_each_skipped_file(
    image_folder: Path, tmp_path: Path, capsys
):
    import io

    from .conftest import distinct_image, write_huge_png

    write_huge_png(image_folder / "bomb.png", 20000, 20000)
    png = io.BytesIO()
    distinct_image(7, 32).save(png, format="PNG")
    (image_folder / "cut.png").write_bytes(png.getvalue()[: len(png.getvalue()) // 2])
    (image_folder / "text.jpg").write_text("I am not a JPEG")
    run = tmp_path / "run"
    expected = [
        "skipped bomb.png: too large (400,000,000 pixels, limit 50,000,000)",
        "skipped cut.png: truncated (image file is truncated)",
        "skipped text.jpg: not an image (no decoder recognises its bytes)",
    ]
    assert main(train_args(image_folder, run, 1, "--quiet")) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("skipped")] == expected
    assert "Traceback" not in err
    assert "Warning" not in err
    assert main(["index", "--data", str(image_folder), "--run-dir", str(run), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == expected
    assert "indexed 12 images" in out
    assert main(["search", str(image_folder / "img_001.png"), "--run-dir", str(run)]) == 0
    assert capsys.readouterr().out.count("img_0") == 6

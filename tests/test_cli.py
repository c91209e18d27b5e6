from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tutorial_utils.cli import main


def test_train_index_search_on_a_tiny_folder(image_folder: Path, tmp_path: Path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--data", str(image_folder), "--run-dir", str(run), "--epochs", "2",
                 "--image-size", "32", "--batch-size", "4", "--quiet", "--device", "cpu"]) == 0
    assert (run / "best.pt").is_file() and (run / "last.pt").is_file() and (run / "history.json").is_file()
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


def test_search_on_a_stale_index_exits_2_with_the_reason(image_folder: Path, tmp_path: Path, capsys):
    run = tmp_path / "run"
    main(["train", "--data", str(image_folder), "--run-dir", str(run), "--epochs", "1", "--image-size", "32",
          "--quiet"])
    main(["index", "--data", str(image_folder), "--run-dir", str(run)])
    (image_folder / "img_000.png").unlink()
    capsys.readouterr()
    assert main(["search", str(image_folder / "img_001.png"), "--run-dir", str(run)]) == 2
    assert "stale" in capsys.readouterr().err


def test_missing_index_is_a_one_line_error(tmp_path: Path, image_folder: Path, capsys):
    assert main(["search", str(image_folder / "img_001.png"), "--run-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "build it first" in err


@pytest.mark.parametrize("command", ["train", "index", "search"])
def test_help_of_each_subcommand(command: str):
    result = subprocess.run([sys.executable, "-m", "tutorial_utils", command, "--help"],
                            capture_output=True, text=True, check=True)
    assert "usage: python -m tutorial_utils " + command in result.stdout
    assert "--run-dir" in result.stdout

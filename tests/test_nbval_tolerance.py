"""The numeric-tolerance extension of nbval: the rule itself, and the rule installed in a real nbval run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.nbval_tolerance import (
    TOLERANCES,
    Tolerance,
    cell_tolerance,
    compare_text,
    reconcile_outputs,
    split_numbers,
    tolerance_fraction,
)

ROOT = Path(__file__).resolve().parents[1]
LOSS = TOLERANCES["loss"]
TIGHT = Tolerance(rtol=0.01, atol=0.0, why="test")


def test_split_numbers_keeps_words_and_file_names_apart_from_numbers():
    words, numbers = split_numbers("epoch  20/20  val MSE 0.0239, 1,529 images, 3.4x lower, 1f600.png -0.5 1e-05")
    assert numbers == ["20", "20", "0.0239", "1,529", "3.4", "-0.5", "1e-05"]
    assert words == ["epoch ", "/", " val MSE ", ", ", " images, ", "x lower, 1f600.png ", " ", ""]


def test_within_tolerance_passes_where_a_string_comparison_fails():
    # truncating digits with a regex cannot make these two equal; a tolerance can
    assert compare_text("best validation MSE 0.02349", "best validation MSE 0.02351", LOSS) is None
    assert compare_text("val MSE 0.0239", "val MSE 0.0233", LOSS) is None


def test_outside_tolerance_fails_and_says_which_number():
    why = compare_text("train MSE 0.1233  val MSE 0.0854", "train MSE 0.1233  val MSE 0.0954", TIGHT)
    assert why is not None
    assert "number 2" in why
    assert "0.0854" in why
    assert "0.0954" in why


def test_words_must_match_exactly_but_whitespace_runs_may_differ():
    assert compare_text("a  0.50   b", "a 0.50 b", TIGHT) is None  # table columns may shift by a width
    why = compare_text("nearest: st. martin flag 0.50", "nearest: italy flag 0.50", TIGHT)
    assert why is not None
    assert "words differ" in why


def test_integers_must_be_equal_and_the_count_of_numbers_must_match():
    assert "integer" in compare_text("epoch 20, rank 1", "epoch 20, rank 2", LOSS)
    assert compare_text("at rank 2 of 5", "at rank 3 of 5", TOLERANCES["rank"]) is None
    assert "integer" in compare_text("at rank 2 of 5", "at rank 4 of 5", TOLERANCES["rank"])
    assert "numbers" in compare_text("0.5 0.5", "0.5", LOSS)
    assert compare_text("value 0.5", "value nan", LOSS) is not None  # 'nan' is a word, not a number


def test_cell_tolerance_reads_tags_and_rejects_unknown_ones():
    assert cell_tolerance(["other"]) is None
    assert cell_tolerance(["tolerance-loss"]) == LOSS
    with pytest.raises(ValueError, match="tolerance-lose"):
        cell_tolerance(["tolerance-lose"])
    with pytest.raises(ValueError, match="one tolerance tag"):
        cell_tolerance(["tolerance-loss", "tolerance-score"])


def test_reconcile_replaces_only_texts_within_tolerance_and_leaves_its_input_alone():
    stored = [
        {"output_type": "stream", "name": "stdout", "text": "MSE 0.0239\n"},
        {"output_type": "execute_result", "data": {"text/plain": "0.50", "image/png": "AAA"}},
    ]
    new = [
        {"output_type": "stream", "name": "stdout", "text": "MSE 0.0240\n"},
        {"output_type": "execute_result", "data": {"text/plain": "0.90", "image/png": "BBB"}},
    ]
    out, reasons = reconcile_outputs(new, stored, TIGHT)
    assert out[0]["text"] == "MSE 0.0239\n"
    assert new[0]["text"] == "MSE 0.0240\n"
    assert out[1]["data"]["text/plain"] == "0.90"
    assert len(reasons) == 1
    assert "0.50" in reasons[0]


def _notebook(tmp_path: Path) -> Path:
    """Three cells that print 0.1001 where 0.1000 is stored: tagged, untagged, and tagged but far off."""
    cells = []
    for source, tags, stored in [
        ("print('MSE 0.1001')", ["tolerance-loss"], "MSE 0.1000\n"),
        ("print('MSE 0.1001')", [], "MSE 0.1000\n"),
        ("print('MSE 0.2000')", ["tolerance-loss"], "MSE 0.1000\n"),
    ]:
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": tags}, execution_count=1)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
        cells.append(cell)
    path = tmp_path / "tolerance_demo.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_installed_in_nbval_a_tagged_cell_passes_and_the_others_fail(tmp_path):
    path = _notebook(tmp_path)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "--nbval-current-env",
            "-p",
            "tests.nbval_tolerance",
            "-p",
            "no:cacheprovider",
            "-rA",
            "--rootdir",
            str(tmp_path),
            "-c",
            "/dev/null",
            str(path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out = run.stdout
    assert "::Cell 0" in out.split("PASSED", 1)[1].splitlines()[0], out[-3000:]
    failed = [line for line in out.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 2, out[-3000:]
    assert "::Cell 1" in failed[0], out[-3000:]
    assert "::Cell 2" in failed[1], out[-3000:]
    assert "outside the cell's tolerance" in out
    assert "0.1000 stored, 0.2000 now" in out


def test_tolerance_fraction_is_the_share_of_the_allowed_difference_used():
    score = TOLERANCES["score"]  # atol 0.04
    assert tolerance_fraction("P@10 0.500", "P@10 0.500", score) == 0.0
    assert tolerance_fraction("P@10 0.500 R@1 0.300", "P@10 0.510 R@1 0.280", score) == pytest.approx(0.5)
    assert tolerance_fraction("MSE 0.0200", "MSE 0.0230", LOSS) == pytest.approx(0.003 / (2e-4 + 0.15 * 0.02))
    assert tolerance_fraction("3 of 6", "4 of 6", TOLERANCES["count"]) == pytest.approx(1.0)  # integers: ±1 allowed
    assert tolerance_fraction("3 of 6", "4 of 6", score) == float("inf")  # integers must be equal for scores
    assert "words differ" in tolerance_fraction("cat 0.5", "dog 0.5", score)

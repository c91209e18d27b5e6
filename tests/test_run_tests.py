"""scripts/run_tests.py splits the test run in two without losing or repeating a notebook."""

from __future__ import annotations

from pathlib import Path

from .conftest import load_script

ROOT = Path(__file__).resolve().parents[1]


def test_the_groups_cover_every_notebook_once_and_keep_the_lesson_order():
    script = load_script("run_tests")
    groups = script.groups()
    every = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").rglob("[0-9][0-9]_*.ipynb"))
    together = groups["trained"] + groups["lesson"] + groups["solutions"] + groups["other"][1:]
    assert groups["other"][0] == "tests" and sorted(together) == every and len(together) == len(set(together))
    # 03 trains the model and 04 builds the index that every later notebook reads: they run first, in order
    assert groups["trained"] == ["notebooks/03_training.ipynb", "notebooks/04_embeddings.ipynb"]
    assert script.NEEDS["lesson"] == script.NEEDS["solutions"] == ("trained",)
    assert groups["lesson"] == sorted(groups["lesson"]) and groups["solutions"] == sorted(groups["solutions"])
    assert groups["solutions"][0] == "notebooks/09_self_supervised.ipynb"
    assert all("solutions/" in p for p in groups["solutions"][1:]) and not any("solutions/" in p for p in groups["lesson"])
    # solutions of 09 read only the shipped model, so they run beside the training
    assert [p for p in groups["other"][1:] if not Path(p).name.startswith(("01_", "02_"))] == [
        "notebooks/solutions/09_self_supervised_solutions.ipynb"]

"""scripts/run_tests.py splits the test run in two without losing or repeating a notebook."""

from __future__ import annotations

from pathlib import Path

from .conftest import load_script

ROOT = Path(__file__).resolve().parents[1]


def test_the_two_groups_cover_every_notebook_once_and_keep_the_lesson_order():
    groups = load_script("run_tests").groups()
    every = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").rglob("[0-9][0-9]_*.ipynb"))
    together = groups["lesson"] + groups["other"][1:]
    assert groups["other"][0] == "tests" and sorted(together) == every and len(together) == len(set(together))
    lesson = groups["lesson"]
    assert lesson[0] == "notebooks/03_training.ipynb"  # trains the model the others load
    assert lesson == sorted(lesson, key=lambda p: ("solutions" in p, p))
    assert all(Path(p).name.startswith(("01_", "02_")) for p in groups["other"][1:])

"""What a learner meets in the notebooks, checked on their source: a re-run early cell cannot break, the exercise
texts of a lesson and of its graded copy agree, and every lesson ends with a well-formed concept check."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from tutorial_utils.paths import lesson_notebooks, solution_notebooks

ROOT = Path(__file__).resolve().parents[1]
LESSONS = lesson_notebooks()
SOLUTIONS = solution_notebooks()


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


# -- a top-level name keeps one kind of value --------------------------------------------------------------------


def _kind(value: ast.expr) -> str:
    """What kind of value an expression makes, as far as its source tells: a literal's type, a call's function."""
    if isinstance(value, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(value, (ast.Set, ast.SetComp)):
        return "set"
    if isinstance(value, ast.Tuple):
        return "tuple"
    if isinstance(value, ast.JoinedStr):
        return "str"
    if isinstance(value, ast.Constant):
        return type(value.value).__name__
    if isinstance(value, ast.BinOp):
        return _kind(value.left)
    if isinstance(value, ast.Call):
        return f"{ast.unparse(value.func)}(...)"
    return type(value).__name__


def _bound_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for element in target.elts for n in _bound_names(element)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


def rebindings(cells: list[dict]) -> list[str]:
    """Top-level names that a later cell binds to another kind of value than an earlier cell did.

    Re-running the earlier cell's readers after the later cell has run would then meet the wrong value
    (a checkpoint that became a score row, say). Unpacking and loops are left out: their kinds are unknown.
    """
    kinds: dict[str, tuple[str, str]] = {}
    found = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        lines = [line for line in _source(cell).splitlines() if not line.lstrip().startswith(("%", "!"))]
        for node in ast.parse("\n".join(lines)).body:
            if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if not isinstance(target, ast.Name) or target.id == "_":
                    continue
                kind = _kind(node.value)
                first = kinds.setdefault(target.id, (cell["id"], kind))
                if first[0] != cell["id"] and first[1] != kind:
                    found.append(
                        f"cell {cell['id']} binds `{target.id}` to {kind}; cell {first[0]} bound it to {first[1]}"
                    )
    return found


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=lambda p: p.stem)
def test_no_cell_rebinds_a_name_to_another_kind_of_value(path):
    assert rebindings(_cells(path)) == []


def test_the_rebinding_check_finds_a_checkpoint_that_becomes_a_score_row():
    cells = [
        {"cell_type": "code", "id": "a", "source": ["shipped = load_checkpoint(PATH)\n", "x = shipped['meta']"]},
        {"cell_type": "markdown", "id": "b", "source": ["text"]},
        {"cell_type": "code", "id": "c", "source": ["shipped = (score['x'], score['y'])\n"]},
        {"cell_type": "code", "id": "d", "source": ["rows = []\n", "cols = ['a'] + extra\n"]},
        {"cell_type": "code", "id": "e", "source": ["rows = [1, 2]\n", "cols = ['b']\n", "rows = {}\n"]},
    ]
    assert rebindings(cells) == [
        "cell c binds `shipped` to tuple; cell a bound it to load_checkpoint(...)",
        "cell e binds `rows` to dict; cell d bound it to list",
    ]


# -- one text for each exercise ----------------------------------------------------------------------------------


def _words(text: str) -> str:
    return " ".join(text.split())


def lesson_exercises(path: Path) -> dict[int, str]:
    """Exercise number -> its text, from the list under the lesson's "## Exercises" heading."""
    text = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "markdown")
    block = text.split("## Exercises", 1)[1].split("\nWorked solutions", 1)[0]
    items = re.split(r"^(\d+)\. ", block, flags=re.M)[1:]
    return {int(n): _words(body) for n, body in zip(items[::2], items[1::2], strict=True)}


def graded_exercises(path: Path) -> dict[int, str]:
    """Exercise number -> its text in the graded notebook, less a closing "*Graded:*" paragraph."""
    found = {}
    for cell in _cells(path):
        source = _source(cell)
        match = re.match(r"\*\*Exercise (\d+)\.\*\* ", source)
        if cell["cell_type"] == "markdown" and match:
            found[int(match.group(1))] = _words(source[match.end() :].split("\n*Graded:*", 1)[0])
    return found


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_the_graded_exercises_say_what_the_lesson_says(lesson):
    graded = graded_exercises(ROOT / "notebooks" / "solutions" / f"{lesson.stem}_solutions.ipynb")
    listed = lesson_exercises(lesson)
    assert sorted(graded) == sorted(listed), "the same exercises, numbered alike"
    for n, text in listed.items():
        assert graded[n] == text, f"exercise {n}: the lesson says\n  {text}\nthe graded copy says\n  {graded[n]}"


# -- concept checks ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_ends_with_a_concept_check(lesson):
    cells = {c["id"]: c for c in _cells(lesson)}
    quiz = cells["quiz"]
    expected = f'from tutorial_utils import concept_check\n\nconcept_check("quizzes/{lesson.stem}.json")'
    assert _source(quiz).strip() == expected
    assert "nbval-ignore-output" in quiz["metadata"].get("tags", []), "its HTML carries a random id"
    assert any("text/html" in o.get("data", {}) for o in quiz.get("outputs", [])), "the quiz is stored rendered"
    questions = json.loads((ROOT / "notebooks" / "quizzes" / f"{lesson.stem}.json").read_text())
    assert 3 <= len(questions) <= 5
    for q in questions:
        assert q["type"] == "multiple_choice", q
        assert q["question"].strip(), q
        assert sum(a["correct"] for a in q["answers"]) == 1, f"one right answer: {q['question']}"
        assert len(q["answers"]) >= 3, q["question"]
        assert all(a.get("feedback", "").strip() for a in q["answers"]), f"feedback on every answer: {q['question']}"


# -- the lesson speaks of ideas, not of its test suite -----------------------------------------------------------

ABOUT_TESTS = re.compile(r"nbval|NBVAL_|tests/|test suite|unit[- ]test|stored outputs?|reproducib", re.I)


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=lambda p: p.stem)
def test_no_cell_talks_about_the_test_suite(path):
    """Markers for nbval are cell tags; what the tests do is told in docs/testing.md, not to learners."""
    found = [f"{c['id']}: …{m.group(0)}…" for c in _cells(path) for m in ABOUT_TESTS.finditer(_source(c))]
    assert found == []

"""The graded solution notebooks are well-formed nbgrader sources, and the kit's own checks can fail.

The full round trip (release, validate, validate --invert, autograde, the planted wrong answer, feedback) runs
nbgrader on every graded notebook: ``make test-course`` (``python -m scripts.course check``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from course import grading
from course.config import NOTEBOOKS, ROOT, lesson_notebooks

ASSIGNMENTS = grading.graded_assignments()


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def test_every_lesson_is_graded():
    assert [a.name for a in ASSIGNMENTS] == [p.stem for p in lesson_notebooks()]


def _exercises_in_lesson(name: str) -> int:
    """How many exercises the lesson notebook lists under its "Exercises" heading."""
    text = "".join(_cells(NOTEBOOKS / f"{name}.ipynb")[-1]["source"])
    return len(re.findall(r"^\d+\. \*\(", text.split("## Exercises")[1], re.M))


def test_every_graded_cell_is_well_formed():
    for a in ASSIGNMENTS:
        ids = []
        for cell in _cells(a.source):
            meta = cell["metadata"].get("nbgrader")
            if meta is None:
                continue
            ids.append(meta["grade_id"])
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and meta["solution"]:
                assert source.count("### BEGIN SOLUTION") == source.count("### END SOLUTION") == 1, meta["grade_id"]
            if meta["grade"]:
                assert meta["points"] > 0, meta["grade_id"]
            if cell["cell_type"] == "code" and meta["grade"]:
                assert meta["locked"], meta["grade_id"]
                assert re.search(r"^assert ", source, re.M), meta["grade_id"]
        assert len(ids) == len(set(ids)), f"{a.name}: grade ids repeat"
        exercises = {i.split("_")[0] for i in ids if re.match(r"ex\d+_", i)}
        assert exercises == {f"ex{n}" for n in range(1, _exercises_in_lesson(a.name) + 1)}, a.name


def test_the_teacher_guide_gives_the_points_the_notebooks_carry():
    guide = (ROOT / "docs" / "teaching.md").read_text()
    for a in ASSIGNMENTS:
        tests, written = grading.point_totals(a.source)
        row = re.search(rf"^\| {a.name[:2]} [^|]*\| (\d+) \| (\d+) \|", guide, re.M)
        assert row, f"docs/teaching.md has no points row for {a.name}"
        assert (int(row.group(1)), int(row.group(2))) == (tests, written), a.name


def _demo_source(tmp_path: Path) -> Path:
    cells = [
        nbformat.v4.new_code_cell("import math\nprint(answer)"),
        nbformat.v4.new_code_cell(
            "### BEGIN SOLUTION\nanswer = math.sqrt(2)\n### END SOLUTION\nprint(answer)",
            metadata={"nbgrader": {"grade_id": "ex1_code", "solution": True, "grade": False}},
        ),
        nbformat.v4.new_code_cell(
            "assert answer > 1\n### BEGIN HIDDEN TESTS\nassert abs(answer**2 - 2) < 1e-9\n### END HIDDEN TESTS",
            metadata={"nbgrader": {"grade_id": "ex1_tests", "grade": True, "points": 2}},
        ),
        nbformat.v4.new_markdown_cell(
            "The square root of two.",
            metadata={"nbgrader": {"grade_id": "ex1_answer", "solution": True, "grade": True, "points": 1}},
        ),
    ]
    path = tmp_path / "source.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_secret_lines_are_the_solution_the_hidden_tests_and_the_model_answer(tmp_path: Path):
    # print(answer) is given outside the solution too, so showing it gives nothing away
    assert grading.secret_lines(_demo_source(tmp_path)) == {
        "answer = math.sqrt(2)",
        "assert abs(answer**2 - 2) < 1e-9",
        "The square root of two.",
    }


def test_the_leak_check_finds_a_solution_line_left_in_a_release(tmp_path: Path):
    source = _demo_source(tmp_path)
    release = tmp_path / "release.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[1].source = "# YOUR CODE HERE\nraise NotImplementedError()\nprint(answer)"
    nb.cells[2].source = "assert answer > 1"
    nb.cells[3].source = "YOUR ANSWER HERE"
    nbformat.write(nb, release)
    assert grading.leaked_lines(source, release) == []
    nb.cells[1].source = "answer = math.sqrt(2)  \nprint(answer)"  # trailing spaces do not hide it
    nbformat.write(nb, release)
    assert grading.leaked_lines(source, release) == ["answer = math.sqrt(2)"]


def test_the_planted_answer_replaces_exactly_one_solution(tmp_path: Path):
    source = _demo_source(tmp_path)
    grading.plant_wrong_answer(source, tmp_path / "planted.ipynb", "ex1_code", "answer = -1\n")
    before, after = _cells(source), _cells(tmp_path / "planted.ipynb")
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a["source"] != b["source"]]
    assert changed == [1]
    assert "".join(after[1]["source"]) == "answer = -1\n"


def test_the_planted_answer_in_the_kit_is_one_the_tests_reject():
    name, _grade_id, answer, test_id = grading.PLANTED
    (source,) = [a.source for a in ASSIGNMENTS if a.name == name]
    (tests,) = [
        "".join(c["source"]) for c in _cells(source) if c["metadata"].get("nbgrader", {}).get("grade_id") == test_id
    ]
    scope = {"np": __import__("numpy"), "paths": [Path("a.png")]}
    exec(answer, scope)
    try:
        exec(tests.split("### BEGIN HIDDEN TESTS")[0], scope)
    except AssertionError:
        return
    raise AssertionError(f"{answer!r} passes the visible tests of {test_id}")


def test_a_release_refuses_to_delete_students_submissions(tmp_path: Path):
    from course.config import load_settings

    work = tmp_path / "course" / "submitted" / "ada" / "01_dataset" / "01_dataset_exercises.ipynb"
    work.parent.mkdir(parents=True)
    work.write_text("{}")
    with pytest.raises(RuntimeError, match="submissions of ada") as raised:
        grading.release(load_settings(), tmp_path / "course")
    assert str(tmp_path / "course" / "submitted") in str(raised.value)
    assert work.read_text() == "{}"


def test_each_notebook_states_the_points_it_carries():
    for a in ASSIGNMENTS:
        (about,) = [
            "".join(c["source"])
            for c in _cells(a.source)
            if c["metadata"].get("nbgrader", {}).get("grade_id") == "about"
        ]
        stated = re.search(r"Tests: (\d+) points; written answers: (\d+) points", about.replace("\n", " "))
        assert stated, a.name
        assert (int(stated.group(1)), int(stated.group(2))) == grading.point_totals(a.source), a.name


def test_the_course_config_gives_training_cells_and_busy_machines_time(tmp_path: Path):
    from course.config import load_settings

    grading.write_config(tmp_path, load_settings())
    config = {}
    exec((tmp_path / "nbgrader_config.py").read_text(), {"get_config": lambda: _Config(config)})
    assert config["Execute.timeout"] >= 600
    assert config["ExecutePreprocessor.timeout"] >= 600
    assert config["Execute.iopub_timeout"] >= 60  # nbgrader's 4 s fails a notebook on a busy machine
    assert config["CourseDirectory.root"] == str(tmp_path)


class _Config:
    """Records ``c.Section.name = value`` as config["Section.name"]."""

    def __init__(self, store: dict, prefix: str = ""):
        object.__setattr__(self, "_store", store)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name: str) -> _Config:
        return _Config(self._store, f"{self._prefix}{name}.")

    def __setattr__(self, name: str, value) -> None:
        self._store[f"{self._prefix}{name}"] = value


def test_the_grades_check_reads_nbgraders_csv_and_finds_a_wrong_score(tmp_path: Path):
    # the header and the row format of nbgrader's CsvExportPlugin (nbgrader export); bob submitted nothing
    csv = tmp_path / "grades.csv"
    csv.write_text(
        "assignment,duedate,timestamp,student_id,last_name,first_name,email,raw_score,"
        "late_submission_penalty,score,max_score\n"
        "01_demo,,2025-01-01 10:00:00.000000,ada,,,,2.0,0.0,2.0,3.0\n"
        "01_demo,,,bob,,,,0.0,0.0,0.0,3.0\n"
    )
    grades = grading.read_grades(csv)
    assert grades == {("01_demo", "ada"): (2.0, 3.0), ("01_demo", "bob"): (0.0, 3.0)}
    assert grading.grade_problems(grades, {("01_demo", "ada"): (2.0, 3.0)}) == []
    assert grading.grade_problems(grades, {("01_demo", "ada"): (3.0, 3.0), ("02_demo", "ada"): (1.0, 1.0)}) == [
        "grades.csv has no row for 02_demo of ada",
        "grades.csv gives 01_demo of ada 2 of 3 points, expected 3 of 3",
    ]


def test_the_chinese_course_has_the_same_assignments_and_points():
    notebooks = grading.EDITION_COURSES["zh_CN"][0]
    chinese = grading.graded_assignments(notebooks)
    assert [a.name for a in chinese] == [a.name for a in ASSIGNMENTS]
    for zh, en in zip(chinese, ASSIGNMENTS, strict=True):
        assert zh.source.parent == notebooks / "solutions"
        assert grading.points(zh.source) == grading.points(en.source)
        assert grading.secret_lines(zh.source) != grading.secret_lines(en.source)  # the model answers are Chinese

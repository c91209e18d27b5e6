"""Graded student versions from one source, with nbgrader's own commands, and the kit's check of itself.

The source of each assignment is a worked-solution notebook that carries nbgrader metadata (solution regions,
test cells with points, written answers). ``release`` copies the graded ones into an nbgrader course folder and
runs ``generate_assignment``; ``check`` proves the kit works: sources validate, releases fail validation as
handed out, the source submitted by a fake student autogrades to full points, a planted wrong answer loses
exactly its test's points, nbgrader's own ``export`` writes the grades as CSV (what gradebooks import) with those
scores, feedback is written, and no solution line is left in a release.

The Chinese edition's solutions (``notebooks/zh/solutions``, the same cells with Chinese prose) give a second
course, ``nbgrader-zh``, with the same commands: ``release(..., language="zh_CN")``; ``check_edition`` releases
every Chinese assignment with the leak check, and autogrades one to full points and its planted wrong answer.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .config import BUILD, NOTEBOOKS, ROOT, Settings, solution_notebooks

COURSE_DIR = BUILD / "nbgrader"  # the teacher's course: releases here, submissions go in submitted/
CHECK_DIR = BUILD / "nbgrader-check"  # the kit's self-check, apart, so that it never touches a real course
CHECK_STUDENT = "kit-check"
PLANTED_STUDENT = CHECK_STUDENT + "-planted"  # hands in the planted wrong answer
# a translated course: where its solutions are, its course folder, and its self-check's folder
EDITION_COURSES = {"zh_CN": (NOTEBOOKS / "zh", BUILD / "nbgrader-zh", BUILD / "nbgrader-check-zh")}
# the planted wrong answer: notebook 01's first exercise with a count no folder of images can have
PLANTED = ("01_dataset", "ex1_code", "with_transparency = -1\n", "ex1_tests")


@dataclass(frozen=True)
class Assignment:
    name: str  # "01_dataset"
    source: Path  # notebooks/solutions/01_dataset_solutions.ipynb

    @property
    def notebook(self) -> str:
        return f"{self.name}_exercises.ipynb"

    def path(self, course_dir: Path, folder: str, student: str | None = None) -> Path:
        """Where nbgrader keeps this assignment's notebook: ``folder`` is source, release, submitted, ..."""
        return course_dir / folder / (student or "") / self.name / self.notebook


def _nbgrader_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text())["cells"] if "nbgrader" in c["metadata"]]


def graded_assignments(notebooks: Path = NOTEBOOKS) -> list[Assignment]:
    """The solution notebooks (of ``notebooks``: the English or an edition's folder) that hold graded cells, as
    assignments named after their lesson."""
    return [
        Assignment(p.name.removesuffix("_solutions.ipynb"), p)
        for p in solution_notebooks(notebooks)
        if any(c["metadata"]["nbgrader"].get("grade") for c in _nbgrader_cells(p))
    ]


def points(path: Path) -> dict[str, float]:
    """grade_id -> points of every graded cell of a notebook (tests and written answers)."""
    return {
        c["metadata"]["nbgrader"]["grade_id"]: float(c["metadata"]["nbgrader"]["points"])
        for c in _nbgrader_cells(path)
        if c["metadata"]["nbgrader"].get("grade")
    }


def point_totals(path: Path) -> tuple[float, float]:
    """(points of the test cells, points of the written answers) of a notebook."""
    pts = points(path)
    return (
        sum(p for gid, p in pts.items() if gid.endswith("_tests")),
        sum(p for gid, p in pts.items() if gid.endswith("_answer")),
    )


def write_config(course_dir: Path, settings: Settings) -> None:
    course_dir.mkdir(parents=True, exist_ok=True)
    (course_dir / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821 (nbgrader provides it)\n"
        f"c.CourseDirectory.root = {str(course_dir)!r}\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{course_dir / 'gradebook.db'}'\n"
        f"c.Execute.timeout = {settings.timeout}  # nbgrader's default of 30 s is too short where a notebook trains\n"
        f"c.ExecutePreprocessor.timeout = {settings.timeout}\n"
        # nbgrader stops a notebook with a fatal error when a cell's output takes over 4 s to arrive (its
        # default), which a busy machine exceeds: the check then read a release's validation as failed
        "c.Execute.iopub_timeout = 120\n"
        "c.ClearSolutions.code_stub = {'python': '# YOUR CODE HERE\\nraise NotImplementedError()'}\n"
    )


def nbgrader(course_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run one nbgrader command in the course folder, with this interpreter's scripts on PATH (alembic); in a
    translated course, the task verdicts in its language (``TUTORIAL_LANGUAGE``, written there by ``release``)."""
    language = course_dir / "language.txt"
    env = {
        **os.environ,
        **({"TUTORIAL_LANGUAGE": language.read_text().strip()} if language.exists() else {}),
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=env, text=True, capture_output=True
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def release(settings: Settings, course_dir: Path = COURSE_DIR, language: str | None = None) -> list[Path]:
    """Generate the student copies into ``course_dir/release``; return their paths. Starts from a fresh folder
    (nbgrader refuses to regenerate an assignment that has submissions in its gradebook), and so refuses to run
    where students' submissions are, rather than delete them. ``language``: an edition's (``zh_CN``): its
    solutions are the sources."""
    submitted = course_dir / "submitted"
    students = (
        sorted(p.name for p in submitted.iterdir() if not p.name.startswith(CHECK_STUDENT))
        if submitted.is_dir()
        else []
    )
    if students:
        raise RuntimeError(
            f"{submitted} holds submissions of {', '.join(students)}: building the release again "
            "would delete them. Move the course folder elsewhere first."
        )
    if course_dir.exists():
        shutil.rmtree(course_dir)
    write_config(course_dir, settings)
    if language:
        (course_dir / "language.txt").write_text(language + "\n")
    assignments = graded_assignments(EDITION_COURSES[language][0] if language else NOTEBOOKS)
    for a in assignments:
        target = a.path(course_dir, "source")
        target.parent.mkdir(parents=True)
        shutil.copy(a.source, target)
        nbgrader(course_dir, "generate_assignment", a.name, "--force")
    released = [a.path(course_dir, "release") for a in assignments]
    missing = [p for p in released if not p.exists()]
    if missing:
        raise RuntimeError(f"nbgrader wrote no release for {', '.join(map(str, missing))}")
    return released


def validate(path: Path, invert: bool = False, course_dir: Path = COURSE_DIR) -> tuple[bool, str]:
    """nbgrader's own verdict: all tests pass (or, inverted, none does), and what nbgrader printed. Run in the
    course folder, whose nbgrader_config.py raises the cell timeout."""
    args = ["validate", str(path)] + (["--invert"] if invert else [])
    done = nbgrader(course_dir, *args, check=False)
    verdict = (
        "Success! The notebook does not pass any tests." if invert else "Success! Your notebook passes all the tests."
    )
    return verdict in done.stdout, done.stdout + done.stderr


MARKERS = {"### BEGIN SOLUTION": "### END SOLUTION", "### BEGIN HIDDEN TESTS": "### END HIDDEN TESTS"}


def _split_regions(source: str) -> tuple[list[str], list[str]]:
    """(lines inside solution or hidden-test regions, lines outside), without the markers and blank lines."""
    inside, outside, end = [], [], None
    for line in source.splitlines():
        if end is None and line.strip() in MARKERS:
            end = MARKERS[line.strip()]
        elif line.strip() == end:
            end = None
        elif line.strip():
            (inside if end else outside).append(line.rstrip())
    return inside, outside


def secret_lines(path: Path) -> set[str]:
    """Lines a release must not show: solution code, hidden tests and model answers, less any line the source
    also gives outside them (an import, a print)."""
    secret, given = set(), set()
    for cell in json.loads(path.read_text())["cells"]:
        source, meta = "".join(cell["source"]), cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "markdown" and meta.get("solution"):
            secret |= {line.rstrip() for line in source.splitlines() if line.strip()}
        else:
            inside, outside = _split_regions(source)
            secret |= set(inside)
            given |= set(outside)
    return secret - given


def leaked_lines(source: Path, released: Path, secret: set[str] | None = None) -> list[str]:
    """The secret lines of ``source`` (given, or worked out) that ``released`` shows."""
    cells = json.loads(released.read_text())["cells"]
    shown = {line.rstrip() for c in cells for line in "".join(c["source"]).splitlines()}
    return sorted((secret_lines(source) if secret is None else secret) & shown)


def plant_wrong_answer(source: Path, target: Path, grade_id: str, answer: str) -> None:
    """A copy of ``source`` whose solution cell ``grade_id`` holds ``answer`` instead of the worked solution."""
    nb = json.loads(source.read_text())
    (cell,) = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id]
    cell["source"] = answer
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(nb, indent=1))


def auto_scores(course_dir: Path, assignment: Assignment, student: str) -> dict[str, tuple[float, float]]:
    """grade_id -> (score, max score) of the autograded cells of one submission, from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(assignment.notebook.removesuffix(".ipynb"), assignment.name, student)
        return {g.name: (float(g.score), float(g.max_score)) for g in nb.grades if g.cell_type == "code"}


def export_grades(course_dir: Path, target: Path | None = None) -> Path:
    """Every student's score in every assignment as CSV, by nbgrader's own ``nbgrader export`` (its columns:
    assignment, duedate, timestamp, student_id, last_name, first_name, email, raw_score,
    late_submission_penalty, score, max_score; a missing submission scores 0); return the file."""
    target = course_dir / "grades.csv" if target is None else target
    target.unlink(missing_ok=True)
    nbgrader(course_dir, "export", "--to", str(target))
    if not target.exists():
        raise RuntimeError(f"nbgrader export wrote no {target}")
    return target


def read_grades(path: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """(assignment, student) -> (score, max score), from a grades CSV written by ``export_grades``."""
    with path.open(newline="") as f:
        return {
            (row["assignment"], row["student_id"]): (float(row["score"]), float(row["max_score"]))
            for row in csv.DictReader(f)
        }


def grade_problems(
    grades: dict[tuple[str, str], tuple[float, float]], expected: dict[tuple[str, str], tuple[float, float]]
) -> list[str]:
    """How exported grades differ from the expected (score, max score) of each (assignment, student)."""
    problems = [f"grades.csv has no row for {a} of {s}" for a, s in expected if (a, s) not in grades]
    problems += [
        f"grades.csv gives {a} of {s} {grades[a, s][0]:g} of {grades[a, s][1]:g} points, "
        f"expected {want[0]:g} of {want[1]:g}"
        for (a, s), want in expected.items()
        if (a, s) in grades and grades[a, s] != want
    ]
    return problems


def full_points_problems(course_dir: Path, assignment: Assignment, label: str, log=print) -> list[str]:
    """Autograde the fake student's submission of ``assignment`` (its source): a problem unless it gets every test
    point, as many as the notebook's metadata gives (and more than none)."""
    start = time.perf_counter()
    nbgrader(course_dir, "autograde", assignment.name, "--student", CHECK_STUDENT, "--force")
    seconds = time.perf_counter() - start
    scores = auto_scores(course_dir, assignment, CHECK_STUDENT)
    got, full = sum(s for s, _ in scores.values()), sum(m for _, m in scores.values())
    expected, _ = point_totals(assignment.source)
    log(
        f"{label}: the source autogrades to {got:g} of {full:g} test points (metadata: {expected:g}) in {seconds:.0f} s"
    )
    if got == full == expected > 0:
        return []
    return [f"{label}: the source autogrades to {got:g} of {full:g} (expected {expected:g})"]


def planted_problems(course_dir: Path, planted: Assignment, label: str, log=print) -> list[str]:
    """Autograde the planted wrong answer (``PLANTED``): a problem unless it loses exactly its test's points."""
    _, grade_id, _, test_id = PLANTED
    nbgrader(course_dir, "autograde", planted.name, "--student", PLANTED_STUDENT, "--force")
    scores = auto_scores(course_dir, planted, PLANTED_STUDENT)
    lost = {gid: m - s for gid, (s, m) in scores.items() if s < m}
    log(f"{label}planted wrong answer in {planted.name} {grade_id}: lost {lost}")
    if lost == {test_id: points(planted.source)[test_id]}:
        return []
    return [f"{label}the planted wrong answer lost {lost}, not exactly the {test_id} points"]


def check(settings: Settings, course_dir: Path = CHECK_DIR, log=print) -> list[str]:
    """Run every check of the kit; return the problems found (none: the kit works)."""
    from concurrent.futures import ThreadPoolExecutor

    problems = []
    released = release(settings, course_dir)
    assignments = graded_assignments()
    sources = [a.path(course_dir, "source") for a in assignments]
    for a, rel in zip(assignments, released, strict=True):
        secret = secret_lines(a.source)
        leaked = leaked_lines(a.source, rel, secret)
        problems += [f"{rel.name}: shows the solution line {line!r}" for line in leaked]
        log(f"{a.name}: release written, {len(secret)} solution lines, {len(leaked)} leaked")
    with ThreadPoolExecutor(2) as pool:  # each validate is its own process: two at a time on two cores
        passing = list(pool.map(lambda p: validate(p, course_dir=course_dir), sources))
        failing = list(pool.map(lambda p: validate(p, invert=True, course_dir=course_dir), released))
    for src, (ok, said), rel, (inverted, said_inverted) in zip(sources, passing, released, failing, strict=True):
        log(f"{src.parent.name}: source validates: {ok}; release passes no test as handed out: {inverted}")
        problems += [] if ok else [f"{src}: the source does not pass its own tests; nbgrader said:\n{said[-3000:]}"]
        problems += (
            []
            if inverted
            else [f"{rel}: not every test fails on the blank release; nbgrader said:\n{said_inverted[-3000:]}"]
        )

    name, grade_id, answer, test_id = PLANTED
    for student in (CHECK_STUDENT, PLANTED_STUDENT):
        nbgrader(course_dir, "db", "student", "add", student)
    for a in assignments:
        shutil.copytree(a.path(course_dir, "source").parent, a.path(course_dir, "submitted", CHECK_STUDENT).parent)
    planted = next(a for a in assignments if a.name == name)
    plant_wrong_answer(planted.source, planted.path(course_dir, "submitted", PLANTED_STUDENT), grade_id, answer)
    for a in assignments:
        problems += full_points_problems(course_dir, a, a.name, log)
    problems += planted_problems(course_dir, planted, "", log)
    # the gradebook as a CSV: the fake student's autograded test points (written answers wait for a teacher) out
    # of every point; the planted student's one submission less its lost test, and 0 where nothing was submitted
    csv_path = export_grades(course_dir)
    expected = {}
    for a in assignments:
        tests, written = point_totals(a.source)
        expected[a.name, CHECK_STUDENT] = (tests, tests + written)
        expected[a.name, PLANTED_STUDENT] = (
            tests - points(a.source)[test_id] if a is planted else 0.0,
            tests + written,
        )
    found = grade_problems(read_grades(csv_path), expected)
    log(f"grades exported by nbgrader to {csv_path}: {len(expected)} rows checked, {len(found)} wrong")
    problems += found
    for a in assignments:
        nbgrader(course_dir, "generate_feedback", a.name, "--student", CHECK_STUDENT, "--force")
        html = a.path(course_dir, "feedback", CHECK_STUDENT).with_suffix(".html")
        if not html.exists() or "Score:" not in html.read_text():
            problems.append(f"{html}: no feedback with a score")
    log(f"feedback written to {course_dir / 'feedback' / CHECK_STUDENT}")
    return problems


def check_edition(settings: Settings, language: str = "zh_CN", log=print) -> list[str]:
    """The kit's check of a translated course: every assignment released with no solution line left, the planted
    assignment's source autograded to full test points, and its planted wrong answer losing exactly its test."""
    notebooks, _, course_dir = EDITION_COURSES[language]
    problems = []
    released = release(settings, course_dir, language)
    assignments = graded_assignments(notebooks)
    for a, rel in zip(assignments, released, strict=True):
        leaked = leaked_lines(a.source, rel)
        problems += [f"{language} {rel.name}: shows the solution line {line!r}" for line in leaked]
    log(f"{language}: {len(released)} releases written, {len(problems)} solution lines leaked")
    name, grade_id, answer, _ = PLANTED
    planted = next(a for a in assignments if a.name == name)
    for student in (CHECK_STUDENT, PLANTED_STUDENT):
        nbgrader(course_dir, "db", "student", "add", student)
    shutil.copytree(
        planted.path(course_dir, "source").parent, planted.path(course_dir, "submitted", CHECK_STUDENT).parent
    )
    plant_wrong_answer(planted.source, planted.path(course_dir, "submitted", PLANTED_STUDENT), grade_id, answer)
    problems += full_points_problems(course_dir, planted, f"{language} {name}", log)
    problems += planted_problems(course_dir, planted, f"{language}: ", log)
    nbgrader(course_dir, "generate_feedback", name, "--student", CHECK_STUDENT, "--force")
    html = planted.path(course_dir, "feedback", CHECK_STUDENT).with_suffix(".html")
    if not html.exists() or not re.search(r"[\u4e00-\u9fff]", html.read_text(encoding="utf-8")):
        problems.append(f"{html}: no feedback in {language}")
    return problems

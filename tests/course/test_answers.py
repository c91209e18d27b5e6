"""The site folds each task's worked answer under the task: taken from the graded solution, markers removed."""

from __future__ import annotations

import json

from course.answers import fold_answers, solution_of, worked_answer
from course.config import lesson_notebooks
from tutorial_utils.tasks import TASKS


def test_every_task_gets_its_worked_answer_folded_under_its_check():
    folded = 0
    for lesson_path in lesson_notebooks():
        lesson = json.loads(lesson_path.read_text())
        ids = [c["id"] for c in fold_answers(lesson, solution_of(lesson_path))["cells"]]
        for name, task in TASKS.items():
            if task.notebook == lesson_path.stem:
                assert ids.index(f"task-{name}-answer") == ids.index(f"task-{name}-check") + 1
                folded += 1
        assert len(ids) == len(lesson["cells"]) + sum(t.notebook == lesson_path.stem for t in TASKS.values())
    assert folded == len(TASKS)


def test_the_folded_answer_is_the_solution_without_nbgrader_markers():
    for name, task in TASKS.items():
        code = worked_answer(solution_of(next(p for p in lesson_notebooks() if p.stem == task.notebook)), name)
        assert f"def {name}(" in code
        assert "BEGIN SOLUTION" not in code
        assert "END SOLUTION" not in code
        assert "NotImplementedError" not in code

"""The worked answer of each "your turn" task, folded under the task on the course site.

In the notebooks the answer lives in the graded solutions only (one step away, never above the task). On the
site, each lesson page also gets it right under the task's check, in a block that opens on a click.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

TASK_CELL = re.compile(r"^task-(\w+)-check$")


def worked_answer(solution: Path, name: str) -> str:
    """The code of task ``name`` in a graded solution notebook, without nbgrader's solution markers."""
    for cell in json.loads(solution.read_text())["cells"]:
        if cell.get("id") == f"task-{name}":
            lines = "".join(cell["source"]).splitlines()
            return "\n".join(line for line in lines if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    raise KeyError(f"{solution}: no cell task-{name}")


def fold_answers(lesson: dict, solution: Path, title: str = "Worked answer") -> dict:
    """A copy of ``lesson`` (notebook JSON) with a folded "Worked answer" cell after each task's check cell."""
    cells = []
    for cell in lesson["cells"]:
        cells.append(cell)
        match = TASK_CELL.match(cell.get("id", ""))
        if match:
            code = worked_answer(solution, match.group(1))
            fold = f":::{{admonition}} {title}\n:class: dropdown\n\n```python\n{code}\n```\n:::\n"
            cells.append(
                {
                    "cell_type": "markdown",
                    "id": f"task-{match.group(1)}-answer",
                    "metadata": {"slideshow": {"slide_type": "skip"}},
                    "source": fold,
                }
            )
    return {**lesson, "cells": cells}


def solution_of(lesson_path: Path) -> Path:
    """The graded solution notebook beside a lesson notebook (``solutions/<stem>_solutions.ipynb``)."""
    return lesson_path.parent / "solutions" / f"{lesson_path.stem}_solutions.ipynb"

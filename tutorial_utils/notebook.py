"""Small helpers for every notebook: show the package's real source, print aligned tables, ask concept checks.

Notebooks display code from here instead of copying it, so the lesson and the tested code never drift.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from IPython.display import Markdown


def show_source(obj: Any) -> Markdown:
    """The source of a function, class or method as a highlighted code block, straight from the package."""
    module = inspect.getmodule(obj)
    where = f"`{module.__name__}.{obj.__qualname__}`" if module else f"`{obj.__qualname__}`"
    return Markdown(f"{where}\n```python\n{inspect.getsource(obj).rstrip()}\n```")


def format_table(rows: Sequence[Sequence[Any]], headers: Sequence[str], decimals: int = 4) -> str:
    """Rows as a plain-text table with aligned columns (numbers right-aligned, floats to ``decimals`` places)."""
    cells = [[str(h) for h in headers]] + [[_fmt(v, decimals) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(isinstance(row[i], (int, float)) for row in rows) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if num else c.ljust(w) for c, w, num in zip(r, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]])


def _fmt(value: Any, decimals: int = 4) -> str:
    """Integers with thousands separators, floats with ``decimals`` decimals."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{decimals}f}"
    return str(value)


# jupyterquiz typesets its questions with the page's MathJax. JupyterLab 4's MathJax object has no ``typeset``,
# and jupyterquiz then replaces it with a stub and fetches MathJax 3 from a CDN: offline that fails, and the stub
# breaks the next quiz ("Cannot read properties of undefined"). The questions hold no math, so where the page's
# MathJax lacks ``typeset``, a do-nothing one is given first; a page whose MathJax has it (the course site) is
# left as it is.
_KEEP_MATHJAX = (
    "if (window.MathJax && window.MathJax.version && !window.MathJax.typeset) { window.MathJax.typeset = () => {}; }"
)


def concept_check(path: str | os.PathLike[str]) -> None:
    """Show the multiple-choice questions of ``path`` (jupyterquiz's JSON), each answer with its explanation."""
    # IPython leaves the types of display's keyword arguments open: the one unknown the checker is told to accept
    from IPython.display import Javascript, display  # pyright: ignore[reportUnknownVariableType]
    from jupyterquiz import display_quiz

    questions = json.loads(Path(path).read_text(encoding="utf-8"))
    if any(
        "$" in q["question"] or any("$" in a["answer"] + a.get("feedback", "") for a in q["answers"]) for q in questions
    ):
        raise ValueError(f"{path}: a question holds math ($), which the quiz cannot typeset in JupyterLab")
    display(Javascript(_KEEP_MATHJAX))
    display_quiz(str(path))

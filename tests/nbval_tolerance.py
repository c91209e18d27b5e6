"""Numeric tolerance for nbval, for the notebook cells whose numbers come out of training.

nbval compares a cell's new output with the stored one as strings. Losses, scores and distances that
come from training differ in the 3rd or 4th digit between CPUs, thread counts and oneDNN kernels, so a
strict string match only holds on the machine that stored the outputs. This module adds one rule:

* a code cell tagged ``tolerance-<class>`` (see :data:`TOLERANCES`) passes when its new text has exactly
  the stored words (runs of whitespace count as one space), the same count of numbers, every decimal
  number within ``atol + rtol * |stored|`` of the stored one, and every integer within
  ``int_atol + int_rtol * |stored|`` (equal, for all classes but ``rank`` and ``count``);
* every other cell is compared by nbval exactly as before (after ``notebooks/sanitize.cfg``).

The root ``conftest.py`` installs it into nbval 0.11 (pinned in ``pyproject.toml``): it wraps
``IPyNbCell.compare_outputs`` so that a tagged cell's text within tolerance is replaced by the stored
text before nbval's own comparison, and adds a line naming the number that is out of tolerance otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

TAG_PREFIX = "tolerance-"


@dataclass(frozen=True)
class Tolerance:
    """``|new - stored| <= atol + rtol * |stored|`` for decimals, ``int_atol + int_rtol * |stored|`` for integers."""

    rtol: float
    atol: float
    why: str
    int_rtol: float = 0.0
    int_atol: float = 0.0


# Set from the largest spread measured by scripts/check_portability.py (threads, oneDNN ISA), with margin;
# notebooks/README.md lists the measured spreads next to these values.
TOLERANCES: dict[str, Tolerance] = {
    "loss": Tolerance(rtol=0.15, atol=2e-4, why="MSE and triplet losses after training"),
    "score": Tolerance(rtol=0.0, atol=0.04, why="P@10, mAP@10, R@k (fractions in [0, 1]) and their differences"),
    "distance": Tolerance(rtol=0.0, atol=0.02, why="cosine distances and other small embedding statistics"),
    "rank": Tolerance(
        rtol=0.0,
        atol=0.04,
        int_atol=1,
        why="the rank of a right answer that is among the first five (deeper ranks are not printed)",
    ),
    "count": Tolerance(rtol=0.0, atol=0.04, int_atol=1, why="how many of k neighbours share a label or a list"),
}

# a number not glued to a word: 1,911 | 0.0239 | -3.5 | 1e-05 | 3.4 in "3.4x"; "1f600" and "x2" stay words
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?:(?!\w)|(?=x\b))")


def split_numbers(text: str) -> tuple[list[str], list[str]]:
    """The words between numbers (whitespace runs squeezed to one space) and the numbers, in order."""
    words, numbers, last = [], [], 0
    for match in NUMBER.finditer(text):
        words.append(text[last : match.start()])
        numbers.append(match.group())
        last = match.end()
    words.append(text[last:])
    return [re.sub(r"\s+", " ", w) for w in words], numbers


def _is_integer(token: str) -> bool:
    return not any(c in token for c in ".eE")


def _value(token: str) -> float:
    return float(token.replace(",", ""))


def compare_text(stored: str, new: str, tol: Tolerance) -> str | None:
    """None when ``new`` matches ``stored`` under ``tol``; otherwise a sentence saying what differs."""
    stored_words, stored_numbers = split_numbers(stored)
    new_words, new_numbers = split_numbers(new)
    if len(stored_numbers) != len(new_numbers):
        return f"{len(new_numbers)} numbers where the stored output has {len(stored_numbers)}"
    for i, (a, b) in enumerate(zip(stored_words, new_words, strict=True)):
        if a != b:
            return f"the words differ: {a.strip()!r} stored, {b.strip()!r} now (before number {i + 1})"
    for i, (a, b) in enumerate(zip(stored_numbers, new_numbers, strict=True)):
        if _is_integer(a) != _is_integer(b):
            return f"number {i + 1}: {a} stored, {b} now (integer vs decimal)"
        if _is_integer(a):
            allowed = tol.int_atol + tol.int_rtol * abs(_value(a))
            if abs(_value(a) - _value(b)) > allowed:
                return f"number {i + 1}: integer {a} stored, {b} now (allowed difference {allowed:g})"
            continue
        x, y = _value(a), _value(b)
        limit = tol.atol + tol.rtol * abs(x)
        if not math.isfinite(y) or abs(y - x) > limit:
            return f"number {i + 1}: {a} stored, {b} now; |difference| {abs(y - x):.3g} > allowed {limit:.3g}"
    return None


def number_spread(stored: str, new: str) -> tuple[float, float] | str:
    """(largest absolute, largest relative) difference of the numbers, or why the texts differ otherwise.

    Used by ``scripts/check_portability.py`` to measure how far outputs move, to set the tolerances from.
    """
    loose = Tolerance(rtol=math.inf, atol=math.inf, int_atol=math.inf, why="structure only")
    why = compare_text(stored, new, loose)
    if why is not None:
        return why
    diffs = [
        (abs(_value(b) - _value(a)), abs(_value(b) - _value(a)) / max(abs(_value(a)), 1e-12))
        for a, b in zip(split_numbers(stored)[1], split_numbers(new)[1], strict=True)
    ]
    return (max((d[0] for d in diffs), default=0.0), max((d[1] for d in diffs), default=0.0))


def tolerance_fraction(stored: str, new: str, tol: Tolerance) -> float | str:
    """The largest |new - stored| of the numbers as a fraction of what ``tol`` allows for each (1.0 = at the
    limit), or why the texts differ otherwise. ``python -m scripts.check_portability audit`` holds every tagged cell
    to at most half its tolerance with it."""
    loose = Tolerance(rtol=math.inf, atol=math.inf, int_atol=math.inf, why="structure only")
    why = compare_text(stored, new, loose)
    if why is not None:
        return why
    worst = 0.0
    for a, b in zip(split_numbers(stored)[1], split_numbers(new)[1], strict=True):
        diff = abs(_value(b) - _value(a))
        if _is_integer(a):
            allowed = tol.int_atol + tol.int_rtol * abs(_value(a))
        else:
            allowed = tol.atol + tol.rtol * abs(_value(a))
        worst = max(worst, 0.0 if diff == 0 else diff / allowed if allowed > 0 else math.inf)
    return worst


def cell_tolerance(tags: list[str]) -> Tolerance | None:
    """The tolerance a cell's ``tolerance-<class>`` tag asks for; None for an exactly compared cell."""
    chosen = None
    for tag in tags:
        if not tag.startswith(TAG_PREFIX):
            continue
        name = tag[len(TAG_PREFIX) :]
        if name not in TOLERANCES:
            raise ValueError(f"unknown tolerance tag {tag!r}; known: {', '.join(TAG_PREFIX + k for k in TOLERANCES)}")
        tol = TOLERANCES[name]
        if chosen is not None:
            raise ValueError(f"one tolerance tag per cell, got {chosen} and {tag!r}")
        chosen = tol
    return chosen


TEXT_KEYS = ("text/plain", "text/markdown", "text/html")


def reconcile_outputs(
    new: list, stored: list, tol: Tolerance, sanitize: Callable[[str], str] = lambda s: s
) -> tuple[list, list[str]]:
    """New outputs with every text that matches its stored twin under ``tol`` replaced by the stored text.

    Outputs are paired in order (streams by name). Returns the new list (copies; the input is not changed)
    and the reasons for the texts that did not match, for nbval's failure report.
    """
    out, reasons = [], []
    for i, item in enumerate(new):
        item = _copy(item)
        twin = stored[i] if i < len(stored) else None
        if (
            twin is not None
            and item.get("output_type") == "stream" == twin.get("output_type")
            and item.get("name") == twin.get("name")
        ):
            why = compare_text(sanitize(twin["text"]), sanitize(item["text"]), tol)
            if why is None:
                item["text"] = twin["text"]
            else:
                reasons.append(f"output {i + 1} ({item.get('name')}): {why}")
        elif twin is not None and "data" in item and "data" in twin:
            for key in TEXT_KEYS:
                if key in item["data"] and key in twin["data"]:
                    why = compare_text(sanitize(twin["data"][key]), sanitize(item["data"][key]), tol)
                    if why is None:
                        item["data"][key] = twin["data"][key]
                    else:
                        reasons.append(f"output {i + 1} ({key}): {why}")
        out.append(item)
    return out, reasons


def _copy(item):
    """A copy of one output deep enough to replace its texts (works for dicts and NotebookNodes)."""
    clone = type(item)(item)
    if "data" in clone:
        clone["data"] = type(clone["data"])(clone["data"])
    return clone


def install(cell_class) -> None:
    """Wrap ``cell_class.compare_outputs`` (nbval's ``IPyNbCell``) with the tolerance rule, once."""
    original = cell_class.compare_outputs
    if getattr(original, "_with_tolerance", False):
        return

    def compare_outputs(self, test, ref, skip_compare=None):
        tol = cell_tolerance(list(self.cell.metadata.get("tags", [])))
        reasons: list[str] = []
        if tol is not None:
            test, reasons = reconcile_outputs(test, ref, tol, self.sanitize)
        ok = original(self, test, ref, skip_compare)
        if not ok and reasons:
            self.comparison_traceback.append(f"outside the cell's tolerance (rtol {tol.rtol}, atol {tol.atol}):")
            self.comparison_traceback.extend("  " + r for r in reasons)
        return ok

    compare_outputs._with_tolerance = True
    cell_class.compare_outputs = compare_outputs


def pytest_configure(config) -> None:
    """pytest plugin hook: install the rule when nbval is loaded (``-p tests.nbval_tolerance``)."""
    if config.pluginmanager.hasplugin("nbval"):
        from nbval.plugin import IPyNbCell

        install(IPyNbCell)

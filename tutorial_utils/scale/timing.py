"""Wall-clock timing for the speed measurements: notebook 08 and the scripts in ``scripts/benchmark*.py``."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_times(fns: dict[str, Callable[[], Any]], repeats: int = 3, warm_up: bool = True) -> dict[str, float]:
    """Median wall-clock seconds of each function over ``repeats`` calls, the functions taking turns, so that a
    slow moment of the machine hits all of them; one warm-up call each first, unless told not to."""
    if warm_up:
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def median_seconds(fn: Callable[[], Any], repeats: int = 3, warm_up: bool = True) -> float:
    """Median wall-clock seconds of ``fn()`` over ``repeats`` calls, after one warm-up call unless told not to."""
    return median_times({"fn": fn}, repeats, warm_up)["fn"]

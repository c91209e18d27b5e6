"""`make test`: every test, as two pytest processes side by side on a 2-core machine.

1. ``lesson``: the notebooks that use the trained model (03-08 and their solutions), in order, as in
   ``make run``: 03 trains the model that the others load from the run folder.
2. ``other``: the unit tests and the notebooks that need no trained model (01, 02 and their solutions),
   with one thread and the lowest CPU priority (``nice 19``): they run in the gaps the lesson leaves (kernel
   start-ups, imports, single-threaded steps) and never slow its two-thread training. Run at normal priority,
   they made the lesson group 17% slower than running everything one after the other.

Together they are exactly what ``python -m pytest`` runs one after the other (that still works, and is what
to use on Windows). Each process writes its output to ``runs/test/<group>.log``; the script prints one line
per finished process, then the log of any that failed, and exits non-zero if either did.

    .venv/bin/python scripts/run_tests.py            # what make test runs
    .venv/bin/python scripts/run_tests.py -- -x      # extra arguments go to both pytest processes
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL_FREE = ("01_", "02_")  # notebooks that build no model, or only untrained ones


def groups() -> dict[str, list[str]]:
    """The two groups of test paths, each in the order pytest would collect them."""
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    solutions = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
    lesson = [p for p in notebooks + solutions if not p.name.startswith(MODEL_FREE)]
    other = [p for p in notebooks + solutions if p.name.startswith(MODEL_FREE)]
    rel = lambda paths: [p.relative_to(ROOT).as_posix() for p in paths]  # noqa: E731
    return {"lesson": rel(lesson), "other": ["tests", *rel(other)]}


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    run_dir = Path(os.environ.get("TUTORIAL_RUN_DIR", ROOT / "runs" / "test"))
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TUTORIAL_RUN_DIR": str(run_dir)}
    procs = {}
    start = time.perf_counter()
    for name, paths in groups().items():
        group_env = dict(env)
        if name == "other" and "OMP_NUM_THREADS" not in env:
            group_env["OMP_NUM_THREADS"] = "1"  # the lesson's training keeps the other core
        log = open(run_dir / f"{name}.log", "w")  # noqa: SIM115 - closed below
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *paths, *extra]
        lower = (lambda: os.nice(19)) if name == "other" and hasattr(os, "nice") else None
        procs[name] = (subprocess.Popen(cmd, cwd=ROOT, env=group_env, stdout=log, stderr=subprocess.STDOUT,
                                        preexec_fn=lower), log)
        print(f"[{name}] pytest {' '.join(paths[:3])}{' ...' if len(paths) > 3 else ''} -> {log.name}", flush=True)
    failed = []
    for name, (proc, log) in procs.items():
        code = proc.wait()
        log.close()
        summary = Path(log.name).read_text().strip().splitlines()[-1] if Path(log.name).stat().st_size else ""
        print(f"[{name}] {summary}", flush=True)
        if code != 0:
            failed.append(name)
    for name in failed:
        print(f"\n======== {name}: {procs[name][1].name} ========\n{Path(procs[name][1].name).read_text()}")
    print(f"all tests: {'FAILED (' + ', '.join(failed) + ')' if failed else 'passed'} "
          f"in {time.perf_counter() - start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`make test`: every test, as four pytest processes, one thread each, started as soon as what they need exists.

1. ``trained``: notebooks 03 and 04, which train the lesson's model and build its index in the run folder;
2. ``other`` (at once, beside it): the unit tests and the notebooks that need no trained model (01, 02 and
   their solutions, and the solutions of 09, which read only the shipped self-supervised model);
3. ``lesson`` and ``solutions`` (when ``trained`` has passed): notebooks 05-08; notebook 09 and every other
   solution notebook from 03 on (09 goes there so that the two take about as long). They only read the model
   and the index.

Why one thread each: on this 2-core machine two threads train only 1.45x faster than one, and two processes of
two threads each stall each other (a thread that waits for its partner holds its core). Four one-thread
processes keep both cores busy: 267-295 s of pytest on fresh clones, where two processes took 357-383 s (before notebook 09).

Together they are what ``python -m pytest`` runs one after the other (that still works, and is what to use on
Windows), less the browser tests of ``tests/browser``, which ``make test-browser`` runs. Each process writes its
output to ``runs/test/<group>.log``; the script prints one line per finished process, then the log of any that
failed, and exits non-zero if one did.

    .venv/bin/python scripts/run_tests.py            # what make test runs
    .venv/bin/python scripts/run_tests.py -- -x      # extra arguments go to every pytest process
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL_FREE = ("01_", "02_")  # notebooks that build no model, or only untrained ones
FREE_SOLUTIONS = ("09_",)  # solutions that read only shipped files (data/pretrained), not the lesson's model
TRAINS = ("03_", "04_")  # write the model and the index that every later notebook reads
LATE = ("09_",)  # run with the solutions, so that the two last processes take about as long
NEEDS = {"trained": (), "other": (), "lesson": ("trained",), "solutions": ("trained",)}


def groups() -> dict[str, list[str]]:
    """The test paths of each process, each list in the order pytest would collect them."""
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    solutions = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
    rel = lambda paths: [p.relative_to(ROOT).as_posix() for p in paths]  # noqa: E731
    free = lambda p: p.name.startswith(MODEL_FREE) or (p.parent.name == "solutions" and p.name.startswith(FREE_SOLUTIONS))  # noqa: E731
    return {
        "trained": rel([p for p in notebooks if p.name.startswith(TRAINS)]),
        "other": ["tests", *rel([p for p in notebooks + solutions if free(p)])],
        "lesson": rel([p for p in notebooks if not free(p) and not p.name.startswith(TRAINS + LATE)]),
        "solutions": rel([p for p in notebooks if p.name.startswith(LATE)] + [p for p in solutions if not free(p)]),
    }


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    run_dir = Path(os.environ.get("TUTORIAL_RUN_DIR", ROOT / "runs" / "test"))
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TUTORIAL_RUN_DIR": str(run_dir)}
    env.setdefault("OMP_NUM_THREADS", "1")  # see the module docstring; an explicit setting wins
    paths = groups()
    running: dict[str, tuple[subprocess.Popen, Path]] = {}
    codes: dict[str, int | str] = {}
    start = time.perf_counter()

    def launch(name: str) -> None:
        log = run_dir / f"{name}.log"
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *paths[name], *extra]
        if name == "other":
            cmd.append("--ignore=tests/browser")  # a real browser and JupyterLab: `make test-browser`
        with open(log, "w") as out:
            running[name] = (subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT), log)
        shown = " ".join(paths[name][:3]) + (" ..." if len(paths[name]) > 3 else "")
        print(f"[{name}] pytest {shown} -> {log}", flush=True)

    while len(codes) < len(NEEDS):
        for name, needs in NEEDS.items():
            if name in running or name in codes:
                continue
            if any(codes.get(n) not in (None, 0) for n in needs):
                codes[name] = "not run"
                print(f"[{name}] not run: {', '.join(needs)} failed", flush=True)
            elif all(codes.get(n) == 0 for n in needs):
                launch(name)
        for name, (proc, log) in list(running.items()):
            if proc.poll() is not None:
                codes[name] = proc.returncode
                del running[name]
                lines = log.read_text().strip().splitlines()
                print(f"[{name}] {lines[-1] if lines else f'exit code {proc.returncode}'}  "
                      f"(at {time.perf_counter() - start:.0f} s)", flush=True)
        time.sleep(0.2)

    failed = [name for name, code in codes.items() if code != 0]
    for name in failed:
        log = run_dir / f"{name}.log"
        if codes[name] != "not run" and log.is_file():
            print(f"\n======== {name}: {log} ========\n{log.read_text()}")
    print(f"all tests: {'FAILED (' + ', '.join(failed) + ')' if failed else 'passed'} "
          f"in {time.perf_counter() - start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

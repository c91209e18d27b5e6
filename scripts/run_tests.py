"""`make test`: every test, as four pytest processes of one thread each, all started at once.

No test waits for another: notebook 03 trains its own model, while notebooks 04-09 and their solutions compute
from the shipped reference model (``data/pretrained/autoencoder.pt``). So the test paths (each unit-test file and
each notebook) are dealt out to four groups by their expected time, longest first, and each group runs in its
own run folder (``<run dir>/<group>``): two groups never write the same model or index.

Why one thread each: on a 2-core machine two threads train only about 1.45x faster than one, and two processes
of two threads each stall each other (a thread that waits for its partner holds its core). Four one-thread
processes keep both cores busy.

Together they are what ``python -m pytest`` runs one after the other (that still works, and is what to use on
Windows), less the browser tests of ``tests/browser``, which ``make test-browser`` runs. Each process writes its
output to ``<run dir>/<group>.log``; the script prints one line per finished process, then the log of any that
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
GROUPS = 4
# rough seconds of each test path on one core (half its pytest --durations in make test's four processes), only to
# balance the groups; a path not listed counts DEFAULT_SECONDS of its kind
EXPECTED_SECONDS = {
    "tests/scale/test_distributed.py": 18,
    "tests/test_tolerance_catches_bugs.py": 18,
    "tests/test_layout.py": 8,
    "tests/test_run_lesson.py": 3,
    "tests/test_nbval_tolerance.py": 5,
    "tests/evaluation/test_ranking.py": 3,
    "tests/scale/test_backends.py": 3,
    "tests/test_cli.py": 3,
    "tests/test_project.py": 6,
    "notebooks/01_dataset.ipynb": 7,
    "notebooks/02_encoder_decoder.ipynb": 4,
    "notebooks/03_training.ipynb": 71,
    "notebooks/04_embeddings.ipynb": 13,
    "notebooks/05_knn_search.ipynb": 12,
    "notebooks/06_evaluation.ipynb": 41,
    "notebooks/07_beyond_autoencoders.ipynb": 32,
    "notebooks/08_scaling_up.ipynb": 26,
    "notebooks/09_self_supervised.ipynb": 57,
    "notebooks/solutions/01_dataset_solutions.ipynb": 6,
    "notebooks/solutions/02_encoder_decoder_solutions.ipynb": 3,
    "notebooks/solutions/03_training_solutions.ipynb": 28,
    "notebooks/solutions/04_embeddings_solutions.ipynb": 12,
    "notebooks/solutions/05_knn_search_solutions.ipynb": 10,
    "notebooks/solutions/06_evaluation_solutions.ipynb": 13,
    "notebooks/solutions/07_beyond_autoencoders_solutions.ipynb": 13,
    "notebooks/solutions/08_scaling_up_solutions.ipynb": 8,
    "notebooks/solutions/09_self_supervised_solutions.ipynb": 24,
}
DEFAULT_SECONDS = {".py": 2, ".ipynb": 20}


def expected(path: str) -> float:
    return EXPECTED_SECONDS.get(path, DEFAULT_SECONDS[Path(path).suffix])


def groups() -> dict[str, list[str]]:
    """The test paths of each process: every unit-test file and every notebook, dealt out longest first to the
    least loaded group, each list in the order pytest would collect them (tests, notebooks, solutions)."""
    tests = sorted(p for p in (ROOT / "tests").rglob("test_*.py") if "browser" not in p.parts)  # make test-browser
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    solutions = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
    paths = [p.relative_to(ROOT).as_posix() for p in tests + notebooks + solutions]
    load = {f"group-{i + 1}": 0.0 for i in range(GROUPS)}
    dealt: dict[str, list[str]] = {name: [] for name in load}
    for path in sorted(paths, key=lambda p: -expected(p)):
        name = min(load, key=lambda n: (load[n], n))
        dealt[name].append(path)
        load[name] += expected(path)
    return {name: sorted(chosen, key=paths.index) for name, chosen in dealt.items()}


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    run_dir = Path(os.environ.get("TUTORIAL_RUN_DIR", ROOT / "runs" / "test"))
    run_dir.mkdir(parents=True, exist_ok=True)
    running: dict[str, tuple[subprocess.Popen, Path]] = {}
    codes: dict[str, int] = {}
    start = time.perf_counter()
    for name, paths in groups().items():
        env = {**os.environ, "TUTORIAL_RUN_DIR": str(run_dir / name)}
        env.setdefault("OMP_NUM_THREADS", "1")  # see the module docstring; an explicit setting wins
        log = run_dir / f"{name}.log"
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *paths, *extra]
        with open(log, "w") as out:
            running[name] = (subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT), log)
        shown = " ".join(paths[:3]) + (" ..." if len(paths) > 3 else "")
        print(f"[{name}] pytest {shown} -> {log}", flush=True)

    while running:
        for name, (proc, log) in list(running.items()):
            if proc.poll() is not None:
                codes[name] = proc.returncode
                del running[name]
                lines = log.read_text().strip().splitlines()
                print(
                    f"[{name}] {lines[-1] if lines else f'exit code {proc.returncode}'}  "
                    f"(at {time.perf_counter() - start:.0f} s)",
                    flush=True,
                )
        time.sleep(0.2)

    failed = [name for name, code in codes.items() if code != 0]
    for name in failed:
        print(f"\n======== {name}: {run_dir / f'{name}.log'} ========\n{(run_dir / f'{name}.log').read_text()}")
    print(
        f"all tests: {'FAILED (' + ', '.join(failed) + ')' if failed else 'passed'} "
        f"in {time.perf_counter() - start:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

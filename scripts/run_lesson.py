"""`make run`: execute every lesson notebook, each in a fresh kernel, into one output folder.

No notebook waits for another: notebook 03 trains the lesson's model into the run folder, while 04-09 compute
from the shipped reference model (``data/pretrained/autoencoder.pt``, the same recipe trained once), each
building the index it needs when it is missing. So they all run two at a time, one thread each, longest first:
on a 2-core CPU two one-thread kernels get more done than one kernel with two threads. "Longest" is what the
notebook took when its stored outputs were last made: ``--update-stored`` records the seconds it measures in
the notebook's metadata (``tutorial.seconds``), so there is no table of times to keep by hand.

Writes RUN_DIR/notebooks/NN_name.ipynb (executed) and .html, plus the checkpoints, index and PNG figures
that the notebooks save into RUN_DIR, then prints a summary. With --update-stored, the executed outputs
(solutions included) are written back into notebooks/ instead: that is how the committed outputs are made.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

from tutorial_utils.paths import (
    BEST_CHECKPOINT,
    HISTORY_FILE,
    INDEX_FILE,
    LAST_CHECKPOINT,
    lesson_notebooks,
    solution_notebooks,
)

ROOT = Path(__file__).resolve().parents[1]


def recorded_seconds(path: Path) -> float:
    """The seconds ``path`` took when its stored outputs were made (0 when it was never timed)."""
    return float(json.loads(path.read_text(encoding="utf-8"))["metadata"].get("tutorial", {}).get("seconds", 0))


@dataclass
class CellTime:
    """How long one code cell ran, from the kernel's own timestamps (start of execution to its reply)."""

    seconds: float
    notebook: str
    cell_id: str
    first_line: str


@dataclass
class Run:
    """One executed notebook: its seconds in all (kernel start and shutdown included) and each code cell's."""

    seconds: float
    cells: list[CellTime] = field(default_factory=list)

    @property
    def outside_cells(self) -> float:
        """Seconds spent outside the cells: mostly starting the kernel and stopping it."""
        return self.seconds - sum(c.seconds for c in self.cells)


def take_cell_times(nb: nbformat.NotebookNode, notebook: str) -> list[CellTime]:
    """Each code cell's seconds from the timestamps nbclient records, which are then removed from ``nb`` (a stored
    notebook keeps no timestamps, so a re-run gives no diff)."""
    times = []
    for cell in nb.cells:
        stamps = cell.metadata.pop("execution", None)
        if cell.cell_type != "code" or not stamps:
            continue
        start, end = (
            datetime.fromisoformat(stamps[k].replace("Z", "+00:00"))
            for k in ("iopub.execute_input", "shell.execute_reply")
        )
        line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        times.append(CellTime((end - start).total_seconds(), notebook, cell.get("id", "?"), line[:60]))
    return times


def execute(path: Path, log: Path, timeout: int = 900) -> tuple[nbformat.NotebookNode, Run]:
    """Run one notebook top to bottom in a fresh kernel; return it with its outputs and how long it and each of its
    code cells took.

    The kernel's own console chatter (a transport warning at start, a KeyboardInterrupt line at shutdown)
    goes to ``log``, not to the terminal; it is printed only when the notebook fails. Errors raised by a
    cell stop the run with the cell and its traceback, as before.
    """
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # older ipykernels print a debugger warning otherwise
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=True,  # read into the Run, then removed by take_cell_times
        resources={"metadata": {"path": str(path.parent)}},
    )
    with log.open("w") as sink:
        try:
            client.execute(stdout=sink, stderr=sink)
        except Exception as err:
            sink.flush()
            kind = "a cell raised an error" if isinstance(err, CellExecutionError) else "the kernel failed"
            print(f"{path.name}: {kind}; kernel log {log}:\n{log.read_text()}", file=sys.stderr)
            raise
    seconds = time.perf_counter() - start
    return nb, Run(seconds, take_cell_times(nb, path.name))


def _one_thread() -> None:
    """Worker set-up: the kernels it starts use one thread (unless the user chose a number)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def _run_one(path: Path, out: Path, update_stored: bool, html: bool) -> Run:
    """Execute ``path``, then write it back (``update_stored``, with the seconds it took) or into ``out`` with its
    HTML page; the worker does the writing, so the pages are made side by side too. Returns its timings."""
    print(f"running {path.relative_to(ROOT)} ...", flush=True)
    nb, run = execute(path, out / f"{path.stem}.kernel.log")
    if update_stored:
        nb.metadata.setdefault("tutorial", {})["seconds"] = round(run.seconds)
        nbformat.write(nb, path)
        return run
    nbformat.write(nb, out / path.name)
    if html:
        page, _ = HTMLExporter().from_notebook_node(nb)
        (out / path.with_suffix(".html").name).write_text(page, encoding="utf-8")
    return run


def execute_all(
    paths: list[Path], out: Path, jobs: int = 2, update_stored: bool = False, html: bool = True
) -> dict[Path, Run]:
    """Run ``paths`` ``jobs`` at a time, the longest (by :func:`recorded_seconds`) first; side by side, each kernel
    gets one thread (unless the user set ``OMP_NUM_THREADS``); one at a time, every core. Returns their timings."""
    ordered = sorted(paths, key=lambda p: -recorded_seconds(p))
    if jobs > 1 and len(ordered) > 1 and (os.cpu_count() or 1) > 1:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_one_thread) as pool:
            futures = {p: pool.submit(_run_one, p, out, update_stored, html) for p in ordered}
            return {p: f.result() for p, f in futures.items()}
    return {p: _run_one(p, out, update_stored, html) for p in ordered}


def where_the_seconds_go(runs: dict[Path, Run], slowest: int) -> str:
    """The ``slowest`` cells of all the runs, then the seconds spent outside the cells, all notebooks together
    (kernels starting and stopping)."""
    cells = sorted((c for r in runs.values() for c in r.cells), key=lambda c: -c.seconds)
    total = sum(r.seconds for r in runs.values())
    lines = [f"\nthe {min(slowest, len(cells))} slowest cells, of {total:.0f} s of notebooks in all:"]
    lines += [f"  {c.seconds:6.1f} s  {c.notebook} {c.cell_id}: {c.first_line}" for c in cells[:slowest]]
    outside = sum(r.outside_cells for r in runs.values())
    notebooks = f"{len(runs)} notebook" + ("s" if len(runs) != 1 else "")
    lines.append(f"outside the cells (kernels starting and stopping, {notebooks}): {outside:.0f} s")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, default=ROOT / "runs" / "lesson")
    parser.add_argument(
        "--update-stored",
        action="store_true",
        help="write outputs back into notebooks/ (lesson and solutions) instead of RUN_DIR",
    )
    parser.add_argument("--with-solutions", action="store_true", help="run the solution notebooks too")
    parser.add_argument("--no-html", action="store_true", help="write only the executed .ipynb files")
    parser.add_argument("--only", metavar="GLOB", help="run only the notebooks whose file name matches (e.g. '05_*')")
    parser.add_argument("--notebooks", nargs="+", type=Path, metavar="PATH", help="run exactly these notebooks")
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        choices=(1, 2),
        help="notebooks side by side (default 2, one thread each); 1: one after the other",
    )
    parser.add_argument(
        "--slowest", type=int, default=0, metavar="N", help="then list the N slowest cells, to see where the time goes"
    )
    args = parser.parse_args()
    run_dir = args.run_dir.resolve()
    os.environ["TUTORIAL_RUN_DIR"] = str(run_dir)  # the kernels inherit it: every notebook shares this run
    if not (args.only or args.notebooks):
        for stale in (BEST_CHECKPOINT, LAST_CHECKPOINT, HISTORY_FILE, INDEX_FILE):
            (run_dir / stale).unlink(missing_ok=True)  # start clean, so the run repeats the lesson exactly
    paths = lesson_notebooks()
    if args.update_stored or args.with_solutions:
        paths += solution_notebooks()
    if args.only:
        paths = [p for p in paths if p.match(args.only)]
    if args.notebooks:
        paths = [(ROOT / p).resolve() if not p.is_absolute() else p for p in args.notebooks]
    out = run_dir / "notebooks"
    out.mkdir(parents=True, exist_ok=True)
    total_start = time.perf_counter()
    results = execute_all(paths, out, args.jobs, args.update_stored, not args.no_html)
    total = time.perf_counter() - total_start

    print(f"\nLesson finished: {len(paths)} notebooks in {total:.0f} s")
    for path in paths:
        print(f"  {results[path].seconds:6.1f} s  {path.relative_to(ROOT).as_posix()}")
    if args.slowest:
        print(where_the_seconds_go(results, args.slowest))
    history = run_dir / HISTORY_FILE
    if history.is_file():
        h = json.loads(history.read_text())["history"]
        print(
            f"autoencoder: {len(h['val_loss'])} epochs, best validation MSE {h['best_val_loss']:.4f} "
            f"(epoch {h['best_epoch']})"
        )
    where = "notebooks/ (stored outputs updated)" if args.update_stored else f"{out} (.ipynb and .html)"
    print(f"executed notebooks: {where}")
    print(f"figures, checkpoints and index: {run_dir}")
    for png in sorted(run_dir.glob("*.png")):
        print(f"  {png.name}")


if __name__ == "__main__":
    sys.exit(main())

"""Re-run the notebooks under conditions that change float results on one machine, and compare with the stored outputs.

Float results depend on the thread count and on the CPU kernels that oneDNN, ATen, MKL and OpenBLAS pick.
A learner's laptop differs from the machine that stored the outputs in exactly these ways, so this script
imitates it on one machine with environment variables:

    measure  execute every notebook (lessons and solutions) under each condition, then report, cell by cell,
             whether the outputs are identical, differ only in numbers (largest absolute and relative spread),
             or differ in words; and whether each cell passes its tolerance tag (tests/nbval_tolerance.py).
             The tolerances are set from the largest spreads this prints.
    pytest   run the notebook tests (nbval, with the tolerance extension) under one condition: what CI runs.

    .venv/bin/python scripts/check_portability.py measure --conditions threads-1 onednn-sse41
    .venv/bin/python scripts/check_portability.py pytest --condition threads-1+sse41
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.nbval_tolerance import cell_tolerance, compare_text, number_spread  # noqa: E402

CONDITIONS: dict[str, dict[str, str]] = {
    "threads-1": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    "onednn-sse41": {"ONEDNN_MAX_CPU_ISA": "SSE41"},
    "onednn-avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},  # differs from the default only on AVX-512 machines
    "threads-1+sse41": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "ONEDNN_MAX_CPU_ISA": "SSE41"},
    # every vectorised kernel family pushed to an older instruction set at once
    "generic-kernels": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
                        "OPENBLAS_CORETYPE": "Nehalem", "ONEDNN_MAX_CPU_ISA": "AVX"},
}
OUT = ROOT / "runs" / "portability"


def _sanitizer():
    """The replacements of notebooks/sanitize.cfg, as nbval applies them."""
    text = (ROOT / "notebooks" / "sanitize.cfg").read_text()
    pairs = re.findall(r"^regex: (.*)$\n^replace: (.*)$", text, flags=re.MULTILINE)

    def sanitize(s: str) -> str:
        for regex, replace in pairs:
            s = re.sub(regex, replace, s)
        return s
    return sanitize


def cell_texts(cell) -> list[tuple[str, str]]:
    """The text outputs nbval compares: streams merged by name, then text/plain|markdown|html of rich outputs."""
    streams: dict[str, str] = {}
    texts: list[tuple[str, str]] = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            streams[out["name"]] = streams.get(out["name"], "") + out["text"]
        elif "data" in out:
            texts += [(key, out["data"][key]) for key in ("text/plain", "text/markdown", "text/html")
                      if key in out["data"] and "image/png" not in out["data"]]
    return [(name, text) for name, text in streams.items()] + texts


def compare_notebook(stored_path: Path, run_path: Path, sanitize) -> list[dict]:
    """One row per code cell with output: its tag, and how the run's text differs from the stored text."""
    import nbformat

    stored = [c for c in nbformat.read(stored_path, as_version=4).cells if c.cell_type == "code"]
    run = [c for c in nbformat.read(run_path, as_version=4).cells if c.cell_type == "code"]
    rows = []
    for i, (a, b) in enumerate(zip(stored, run)):
        if "NBVAL_IGNORE_OUTPUT" in a.source or not cell_texts(a):
            continue
        tags = list(a.metadata.get("tags", []))
        tol = cell_tolerance(tags)
        ta, tb = cell_texts(a), cell_texts(b)
        row = {"notebook": stored_path.relative_to(ROOT).as_posix(), "cell": i,
               "tag": next((t for t in tags if t.startswith("tolerance-")), "exact")}
        if [k for k, _ in ta] != [k for k, _ in tb]:
            row.update(status="structure", detail=f"outputs {[k for k, _ in ta]} vs {[k for k, _ in tb]}", passes=False)
            rows.append(row)
            continue
        abs_spread = rel_spread = 0.0
        problem = None
        for (_, x), (_, y) in zip(ta, tb):
            x, y = sanitize(x), sanitize(y)
            if x == y:
                continue
            spread = number_spread(x, y)
            if isinstance(spread, str):
                problem = spread
                break
            abs_spread, rel_spread = max(abs_spread, spread[0]), max(rel_spread, spread[1])
        passes = all(sanitize(x) == sanitize(y) or (tol is not None and compare_text(sanitize(x), sanitize(y), tol) is None)
                     for (_, x), (_, y) in zip(ta, tb))
        if problem:
            row.update(status="words", detail=problem, passes=passes)
        elif abs_spread == rel_spread == 0.0:
            row.update(status="identical", passes=True)
        else:
            row.update(status="numbers", abs=abs_spread, rel=rel_spread, passes=passes)
        rows.append(row)
    return rows


def measure(conditions: list[str]) -> int:
    """Execute all notebooks under each condition and print the per-cell comparison with the stored outputs."""
    sanitize = _sanitizer()
    report: dict[str, list[dict]] = {}
    for name in conditions:
        run_dir = OUT / name
        env = {**os.environ, **CONDITIONS[name], "TUTORIAL_DEVICE": "cpu"}
        print(f"== {name}: {' '.join(f'{k}={v}' for k, v in CONDITIONS[name].items())}", flush=True)
        subprocess.run([sys.executable, str(ROOT / "scripts" / "run_lesson.py"), "--run-dir", str(run_dir),
                        "--with-solutions", "--no-html"], env=env, check=True)
        rows = []
        for stored in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + \
                sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb")):
            rows += compare_notebook(stored, run_dir / "notebooks" / stored.name, sanitize)
        report[name] = rows
    print_report(report)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.json").write_text(json.dumps(report, indent=1))
    print(f"\nfull report: {(OUT / 'report.json').relative_to(ROOT)}")
    return 0 if all(r["passes"] for rows in report.values() for r in rows) else 1


def print_report(report: dict[str, list[dict]]) -> None:
    """Cells that moved under any condition, then the largest spread per tolerance tag."""
    print("\ncells whose output moved (stored vs this condition):")
    print(f"{'condition':<16} {'notebook':<50} {'cell':>4}  {'tag':<20} {'abs':>9} {'rel':>8}  result")
    worst: dict[str, tuple[float, float]] = {}
    for name, rows in report.items():
        for r in rows:
            if r["status"] == "identical":
                continue
            spread = f"{r.get('abs', 0):9.2g} {r.get('rel', 0):8.2%}" if r["status"] == "numbers" else f"{'-':>9} {'-':>8}"
            verdict = "passes" if r["passes"] else f"FAILS ({r['status']}: {r.get('detail', 'numbers out of tolerance')})"
            print(f"{name:<16} {r['notebook']:<50} {r['cell']:>4}  {r['tag']:<20} {spread}  {verdict}")
            if r["status"] == "numbers":
                a, b = worst.get(r["tag"], (0.0, 0.0))
                worst[r["tag"]] = (max(a, r["abs"]), max(b, r["rel"]))
    print("\nlargest spread per tag:")
    for tag, (a, b) in sorted(worst.items()):
        print(f"  {tag:<20} abs {a:.3g}  rel {b:.2%}")
    for name, rows in report.items():
        counts = {s: sum(r["status"] == s for r in rows) for s in ("identical", "numbers", "words", "structure")}
        print(f"{name}: {len(rows)} cells with text output: " + ", ".join(f"{v} {k}" for k, v in counts.items())
              + f"; {sum(not r['passes'] for r in rows)} would fail")


def run_pytest(condition: str, extra: list[str]) -> int:
    """The notebook tests (nbval + tolerance) under one condition, in their own run folder."""
    env = {**os.environ, **CONDITIONS[condition], "TUTORIAL_RUN_DIR": str(OUT / f"pytest-{condition}")}
    print(f"notebook tests under {condition}: {' '.join(f'{k}={v}' for k, v in CONDITIONS[condition].items())}",
          flush=True)
    return subprocess.run([sys.executable, "-m", "pytest", "notebooks", *extra], cwd=ROOT, env=env).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure", help="execute all notebooks per condition and report the spreads")
    m.add_argument("--conditions", nargs="+", choices=sorted(CONDITIONS), default=["threads-1", "onednn-sse41"])
    p = sub.add_parser("pytest", help="run the notebook tests under one condition")
    p.add_argument("--condition", choices=sorted(CONDITIONS), default="threads-1+sse41")
    args, extra = parser.parse_known_args()
    if args.command == "measure":
        return measure(args.conditions)
    return run_pytest(args.condition, extra)


if __name__ == "__main__":
    sys.exit(main())

"""Re-run the notebooks under conditions that change float results on one machine, and compare with the stored outputs.

Float results depend on the thread count and on the CPU kernels that oneDNN, ATen, MKL and OpenBLAS pick.
A learner's laptop differs from the machine that stored the outputs in exactly these ways, so this script
imitates it on one machine with environment variables:

    audit    execute every notebook and solution under the four conditions of AUDIT (make test's own process
             layout; one notebook at a time with 2 threads; 1 thread with oneDNN limited to SSE4.1; generic
             kernels), then report each compared cell as identical, within tolerance (its spread as a fraction
             of the tolerance) or failing, and check the margin rule: no tagged cell uses more than half its
             tolerance. Writes notebooks/stability.json and notebooks/stability.md.
    measure  the same comparison for any conditions of CONDITIONS, notebooks two at a time.
    pytest   run the notebook tests (nbval, with the tolerance extension) under one condition: what CI runs.

    .venv/bin/python -m scripts.check_portability audit
    .venv/bin/python -m scripts.check_portability measure --conditions threads-1 onednn-sse41
    .venv/bin/python -m scripts.check_portability pytest --condition threads-1+sse41

It runs as a module from the repository root, where it finds the tolerance rules of the tests (``tests``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.nbval_tolerance import cell_tolerance, compare_text, number_spread, tolerance_fraction
from tutorial_utils.paths import lesson_notebooks, solution_notebooks

ROOT = Path(__file__).resolve().parents[1]

CONDITIONS: dict[str, dict[str, str]] = {
    "threads-1": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    "onednn-sse41": {"ONEDNN_MAX_CPU_ISA": "SSE41"},
    "onednn-avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},  # differs from the default only on AVX-512 machines
    "threads-1+sse41": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "ONEDNN_MAX_CPU_ISA": "SSE41"},
    # every vectorised kernel family pushed to an older instruction set at once
    "generic-kernels": {
        "ATEN_CPU_CAPABILITY": "default",
        "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
        "OPENBLAS_CORETYPE": "Nehalem",
        "ONEDNN_MAX_CPU_ISA": "AVX",
    },
}
OUT = ROOT / "runs" / "portability"
MARGIN = 0.5  # a tagged cell may use at most this fraction of its tolerance under any condition
# (name, environment, layout): "workers" = make test's pytest-xdist workers, WORKERS one-thread processes at once,
# each in its own run folder; "sequential" = one notebook after the other; "pairs" = two at a time, one thread
# each (make run)
WORKERS = 4
AUDIT: list[tuple[str, dict[str, str], str]] = [
    ("make-test-layout", {"OMP_NUM_THREADS": "1"}, "workers"),
    ("sequential-2-threads", {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}, "sequential"),
    ("threads-1+sse41", CONDITIONS["threads-1+sse41"], "pairs"),
    ("generic-kernels", CONDITIONS["generic-kernels"], "pairs"),
]


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
            texts += [
                (key, out["data"][key])
                for key in ("text/plain", "text/markdown", "text/html")
                if key in out["data"] and "image/png" not in out["data"]
            ]
    return [(name, text) for name, text in streams.items()] + texts


def compare_notebook(stored_path: Path, run_path: Path, sanitize) -> list[dict]:
    """One row per code cell: how nbval compares it (exact, tolerance-<class>, ignored) and how the run's
    text differs from the stored text (identical, numbers with their spreads, words, structure)."""
    import nbformat

    stored = [c for c in nbformat.read(stored_path, as_version=4).cells if c.cell_type == "code"]
    run = [c for c in nbformat.read(run_path, as_version=4).cells if c.cell_type == "code"]
    if len(stored) != len(run):
        raise ValueError(f"{run_path}: {len(run)} code cells, the stored notebook has {len(stored)}")
    rows = []
    for i, (a, b) in enumerate(zip(stored, run, strict=True)):
        tags = list(a.metadata.get("tags", []))
        tol = cell_tolerance(tags)
        row = {
            "notebook": stored_path.relative_to(ROOT).as_posix(),
            "cell": i,
            "tag": next((t for t in tags if t.startswith("tolerance-")), "exact"),
        }
        if "nbval-ignore-output" in tags or "NBVAL_IGNORE_OUTPUT" in a.source:  # nbval honours both
            rows.append({**row, "tag": "ignored", "status": "ignored", "passes": True})
            continue
        ta, tb = cell_texts(a), cell_texts(b)
        if [k for k, _ in ta] != [k for k, _ in tb]:
            rows.append(
                {
                    **row,
                    "status": "structure",
                    "passes": False,
                    "detail": f"outputs {[k for k, _ in ta]} vs {[k for k, _ in tb]}",
                }
            )
            continue
        pairs = [(sanitize(x), sanitize(y)) for (_, x), (_, y) in zip(ta, tb, strict=True)]
        moved = [(x, y) for x, y in pairs if x != y]
        if not moved:
            rows.append({**row, "status": "identical", "passes": True, "fraction": 0.0})
            continue
        spreads = [number_spread(x, y) for x, y in moved]
        words = next((sp for sp in spreads if isinstance(sp, str)), None)
        if words is not None:
            rows.append({**row, "status": "words", "detail": words, "passes": False})
            continue
        row.update(status="numbers", abs=max(sp[0] for sp in spreads), rel=max(sp[1] for sp in spreads))
        if tol is None:
            rows.append({**row, "passes": False, "detail": "numbers moved in an exactly compared cell"})
            continue
        reasons = [why for x, y in moved if (why := compare_text(x, y, tol)) is not None]
        row.update(fraction=max(tolerance_fraction(x, y, tol) for x, y in moved), passes=not reasons)
        if reasons:
            row["detail"] = reasons[0]
        rows.append(row)
    return rows


def _notebooks() -> list[Path]:
    return lesson_notebooks() + solution_notebooks()


def _execute(name: str, extra_env: dict[str, str], layout: str) -> Path:
    """Execute every notebook and solution under one condition into OUT/name; return that folder."""
    import shutil
    import time

    run_dir = OUT / name
    shutil.rmtree(run_dir, ignore_errors=True)
    env = {**os.environ, **extra_env, "TUTORIAL_DEVICE": "cpu"}
    lesson = [sys.executable, str(ROOT / "scripts" / "run_lesson.py"), "--no-html"]
    rel = [p.relative_to(ROOT).as_posix() for p in _notebooks()]
    if layout == "workers":
        commands = [
            [*lesson, "--run-dir", str(run_dir / f"gw{i}"), "--jobs", "1", "--notebooks", *rel[i::WORKERS]]
            for i in range(WORKERS)
        ]
    else:
        commands = [
            [*lesson, "--run-dir", str(run_dir), "--jobs", "1" if layout == "sequential" else "2", "--notebooks", *rel]
        ]
    print(f"== {name} ({layout}): {' '.join(f'{k}={v}' for k, v in extra_env.items())}", flush=True)
    start = time.perf_counter()
    procs = [subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL) for cmd in commands]
    if any([proc.wait() != 0 for proc in procs]):
        raise RuntimeError(f"{name}: a notebook failed to execute (see the kernel logs under {run_dir})")
    print(f"   executed in {time.perf_counter() - start:.0f} s", flush=True)
    return run_dir


def _compare_all(run_dir: Path) -> list[dict]:
    sanitize = _sanitizer()
    rows = []
    for stored in _notebooks():
        (executed,) = run_dir.rglob(f"notebooks/{stored.name}")
        rows += compare_notebook(stored, executed, sanitize)
    return rows


def measure(conditions: list[str]) -> int:
    """Execute all notebooks under each condition and print the per-cell comparison with the stored outputs."""
    report = {name: _compare_all(_execute(name, CONDITIONS[name], "pairs")) for name in conditions}
    print_report(report)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.json").write_text(json.dumps(report, indent=1))
    print(f"\nfull report: {(OUT / 'report.json').relative_to(ROOT)}")
    return 0 if all(r["passes"] for rows in report.values() for r in rows) else 1


def audit(names: list[str]) -> int:
    """The four conditions of AUDIT (or the named ones), the margin rule, and the committed report."""
    chosen = [c for c in AUDIT if c[0] in names]
    report = {name: _compare_all(_execute(name, env, layout)) for name, env, layout in chosen}
    print_report(report)
    text, ok = stability_markdown(report, {name: (env, layout) for name, env, layout in chosen})
    (ROOT / "notebooks" / "stability.json").write_text(json.dumps(report, indent=1) + "\n")
    (ROOT / "notebooks" / "stability.md").write_text(text)
    print(f"\nwritten: notebooks/stability.md, notebooks/stability.json; margin rule {'met' if ok else 'BROKEN'}")
    return 0 if ok else 1


LAYOUTS = {
    "workers": "`make test`'s pytest-xdist workers, all at once",
    "sequential": "one notebook at a time",
    "pairs": "two notebooks at a time, one thread each",
}


def stability_markdown(report: dict[str, list[dict]], how: dict[str, tuple[dict[str, str], str]]) -> tuple[str, bool]:
    """The committed report: the conditions, the counts, every tagged cell's worst fraction; and the verdict."""
    names = list(report)
    first = report[names[0]]
    tagged_rows = [i for i, r in enumerate(first) if r["tag"].startswith("tolerance-")]
    kinds = {k: sum(r["tag"] == k for r in first) for k in ("exact", "ignored")}
    lines = [
        "# Stability audit of the stored outputs",
        "",
        "Made by `python -m scripts.check_portability audit`: every notebook and solution executed under each",
        "condition on one machine, each code cell compared with its stored output by the rule nbval uses.",
        f"Margin rule: no `tolerance-` cell uses more than {MARGIN:.0%} of its tolerance under any condition.",
        "",
        "| condition | layout | environment |",
        "|---|---|---|",
    ]
    for name in names:
        env, layout = how[name]
        lines.append(f"| {name} | {LAYOUTS[layout]} | {' '.join(f'`{k}={v}`' for k, v in env.items())} |")
    lines += [
        "",
        f"**Cells:** {len(first)} code cells in {len({r['notebook'] for r in first})} notebooks: "
        f"{kinds['exact']} compared exactly, {len(tagged_rows)} with a tolerance, {kinds['ignored']} ignored.",
        "",
        "| condition | exact: identical | exact: failing | tolerance: identical | tolerance: within | "
        "tolerance: failing | largest fraction used |",
        "|---|---|---|---|---|---|---|",
    ]
    ok = True
    for name, rows in report.items():
        exact = [r for r in rows if r["tag"] == "exact"]
        tagged = [rows[i] for i in tagged_rows]
        worst = max((r.get("fraction", 0.0) for r in tagged if r["passes"]), default=0.0)
        lines.append(
            f"| {name} | {sum(r['status'] == 'identical' for r in exact)} | "
            f"{sum(not r['passes'] for r in exact)} | "
            f"{sum(r['status'] == 'identical' for r in tagged)} | "
            f"{sum(r['passes'] and r['status'] != 'identical' for r in tagged)} | "
            f"{sum(not r['passes'] for r in tagged)} | {worst:.2f} |"
        )
        ok = ok and all(r["passes"] for r in rows)
    lines += [
        "",
        "Each tagged cell, as the fraction of its tolerance it used (0 = identical to the stored output):",
        "",
        "| notebook | cell | tag | " + " | ".join(names) + " | largest | margin |",
        "|---|---|---|" + "---|" * len(names) + "---|---|",
    ]
    for i in tagged_rows:
        cells = [report[n][i] for n in names]
        shown = [f"{c['fraction']:.2f}" if c["passes"] else f"fails: {c.get('detail', c['status'])}" for c in cells]
        largest = max(c["fraction"] if c["passes"] else float("inf") for c in cells)
        ok = ok and largest <= MARGIN
        lines.append(
            f"| {first[i]['notebook']} | {first[i]['cell']} | {first[i]['tag']} | "
            + " | ".join(shown)
            + f" | {largest:.2f} | {'ok' if largest <= MARGIN else 'TOO CLOSE'} |"
        )
    failing = [(n, r) for n in names for r in report[n] if r["tag"] == "exact" and not r["passes"]]
    if failing:
        lines += ["", "Exactly compared cells that moved:", ""]
        lines += [f"- {n}: {r['notebook']} cell {r['cell']}: {r.get('detail', r['status'])}" for n, r in failing]
    lines += ["", f"Verdict: margin rule {'met' if ok else 'NOT met'}.", ""]
    return "\n".join(lines), ok


def print_report(report: dict[str, list[dict]]) -> None:
    """Cells that moved under any condition, then the largest spread per tolerance tag."""
    print("\ncells whose output moved (stored vs this condition):")
    print(f"{'condition':<16} {'notebook':<50} {'cell':>4}  {'tag':<20} {'abs':>9} {'rel':>8}  result")
    worst: dict[str, tuple[float, float]] = {}
    for name, rows in report.items():
        for r in rows:
            if r["status"] in ("identical", "ignored"):
                continue
            numbers = r["status"] == "numbers"
            spread = f"{r.get('abs', 0):9.2g} {r.get('rel', 0):8.2%}" if numbers else f"{'-':>9} {'-':>8}"
            why = r.get("detail", "numbers out of tolerance")
            verdict = "passes" if r["passes"] else f"FAILS ({r['status']}: {why})"
            print(f"{name:<16} {r['notebook']:<50} {r['cell']:>4}  {r['tag']:<20} {spread}  {verdict}")
            if r["status"] == "numbers":
                a, b = worst.get(r["tag"], (0.0, 0.0))
                worst[r["tag"]] = (max(a, r["abs"]), max(b, r["rel"]))
    print("\nlargest spread per tag:")
    for tag, (a, b) in sorted(worst.items()):
        print(f"  {tag:<20} abs {a:.3g}  rel {b:.2%}")
    for name, rows in report.items():
        kinds = ("identical", "numbers", "words", "structure", "ignored")
        counts = {s: sum(r["status"] == s for r in rows) for s in kinds}
        print(
            f"{name}: {len(rows)} code cells: "
            + ", ".join(f"{v} {k}" for k, v in counts.items())
            + f"; {sum(not r['passes'] for r in rows)} would fail"
        )


def run_pytest(condition: str, extra: list[str]) -> int:
    """The notebook tests (nbval + tolerance) under one condition, in their own run folder."""
    env = {**os.environ, **CONDITIONS[condition], "TUTORIAL_RUN_DIR": str(OUT / f"pytest-{condition}")}
    print(
        f"notebook tests under {condition}: {' '.join(f'{k}={v}' for k, v in CONDITIONS[condition].items())}",
        flush=True,
    )
    return subprocess.run([sys.executable, "-m", "pytest", "notebooks", *extra], cwd=ROOT, env=env).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("audit", help="the four audit conditions, the margin rule, notebooks/stability.md")
    a.add_argument("--only", nargs="+", choices=[c[0] for c in AUDIT], default=[c[0] for c in AUDIT])
    m = sub.add_parser("measure", help="execute all notebooks per condition and report the spreads")
    m.add_argument("--conditions", nargs="+", choices=sorted(CONDITIONS), default=["threads-1", "onednn-sse41"])
    p = sub.add_parser("pytest", help="run the notebook tests under one condition")
    p.add_argument("--condition", choices=sorted(CONDITIONS), default="threads-1+sse41")
    args, extra = parser.parse_known_args()
    if args.command == "audit":
        return audit(args.only)
    if args.command == "measure":
        return measure(args.conditions)
    return run_pytest(args.condition, extra)


if __name__ == "__main__":
    sys.exit(main())

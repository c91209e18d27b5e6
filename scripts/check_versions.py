"""Test the project on the other supported Pythons (`make test-versions`): 3.10, 3.12 and 3.13 beside .venv's 3.11.

For each Python, in turn:

1. find its interpreter (``python3.X`` on the PATH, else pyenv's ``versions/3.X.*``); one that is not installed
   is skipped with a message, and the run goes on with the others;
2. create or reuse the venv ``.venv-py3.X`` and install the project into it with the lesson, scale and test
   extras, constrained to the versions of ``requirements/lock.txt`` (the same lock as ``make``'s .venv; it gives
   each Python the newest release that supports it where the .venv's version does not);
3. run the unit tests (``tests``, less the browser tests) in two pytest-xdist workers, without nbval, with
   Python's warnings shown (``-W default``: a DeprecationWarning is printed, not hidden);
4. run three notebooks under nbval against their stored outputs: 01 and 02 (data and model) and 05 (search with the
   shipped reference model). They take about half a minute; the others, which train or time things, stay with
   ``make test``.

The course tools (the browser and course extras: Playwright, nbgrader, Jupyter Book) are not installed: the unit
tests that use them are the browser tests, left out here, and the course kit's own checks (``make test-course``),
which build with those tools on .venv's Python; installing them on three more Pythons would add a few minutes and
test no code of ours. The FAISS backend (the scale extra) is installed: its wheels are built per Python.

Everything runs with one thread per process (``OMP_NUM_THREADS=1``), in ``runs/versions/py3.X`` (the unit tests in
``unit/``, the notebooks in ``notebooks/``), and the log of each step is ``runs/versions/py3.X/<step>.log``. At the
end a table gives each Python's install, unit-test and notebook times, how much pip downloaded (what the network
interfaces received meanwhile) and the venv's size; it is also written to ``runs/versions/summary.json``.

PyTorch comes from PyPI as the CUDA build (a venv of about 6 GB with its NVIDIA libraries). On the machine this was
written on, an install downloaded about 1.1 GB per Python and took 90-120 s (the NVIDIA wheels came from a local
mirror, and the registry sent nothing pip's cache would keep); elsewhere the first install may download a few GB,
which pip's cache then keeps. An existing venv is reused.

    python3 scripts/check_versions.py                   # 3.10, 3.12 and 3.13 (what make test-versions runs)
    python3 scripts/check_versions.py 3.12              # one Python
    python3 scripts/check_versions.py --fresh           # remove each venv first: a timing of a first install
    python3 scripts/check_versions.py --remove-after    # remove each venv once its tests ran (saves ~6 GB each)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = "requirements/lock.txt"
EXTRAS = "lesson,scale,test"
PYTHONS = ("3.10", "3.12", "3.13")  # .venv (make test) has 3.11
NOTEBOOKS = ("notebooks/01_dataset.ipynb", "notebooks/02_encoder_decoder.ipynb", "notebooks/05_knn_search.ipynb")
OUT = ROOT / "runs" / "versions"


def find_python(version: str) -> Path | None:
    """The interpreter of ``version`` ("3.12"): python3.12 on the PATH, else the newest of pyenv's 3.12.x; each
    candidate must run and say that it is that version (a pyenv shim of a Python that is not selected does not)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    patches = sorted(
        (p for p in pyenv.glob(f"{version}.*") if p.name[len(version) + 1 :].isdigit()),
        key=lambda p: -int(p.name[len(version) + 1 :]),
    )
    on_path = shutil.which(f"python{version}")
    for candidate in ([Path(on_path)] if on_path else []) + [p / "bin" / "python" for p in patches]:
        said = subprocess.run(
            [str(candidate), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
        )
        if said.returncode == 0 and said.stdout.strip() == version:
            return candidate
    return None


def folder_mb(path: Path) -> float:
    """Disk use of a folder in MB (du: hard links and sparse files counted as the disk sees them)."""
    if not path.exists():
        return 0.0
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0]) / 1024


def received_mb() -> float | None:
    """Bytes received so far by this machine's network interfaces (loopback aside), in MB; None off Linux.
    Read before and after an install, it tells what pip downloaded (pip's own cache may keep nothing: it stores
    only what the index marks as cacheable)."""
    net = Path("/proc/net/dev")
    if not net.exists():
        return None
    rows = [line.split(":", 1) for line in net.read_text().splitlines()[2:]]
    return sum(int(data.split()[0]) for name, data in rows if name.strip() != "lo") / 1e6


def step(name: str, cmd: list[str], log: Path, env: dict[str, str] | None = None, tail: int = 3) -> tuple[bool, float]:
    """Run one step with its output in ``log``; print its last ``tail`` lines (40 if it failed).
    Returns (passed, seconds)."""
    start = time.perf_counter()
    print(f"  {name}: {' '.join(cmd)}", flush=True)
    with open(log, "w") as out:
        code = subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - start
    lines = log.read_text(errors="replace").strip().splitlines()
    for line in lines[max(0, len(lines) - tail) :] if code == 0 else lines[-40:]:
        print(f"    | {line}")
    print(f"  {name}: {'ok' if code == 0 else f'FAILED (exit code {code})'} in {seconds:.0f} s, log {log}", flush=True)
    return code == 0, seconds


def check(version: str, fresh: bool, remove_after: bool, workers: int) -> dict:
    """Install and test one Python; returns its row of the summary."""
    python = find_python(version)
    if python is None:
        print(f"Python {version}: not installed, skipped (install it, e.g. `pyenv install {version}`)", flush=True)
        return {"python": version, "result": "skipped: not installed"}
    venv = ROOT / f".venv-py{version}"
    out = OUT / f"py{version}"
    out.mkdir(parents=True, exist_ok=True)
    row: dict = {"python": version, "interpreter": str(python)}
    print(f"Python {version} ({python}) -> {venv.name}", flush=True)
    if fresh and venv.exists():
        shutil.rmtree(venv)
    vpython = venv / "bin" / "python"
    received_before = received_mb()
    start = time.perf_counter()
    if not vpython.exists():
        subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    # one pip version in every venv: they then share one download cache (older pips keep theirs elsewhere)
    ok, _ = step("pip", [str(vpython), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], out / "pip.log", tail=0)
    if ok:
        install = [str(vpython), "-m", "pip", "install", "--quiet", "-c", LOCK, "-e", f".[{EXTRAS}]"]
        ok, _ = step("install", install, out / "install.log", tail=0)
    row["install_s"] = round(time.perf_counter() - start)
    if received_before is not None:
        row["downloaded_mb"] = round(received_mb() - received_before)
    row["venv_mb"] = round(folder_mb(venv))
    if not ok:
        row["result"] = "install failed"
        return row

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("PYTHONPATH", None)
    has_xdist = subprocess.run([str(vpython), "-c", "import xdist"], capture_output=True).returncode == 0
    parallel = ["-n", str(workers), "--dist", "loadfile"] if has_xdist and workers > 1 else []
    unit = [str(vpython), "-m", "pytest", "tests", "--ignore=tests/browser", "-p", "no:cacheprovider"]
    unit += ["-o", "addopts=-ra", "-W", "default", *parallel]  # addopts without --nbval: no notebook is collected
    unit_ok, row["unit_s"] = step("unit tests", unit, out / "unit.log", {**env, "TUTORIAL_RUN_DIR": str(out / "unit")})
    notebooks = [str(vpython), "-m", "pytest", *NOTEBOOKS, "-p", "no:cacheprovider", "-W", "default"]
    nb_env = {**env, "TUTORIAL_RUN_DIR": str(out / "notebooks")}
    nb_ok, row["notebooks_s"] = step("notebooks", notebooks, out / "notebooks.log", nb_env)
    row["result"] = "passed" if unit_ok and nb_ok else "FAILED"
    row["warnings"] = warning_lines(out / "unit.log") + warning_lines(out / "notebooks.log")
    if remove_after:
        shutil.rmtree(venv)
    return row


def warning_lines(log: Path) -> list[str]:
    """The distinct 'SomethingWarning: message' lines of a pytest log (its warnings summary and stderr)."""
    seen: list[str] = []
    for line in log.read_text(errors="replace").splitlines():
        text = re.sub(r"pid=\d+", "pid=N", line.strip())
        if "Warning:" in text and text not in seen:
            seen.append(text)
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "pythons", nargs="*", default=list(PYTHONS), help="versions such as 3.12 (default: %(default)s)"
    )
    parser.add_argument("--fresh", action="store_true", help="remove each venv first and install it again")
    parser.add_argument("--remove-after", action="store_true", help="remove each venv after its tests")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers for the unit tests")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rows = [check(v, args.fresh, args.remove_after, args.workers) for v in args.pythons]
    total = round(time.perf_counter() - start)
    (OUT / "summary.json").write_text(json.dumps({"total_s": total, "pythons": rows}, indent=1) + "\n")
    print(f"\n{'python':8}{'result':26}{'install s':>10}{'download MB':>12}{'venv MB':>9}{'unit s':>8}{'nb s':>6}")
    for r in rows:
        print(
            f"{r['python']:8}{r['result']:26}{r.get('install_s', ''):>10}{r.get('downloaded_mb', ''):>12}"
            f"{r.get('venv_mb', ''):>9}{round(r['unit_s']) if 'unit_s' in r else '':>8}"
            f"{round(r['notebooks_s']) if 'notebooks_s' in r else '':>6}"
        )
        for w in r.get("warnings", []):
            print(f"    warning: {w}")
    print(f"all Pythons in {total} s; summary in {OUT / 'summary.json'}")
    failed = [r["python"] for r in rows if r["result"] not in ("passed",) and not r["result"].startswith("skipped")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

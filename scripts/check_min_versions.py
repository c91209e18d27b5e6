"""Run the unit tests with the lowest versions that pyproject.toml declares, in a second venv (.venv-min).

Every ``name>=X`` of the project's dependencies and extras is installed as ``name==X``,
so a minimum that the code does not really support fails here instead of on a learner's machine.
The notebook tests are not run: their stored outputs come from the versions of requirements/lock.txt. Nor are the
browser tests (tests/browser, make test-browser): they need Chromium. Every unit test runs, test_lock.py and
test_torch_floor.py included (the second checks the PyTorch API that only a GPU run reaches).

make test-min-versions runs it on Python 3.10, the oldest supported, so the oldest packages meet the oldest Python;
where 3.10 is not installed it says so and uses the Python that runs it. ``--remove-after`` removes .venv-min at the
end (CI: it holds a CUDA build of PyTorch, several GB).

    python3 scripts/check_min_versions.py            # create or reuse .venv-min, install, test
    python3 scripts/check_min_versions.py --python 3.10   # .venv-min on Python 3.10 (make test-min-versions)
    python3 scripts/check_min_versions.py --print    # only print the pinned requirements
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_versions import find_python  # a script beside this one (scripts/ is not a package)

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-min"


def lowest_pins() -> list[str]:
    """``name==X`` for every ``name>=X`` in the dependencies and the extras (with its marker, if it has one)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = []
    for req in project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]:
        spec, _, marker = req.partition(";")
        match = re.match(r"^([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][^,;\s]*)", spec.strip())
        if not match:
            raise SystemExit(f"pyproject.toml: {req!r} declares no minimum (name>=X)")
        pins.append(f"{match.group(1)}=={match.group(2)}" + (f"; {marker.strip()}" if marker.strip() else ""))
    return pins


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print the pinned requirements and stop")
    parser.add_argument("--remove-after", action="store_true", help="remove .venv-min after the tests")
    parser.add_argument(
        "--python", default=None, help="the venv's Python: a version (3.10) or a path (default: this Python)"
    )
    args = parser.parse_args()
    pins = lowest_pins()
    if args.print:
        print("\n".join(pins))
        return 0
    base = Path(sys.executable)
    if args.python:
        found = find_python(args.python) if re.fullmatch(r"3\.\d+", args.python) else Path(args.python)
        if found is None:  # the oldest Python is best, but any supported one tests the oldest packages
            print(
                f"Python {args.python} is not installed (pyenv install {args.python}): using {sys.version.split()[0]}"
            )
        base = found or base
    python = VENV / "bin" / "python"
    wanted = subprocess.run(
        [str(base), "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
    )
    if python.exists():
        have = subprocess.run(
            [str(python), "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
        )
        if have.stdout != wanted.stdout:  # made with another Python: start again
            shutil.rmtree(VENV)
    start = time.perf_counter()
    if not python.exists():
        subprocess.run([str(base), "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    print("installing:", " ".join(pins), flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *pins], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(ROOT)], check=True)
    print(f"installed in {time.perf_counter() - start:.0f} s", flush=True)
    versions = subprocess.run(
        [
            str(python),
            "-c",
            "import sys, torch, torchvision, numpy, sklearn, PIL, matplotlib; "
            "print('tested with Python', sys.version.split()[0], *(f'{m.__name__} {m.__version__}' for m in "
            "(torch, torchvision, numpy, sklearn, PIL, matplotlib)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    print(versions, flush=True)
    has_xdist = subprocess.run([str(python), "-c", "import xdist"], capture_output=True).returncode == 0
    cmd = [str(python), "-m", "pytest", "tests", "--ignore=tests/browser", "-p", "no:nbval", "-p", "no:cacheprovider"]
    cmd += ["-o", "addopts=-ra", "-q", "-W", "default", *(["-n", "2", "--dist", "loadfile"] if has_xdist else [])]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TUTORIAL_RUN_DIR": str(ROOT / "runs" / "min-versions")}
    start = time.perf_counter()
    code = subprocess.run(cmd, cwd=ROOT, env=env).returncode
    outcome = "passed" if code == 0 else "FAILED"
    print(f"unit tests with the minimum versions: {outcome} in {time.perf_counter() - start:.0f} s")
    if args.remove_after:
        shutil.rmtree(VENV)
    return code


if __name__ == "__main__":
    sys.exit(main())

"""Run the unit tests with the lowest versions that pyproject.toml declares, in a second venv (.venv-min).

Every ``name>=X`` of the project's dependencies and extras is installed as ``name==X``,
so a minimum that the code does not really support fails here instead of on a learner's machine.
The notebook tests are not run: their stored outputs come from the versions named in the README.

    python3 scripts/check_min_versions.py            # create or reuse .venv-min, install, test
    python3 scripts/check_min_versions.py --print    # only print the pinned requirements
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-min"


def lowest_pins() -> list[str]:
    """``name==X`` for every ``name>=X`` in the dependencies and the extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = []
    for req in project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]:
        match = re.match(r"^([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][^,;\s]*)", req)
        if not match:
            raise SystemExit(f"pyproject.toml: {req!r} declares no minimum (name>=X)")
        pins.append(f"{match.group(1)}=={match.group(2)}")
    return pins


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print the pinned requirements and stop")
    args = parser.parse_args()
    pins = lowest_pins()
    if args.print:
        print("\n".join(pins))
        return 0
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    print("installing:", " ".join(pins), flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *pins], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(ROOT)], check=True)
    versions = subprocess.run(
        [
            str(python),
            "-c",
            "import torch, torchvision, numpy, sklearn, PIL, matplotlib; "
            "print('tested with', *(f'{m.__name__} {m.__version__}' for m in "
            "(torch, torchvision, numpy, sklearn, PIL, matplotlib)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    print(versions, flush=True)
    return subprocess.run(
        [str(python), "-m", "pytest", "tests", "-p", "no:nbval", "-p", "no:cacheprovider", "-o", "addopts=-ra", "-q"],
        cwd=ROOT,
    ).returncode


if __name__ == "__main__":
    sys.exit(main())

"""The project's own files agree with each other: one list of dependencies, one test command."""

from __future__ import annotations

import re
from pathlib import Path

from tutorial_utils.paths import lesson_notebooks, solution_notebooks

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli (the test extra installs it there)
    import tomli as tomllib


ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def _split(requirement: str) -> tuple[str, str]:
    """(name, version specifier); an environment marker (``; python_version < '3.11'``) is left out: conda has none,
    and there the package is simply listed."""
    name, spec = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", requirement.split(";")[0].strip()).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_environment_yml_and_pyproject_name_the_same_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_reqs = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    pip = dict(_split(r) for r in pip_reqs)
    conda = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"^ +- ([A-Za-z][^:\s]*.*)$", line)  # conda entries and those under pip:
        if m and m.group(1) not in ("pip", "pip:", "conda-forge"):
            name, spec = _split(m.group(1))
            if name != "python":
                conda[CONDA_NAMES.get(name, name)] = spec
    assert conda == pip


def _run_ci_with_a_fake_make(tmp_path: Path, failing: str = "") -> tuple[int, list[str]]:
    """Run .ci/run with ``make`` (and ``chromium``) replaced by scripts that only record their arguments; the fake
    make fails for the target ``failing``, and for any target the Makefile does not define."""
    import stat
    import subprocess

    targets = set(re.findall(r"^([A-Za-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))
    calls = tmp_path / "calls.txt"
    fake = tmp_path / "bin"
    fake.mkdir(parents=True)
    (fake / "make").write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{calls}"\n'
        f'case " {" ".join(sorted(targets))} " in *" $1 "*) ;; *) exit 2;; esac\n'
        f'[ "$1" = "{failing}" ] && exit 1\n'
        "exit 0\n"
    )
    (fake / "chromium").write_text("#!/bin/sh\nexit 0\n")
    for tool in ("make", "chromium"):
        (fake / tool).chmod((fake / tool).stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{fake}:/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(["bash", str(ROOT / ".ci" / "run")], env=env, capture_output=True, text=True)
    return done.returncode, calls.read_text().splitlines() if calls.exists() else []


def test_ci_runs_the_readme_test_command_first_and_stops_when_it_fails(tmp_path: Path):
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"^make (test)\s+#", readme, re.M)
    assert command, "the README gives `make test` as its test command"
    code, calls = _run_ci_with_a_fake_make(tmp_path / "ok")
    assert code == 0, calls
    assert calls[0].split()[0] == command.group(1)
    assert {"test-portable", "test-browser", "course", "test-course"} <= {c.split()[0] for c in calls}
    code, calls = _run_ci_with_a_fake_make(tmp_path / "failing", failing="test")
    assert code != 0
    assert calls == ["test"], "nothing runs after the test command fails"


def _code_without_comments(notebook: Path) -> str:
    import json

    cells = json.loads(notebook.read_text())["cells"]
    return "\n".join(re.sub(r"#.*$", "", "".join(c["source"]), flags=re.M) for c in cells if c["cell_type"] == "code")


def test_no_notebook_after_03_reads_the_model_that_03_trains():
    """Downstream of training, the notebooks compute from the shipped reference model: their stored outputs then
    hold on any machine. Weights a notebook trains itself (the variants of 06, the triplet model of 07) are fine."""
    later = [p for p in lesson_notebooks() + solution_notebooks() if p.name[:2] >= "04"]
    assert len(later) == 12
    for notebook in later:
        code = _code_without_comments(notebook)
        assert not re.search(r"(RUN_DIR|lesson_run_dir\(\))\s*/\s*[\"'](best|last)\.pt", code), notebook.name
        assert "ensure_trained" not in code, notebook.name
        assert "history.json" not in code, notebook.name
        if "load_checkpoint(" in code or "ensure_index(" in code or "index_folder(" in code:
            shipped = "CHECKPOINT = REFERENCE_CHECKPOINT" in code or "load_checkpoint(SIMCLR_CHECKPOINT)" in code
            assert shipped, notebook.name


def test_a_wheel_holds_every_module_of_the_package(tmp_path: Path):
    """A plain ``pip install .`` (not editable) must ship the subpackages too, not only the flat core."""
    import shutil
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    shutil.copytree(ROOT / "tutorial_utils", source / "tutorial_utils", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("tutorial_utils-*.whl")
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("tutorial_utils/") and n.endswith(".py")}
    expected = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tutorial_utils").rglob("*.py")}
    assert shipped == expected

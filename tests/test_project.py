"""The project's own files agree with each other: one list of dependencies, one test command."""

from __future__ import annotations

import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli, which pytest brings there
    import tomli as tomllib


ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", requirement.strip()).groups()
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


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme
    assert re.search(r"^make test\b", ci, re.M)


def test_design_card_layout_exists():
    for name in ("notebooks", "tutorial_utils", "data", "tests", "environment.yml", "README.md"):
        assert (ROOT / name).exists(), name


def _code_without_comments(notebook: Path) -> str:
    import json

    cells = json.loads(notebook.read_text())["cells"]
    return "\n".join(re.sub(r"#.*$", "", "".join(c["source"]), flags=re.M) for c in cells if c["cell_type"] == "code")


def test_no_notebook_after_03_reads_the_model_that_03_trains():
    """Downstream of training, the notebooks compute from the shipped reference model: their stored outputs then
    hold on any machine. Weights a notebook trains itself (the variants of 06, the triplet model of 07) are fine."""
    later = [p for p in sorted((ROOT / "notebooks").rglob("[0-9][0-9]_*.ipynb")) if p.name[:2] >= "04"]
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

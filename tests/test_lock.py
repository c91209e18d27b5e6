"""requirements/lock.txt and pyproject.toml agree: every dependency has one pinned version that its range admits, on
every supported Python and platform; `make lock` wrote the lock; `make run` installs no course or browser tool.

The lock is what make's installs use as pip constraints (docs/install.md). It is made by uv's universal resolution
(``make lock``), which writes the command into the lock's header and, under each pin, the packages that need it
(``# via``): these tests read both, offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli (the test extra installs it there)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
SUPPORTED = [c.rsplit(":: ", 1)[1] for c in PROJECT["classifiers"] if re.search(r"Python :: 3\.\d+$", c)]
# a machine of each kind that a learner may have
PLATFORMS = {
    "linux": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix"},
    "linux-arm": {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "aarch64",
        "os_name": "posix",
    },
    "macos": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64", "os_name": "posix"},
    "windows": {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64", "os_name": "nt"},
}
LESSON_EXTRAS = ("lesson", "scale")  # what make run and make lab install
COURSE_TOOLS = ("nbgrader", "jupyter-book", "playwright")


def _lock() -> list[tuple[Requirement, set[str]]]:
    """Each pin of the lock with the names that need it (its ``# via`` lines; the project is 'tutorial-utils')."""
    pins: list[tuple[Requirement, set[str]]] = []
    for line in LOCK.read_text().splitlines():
        if not line.strip() or (line.startswith("#") and not pins):
            continue  # the header
        if not line.startswith(" "):
            pins.append((Requirement(line), set()))
            continue
        via = re.sub(r"^\s*#\s*(via)?\s*", "", line).split(" (")[0].strip()
        if via:
            pins[-1][1].add(canonicalize_name(via))
    return pins


def _environment(python: str, platform: str) -> dict[str, str]:
    return {
        **PLATFORMS[platform],
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "extra": "",
    }


def _requirements(extras: tuple[str, ...] | None = None) -> list[Requirement]:
    """The project's requirements: its dependencies and the given extras (all of them by default)."""
    groups = PROJECT["optional-dependencies"]
    chosen = groups if extras is None else {name: groups[name] for name in extras}
    return [Requirement(r) for r in PROJECT["dependencies"] + [r for reqs in chosen.values() for r in reqs]]


def _applies(marker: Marker | None, env: dict[str, str]) -> bool:
    return marker is None or marker.evaluate(env)


def test_the_supported_pythons_are_declared_and_the_lock_starts_at_the_oldest():
    assert SUPPORTED == ["3.10", "3.11", "3.12", "3.13"]
    assert PROJECT["requires-python"] == f">={SUPPORTED[0]}"
    header = LOCK.read_text().splitlines()[1]
    assert f"--python-version {SUPPORTED[0]}" in header
    assert "--universal" in header


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("python", SUPPORTED)
def test_every_requirement_has_one_pin_that_its_range_admits(python: str, platform: str):
    env = _environment(python, platform)
    pins = [pin for pin, _ in _lock() if _applies(pin.marker, env)]
    for req in _requirements():
        if not _applies(req.marker, env):
            continue
        found = [pin for pin in pins if canonicalize_name(pin.name) == canonicalize_name(req.name)]
        assert len(found) == 1, f"{req}: {len(found)} pins in the lock for Python {python} on {platform} (make lock)"
        (version,) = [Version(s.version) for s in found[0].specifier if s.operator == "=="]
        assert req.specifier.contains(version, prereleases=True), f"lock has {found[0]}, pyproject.toml {req}"


def test_every_pin_is_one_exact_version_and_no_name_is_pinned_twice_for_one_python():
    for python in SUPPORTED:
        for platform in PLATFORMS:
            env = _environment(python, platform)
            names = [canonicalize_name(p.name) for p, _ in _lock() if _applies(p.marker, env)]
            assert len(names) == len(set(names)), (python, platform)
    for pin, _ in _lock():
        assert [s.operator for s in pin.specifier] == ["=="], str(pin)


def test_pytorch_is_the_same_release_on_every_python():
    """The notebooks' stored outputs were made with these; another release on one Python would change numbers."""
    for name in ("torch", "torchvision"):
        versions = {str(p.specifier) for p, _ in _lock() if p.name == name}
        assert len(versions) == 1, (name, versions)


def test_make_lock_wrote_the_lock():
    """The header's command is the Makefile's ``lock`` recipe (uv leaves ``--quiet`` out of the header)."""
    makefile = (ROOT / "Makefile").read_text()
    lock_path = re.search(r"^LOCK := (\S+)$", makefile, re.M).group(1)
    recipe = re.search(r"^\t\$\(BIN\)/(uv pip compile .*)$", makefile, re.M).group(1)
    command = recipe.replace("$(LOCK)", lock_path).replace(" --quiet", "")
    assert LOCK.read_text().splitlines()[1].lstrip("# ") == command


def test_makes_installs_are_constrained_by_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    installs = re.findall(r"^\t\$\(BIN\)/python -m pip install .*-e \".*$", makefile, re.M)
    assert len(installs) == 2  # the lesson's, and everything's
    assert all("-c $(LOCK)" in line for line in installs), installs
    for stamp in ("$(LESSON_STAMP)", "$(STAMP)"):
        rule = re.search(rf"^{re.escape(stamp)}:(.*)$", makefile, re.M).group(1)
        assert "$(LOCK)" in rule.split(), stamp  # a new lock installs again


def test_make_run_installs_no_course_or_browser_tool():
    """What ``.[lesson,scale]`` pulls in, followed through the lock's ``# via`` lines (a package needs the ones that
    name it), reaches neither nbgrader, Jupyter Book nor Playwright: those come with the course and browser extras."""
    needs: dict[str, set[str]] = {}
    for pin, via in _lock():
        for parent in via:
            needs.setdefault(parent, set()).add(canonicalize_name(pin.name))
    todo = [canonicalize_name(r.name) for r in _requirements(LESSON_EXTRAS)]
    reached: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(needs.get(name, ()))
    assert {"torch", "jupyterlab", "faiss-cpu", "ipykernel"} <= reached
    assert not reached & set(COURSE_TOOLS), sorted(reached & set(COURSE_TOOLS))
    # and the closure is no accident of a missing edge: the full install does reach them
    for tool in COURSE_TOOLS:
        assert "tutorial-utils" in next(via for pin, via in _lock() if pin.name == tool)


def test_pre_commit_runs_the_locked_ruff_and_the_venv_pyright():
    """.pre-commit-config.yaml pins ruff at the lock's version, and runs pyright from .venv, which the lock pins."""
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    ruff_rev = re.search(r"repo: https://github.com/astral-sh/ruff-pre-commit\s+rev: v(\S+)", config)
    assert ruff_rev, "ruff's pre-commit repository with a pinned rev"
    locked = {canonicalize_name(pin.name): str(pin.specifier) for pin, _ in _lock()}
    assert f"=={ruff_rev.group(1)}" == locked["ruff"]
    assert re.search(r"entry: \.venv/bin/pyright\b", config)
    assert locked["pyright"].startswith("==")

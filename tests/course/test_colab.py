"""Every notebook opens in Colab: its badge points at itself on the configured branch, and its first code cell
installs the course inside Colab only."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from course import colab
from course.config import ROOT, all_notebooks, load_settings

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli (the test extra installs it there)
    import tomli as tomllib

SETTINGS = load_settings()


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _run_cell(source: str, monkeypatch, in_colab: bool) -> list[tuple]:
    """Execute a set-up cell with the installer, the folder check and the chdir stubbed; return their calls."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: calls.append(("run", list(args), kw)))
    monkeypatch.setattr("os.chdir", lambda path: calls.append(("chdir", path)))
    monkeypatch.setattr("os.path.isdir", lambda path: False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    if in_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(source, "<colab cell>", "exec"), {})
    return calls


@pytest.mark.parametrize("path", all_notebooks(), ids=lambda p: p.name)
def test_the_first_cells_are_the_badge_and_the_colab_cell(path: Path):
    first, second = _cells(path)[:2]
    assert first["cell_type"] == "markdown"
    assert "".join(first["source"]) == colab.badge(path, SETTINGS)
    assert second["cell_type"] == "code"
    assert "".join(second["source"]) == colab.setup_cell(path, SETTINGS)
    assert second["outputs"] == []  # outside Colab the stored output is nothing


def test_in_colab_the_cell_clones_the_release_installs_it_and_moves_to_the_notebook(monkeypatch):
    path = ROOT / "notebooks" / "solutions" / "03_training_solutions.ipynb"
    calls = _run_cell(colab.setup_cell(path, SETTINGS), monkeypatch, in_colab=True)
    home = "/content/" + SETTINGS.repo_slug.split("/")[1]
    assert calls[0][:2] == (
        "run",
        ["git", "clone", "--quiet", "--depth", "1", "--branch", SETTINGS.release, SETTINGS.repo_url, home],
    )
    assert calls[1][:2] == ("run", [sys.executable, "-m", "pip", "install", "--quiet", "-e", home + "[scale]"])
    assert all(kw == {"check": True} for _, _, kw in calls[:2])  # a failed install stops the notebook
    assert calls[2] == ("chdir", home + "/notebooks/solutions")
    assert len(calls) == 3


def test_outside_colab_the_cell_does_nothing(monkeypatch):
    calls = _run_cell(colab.setup_cell(ROOT / "notebooks" / "01_dataset.ipynb", SETTINGS), monkeypatch, in_colab=False)
    assert calls == []


def _badge_sources() -> list[Path]:
    return [*all_notebooks(), ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _on_branch(branch: str) -> set[str] | None:
    """The files committed on ``branch`` here, or None where this clone has no such branch."""
    done = subprocess.run(["git", "ls-tree", "-r", "--name-only", branch], cwd=ROOT, capture_output=True, text=True)
    return set(done.stdout.split()) if done.returncode == 0 else None


def test_every_badge_points_at_a_file_on_the_configured_branch():
    committed = _on_branch(SETTINGS.branch)
    targets = [(src, *t) for src in _badge_sources() for t in colab.badge_targets(src.read_text())]
    assert len(targets) >= len(all_notebooks()) + 1  # every notebook, and the README
    for source, slug, branch, path in targets:
        assert (slug, branch) == (SETTINGS.repo_slug, SETTINGS.branch), source.name
        assert (ROOT / path).is_file(), f"{source.name}: badge opens {path}, which does not exist"
        if committed is not None:
            assert path in committed, f"{source.name}: {path} is not committed on {branch}"


def test_the_release_the_cell_installs_is_the_package_version():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert SETTINGS.release == f"v{version}"


def test_a_setting_that_is_not_a_github_address_is_refused(tmp_path: Path):
    text = (ROOT / "course" / "course.toml").read_text().replace("https://github.com/", "https://example.org/", 1)
    (tmp_path / "course.toml").write_text(text)
    with pytest.raises(ValueError, match=r"course\.toml: repository\.url must be"):
        load_settings(tmp_path / "course.toml")

"""The kit's settings (``course/course.toml``) and the notebooks it works on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (pyproject allows it): tomli, which pytest and nbgrader bring there
    import tomli as tomllib

from tutorial_utils.paths import NOTEBOOKS, lesson_notebooks, solution_notebooks

__all__ = [
    "BUILD",
    "NOTEBOOKS",
    "ROOT",
    "SETTINGS",
    "Settings",
    "all_notebooks",
    "lesson_notebooks",
    "load_settings",
    "solution_notebooks",
]

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ROOT / "course" / "course.toml"
BUILD = ROOT / "runs" / "course"  # everything the kit builds; git-ignored with runs/


@dataclass(frozen=True)
class Settings:
    repo_url: str
    branch: str
    release: str
    title: str
    author: str
    binder_url: str
    colab_url: str
    timeout: int

    @property
    def repo_slug(self) -> str:
        """``owner/name`` of the repository, as GitHub, Colab and Binder address it."""
        return self.repo_url.removeprefix("https://github.com/").strip("/")


def load_settings(path: Path = SETTINGS) -> Settings:
    data = tomllib.loads(path.read_text())
    repo, site = data["repository"], data["site"]
    if not repo["url"].startswith("https://github.com/"):
        raise ValueError(f"{path}: repository.url must be a https://github.com/owner/name address, got {repo['url']!r}")
    return Settings(
        repo["url"].rstrip("/"),
        repo["branch"],
        repo["release"],
        site["title"],
        site["author"],
        site["binder_url"],
        site["colab_url"],
        int(data["grading"]["timeout"]),
    )


def all_notebooks() -> list[Path]:
    return lesson_notebooks() + solution_notebooks()

"""Notebooks that open in Colab: a badge and a first code cell that only acts inside Google Colab.

Colab opens one notebook without the rest of the repository, so the cell clones the course at its release
(the package, the shipped data and checkpoints), installs it and moves into the notebook's folder. Anywhere
else ``google.colab`` is not imported and the cell does nothing, so nbval and a local Jupyter pass it by.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .config import ROOT, Settings

BADGE_TAG, CELL_TAG = "colab-badge", "colab-setup"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_RE = re.compile(r"https://colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/([^/]+)/([^)\s\"']+\.ipynb)")

CELL = """\
# In Google Colab, this fetches the course (package, data, trained models) at its release; elsewhere it does nothing.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    repo = "{url}"
    home = "/content/{name}"
    if not os.path.isdir(home):
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", "{release}", repo, home], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", home + "[scale]"], check=True)
    sys.path.insert(0, home)
    os.chdir(home + "/{folder}")"""


def colab_url(path: Path, settings: Settings) -> str:
    """The address that opens ``path`` (a notebook in this repository) in Colab, on the configured branch."""
    return (
        f"https://colab.research.google.com/github/{settings.repo_slug}/blob/{settings.branch}/"
        + path.resolve().relative_to(ROOT).as_posix()
    )


def badge(path: Path, settings: Settings) -> str:
    """Markdown of the "Open in Colab" badge; its alt text reads well where the badge image cannot load."""
    return f"[![Open in Colab]({BADGE_IMAGE})]({colab_url(path, settings)})"


def setup_cell(path: Path, settings: Settings) -> str:
    folder = path.resolve().parent.relative_to(ROOT).as_posix()
    return CELL.format(
        url=settings.repo_url, release=settings.release, name=settings.repo_slug.split("/")[1], folder=folder
    )


def _cell(kind: str, source: str, tag: str) -> dict:
    # the set-up cell is Colab's plumbing: the website leaves it out (remove-cell), the slides skip both
    tags = [tag, "remove-cell"] if kind == "code" else [tag]
    cell = {
        "cell_type": kind,
        "id": tag,
        "source": source,
        "metadata": {"tags": tags, "slideshow": {"slide_type": "skip"}},
    }
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def add_colab_cells(path: Path, settings: Settings) -> bool:
    """Make the notebook's first two cells the badge and the set-up cell (replacing older ones); True if changed."""
    text = path.read_text()
    nb = json.loads(text)
    cells = [c for c in nb["cells"] if not {BADGE_TAG, CELL_TAG} & set(c["metadata"].get("tags", []))]
    nb["cells"] = [
        _cell("markdown", badge(path, settings), BADGE_TAG),
        _cell("code", setup_cell(path, settings), CELL_TAG),
        *cells,
    ]
    new = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if new != text:
        path.write_text(new)
    return new != text


def badge_targets(text: str) -> list[tuple[str, str, str]]:
    """(owner/name, branch, path) of every Colab badge link in a text."""
    return BADGE_RE.findall(text)

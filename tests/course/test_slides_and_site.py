"""What the slides and the website are made from: slide metadata on the cells that carry each lesson's idea,
and a table of contents that holds every notebook and page. (The built site and decks are opened in Chromium
by tests/browser/test_course_site.py and test_course_slides.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from course import site, slides
from course.config import ROOT, lesson_notebooks, load_settings, solution_notebooks


@pytest.mark.parametrize("path", lesson_notebooks(), ids=lambda p: p.name)
def test_the_slides_hold_the_title_the_figures_the_code_and_the_takeaway(path: Path):
    cells = json.loads(path.read_text())["cells"]
    types = slides.slide_types(path)
    shown = [(c, t) for c, t in zip(cells, types) if t != "skip"]
    first, kind = shown[0]
    assert kind == "slide" and "".join(first["source"]).startswith("# "), "the deck opens on the title"
    figures = [c for c, t in shown if c["cell_type"] == "code"
               and any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
    assert figures, "no figure on a slide"
    assert types[-1] == "slide" and "Exercises" in "".join(cells[-1]["source"]), "the takeaway ends the deck"
    if path.name[:2] <= "05":
        assert any("show_source(" in "".join(c["source"]) for c, _ in shown), "the key code is on a slide"
    assert set(types) <= {"slide", "subslide", "fragment", "-", "skip", "notes"}


def test_the_site_holds_every_notebook_and_every_docs_page():
    files = {ch["file"] for part in site.toc()["parts"] for ch in part["chapters"]}
    for path in lesson_notebooks() + solution_notebooks() + sorted((ROOT / "docs").glob("*.md")):
        assert path.relative_to(ROOT).with_suffix("").as_posix() in files, path.name


def test_the_site_builds_from_stored_outputs_with_the_configured_launch_buttons():
    cfg, settings = site.config(load_settings()), load_settings()
    assert cfg["execute"]["execute_notebooks"] == "off"
    assert cfg["repository"] == {"url": settings.repo_url, "branch": settings.branch, "path_to_book": ""}
    assert cfg["launch_buttons"]["colab_url"] == settings.colab_url and cfg["launch_buttons"]["binderhub_url"]

"""What the slides and the website are made from: slide metadata on the cells that carry each lesson's idea (the
headings, equations, schematics, figures without the code that drew them, the code that is the idea, speaker
notes), and a table of contents that holds every notebook and page. (The built site and decks are opened in Chromium
by tests/browser/test_course_site.py and test_course_slides.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course import site, slides
from course.config import ROOT, lesson_notebooks, load_settings, solution_notebooks

FIGURES = ("image/png", "image/svg+xml", "image/jpeg")


def lecture_problems(cells: list[dict], types: list[str]) -> list[str]:
    """What keeps a notebook's slides from being lecture slides: every slide opens with its heading; a code cell
    on a slide is the idea (a listing with its output, a "your turn" stub under its introduction) or shows only
    its output (a figure, a table) with its input hidden; the concept check, a task's check and the Colab cells
    stay off the slides."""
    problems, previous = [], None
    for cell, kind in zip(cells, types, strict=True):
        source, cid = "".join(cell["source"]), cell.get("id", "")
        tags = cell["metadata"].get("tags", [])
        if kind == "slide" and not re.match(r"#{1,2} ", source):
            problems.append(f"{cid}: a slide that does not open with a # or ## heading")
        if kind == "skip":
            continue
        if cid in ("quiz", "quiz-intro") or re.fullmatch(r"task-\w+-check", cid) or cid.startswith("colab"):
            problems.append(f"{cid}: on a slide")
        if cell["cell_type"] == "code":
            listing = "show_source(" in source and cell.get("outputs")
            stub = re.fullmatch(r"task-\w+", cid) and previous is not None and previous.get("id") == f"{cid}-intro"
            hidden = {"hide-input", "remove-input"} & set(tags) and cell.get("outputs")
            if not (listing or stub or hidden):
                problems.append(f"{cid}: code on a slide that is neither the idea nor hidden: {source[:60]!r}")
        previous = cell
    return problems


def test_the_lecture_check_finds_plumbing_and_a_slide_without_heading():
    cells = [
        {"id": "a", "cell_type": "markdown", "source": ["# Title"], "metadata": {}},
        {"id": "b", "cell_type": "code", "source": ["save_figure(fig)"], "metadata": {}, "outputs": [{}]},
        {"id": "task-x-intro", "cell_type": "markdown", "source": ["### Your turn"], "metadata": {}},
        {"id": "task-x", "cell_type": "code", "source": ["def x(): ..."], "metadata": {}, "outputs": []},
        {"id": "c", "cell_type": "markdown", "source": ["Some prose"], "metadata": {}},
    ]
    assert lecture_problems(cells, ["slide", "skip", "subslide", "-", "skip"]) == []
    assert lecture_problems(cells, ["slide", "subslide", "subslide", "-", "slide"]) == [
        "b: code on a slide that is neither the idea nor hidden: 'save_figure(fig)'",
        "c: a slide that does not open with a # or ## heading",
    ]


@pytest.mark.parametrize("path", lesson_notebooks(), ids=lambda p: p.name)
def test_the_slides_hold_the_title_the_ideas_the_figures_and_the_takeaway(path: Path):
    cells = json.loads(path.read_text())["cells"]
    types = slides.slide_types(path)
    shown = [(c, t) for c, t in zip(cells, types, strict=True) if t != "skip"]
    first, kind = shown[0]
    assert kind == "slide", "the deck opens on the title"
    assert "".join(first["source"]).startswith("# "), "the deck opens on the title"
    assert lecture_problems(cells, types) == []
    figures = [
        c
        for c, t in shown
        if c["cell_type"] == "code" and any(set(FIGURES) & set(o.get("data", {})) for o in c.get("outputs", []))
    ]
    assert figures, "no figure on a slide"
    assert types[-1] == "slide", "the takeaway ends the deck"
    assert "Exercises" in "".join(cells[-1]["source"]), "the takeaway ends the deck"
    tasks = [c["id"] for c in cells if re.fullmatch(r"task-\w+", c.get("id", ""))]
    assert all(t != "skip" for c, t in zip(cells, types, strict=True) if c.get("id") in tasks), (
        "each task's stub is on a slide"
    )
    notes = [c for c, t in shown if c["metadata"].get("speaker_notes", "").strip()]
    assert notes, "speaker notes on the sections' slides"
    assert all(t == "slide" for c, t in shown if c in notes), "speaker notes on the sections' slides"
    assert set(types) <= {"slide", "subslide", "fragment", "-", "skip", "notes"}


def test_the_site_holds_every_notebook_and_every_docs_page():
    files = {ch["file"] for part in site.toc()["parts"] for ch in part["chapters"]}
    for path in lesson_notebooks() + solution_notebooks() + sorted((ROOT / "docs").glob("*.md")):
        assert path.relative_to(ROOT).with_suffix("").as_posix() in files, path.name


def test_the_site_builds_from_stored_outputs_with_the_configured_launch_buttons():
    cfg, settings = site.config(load_settings()), load_settings()
    assert cfg["execute"]["execute_notebooks"] == "off"
    assert cfg["repository"] == {"url": settings.repo_url, "branch": settings.branch, "path_to_book": ""}
    assert cfg["launch_buttons"]["colab_url"] == settings.colab_url
    assert cfg["launch_buttons"]["binderhub_url"]


def test_the_site_serves_its_own_mathjax_and_stages_what_the_notebooks_show(tmp_path: Path):
    sphinx = site.config(load_settings())["sphinx"]["config"]
    assert "://" not in sphinx["mathjax_path"], "no CDN"
    assert sphinx["html_static_path"] == [site.STATIC], "no CDN"
    assert site.NOTEBOOK_ASSETS == ("figures", "quizzes")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_only.ipynb").write_text("{}")
    assert site.toc(tmp_path) == {
        "format": "jb-book",
        "root": "README",
        "parts": [{"caption": "The lesson", "chapters": [{"file": "notebooks/01_only"}]}],
    }


@pytest.mark.parametrize("path", lesson_notebooks(), ids=lambda p: p.name)
def test_the_lesson_notebooks_are_marked_up_for_lectures_by_the_rules(path: Path):
    from course import lecture

    changed, _, _ = lecture.mark_up_file(path, check=True)
    assert not changed, f"{path.name}: run `python -m scripts.course lecture` after changing a lesson notebook"


def test_the_lecture_mark_up_changes_a_notebook_that_breaks_its_rules(tmp_path: Path):
    from course import lecture

    nb = json.loads(lesson_notebooks()[0].read_text())
    nb["cells"][2]["metadata"]["slideshow"] = {"slide_type": "skip"}  # the title cell, hidden from the deck
    copy = tmp_path / "lesson.ipynb"
    copy.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    assert lecture.mark_up_file(copy, check=True)[0]
    assert lecture.mark_up_file(copy)[0]
    assert not lecture.mark_up_file(copy, check=True)[0]

"""The slides (``python -m scripts.course slides``) in headless Chromium: a deck opens in reveal.js from local
files only, has one slide per slide cell of its notebook, its figures load, its equations are typeset by the
local MathJax, and every slide is a lecture slide: it has a title, and it never shows code alone (plumbing)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course import slides
from course.config import NOTEBOOKS, lesson_notebooks, load_settings

from .conftest import fixture_lesson, run_folder, wait_for_mathjax, watch

pytestmark = pytest.mark.browser

# the images of the slide on screen: where each comes from and whether it loaded
CURRENT_IMAGES = """() => [...Reveal.getCurrentSlide().querySelectorAll('img')].map(i => ({
    src: i.currentSrc || i.src, loaded: i.complete && i.naturalWidth > 0}))"""

# what the slide on screen shows: its title (its own heading, or the section title the template adds), whether
# it shows code, an output, a figure, typeset math, raw TeX; its text
CURRENT_SLIDE = r"""() => {
    const s = Reveal.getCurrentSlide();
    const visible = e => e.getClientRects().length > 0;
    const own = [...s.querySelectorAll('h1, h2, h3, h4')].filter(visible);
    const running = [...s.querySelectorAll('.section-title')].filter(visible);
    const prose = [...s.querySelectorAll('.jp-RenderedMarkdown')].map(e => {
        const c = e.cloneNode(true); c.querySelectorAll('pre, code, mjx-container').forEach(x => x.remove());
        return c.textContent; }).join('\n');
    return {
        title: (own[0] || running[0] || {textContent: ''}).textContent.replace('¶', '').trim(),
        heading: own.length > 0,
        code: [...s.querySelectorAll('.jp-CodeCell .jp-InputArea-editor')].filter(visible).length,
        outputs: [...s.querySelectorAll('.jp-OutputArea-output')]
            .filter(e => e.textContent.trim() || e.querySelector('img, svg')).length,
        figures: s.querySelectorAll('img, svg:not(mjx-container svg)').length,
        math: s.querySelectorAll('mjx-container').length,
        errors: s.querySelectorAll('mjx-merror').length,
        prose: prose,
        text: s.innerText.slice(0, 120),
    };
}"""


@pytest.fixture(scope="module")
def decks(static_server) -> str:
    slides.build(load_settings())
    return static_server(slides.OUT)


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    seen = watch(page, url.rsplit("/", 1)[0])
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=20_000)
    wait_for_mathjax(page, url, seen)
    page.evaluate("() => Reveal.configure({transition: 'none'})")
    return page, seen


def _slides(page) -> list[dict]:
    """Every slide of the deck, in order, as CURRENT_SLIDE describes it."""
    found = []
    for _ in range(page.evaluate("() => Reveal.getTotalSlides()")):
        found.append(page.evaluate(CURRENT_SLIDE))
        page.evaluate("() => Reveal.next()")
    return found


def _shown_markdown(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join(
        "".join(c["source"])
        for c, t in zip(cells, slides.slide_types(path), strict=True)
        if t != "skip" and c["cell_type"] == "markdown"
    )


def has_math(text: str) -> bool:
    return "$$" in text or re.search(r"\$[^$\s][^$\n]*\$", text) is not None


@pytest.mark.parametrize("name", ["03_training", "05_knn_search"])
def test_a_deck_has_a_slide_per_slide_cell_and_its_figures(browser, decks, name):
    page, seen = _open(browser, f"{decks}/{name}.slides.html")
    types = slides.slide_types(NOTEBOOKS / f"{name}.ipynb")
    assert page.evaluate("() => Reveal.getTotalSlides()") == sum(t in ("slide", "subslide") for t in types)
    figures, shot = 0, run_folder() / f"slides-{name}.png"
    shot.unlink(missing_ok=True)
    for _ in range(page.evaluate("() => Reveal.getTotalSlides()")):
        images = page.evaluate(CURRENT_IMAGES)
        assert all(i["loaded"] for i in images), [i["src"][:80] for i in images if not i["loaded"]]
        figures += len(images)
        if images and not shot.exists():  # the first slide with a figure
            page.wait_for_timeout(300)
            page.screenshot(path=str(shot))
        page.evaluate("() => Reveal.next()")
    assert figures >= 1, "no figure on any slide"
    assert not seen.errors, seen.errors
    assert not seen.internet, f"a deck asked the internet for {seen.internet}"


def lecture_problems(shown: list[dict]) -> list[str]:
    """What keeps a deck from being one to lecture from: a slide with no title, a slide whose only content is
    code (no output, heading, equation or figure beside it), an equation left as raw TeX or typeset as an error."""
    problems = []
    for n, s in enumerate(shown, 1):
        if not s["title"]:
            problems.append(f"slide {n} has no title: {s['text']!r}")
        if s["code"] and not (s["outputs"] or s["heading"] or s["math"] or s["figures"]):
            problems.append(f"slide {n} shows only code: {s['text']!r}")
        if s["errors"] or "$$" in s["prose"] or re.search(r"\$[^$\s][^$\n]*\$", s["prose"]):
            problems.append(f"slide {n} shows raw or broken TeX: {s['prose'][:120]!r}")
    return problems


def test_the_lecture_check_finds_an_untitled_slide_and_a_plumbing_slide():
    fine = {
        "title": "Training",
        "heading": True,
        "code": 1,
        "outputs": 0,
        "figures": 0,
        "math": 0,
        "errors": 0,
        "prose": "",
        "text": "",
    }
    plumbing = {**fine, "title": "Training", "heading": False, "text": "save_figure(fig, RUN_DIR)"}
    untitled = {**fine, "title": "", "code": 0}
    raw = {**fine, "prose": "the loss $$\\frac{1}{N}$$"}
    assert lecture_problems([fine]) == []
    assert lecture_problems([fine, plumbing, untitled, raw]) == [
        "slide 2 shows only code: 'save_figure(fig, RUN_DIR)'",
        "slide 3 has no title: ''",
        "slide 4 shows raw or broken TeX: 'the loss $$\\\\frac{1}{N}$$'",
    ]


@pytest.mark.parametrize("name", [p.stem for p in lesson_notebooks()])
def test_every_slide_has_a_title_and_none_shows_only_plumbing(browser, decks, name):
    page, seen = _open(browser, f"{decks}/{name}.slides.html")
    shown = _slides(page)
    assert lecture_problems(shown) == []
    assert page.locator(".jp-InputPrompt, .jp-OutputPrompt").count() == 0, "no In [n]: prompts on a slide"
    path = NOTEBOOKS / f"{name}.ipynb"
    cells = json.loads(path.read_text())["cells"]
    notes = [
        c
        for c, t in zip(cells, slides.slide_types(path), strict=True)
        if t != "skip" and c["metadata"].get("speaker_notes")
    ]
    assert page.locator("aside.notes").count() == len(notes), "the speaker notes of the notebook's cells"
    hidden = [
        c
        for c, t in zip(cells, slides.slide_types(path), strict=True)
        if t != "skip" and {"hide-input", "remove-input"} & set(c["metadata"].get("tags", []))
    ]
    assert page.locator(".celltag_hide-input, .celltag_remove-input").count() == len(hidden)
    assert page.locator(".celltag_hide-input .jp-InputArea, .celltag_remove-input .jp-InputArea").count() == 0, (
        "a figure's code on its slide"
    )
    assert not seen.errors, seen.errors


def test_equations_are_typeset_on_the_slides_offline(browser, decks, static_server, tmp_path_factory):
    """Every deck whose slides hold an equation shows it typeset; until a lesson has one, a fixture deck."""
    with_math = [p for p in lesson_notebooks() if has_math(_shown_markdown(p))]
    if with_math:
        urls = [f"{decks}/{p.stem}.slides.html" for p in with_math]
    else:
        root = tmp_path_factory.mktemp("fixture-course")
        notebook = fixture_lesson(root / "repo")
        slides.build(load_settings(), [notebook], root / "slides")
        urls = [f"{static_server(root / 'slides')}/{notebook.stem}.slides.html"]
    for url in urls:
        page, seen = _open(browser, url)
        shown = _slides(page)
        assert sum(s["math"] for s in shown) >= 1, f"{url}: no typeset equation on any slide"
        assert lecture_problems(shown) == [], url
        assert page.evaluate("() => MathJax.version").startswith("3"), url
        assert not seen.errors, (seen.errors, seen.internet)
        assert not seen.internet, (seen.errors, seen.internet)
        page.close()

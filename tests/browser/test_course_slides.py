"""The slides (``python scripts/course.py slides``) in headless Chromium: a deck opens in reveal.js from local
files only, has one slide per slide cell of its notebook, and its figures load."""

from __future__ import annotations

import pytest

from course import slides
from course.config import NOTEBOOKS, load_settings

from .conftest import run_folder, watch

pytestmark = pytest.mark.browser

# the images of the slide on screen: where each comes from and whether it loaded
CURRENT_IMAGES = """() => [...Reveal.getCurrentSlide().querySelectorAll('img')].map(i => ({
    src: i.currentSrc || i.src, loaded: i.complete && i.naturalWidth > 0}))"""


@pytest.fixture(scope="module")
def decks(static_server) -> str:
    slides.build(load_settings())
    return static_server(slides.OUT)


@pytest.mark.parametrize("name", ["03_training", "05_knn_search"])
def test_a_deck_has_a_slide_per_slide_cell_and_its_figures(browser, decks, name):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    seen = watch(page, decks)
    page.goto(f"{decks}/{name}.slides.html", wait_until="load")
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=20_000)
    types = slides.slide_types(NOTEBOOKS / f"{name}.ipynb")
    assert page.evaluate("() => Reveal.getTotalSlides()") == sum(t in ("slide", "subslide") for t in types)
    page.evaluate("() => Reveal.configure({transition: 'none'})")
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
    # reveal.js, RequireJS and jQuery are local; only optional extras (MathJax, mermaid) are asked of the internet
    assert not [u for u in seen.internet if "reveal" in u or "require" in u or "jquery" in u], seen.internet

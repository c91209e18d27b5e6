"""The Chinese site and slides in headless Chromium: every page of the Chinese site loads with its images and no
error, the language switch opens the same page in the other language and back, and no Chinese character is drawn
as a missing-glyph box (Debian's CJK fonts: ``apt-get install fonts-noto-cjk``, which .ci/run does)."""

from __future__ import annotations

import re
import shutil

import pytest

from course import site, slides
from course.config import NOTEBOOKS, ROOT, lesson_notebooks, load_settings

from .conftest import IMAGES, run_folder, watch

pytestmark = pytest.mark.browser

ZH = "zh_CN"
EDITION = ROOT / site.EDITIONS[ZH]
DOCS = ROOT / "docs"

# every distinct CJK character of the page's article, drawn on a canvas in the article's font, compared with the
# drawing of two unassigned code points (the font's missing-glyph box): a character drawn like the box has no
# glyph in any installed font. The two boxes must match each other: else the comparison could find nothing.
MISSING_GLYPHS = r"""(selector) => {
    const root = document.querySelector(selector) || document.body;
    const canvas = document.createElement('canvas'); canvas.width = 48; canvas.height = 48;
    const g = canvas.getContext('2d', {willReadFrequently: true});
    const font = getComputedStyle(root).fontFamily;
    const draw = ch => { g.clearRect(0, 0, 48, 48); g.font = `32px ${font}`; g.fillText(ch, 4, 36);
                         return g.getImageData(0, 0, 48, 48).data.join(','); };
    const box = draw('\u0378');
    const chars = [...new Set(root.innerText.match(/[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]/g) || [])];
    return {chars: chars.length, missing: chars.filter(ch => draw(ch) === box), boxes_agree: draw('\u0379') === box};
}"""


@pytest.fixture(scope="module")
def site_url(static_server) -> str:
    return static_server(site.build(load_settings()))


@pytest.fixture(scope="module")
def zh_decks(static_server) -> str:
    out = slides.OUT.parent / "slides-zh-test"
    slides.build(load_settings(), lesson_notebooks(EDITION), out, site.TITLES[ZH])
    return static_server(out)


def _html(page: str, lang: str) -> str:
    return site.html_path(page, lang)


def test_the_glyph_check_finds_a_missing_glyph(browser):
    """The check itself: a character no font has is found, and Chinese text in a CJK font is not."""
    page = browser.new_page()
    page.set_content('<article lang="zh-CN">自编码器\u0379</article>')
    found = page.evaluate(MISSING_GLYPHS, "article")
    assert found["boxes_agree"]
    assert found["chars"] == 4
    assert found["missing"] == []
    page.set_content('<article lang="zh-CN">\u0379</article>')
    assert page.evaluate("() => document.querySelector('article').innerText") == "\u0379"


def test_every_chinese_page_loads_with_its_images_and_no_missing_glyph(browser, site_url):
    pages = [p.relative_to(ROOT).as_posix() for p in site.pages(ROOT, ZH)]
    assert len(pages) >= 21  # the front page, 9 lessons, 9 solutions, the docs
    for path in pages:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        seen = watch(page, site_url)
        page.goto(f"{site_url}/{_html(path, ZH)}", wait_until="load")
        page.wait_for_timeout(200)
        assert page.evaluate("() => document.documentElement.lang") == "zh-CN", path
        text = page.locator("article").inner_text()
        assert re.search(r"[\u4e00-\u9fff]", text), f"{path}: no Chinese on the page"
        images = page.evaluate(IMAGES)
        broken = [i["src"][:120] for i in images if i["src"].startswith(site_url) and not i["loaded"]]
        assert not broken, f"{path}: images did not load: {broken}"
        glyphs = page.evaluate(MISSING_GLYPHS, "article")
        assert glyphs["boxes_agree"]
        assert glyphs["chars"] > 20, path
        assert glyphs["missing"] == [], f"{path}: drawn as missing-glyph boxes: {glyphs['missing'][:20]}"
        assert not seen.errors, f"{path}: {seen.errors}"
        if path.endswith("05_knn_search.ipynb"):
            page.locator("article img").nth(1).scroll_into_view_if_needed()
            page.screenshot(path=str(run_folder() / "site-zh-05_knn_search.png"))
        page.close()


@pytest.mark.parametrize("lesson", lesson_notebooks(), ids=lambda p: p.stem)
def test_the_language_switch_opens_the_same_lesson_both_ways(browser, site_url, lesson):
    english = lesson.relative_to(ROOT).as_posix()
    chinese = (EDITION / lesson.relative_to(NOTEBOOKS)).relative_to(ROOT).as_posix()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = watch(page, site_url)
    page.goto(f"{site_url}/{_html(english, site.ENGLISH)}", wait_until="load")
    english_title = page.locator("article h1").first.inner_text()
    page.locator("p.language-switch a").click()
    page.wait_for_load_state("load")
    assert page.url == f"{site_url}/{_html(chinese, ZH)}"
    chinese_title = page.locator("article h1").first.inner_text()
    assert re.search(r"[\u4e00-\u9fff]", chinese_title), chinese_title
    assert re.match(r"\d+", chinese_title).group() == re.match(r"\d+", english_title).group()
    page.locator("p.language-switch a").click()
    page.wait_for_load_state("load")
    assert page.url == f"{site_url}/{_html(english, site.ENGLISH)}"
    assert not seen.errors, seen.errors
    page.close()


def test_every_page_of_both_sites_has_a_switch_that_leads_to_a_page(browser, site_url):
    page = browser.new_page()
    watch(page, site_url)
    for lang in (site.ENGLISH, ZH):
        for path in site.pages(ROOT, lang):
            page.goto(f"{site_url}/{_html(path.relative_to(ROOT).as_posix(), lang)}", wait_until="load")
            href = page.eval_on_selector("p.language-switch a", "a => a.href")
            response = page.request.get(href)
            assert response.ok, f"{path}: the switch leads to {href} ({response.status})"


def test_the_chinese_search_finds_a_lesson(browser, site_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = watch(page, site_url)
    page.goto(f"{site_url}/zh/search.html?q=autoencoder", wait_until="load")
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=20_000)
    assert results.count() >= 1
    assert not seen.errors, seen.errors


@pytest.mark.parametrize("lesson", lesson_notebooks(EDITION), ids=lambda p: p.stem)
def test_every_chinese_deck_opens_with_its_figures_and_no_missing_glyph(browser, zh_decks, lesson):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    seen = watch(page, zh_decks)
    page.goto(f"{zh_decks}/{lesson.stem}.slides.html", wait_until="load")
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=20_000)
    page.evaluate("() => Reveal.configure({transition: 'none'})")
    total = page.evaluate("() => Reveal.getTotalSlides()")
    assert total >= 3
    missing, shot = set(), run_folder() / f"slides-zh-{lesson.stem}.png"
    for _ in range(total):
        images = page.evaluate(
            "() => [...Reveal.getCurrentSlide().querySelectorAll('img')].map(i => i.complete && i.naturalWidth > 0)"
        )
        assert all(images), f"{lesson.stem}: a figure did not load"
        glyphs = page.evaluate(MISSING_GLYPHS, ".reveal .slides section.present")
        assert glyphs["boxes_agree"]
        missing |= set(glyphs["missing"])
        if lesson.stem == "02_encoder_decoder" and images and not shot.exists():
            page.wait_for_timeout(300)
            page.screenshot(path=str(shot))
        page.evaluate("() => Reveal.next()")
    assert not missing, f"{lesson.stem}: drawn as missing-glyph boxes: {sorted(missing)[:20]}"
    assert not seen.errors, seen.errors
    assert not seen.internet, seen.internet
    page.close()
    if shot.exists():  # the screenshots docs/ shows are these
        shutil.copy(shot, run_folder() / "slides-zh.png")

"""The course website (``python scripts/course.py site``) in headless Chromium: every page, image, link of the
navigation, and the search.

The pages are served from 127.0.0.1 and every request that leaves it is blocked and recorded: this machine has
no internet, and a learner's may not either. Those fetches are reported apart from real errors (a local file
missing, a script failing), and each page must still show its text and its own images without them.
"""

from __future__ import annotations

import re

import pytest

from course import site
from course.config import NOTEBOOKS, lesson_notebooks, load_settings, solution_notebooks

from .conftest import IMAGES, run_folder, watch

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site_url(static_server) -> str:
    return static_server(site.build(load_settings()))


def _pages() -> list[str]:
    """Every page of the table of contents, as its path in the site."""
    toc = site.toc()
    return ["README.html"] + [ch["file"] + ".html" for part in toc["parts"] for ch in part["chapters"]]


def test_every_page_loads_with_its_images_and_no_error(browser, site_url):
    internet, pages = set(), _pages()
    for path in pages:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        seen = watch(page, site_url)
        page.goto(f"{site_url}/{path}", wait_until="load")
        page.wait_for_timeout(300)
        assert page.title() and page.locator("article").inner_text().strip(), f"{path}: an empty page"
        images = page.evaluate(IMAGES)
        local = [i for i in images if i["src"].startswith(site_url) or i["src"].startswith("data:")]
        broken = [i["src"][:120] for i in local if not i["loaded"]]
        assert not broken, f"{path}: images did not load: {broken}"
        for i in images:
            if i not in local:  # an internet image (the Colab badge) cannot load here: its alt text must say what
                assert i["alt"].strip(), f"{path}: {i['src']} has no alt text"
        assert not seen.errors, f"{path}: {seen.errors}"
        internet |= {re.sub(r"^(https?://[^/]+).*", r"\1", u) for u in seen.internet}
        page.close()
    print(f"\n{len(pages)} pages; internet addresses asked for (blocked): {sorted(internet)}")


def test_the_navigation_reaches_every_notebook(browser, site_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch(page, site_url)
    page.goto(f"{site_url}/README.html", wait_until="load")  # index.html only redirects here
    links = page.eval_on_selector_all("nav.bd-docs-nav a.reference.internal", "els => els.map(e => e.href)")
    wanted = {p.relative_to(NOTEBOOKS).as_posix() for p in lesson_notebooks() + solution_notebooks()}
    reached = set()
    for href in links:
        page.goto(href, wait_until="load")
        heading = page.locator("article h1").first.inner_text()
        assert heading, href
        match = re.search(r"(notebooks/.+)\.html", href)
        if match:
            reached.add(match.group(1).removeprefix("notebooks/") + ".ipynb")
    assert wanted <= reached, f"not in the navigation: {sorted(wanted - reached)}"
    page.goto(f"{site_url}/notebooks/05_knn_search.html", wait_until="load")
    launch = page.eval_on_selector_all("a[href*='colab.research.google.com'], a[href*='mybinder.org']",
                                       "els => els.map(e => e.href)")
    settings = load_settings()
    assert any(u.endswith(f"{settings.repo_slug}/blob/{settings.branch}/notebooks/05_knn_search.ipynb")
               for u in launch), launch
    assert any("mybinder.org" in u and settings.repo_slug in u for u in launch), launch
    page.locator("article img").nth(1).scroll_into_view_if_needed()  # a figure: the neighbours of a query
    page.screenshot(path=str(run_folder() / "site-05_knn_search.png"))


def test_the_search_finds_the_lesson(browser, site_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = watch(page, site_url)
    page.goto(f"{site_url}/search.html?q=autoencoder", wait_until="load")
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=20_000)
    titles = results.all_inner_texts()
    assert len(titles) >= 3 and any("Training" in t for t in titles), titles
    assert not seen.errors, seen.errors
    page.screenshot(path=str(run_folder() / "site-search.png"))


def test_the_front_page_is_the_readme(browser, site_url):
    page = browser.new_page()
    watch(page, site_url)
    page.goto(f"{site_url}/index.html")
    page.wait_for_url("**/README.html", timeout=10_000)
    assert "Image similarity search in PyTorch" in page.locator("article h1").first.inner_text()

"""The course website (``python -m scripts.course site``) in headless Chromium: every page, image, link of the
navigation, the search, the equations (typeset by the MathJax served with the site) and the concept checks.

The pages are served from 127.0.0.1 and every request that leaves it is blocked and recorded: this machine has
no internet, and a learner's may not either. Those fetches are reported apart from real errors (a local file
missing, a script failing), and each page must still show its text and its own images without them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course import site
from course.config import NOTEBOOKS, ROOT, all_notebooks, lesson_notebooks, load_settings, solution_notebooks

from .conftest import IMAGES, fixture_lesson, run_folder, wait_for_mathjax, watch

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site_url(static_server) -> str:
    return static_server(site.build(load_settings()))


@pytest.fixture(scope="module")
def fixture_site(static_server, tmp_path_factory) -> tuple[str, Path]:
    """The site of a one-notebook fixture course (an equation, a schematic, a concept check): (its address, its
    notebook), for what no lesson notebook shows yet."""
    root = tmp_path_factory.mktemp("fixture-course")
    notebook = fixture_lesson(root / "repo")
    return static_server(site.build(load_settings(), root / "repo", root / "build")), notebook


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
        assert page.title(), f"{path}: an empty page"
        assert page.locator("article").inner_text().strip(), f"{path}: an empty page"
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
    launch = page.eval_on_selector_all(
        "a[href*='colab.research.google.com'], a[href*='mybinder.org']", "els => els.map(e => e.href)"
    )
    settings = load_settings()
    assert any(
        u.endswith(f"{settings.repo_slug}/blob/{settings.branch}/notebooks/05_knn_search.ipynb") for u in launch
    ), launch
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
    assert len(titles) >= 3, titles
    assert any("Training" in t for t in titles), titles
    assert not seen.errors, seen.errors
    page.screenshot(path=str(run_folder() / "site-search.png"))


def test_the_front_page_is_the_readme(browser, site_url):
    page = browser.new_page()
    watch(page, site_url)
    page.goto(f"{site_url}/index.html")
    page.wait_for_url("**/README.html", timeout=10_000)
    assert "Image similarity search in PyTorch" in page.locator("article h1").first.inner_text()


def _page(path: Path, root: Path = ROOT) -> str:
    return path.relative_to(root).with_suffix(".html").as_posix()


def _markdown(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def _quiz_cells(path: Path) -> list[dict]:
    return [
        c
        for c in json.loads(path.read_text())["cells"]
        if c["cell_type"] == "code" and "concept_check(" in "".join(c["source"]) and c.get("outputs")
    ]


# each math node Sphinx wrote (span.math inline, div.math displayed): typeset, an error, or left as raw TeX
MATH = """() => [...document.querySelectorAll('article .math')].map(m => ({
    typeset: m.querySelector('mjx-container') !== null, error: m.querySelector('mjx-merror') !== null,
    text: m.textContent.slice(0, 80)}))"""
# the article's text outside code and typeset math: where an equation MathJax missed would show its dollars
PROSE = """() => { const a = document.querySelector('article').cloneNode(true);
    a.querySelectorAll('pre, code, mjx-container, script, style').forEach(e => e.remove()); return a.textContent; }"""


def test_equations_are_typeset_offline(browser, site_url, fixture_site):
    """Every page whose notebook holds an equation shows it typeset by the site's own MathJax, no raw TeX; until
    a lesson notebook has one, the fixture course's page."""
    pages = [(site_url, _page(p)) for p in all_notebooks() if "$" in _markdown(p)]
    if not pages:
        url, notebook = fixture_site
        pages = [(url, _page(notebook, notebook.parents[1]))]
    for url, path in pages:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        seen = watch(page, url)
        page.goto(f"{url}/{path}", wait_until="load")
        wait_for_mathjax(page, path, seen)
        math = page.evaluate(MATH)
        assert math, f"{path}: no equation on the page"
        assert all(m["typeset"] and not m["error"] for m in math), (
            f"{path}: not typeset: {[m['text'] for m in math if not m['typeset'] or m['error']]}"
        )
        prose = page.evaluate(PROSE)
        assert "$$" not in prose, f"{path}: raw TeX on the page"
        assert "\\(" not in prose, f"{path}: raw TeX on the page"
        assert "\\[" not in prose, f"{path}: raw TeX on the page"
        assert page.evaluate("() => MathJax.version").startswith("3")
        # the internet is blocked: MathJax came with the site (and nothing asked a CDN for it)
        assert not seen.errors, (path, seen)
        assert not [u for u in seen.internet if "mathjax" in u.lower()], (path, seen)
        page.close()
    print(f"\n{len(pages)} pages with equations, all typeset")


def test_a_concept_check_answers_on_the_site(browser, site_url, fixture_site):
    """On every page with a concept check (until a lesson notebook has one, the fixture course's page), its first
    question shows its answers, and clicking one shows that answer's feedback from the quiz file."""
    pages = [(site_url, _page(p), p) for p in all_notebooks() if _quiz_cells(p)]
    if not pages:
        url, notebook = fixture_site
        pages = [(url, _page(notebook, notebook.parents[1]), notebook)]
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for url, path, notebook in pages:
        quiz = json.loads((notebook.parent / "quizzes" / f"{notebook.stem}.json").read_text())
        feedback = {" ".join(a["feedback"].split()) for q in quiz for a in q["answers"]}
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        seen = watch(page, url)
        page.goto(f"{url}/{path}", wait_until="load")
        answer = page.locator(".MCButton").first
        try:
            answer.wait_for(timeout=10_000)
        except PlaywrightTimeout:
            pytest.fail(f"{path}: the concept check shows no answer to click (its script did not run): {seen.errors}")
        assert page.locator(".MCButton").count() >= sum(len(q["answers"]) for q in quiz) or len(quiz) == 0
        expected = " ".join(answer.get_attribute("data-feedback").split())
        assert expected in feedback, f"{path}: the quiz on the page is not the quiz file's"
        answer.scroll_into_view_if_needed()
        answer.click()
        shown = page.locator(".Feedback").first
        page.wait_for_function("e => e.textContent.trim().length > 0", arg=shown.element_handle(), timeout=5_000)
        # a right answer's feedback ends with its count of right answers, "[1/1]"
        assert re.sub(r"\s*\[\d+/\d+\]$", "", " ".join(shown.inner_text().split())) == expected, path
        assert not seen.errors, (path, seen)
        assert not [u for u in seen.internet if "mathjax" in u.lower()], (path, seen)
        if path == pages[0][1]:
            shown.scroll_into_view_if_needed()
            page.screenshot(path=str(run_folder() / "site-quiz.png"))
        page.close()
    print(f"\n{len(pages)} pages with a concept check answered")


def test_each_task_has_its_worked_answer_folded_under_its_check(browser, site_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{site_url}/notebooks/05_knn_search.html", wait_until="load")
    fold = page.locator(".admonition.dropdown", has_text="Worked answer").first
    answer = fold.locator("pre", has_text="def cosine_knn(")
    assert fold.count() == 1, "the answer is folded until asked for"
    assert not answer.is_visible(), "the answer is folded until asked for"
    fold.locator(".admonition-title").click()
    answer.wait_for(state="visible", timeout=5000)
    assert "topk" in answer.inner_text()

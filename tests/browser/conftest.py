"""A JupyterLab server and a headless Chromium for the browser tests (``make test-browser``).

The server runs from this venv on 127.0.0.1 with a random free port and a random token, serving a temporary copy
of the notebooks; its settings, workspaces and runtime files live in that temporary folder too, so autosave and
``.ipynb_checkpoints`` never touch the repository. It is stopped by its own process id.

Chromium is Debian's (``apt-get install chromium``), driven by Playwright for Python through ``executable_path``:
no browser is downloaded. Without Chromium or Playwright the tests are skipped, saying which one is missing.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """The browser to drive: $CHROMIUM if set, else the first of Debian's names on PATH."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    return next((found for name in CHROMIUM_CANDIDATES if (found := shutil.which(name))), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_folder() -> Path:
    """Where screenshots go: ``<run dir>/browser`` (the run dir of ``make test`` unless TUTORIAL_RUN_DIR says)."""
    base = Path(os.environ.get("TUTORIAL_RUN_DIR", ROOT / "runs" / "test"))
    folder = base / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Lab:
    url: str
    token: str
    notebooks: Path
    run_dir: Path
    log: Path
    errors: list[str] = field(default_factory=list)
    internet: list[str] = field(default_factory=list)  # blocked requests to the internet (not errors)

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip("no Chromium found: install Debian's with `apt-get install -y chromium` (or set CHROMIUM=path)")
    pytest.importorskip("playwright", reason="Playwright for Python is not installed: pip install -e '.[browser]'")
    return path


@pytest.fixture(scope="session")
def lab(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    home = tmp_path_factory.mktemp("lab")
    notebooks = home / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    run_dir = home / "run"
    # every cell in the page (no virtual scrolling), so the tests can see every prompt
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}')
    env = {
        **os.environ,
        "TUTORIAL_RUN_DIR": str(run_dir),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
    }
    port, token = free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={notebooks}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
        "--LabApp.expose_app_in_browser=True",
    ]  # window.jupyterapp: the kernel's state
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = run_folder() / "jupyterlab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start (exit code {proc.poll()}); see {log}")
            time.sleep(0.5)
        yield Lab(url, token, notebooks, run_dir, log)
    finally:
        proc.send_signal(signal.SIGTERM)  # by its own process id; the server shuts its kernels down first
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@dataclass
class Page:
    """What one page load did: requests to the internet (blocked: this machine has none, and a page must read
    well without them) kept apart from real errors (a local file that failed, a script error)."""

    internet: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def static_server() -> Iterator[Callable[[Path], str]]:
    """A function that serves a folder over http://127.0.0.1 (a plain static server, as a host would) and
    returns its address; each folder gets its own server, stopped at the end of the session."""
    import functools
    import http.server
    import threading

    servers = []

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # no line per request in the test output
            pass

    def serve(folder: Path) -> str:
        handler = functools.partial(Quiet, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()


def block_internet(page, local: str, record: list[str]) -> None:
    """Let the page fetch only from ``local`` (and in-page data): every other request is aborted and recorded."""

    def route(r):
        if r.request.url.startswith((local, "data:", "blob:")):
            r.continue_()
        else:
            record.append(r.request.url)
            r.abort("internetdisconnected")

    page.route("**/*", route)


def watch(page, local: str) -> Page:
    """Block every request that leaves ``local`` and record it; record failed local requests and script errors."""
    seen = Page()
    block_internet(page, local, seen.internet)
    page.on(
        "requestfailed",
        lambda req: None if not req.url.startswith(local) else seen.errors.append(f"failed: {req.url} ({req.failure})"),
    )
    page.on(
        "response",
        lambda res: (
            seen.errors.append(f"HTTP {res.status}: {res.url}")
            if res.url.startswith(local) and res.status >= 400
            else None
        ),
    )
    page.on("pageerror", lambda err: seen.errors.append(f"script error: {err}"))
    return seen


# every <img>: where it comes from, whether it loaded, its alt text
IMAGES = """() => [...document.images].map(i => ({src: i.currentSrc || i.src, loaded: i.complete && i.naturalWidth > 0,
                                                    alt: i.alt, visible: i.getClientRects().length > 0}))"""


# -- a small lesson for the course kit's tests: an equation, a schematic, a figure, a concept check ---------------

FIXTURE_QUIZ = [
    {
        "question": "Why does the cosine similarity ignore a vector's length?",
        "type": "multiple_choice",
        "answers": [
            {
                "answer": "It divides by both lengths",
                "correct": True,
                "feedback": "Right: the dot product is divided by both lengths.",
            },
            {
                "answer": "It squares the vectors",
                "correct": False,
                "feedback": "No: nothing is squared; the dot product is divided by both lengths.",
            },
        ],
    }
]
FIXTURE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60" viewBox="0 0 120 60">'
    '<rect x="5" y="5" width="110" height="50" fill="none" stroke="black"/></svg>\n'
)


def fixture_lesson(root: Path, stem: str = "01_fixture") -> Path:
    """A one-notebook repository in ``root`` (README, ``notebooks/<stem>.ipynb`` executed here, its quiz JSON and
    a schematic in ``notebooks/figures``), marked up for slides as the lesson notebooks are; return the notebook.
    The kit's site and slides are built from it where no lesson notebook has an equation or a quiz yet."""
    import nbformat
    from nbclient import NotebookClient

    notebooks = root / "notebooks"
    (notebooks / "quizzes").mkdir(parents=True)
    (notebooks / "figures").mkdir()
    (root / "README.md").write_text("# A fixture course\n\nOne lesson.\n")
    (notebooks / "quizzes" / f"{stem}.json").write_text(json.dumps(FIXTURE_QUIZ, indent=1))
    (notebooks / "figures" / "box.svg").write_text(FIXTURE_SVG)

    def md(text, slide="skip", **meta):
        return nbformat.v4.new_markdown_cell(text, metadata={"slideshow": {"slide_type": slide}, **meta})

    def code(text, slide="skip", tags=()):
        return nbformat.v4.new_code_cell(text, metadata={"slideshow": {"slide_type": slide}, "tags": list(tags)})

    cells = [
        md("# 1 · A fixture lesson\n\nWith an equation, a schematic and a concept check.", "slide"),
        code("%matplotlib inline\nimport matplotlib.pyplot as plt\nimport numpy as np"),
        md(
            "## Cosine similarity\n\nThe cosine of the angle between $a$ and $b$ ignores their lengths:\n\n"
            "$$\\cos(a, b) = \\frac{a \\cdot b}{\\lVert a \\rVert \\, \\lVert b \\rVert}$$",
            "slide",
            speaker_notes="- Two vectors of any length that point the same way score 1.",
        ),
        md("![A box drawn with a black outline](figures/box.svg)", "subslide"),
        code(
            "a, b = np.array([3.0, 4.0]), np.array([6.0, 8.0])\ncos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))"
        ),
        code(
            "fig, ax = plt.subplots(figsize=(3, 2))\nax.plot([0, 3], [0, 4])\nplt.show()",
            "subslide",
            tags=["hide-input"],
        ),
        md("## Check your understanding\n\nOne question."),
        code(
            f'from tutorial_utils import concept_check\n\nconcept_check("quizzes/{stem}.json")',
            tags=["nbval-ignore-output", "remove-input"],
        ),
        md("## What we learned\n\n* $\\cos(a, b)$ is 1 for $a$ = $b$.\n\n## Exercises\n\n1. *(easy)* None.", "slide"),
    ]
    nb = nbformat.v4.new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(notebooks)}}).execute()
    path = notebooks / f"{stem}.ipynb"
    nbformat.write(nb, path)
    return path


def wait_for_mathjax(page, where: str, seen: Page, timeout: int = 20_000) -> None:
    """Wait until MathJax 3 has typeset the page; fail saying so (and what failed to load) if it never starts."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=timeout)
    except PlaywrightTimeout:
        pytest.fail(f"{where}: MathJax did not start; failed requests: {seen.errors}; blocked: {seen.internet}")
    page.evaluate("() => MathJax.startup.promise")

"""Notebooks 03 and 05 in JupyterLab in a real (headless) Chromium: run all, then use the widgets through the page.

Each check acts on the widget itself and then waits for its picture to change: finding an ``<img>`` alone would
pass even with a broken widget extension, since a stored static figure is still there.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path

import pytest
from PIL import Image

from tutorial_utils.paths import lesson_notebooks

from .conftest import ROOT, Lab, block_internet, run_folder

pytestmark = pytest.mark.browser

KERNEL_S = 120  # a cold machine imports torch in the kernel's first seconds
START_S = 30  # Run All must have started a cell by then
CELL_S = 180  # a running cell may go this long without new output (03's training prints a line per epoch)
REDRAW_S = 20  # a redraw takes about a second; generous for a busy machine

# the open notebook's kernel as JupyterLab's own session sees it (exposed by --LabApp.expose_app_in_browser)
KERNEL_STATE = """() => { const s = window.jupyterapp && window.jupyterapp.shell.currentWidget
                               && window.jupyterapp.shell.currentWidget.sessionContext;
    const k = s && s.session && s.session.kernel;
    return {ready: !!(s && s.isReady), noKernel: !s || s.hasNoKernel, name: s ? s.kernelDisplayName : null,
            connection: k ? k.connectionStatus : null, status: k ? k.status : null}; }"""
CELLS = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].map(c => ({
    prompt: ((c.querySelector('.jp-InputPrompt') || {}).textContent || '').trim(),
    source: ((c.querySelector('.jp-InputArea-editor .cm-line') || {}).textContent || '').trim().slice(0, 70),
    output: [...c.querySelectorAll('.jp-OutputArea-output')].map(e => e.textContent).join('').length,
    error: [...c.querySelectorAll(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")]
             .map(e => e.textContent).filter(t => t.includes('Traceback') || t.includes('Error')).join('\\n')}))"""


@pytest.fixture(scope="module")
def page(browser, lab: Lab):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    # this machine has no internet: what a page asks of it (the Colab badge's image) is blocked and listed apart
    block_internet(page, lab.url, lab.internet)

    def console_error(message) -> None:
        url = (message.location or {}).get("url", "")
        if message.type != "error" or (message.text.startswith("Failed to load resource") and url in lab.internet):
            return
        lab.errors.append(f"console: {message.text} ({url})")

    page.on("console", console_error)
    page.on("pageerror", lambda e: lab.errors.append(f"page error: {e}"))
    yield page
    context.close()


def run_all(page, lab: Lab, notebook: str) -> None:
    """Open ``notebook``, clear its stored outputs, run all cells through the Run menu, wait for every cell.

    Run All is clicked only once JupyterLab's session has a connected, idle kernel: JupyterLab's run action
    clears a cell instead of running it when the session still has no kernel after trying to start one (a kernel
    dialog, a slow start), and a wait for prompts would then hang. Each wait fails fast and names what is stuck.
    """
    page.goto(lab.notebook_url(notebook))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    wait_for_kernel(page, notebook)
    menu_command(page, "Edit", "editmenu:clear-all")
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-Notebook .jp-OutputArea-output').length === 0", timeout=10_000
    )
    menu_command(page, "Run", "runmenu:run-all")
    wait_for_cells(page, notebook)


def wait_for_kernel(page, notebook: str) -> None:
    deadline = time.monotonic() + KERNEL_S
    state = page.evaluate(KERNEL_STATE)
    while not (
        state["ready"] and not state["noKernel"] and state["connection"] == "connected" and state["status"] == "idle"
    ):
        assert time.monotonic() < deadline, f"{notebook}: no idle kernel after {KERNEL_S} s: {state}; {dialog(page)}"
        page.wait_for_timeout(250)
        state = page.evaluate(KERNEL_STATE)


def dialog(page) -> str:
    """The title of an open JupyterLab dialog (such as "Select Kernel"), which would block the run."""
    boxes = page.locator(".jp-Dialog .jp-Dialog-header")
    return f"dialog open: {boxes.first.inner_text()!r}" if boxes.count() else "no dialog open"


def wait_for_cells(page, notebook: str) -> None:
    """Until every code cell shows ``[n]``. Fails at once on a traceback; after START_S when no cell started;
    when the running cell (the first ``[*]``; the queued ones show it too) runs CELL_S without new output; or
    when no cell is running or queued but one shows no number. Each message names the cell."""
    started = time.monotonic()
    current, since, idle_since = None, started, None
    while True:
        cells = page.evaluate(CELLS)
        now = time.monotonic()
        for i, cell in enumerate(cells):
            assert not cell["error"], f"{notebook}: cell {i} ({cell['source']!r}) failed:\n{cell['error']}"
        done = [re.fullmatch(r"\[\d+\]:?", c["prompt"]) is not None for c in cells]
        if cells and all(done):
            return
        running = next((i for i, c in enumerate(cells) if "*" in c["prompt"]), None)
        if running is not None:
            idle_since = None
            if (running, cells[running]["output"]) != current:  # another cell, or new output: it is alive
                current, since = (running, cells[running]["output"]), now
            assert now - since < CELL_S, (
                f"{notebook}: cell {running} ({cells[running]['source']!r}) running with no new output for {CELL_S} s"
            )
        elif not any(done):
            assert now - started < START_S, (
                f"{notebook}: Run All started no cell within {START_S} s; "
                f"kernel {page.evaluate(KERNEL_STATE)}; {dialog(page)}"
            )
        else:  # something ran, nothing runs or waits now, yet a cell has no number: it was skipped
            idle_since = idle_since or now
            first = done.index(False)
            assert now - idle_since < 10, (
                f"{notebook}: cell {first} ({cells[first]['source']!r}) was never run; {dialog(page)}"
            )
        page.wait_for_timeout(500)


def menu_command(page, menu: str, command: str) -> None:
    """Click ``menu`` in the menu bar, then its item ``command``; wait for the menu to close."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(f"li.lm-Menu-item[data-command='{command}']").click()
    page.locator(".lm-Menu").first.wait_for(state="hidden", timeout=5_000)


def picture(page, selector: str) -> bytes:
    return page.locator(selector).screenshot()


def wait_for_change(page, selector: str, before: bytes) -> bytes:
    deadline = time.monotonic() + REDRAW_S
    while time.monotonic() < deadline:
        page.wait_for_timeout(250)
        now = picture(page, selector)
        if now != before:
            return now
    raise AssertionError(f"{selector} did not change within {REDRAW_S} s")


def no_widget_errors(page, lab: Lab) -> None:
    assert page.get_by_text("Error displaying widget").count() == 0
    assert not lab.errors, "\n".join(lab.errors)


def emoji_label(file: str) -> str:
    with open(ROOT / "data" / "emoji" / "labels.csv", newline="", encoding="utf-8") as f:
        names = {r["file"]: r["name"] for r in csv.DictReader(f)}
    return f"{names[file]} ({file})"


def uploads(folder: Path) -> dict[str, Path]:
    """Three awkward uploads: a 3000x200 CMYK JPEG, a transparent PNG, a truncated PNG."""
    folder.mkdir(parents=True, exist_ok=True)
    cmyk = Image.new("CMYK", (3000, 200), (0, 180, 220, 0))
    cmyk.paste((200, 0, 0, 0), (1300, 0, 1700, 200))
    cmyk.save(folder / "wide-cmyk.jpg", quality=90)
    rgba = Image.open(ROOT / "data" / "emoji" / "images" / "1f431.png").convert("RGBA").resize((160, 160))
    rgba.save(folder / "cat-transparent.png")
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG")
    (folder / "truncated.png").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 3])
    return {p.stem: p for p in folder.iterdir()}


def test_reconstruction_viewer_in_notebook_03(page, lab: Lab):
    run_all(page, lab, "03_training.ipynb")
    viewer = page.locator(".reconstruction-viewer")
    viewer.scroll_into_view_if_needed()
    before = picture(page, ".reconstruction-viewer .reconstruction-picture")
    readout = page.locator(".reconstruction-slider .widget-readout")
    assert readout.inner_text().strip() == "epoch 1"
    page.locator(".reconstruction-slider .noUi-handle").focus()
    for _ in range(20):  # to the last epoch, with the keyboard as a learner could
        page.keyboard.press("ArrowRight")
    wait_for_change(page, ".reconstruction-viewer .reconstruction-picture", before)
    history = json.loads((lab.run_dir / "history.json").read_text())
    assert readout.inner_text().strip() == f"epoch {history['settings']['epochs']}"
    viewer.screenshot(path=run_folder() / "reconstruction-viewer.png")
    no_widget_errors(page, lab)


def test_explorer_in_notebook_05(page, lab: Lab, tmp_path: Path):
    run_all(page, lab, "05_knn_search.ipynb")
    explorer = page.locator(".neighbour-explorer")
    explorer.scroll_into_view_if_needed()
    neighbours = ".neighbour-explorer .explorer-neighbours"
    cells = page.locator(f"{neighbours} .explorer-neighbour")
    caption = page.locator(".neighbour-explorer").get_by_text(re.compile("^query:"))
    assert cells.count() == 6
    shot = picture(page, neighbours)

    # another emoji, typed into the search box
    box = page.locator(".explorer-emoji input")
    box.fill(emoji_label("1f697.png"))
    box.press("Enter")
    shot = wait_for_change(page, neighbours, shot)
    assert "1f697.png" in caption.inner_text()
    assert cells.count() == 6

    # k, through the slider's editable readout
    readout = page.locator(".explorer-k .widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    shot = wait_for_change(page, neighbours, shot)
    assert cells.count() == 4

    # uploads: two images give neighbours, a truncated file gives a message and keeps the last results
    files = uploads(tmp_path)
    explorer.screenshot(path=run_folder() / "explorer-before-upload.png")

    def upload(path: Path) -> None:  # as a learner does: click the button, pick the file in the dialog
        with page.expect_file_chooser() as chooser:
            page.locator(".neighbour-explorer .explorer-upload").click()
        chooser.value.set_files(str(path))

    for stem in ("wide-cmyk", "cat-transparent"):
        upload(files[stem])
        shot = wait_for_change(page, neighbours, shot)
        assert f"upload: {files[stem].name}" in caption.inner_text()
        assert cells.count() == 4
    explorer.screenshot(path=run_folder() / "explorer-after-upload.png")
    kept = cells.all_inner_texts()  # ranks, distances and names of the cat's neighbours
    upload(files["truncated"])
    message = page.locator(".explorer-message")
    message.get_by_text("could not use truncated.png: truncated").wait_for(timeout=REDRAW_S * 1000)
    # the same neighbours (the message line moves them down the page, so their pixels are not compared)
    assert cells.all_inner_texts() == kept
    assert "upload: cat-transparent" in caption.inner_text()
    shot = picture(page, neighbours)

    # the metric
    page.locator(".explorer-metric button", has_text="euclidean").click()
    shot = wait_for_change(page, neighbours, shot)
    assert cells.count() == 4

    # a neighbour becomes the next query
    first = page.locator(f"{neighbours} .explorer-neighbour button").first
    chosen = first.get_attribute("title")
    first.click()
    shot = wait_for_change(page, neighbours, shot)
    assert chosen
    assert chosen in caption.inner_text()
    no_widget_errors(page, lab)


def exported_pages(tmp_path: Path) -> list[Path]:
    """The HTML files of ``make run`` when it has run, else the stored notebooks exported the same way."""
    made = sorted((ROOT / "runs" / "lesson" / "notebooks").glob("[0-9][0-9]_*.html"))
    if made:
        return made
    import nbformat
    from nbconvert import HTMLExporter

    out = []
    for nb_path in lesson_notebooks():
        html, _ = HTMLExporter().from_notebook_node(nbformat.read(nb_path, as_version=4))
        out.append(tmp_path / nb_path.with_suffix(".html").name)
        out[-1].write_text(html, encoding="utf-8")
    return out


def test_html_export_shows_every_figure(browser, tmp_path: Path):
    pages = exported_pages(tmp_path)
    assert len(pages) == len(lesson_notebooks())
    context = browser.new_context()
    view = context.new_page()
    try:
        for html in pages:
            source = html.with_suffix(".ipynb")  # the executed notebook beside a `make run` page
            source = source if source.is_file() else ROOT / "notebooks" / source.name
            notebook = json.loads(source.read_text())
            figures = sum("image/png" in o.get("data", {}) for c in notebook["cells"] for o in c.get("outputs", []))
            view.goto(html.resolve().as_uri())
            view.wait_for_load_state("load")
            loaded = view.evaluate("""() => [...document.querySelectorAll('.jp-OutputArea-output img')]
                                          .filter(i => i.complete && i.naturalWidth > 0).length""")
            assert loaded == figures, f"{html.name}: {loaded} figures shown, the notebook has {figures}"
    finally:
        context.close()

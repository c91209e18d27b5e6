"""Slides of each lesson notebook, from the notebook itself: ``nbconvert --to slides`` with reveal.js from npm.

Which cells make a slide is stored in the notebooks' cell metadata (``slideshow.slide_type``, what JupyterLab's
property inspector edits): the title, the sections, the equations and schematics, the key figures, the code that
is the idea (a "your turn" task, a short listing) and the takeaway; every other cell is skipped. A figure's cell
tagged ``hide-input`` shows the figure without the code that drew it (the site folds that code), and a cell's
``speaker_notes`` metadata become the slide's speaker notes (the template in ``course/templates/lesson_slides``).
reveal.js, RequireJS, jQuery and MathJax come from npm (``course/package.json``) at build time and are copied
beside the decks with the figures the notebooks' markdown shows, so the slides open from disk with no network.
The Chinese edition's decks (``notebooks/zh``) go to ``slides/zh/``.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
from pathlib import Path

from . import vendor
from .config import BUILD, ROOT, Settings, lesson_notebooks
from .vendor import NPM

OUT = BUILD / "slides"
TEMPLATES = ROOT / "course" / "templates"  # lesson_slides: nbconvert's reveal template, made to work offline
VENDOR = {"require.js": NPM / "requirejs" / "require.js", "jquery.min.js": NPM / "jquery" / "dist" / "jquery.min.js"}


def slide_types(path: Path) -> list[str]:
    """The slide type of every cell of a notebook, in order ("-", nbconvert's default, where none is set)."""
    cells = json.loads(path.read_text())["cells"]
    return [c["metadata"].get("slideshow", {}).get("slide_type", "-") for c in cells]


def build(
    settings: Settings, notebooks: list[Path] | None = None, out: Path = OUT, title: str | None = None
) -> list[Path]:
    """One deck per lesson notebook (or per one of ``notebooks``, all in one folder) in ``out``, plus
    ``out/index.html`` listing them under ``title`` (default: the course's); return the decks."""
    title = title or f"{settings.title}: slides"
    vendor.npm_install()
    notebooks = lesson_notebooks() if notebooks is None else notebooks
    if out.exists():
        shutil.rmtree(out)
    (out / "vendor").mkdir(parents=True)
    for name, source in VENDOR.items():
        shutil.copy(source, out / "vendor" / name)
    for part in ("dist", "plugin"):
        shutil.copytree(NPM / "reveal.js" / part, out / "reveal.js" / part)
    mathjax = vendor.copy_mathjax(out / "mathjax")
    figures = {nb.parent / "figures" for nb in notebooks if (nb.parent / "figures").is_dir()}
    for folder in figures:  # markdown images: ![...](figures/x.svg)
        shutil.copytree(folder, out / "figures", dirs_exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nbconvert",
            "--to",
            "slides",
            *map(str, notebooks),
            "--output-dir",
            str(out),
            "--log-level",
            "WARN",
            f"--TemplateExporter.extra_template_basedirs={TEMPLATES}",
            "--template",
            "lesson_slides",
            "--SlidesExporter.reveal_url_prefix=reveal.js",
            "--SlidesExporter.reveal_theme=white",
            "--TemplateExporter.exclude_input_prompt=True",
            "--TemplateExporter.exclude_output_prompt=True",
            f"--HTMLExporter.mathjax_url={mathjax.relative_to(out).as_posix()}",
            "--HTMLExporter.require_js_url=vendor/require.js",
            "--HTMLExporter.jquery_url=vendor/jquery.min.js",
        ],
        check=True,
    )
    decks = [out / f"{notebook.stem}.slides.html" for notebook in notebooks]
    missing = [d.name for d in decks if not d.exists()]
    if missing:
        raise RuntimeError(f"nbconvert wrote no deck for {', '.join(missing)}")
    items = "\n".join(
        f'<li><a href="{d.name}">{html.escape(d.name.removesuffix(".slides.html"))}</a></li>' for d in decks
    )
    (out / "index.html").write_text(
        f"<!doctype html>\n<meta charset=utf-8>\n<title>{html.escape(title)}</title>\n<h1>{html.escape(title)}</h1>\n"
        f"<ul>\n{items}\n</ul>\n",
        encoding="utf-8",
    )
    return decks

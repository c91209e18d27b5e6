"""Slides of each lesson notebook, from the notebook itself: ``nbconvert --to slides`` with reveal.js from npm.

Which cells make a slide is stored in the notebooks' cell metadata (``slideshow.slide_type``, what JupyterLab's
property inspector edits): the title, the sections, the key figures, the key code and the takeaway; every other
cell is skipped. reveal.js, RequireJS and jQuery come from npm (``course/package.json``) at build time and are
copied beside the decks, so the slides open from disk with no network.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
from pathlib import Path

from .config import BUILD, ROOT, Settings, lesson_notebooks

OUT = BUILD / "slides"
NPM = ROOT / "course" / "node_modules"
TEMPLATES = ROOT / "course" / "templates"  # lesson_slides: nbconvert's reveal template, made to work offline
VENDOR = {"require.js": NPM / "requirejs" / "require.js", "jquery.min.js": NPM / "jquery" / "dist" / "jquery.min.js"}


def npm_install() -> None:
    """Install the pinned front-end packages (``course/package-lock.json``) unless they are there already."""
    if all(p.exists() for p in VENDOR.values()) and (NPM / "reveal.js" / "dist" / "reveal.js").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm not found: the slides take reveal.js from npm (install Node.js and npm)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefix", str(ROOT / "course")], check=True)


def slide_types(path: Path) -> list[str]:
    """The slide type of every cell of a notebook, in order ("-", nbconvert's default, where none is set)."""
    cells = json.loads(path.read_text())["cells"]
    return [c["metadata"].get("slideshow", {}).get("slide_type", "-") for c in cells]


def build(settings: Settings) -> list[Path]:
    """One deck per lesson notebook in ``OUT``, plus ``OUT/index.html`` listing them; return the decks."""
    npm_install()
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "vendor").mkdir(parents=True)
    for name, source in VENDOR.items():
        shutil.copy(source, OUT / "vendor" / name)
    for part in ("dist", "plugin"):
        shutil.copytree(NPM / "reveal.js" / part, OUT / "reveal.js" / part)
    notebooks = lesson_notebooks()
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "slides", *map(str, notebooks), "--output-dir",
                    str(OUT), "--log-level", "WARN", f"--TemplateExporter.extra_template_basedirs={TEMPLATES}",
                    "--template", "lesson_slides", "--SlidesExporter.reveal_url_prefix=reveal.js",
                    "--SlidesExporter.reveal_theme=white",
                    "--HTMLExporter.require_js_url=vendor/require.js",
                    "--HTMLExporter.jquery_url=vendor/jquery.min.js"], check=True)
    decks = [OUT / f"{notebook.stem}.slides.html" for notebook in notebooks]
    missing = [d.name for d in decks if not d.exists()]
    if missing:
        raise RuntimeError(f"nbconvert wrote no deck for {', '.join(missing)}")
    items = "\n".join(f'<li><a href="{d.name}">{html.escape(d.name.removesuffix(".slides.html"))}</a></li>'
                      for d in decks)
    (OUT / "index.html").write_text(f"<!doctype html>\n<meta charset=utf-8>\n<title>{html.escape(settings.title)}: "
                                    f"slides</title>\n<h1>{html.escape(settings.title)}: slides</h1>\n<ul>\n{items}\n"
                                    "</ul>\n")
    return decks

"""What the site and the slides load in the browser, from npm (``course/package.json``, pinned by its lock file):
reveal.js, RequireJS and jQuery for the slides, MathJax 3 for the equations of both. Installed once with
``npm ci`` and copied beside what is built, so that a page opens from disk or a static host with no network.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .config import ROOT

NPM = ROOT / "course" / "node_modules"
MATHJAX = NPM / "mathjax"
# MathJax's combined TeX + MathML input, HTML output component (what Sphinx loads by default, from a CDN)
MATHJAX_ENTRY = "tex-mml-chtml.js"
# what that component loads on demand: TeX extensions (\boldsymbol, ...), its fonts, the menu and the assistive
# MathML; not the speech-rule engine (sre/, 4 MB), which only the menu's opt-in "explorer" asks for
MATHJAX_PARTS = ("input/tex/extensions", "input/mml", "output/chtml", "ui", "a11y", "adaptors")
NEEDED = [
    NPM / "requirejs" / "require.js",
    NPM / "jquery" / "dist" / "jquery.min.js",
    NPM / "reveal.js" / "dist" / "reveal.js",
    MATHJAX / "es5" / MATHJAX_ENTRY,
]


def npm_install() -> None:
    """Install the pinned front-end packages (``course/package-lock.json``) unless they are there already."""
    if all(p.exists() for p in NEEDED):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm not found: the slides and the site take reveal.js and MathJax from npm (install Node.js and npm)"
        )
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefix", str(ROOT / "course")], check=True)


def copy_mathjax(target: Path) -> Path:
    """MathJax 3 in ``target`` (the folder of ``MATHJAX_ENTRY``), with its licence; return the entry file."""
    npm_install()
    es5 = MATHJAX / "es5"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy(es5 / MATHJAX_ENTRY, target / MATHJAX_ENTRY)
    for part in MATHJAX_PARTS:
        shutil.copytree(es5 / part, target / part)
    shutil.copy(MATHJAX / "LICENSE", target / "LICENSE")
    return target / MATHJAX_ENTRY

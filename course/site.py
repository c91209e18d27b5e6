"""The course website: Jupyter Book 1 over the stored outputs (nothing is executed), with launch buttons.

The notebooks, the worked solutions, the teacher guide and the docs pages are copied into a staging folder that
keeps their paths in the repository, so the site's "open in Colab / Binder" buttons and its source links point at
the same files on the configured branch. Jupyter Book 2 is not used: it fetches its template at build time.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from .config import BUILD, NOTEBOOKS, ROOT, Settings, lesson_notebooks, solution_notebooks

STAGE, OUT = BUILD / "book", BUILD / "site"
EXTENSIONS = ["sphinx_togglebutton", "sphinx_copybutton", "myst_nb", "jupyter_book", "sphinx_comments",
              "sphinx_external_toc", "sphinx.ext.intersphinx", "sphinx_design", "sphinx_book_theme"]


def _doc(path: Path) -> str:
    return path.relative_to(ROOT).with_suffix("").as_posix()


def toc() -> dict:
    """The site's chapters: the lesson, the worked solutions, the teacher guide, then the reference pages."""
    docs = sorted((ROOT / "docs").glob("*.md"), key=lambda p: (p.stem != "teaching", p.stem))  # the guide first
    return {"format": "jb-book", "root": "README", "parts": [
        {"caption": "The lesson", "chapters": [{"file": _doc(p)} for p in lesson_notebooks()]},
        {"caption": "Worked solutions", "chapters": [{"file": _doc(p)} for p in solution_notebooks()]},
        {"caption": "For teachers and maintainers", "chapters": [{"file": _doc(p)} for p in docs]
         + [{"file": "notebooks/README"}, {"file": "notebooks/stability"}]},
    ]}


def config(settings: Settings) -> dict:
    return {
        "title": settings.title, "author": settings.author, "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},  # the stored outputs, as nbval checks them
        "repository": {"url": settings.repo_url, "branch": settings.branch, "path_to_book": ""},
        "launch_buttons": {"colab_url": settings.colab_url, "binderhub_url": settings.binder_url,
                           "notebook_interface": "jupyterlab"},
        "html": {"use_repository_button": True, "use_edit_page_button": False, "use_issues_button": False},
        # Jupyter Book's own extensions less sphinx_thebe (live code from the internet, which also declares its
        # script twice on the search page: a script error there)
        "sphinx": {"config": {"html_show_copyright": False, "extensions": EXTENSIONS}},
    }


def stage(settings: Settings) -> Path:
    """Copy what the site shows into ``STAGE`` under its repository path, with the book's two settings files."""
    if STAGE.exists():
        shutil.rmtree(STAGE)
    files = [ROOT / "README.md", NOTEBOOKS / "README.md", NOTEBOOKS / "stability.md",
             *lesson_notebooks(), *solution_notebooks(), *(ROOT / "docs").glob("*.md"), *(ROOT / "docs").glob("*.png")]
    for path in files:
        target = STAGE / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    # JSON is YAML: the settings files need no YAML writer
    (STAGE / "_toc.yml").write_text(json.dumps(toc(), indent=1))
    (STAGE / "_config.yml").write_text(json.dumps(config(settings), indent=1))
    return STAGE


def build(settings: Settings) -> Path:
    """Build the site into ``OUT`` (``OUT/index.html``); raise with Jupyter Book's log if it fails."""
    stage(settings)
    jb = Path(sys.executable).parent / "jupyter-book"
    done = subprocess.run([str(jb), "build", str(STAGE), "--path-output", str(BUILD / "book-build")],
                          capture_output=True, text=True)
    html = BUILD / "book-build" / "_build" / "html"
    if done.returncode != 0 or not (html / "index.html").exists():
        raise RuntimeError(f"jupyter-book build failed ({done.returncode}):\n"
                           f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    if OUT.exists():
        shutil.rmtree(OUT)
    shutil.copytree(html, OUT)
    (OUT / "build.log").write_text(done.stdout + done.stderr)
    return OUT

"""The course website: Jupyter Book 1 over the stored outputs (nothing is executed), with launch buttons.

The notebooks, the worked solutions, the teacher guide and the docs pages are copied into a staging folder that
keeps their paths in the repository, so the site's "open in Colab / Binder" buttons and its source links point at
the same files on the configured branch; with them go the figures the notebooks' markdown shows
(``notebooks/figures``) and the concept checks' questions (``notebooks/quizzes``, which the stored quiz outputs
carry too). Equations are typeset by MathJax 3 from npm, served with the site (``_static/mathjax``), not from a
CDN. Jupyter Book 2 is not used: it fetches its template at build time.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from . import answers, vendor
from .config import BUILD, ROOT, Settings, lesson_notebooks, solution_notebooks

STAGE, OUT = BUILD / "book", BUILD / "site"
STATIC = "_vendor"  # in the staging folder: copied by Sphinx into the site's _static/ (not Jupyter Book's _static,
#                     whose every .js file it would load on every page)
# what the notebooks' markdown and quiz cells read, beside them: every file in these folders is staged
NOTEBOOK_ASSETS = ("figures", "quizzes")
EXTENSIONS = [
    "sphinx_togglebutton",
    "sphinx_copybutton",
    "myst_nb",
    "jupyter_book",
    "sphinx_comments",
    "sphinx_external_toc",
    "sphinx.ext.intersphinx",
    "sphinx_design",
    "sphinx_book_theme",
]


def _doc(path: Path, root: Path = ROOT) -> str:
    return path.relative_to(root).with_suffix("").as_posix()


def toc(root: Path = ROOT) -> dict:
    """The site's chapters: the lesson, the worked solutions, the teacher guide, then the reference pages
    (of the repository at ``root``; another root is a test's small repository). A part with no file is left out."""
    notebooks = root / "notebooks"
    docs = sorted((root / "docs").glob("*.md"), key=lambda p: (p.stem != "teaching", p.stem))  # the guide first
    parts = {
        "The lesson": lesson_notebooks(notebooks),
        "Worked solutions": solution_notebooks(notebooks),
        "For teachers and maintainers": docs
        + [p for p in (notebooks / "README.md", notebooks / "stability.md") if p.exists()],
    }
    return {
        "format": "jb-book",
        "root": "README",
        "parts": [
            {"caption": caption, "chapters": [{"file": _doc(p, root)} for p in files]}
            for caption, files in parts.items()
            if files
        ],
    }


def config(settings: Settings) -> dict:
    return {
        "title": settings.title,
        "author": settings.author,
        "only_build_toc_files": True,
        "exclude_patterns": ["_build", STATIC, "**.ipynb_checkpoints"],
        "execute": {"execute_notebooks": "off"},  # the stored outputs, as nbval checks them
        "repository": {"url": settings.repo_url, "branch": settings.branch, "path_to_book": ""},
        "launch_buttons": {
            "colab_url": settings.colab_url,
            "binderhub_url": settings.binder_url,
            "notebook_interface": "jupyterlab",
        },
        "html": {"use_repository_button": True, "use_edit_page_button": False, "use_issues_button": False},
        # Jupyter Book's own extensions less sphinx_thebe (live code from the internet, which also declares its
        # script twice on the search page: a script error there)
        # MathJax from the staged copy (Sphinx adds _static/ to a relative mathjax_path), loaded as the page's
        # head is read rather than deferred: a concept check's script asks for MathJax.version half a second
        # after it runs, and throws where MathJax is declared but not loaded yet (a slow host)
        "sphinx": {
            "config": {
                "html_show_copyright": False,
                "extensions": EXTENSIONS,
                "html_static_path": [STATIC],
                "mathjax_path": f"mathjax/{vendor.MATHJAX_ENTRY}",
                "mathjax_options": {"defer": None},
            }
        },
    }


def stage(settings: Settings, root: Path = ROOT, stage_dir: Path = STAGE) -> Path:
    """Copy what the site shows into ``stage_dir`` under its repository path, with MathJax and the book's two
    settings files."""
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    notebooks, docs = root / "notebooks", root / "docs"
    assets = [p for folder in NOTEBOOK_ASSETS for p in sorted((notebooks / folder).rglob("*")) if p.is_file()]
    files = [
        root / "README.md",
        *(p for p in (notebooks / "README.md", notebooks / "stability.md") if p.exists()),
        *lesson_notebooks(notebooks),
        *solution_notebooks(notebooks),
        *assets,
        *(p for pattern in ("*.md", "*.png", "*.svg") for p in docs.glob(pattern)),
    ]
    for path in files:
        target = stage_dir / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    for lesson in lesson_notebooks(notebooks):  # each task's worked answer, folded under its check
        solution = answers.solution_of(lesson)
        if solution.exists():
            staged = stage_dir / lesson.relative_to(root)
            folded = answers.fold_answers(json.loads(staged.read_text()), solution)
            staged.write_text(json.dumps(folded, indent=1, ensure_ascii=False) + "\n")
    vendor.copy_mathjax(stage_dir / STATIC / "mathjax")
    # JSON is YAML: the settings files need no YAML writer
    (stage_dir / "_toc.yml").write_text(json.dumps(toc(root), indent=1))
    (stage_dir / "_config.yml").write_text(json.dumps(config(settings), indent=1))
    return stage_dir


def build(settings: Settings, root: Path = ROOT, build_dir: Path = BUILD) -> Path:
    """Build the site of the repository at ``root`` into ``build_dir/site`` (its ``index.html``); raise with
    Jupyter Book's log if it fails. (Another root and build folder: a test's small repository.)"""
    staged = stage(settings, root, build_dir / STAGE.name)
    jb = Path(sys.executable).parent / "jupyter-book"
    done = subprocess.run(
        [str(jb), "build", str(staged), "--path-output", str(build_dir / "book-build")], capture_output=True, text=True
    )
    html = build_dir / "book-build" / "_build" / "html"
    if done.returncode != 0 or not (html / "index.html").exists():
        raise RuntimeError(
            f"jupyter-book build failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    out = build_dir / OUT.name
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(html, out)
    (out / "build.log").write_text(done.stdout + done.stderr)
    return out

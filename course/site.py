"""The course website: Jupyter Book 1 over the stored outputs (nothing is executed), with launch buttons.

The notebooks, the worked solutions, the teacher guide and the docs pages are copied into a staging folder that
keeps their paths in the repository, so the site's "open in Colab / Binder" buttons and its source links point at
the same files on the configured branch; with them go the figures the notebooks' markdown shows
(``notebooks/figures``) and the concept checks' questions (``notebooks/quizzes``, which the stored quiz outputs
carry too). Equations are typeset by MathJax 3 from npm, served with the site (``_static/mathjax``), not from a
CDN. Jupyter Book 2 is not used: it fetches its template at build time.

The Chinese site is a second book, built the same way from the Chinese edition (``notebooks/zh``, made by
``python -m scripts.translate``), ``README.zh-CN.md`` and ``docs/zh``, into ``site/zh/``: Sphinx's own
translation route fails on notebook sources, and Jupyter Book 1 cannot pass it a language. Every page of either
site starts with a link to the same page in the other language (or to the other site's front page, for the few
pages that have no translation).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from . import answers, vendor
from .config import BUILD, ROOT, Settings, lesson_notebooks, solution_notebooks

ENGLISH = "en"
EDITIONS = {"zh_CN": "notebooks/zh"}  # a translated site: its notebooks (the rest of its pages: PAGE_PAIRS)
SITE_FOLDERS = {ENGLISH: "", "zh_CN": "zh"}  # where each site lies in the built site folder
LANGUAGE_NAMES = {ENGLISH: "English", "zh_CN": "中文"}
HTML_LANG = {ENGLISH: "en", "zh_CN": "zh-CN"}
TITLES = {"zh_CN": "PyTorch 图像相似度搜索"}  # the English title is course.toml's
# the pages (besides the notebooks) that exist in both languages: English -> Chinese
PAGE_PAIRS = {
    "README.md": "README.zh-CN.md",
    "docs/teaching.md": "docs/zh/teaching.md",
    "docs/install.md": "docs/zh/install.md",
}
FRONT = {ENGLISH: "README.md", "zh_CN": "README.zh-CN.md"}
PART_NAMES = {
    ENGLISH: ("The lesson", "Worked solutions", "For teachers and maintainers"),
    "zh_CN": ("课程", "参考答案", "教师与维护者"),
}
WORKED_ANSWER = {ENGLISH: "Worked answer", "zh_CN": "参考答案"}

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


def _parts(root: Path, lang: str) -> dict[str, list[Path]]:
    notebooks = root / EDITIONS[lang] if lang != ENGLISH else root / "notebooks"
    docs_folder = root / "docs" / ("zh" if lang != ENGLISH else "")
    docs = sorted(docs_folder.glob("*.md"), key=lambda p: (p.stem != "teaching", p.stem))  # the guide first
    extra = [p for p in (notebooks / "README.md", notebooks / "stability.md") if p.exists()] if lang == ENGLISH else []
    lessons, solutions, guides = PART_NAMES[lang]
    return {lessons: lesson_notebooks(notebooks), solutions: solution_notebooks(notebooks), guides: docs + extra}


def pages(root: Path = ROOT, lang: str = ENGLISH) -> list[Path]:
    """Every page of the ``lang`` site, the front page first."""
    return [root / FRONT[lang], *(p for files in _parts(root, lang).values() for p in files)]


def toc(root: Path = ROOT, lang: str = ENGLISH) -> dict:
    """The site's chapters: the lesson, the worked solutions, the teacher guide, then the reference pages
    (of the repository at ``root``; another root is a test's small repository). A part with no file is left out."""
    parts = _parts(root, lang)
    return {
        "format": "jb-book",
        "root": Path(FRONT[lang]).with_suffix("").as_posix(),
        "parts": [
            {"caption": caption, "chapters": [{"file": _doc(p, root)} for p in files]}
            for caption, files in parts.items()
            if files
        ],
    }


def counterpart(page: str, lang: str, other: str) -> str:
    """The repository path of ``page`` (a page of the ``lang`` site) in the ``other`` language's site: its
    translation, or that site's front page where it has none."""
    if lang == ENGLISH:
        if page.startswith("notebooks/") and page.endswith(".ipynb"):
            return f"{EDITIONS[other]}/{page.removeprefix('notebooks/')}"
        return PAGE_PAIRS.get(page, FRONT[other])
    if page.startswith(EDITIONS[lang] + "/"):
        return "notebooks/" + page.removeprefix(EDITIONS[lang] + "/")
    return {v: k for k, v in PAGE_PAIRS.items()}.get(page, FRONT[other])


def html_path(page: str, lang: str) -> str:
    """Where the page of the ``lang`` site lies in the built site folder."""
    return "/".join(p for p in (SITE_FOLDERS[lang], Path(page).with_suffix(".html").as_posix()) if p)


def switch_link(page: str, lang: str) -> str:
    """The HTML of the link from ``page`` (of the ``lang`` site) to the same page in the other language."""
    other = next(k for k in SITE_FOLDERS if k != lang)
    here = Path(html_path(page, lang)).parent
    href = os.path.relpath(html_path(counterpart(page, lang, other), other), here)
    return (
        f'<p class="language-switch"><a href="{Path(href).as_posix()}" hreflang="{HTML_LANG[other]}" '
        f'lang="{HTML_LANG[other]}">{LANGUAGE_NAMES[other]}</a></p>'
    )


_MD_LINK = re.compile(r"(?<!!)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)")


def site_pages(root: Path) -> dict[str, set[str]]:
    """Language -> the repository paths of its site's pages (what :func:`outside_links` sorts links by)."""
    return {k: {p.relative_to(root).as_posix() for p in pages(root, k)} for k in SITE_FOLDERS}


def outside_links(
    text: str, page: str, lang: str, root: Path, settings: Settings, shown_by: dict[str, set[str]]
) -> str:
    """``text`` (markdown of ``page``) with each link to a file that this site does not show made to work: to the
    other language's site where that site shows it, else to the file on the repository's branch. ``shown_by``:
    :func:`site_pages`."""
    shown = shown_by[lang]
    others = {k: files for k, files in shown_by.items() if k != lang}

    def one(match: re.Match[str]) -> str:
        label, link = match.group(1), match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#", link):
            return match.group(0)
        path, _, anchor = link.partition("#")
        target = (root / page).parent / path
        try:
            rel = target.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return match.group(0)
        if rel in shown or not target.exists():
            return match.group(0)
        site_of = next((k for k, files in others.items() if rel in files), None)
        if site_of is not None:
            href = os.path.relpath(html_path(rel, site_of), Path(html_path(page, lang)).parent)
        else:
            kind = "tree" if target.is_dir() else "blob"
            href = f"{settings.repo_url}/{kind}/{settings.branch}/{rel}"
        href += f"#{anchor}" if anchor else ""
        words = re.sub(r"`([^`]+)`", r"<code>\1</code>", label)
        return f'<a href="{Path(href).as_posix() if site_of else href}">{words}</a>'

    return _MD_LINK.sub(one, text)


def relink_staged(
    staged: Path, page: str, lang: str, root: Path, settings: Settings, shown_by: dict[str, set[str]]
) -> None:
    """:func:`outside_links` over a staged page: a markdown file, or a notebook's markdown cells."""
    if staged.suffix == ".ipynb":
        notebook = json.loads(staged.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                cell["source"] = outside_links(text, page, lang, root, settings, shown_by)
        staged.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        staged.write_text(
            outside_links(staged.read_text(encoding="utf-8"), page, lang, root, settings, shown_by), encoding="utf-8"
        )


def add_switch(staged: Path, page: str, lang: str) -> None:
    """Put the language switch at the top of a staged page (a notebook's first cell, a page's first line)."""
    link = switch_link(page, lang)
    if staged.suffix == ".ipynb":
        notebook = json.loads(staged.read_text(encoding="utf-8"))
        cell = {
            "cell_type": "markdown",
            "id": "language-switch",
            "metadata": {"slideshow": {"slide_type": "skip"}, "tags": ["language-switch"]},
            "source": link,
        }
        notebook["cells"].insert(0, cell)
        staged.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        staged.write_text(link + "\n\n" + staged.read_text(encoding="utf-8"), encoding="utf-8")


def config(settings: Settings, lang: str = ENGLISH) -> dict:
    return {
        "title": TITLES.get(lang, settings.title),
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
                "language": HTML_LANG[lang].replace("-", "_"),  # the theme's own words (search, contents)
            }
        },
    }


def stage(settings: Settings, root: Path = ROOT, stage_dir: Path = STAGE, lang: str = ENGLISH) -> Path:
    """Copy what the ``lang`` site shows into ``stage_dir`` under its repository path, with MathJax and the book's
    two settings files; with the language switch when the repository has the other language's pages."""
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    notebooks = root / (EDITIONS[lang] if lang != ENGLISH else "notebooks")
    docs = root / "docs" / ("zh" if lang != ENGLISH else "")
    assets = [p for folder in NOTEBOOK_ASSETS for p in sorted((notebooks / folder).rglob("*")) if p.is_file()]
    shown = pages(root, lang)
    images = {p for folder in {docs, root / "docs"} for pattern in ("*.png", "*.svg") for p in folder.glob(pattern)}
    files = [*shown, *assets, *sorted(images)]
    for path in files:
        target = stage_dir / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    for lesson in lesson_notebooks(notebooks):  # each task's worked answer, folded under its check
        solution = answers.solution_of(lesson)
        if solution.exists():
            staged = stage_dir / lesson.relative_to(root)
            folded = answers.fold_answers(json.loads(staged.read_text()), solution, WORKED_ANSWER[lang])
            staged.write_text(json.dumps(folded, indent=1, ensure_ascii=False) + "\n")
    bilingual = all((root / FRONT[k]).exists() for k in SITE_FOLDERS)
    shown_by = site_pages(root)  # listed once for the whole site
    for path in shown:
        page = path.relative_to(root).as_posix()
        relink_staged(stage_dir / page, page, lang, root, settings, shown_by)
        if bilingual:
            add_switch(stage_dir / page, page, lang)
    vendor.copy_mathjax(stage_dir / STATIC / "mathjax")
    # JSON is YAML: the settings files need no YAML writer
    (stage_dir / "_toc.yml").write_text(json.dumps(toc(root, lang), indent=1))
    (stage_dir / "_config.yml").write_text(json.dumps(config(settings, lang), indent=1, ensure_ascii=False))
    return stage_dir


def build(settings: Settings, root: Path = ROOT, build_dir: Path = BUILD) -> Path:
    """Build the site of the repository at ``root`` into ``build_dir/site`` (its ``index.html``), and the Chinese
    site into ``site/zh`` where the repository has the Chinese edition; raise with Jupyter Book's log if one
    fails. (Another root and build folder: a test's small repository.)"""
    out = build_dir / OUT.name
    if out.exists():
        shutil.rmtree(out)
    for lang, folder in SITE_FOLDERS.items():
        if lang != ENGLISH and not (root / FRONT[lang]).exists():
            continue
        suffix = "" if lang == ENGLISH else f"-{folder}"
        staged = stage(settings, root, build_dir / f"{STAGE.name}{suffix}", lang)
        jb = Path(sys.executable).parent / "jupyter-book"
        output = build_dir / f"book-build{suffix}"
        done = subprocess.run(
            [str(jb), "build", str(staged), "--path-output", str(output)], capture_output=True, text=True
        )
        html = output / "_build" / "html"
        if done.returncode != 0 or not (html / "index.html").exists():
            raise RuntimeError(
                f"jupyter-book build ({lang}) failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
            )
        target = out / folder if folder else out
        shutil.copytree(html, target, dirs_exist_ok=True)
        (target / "build.log").write_text(done.stdout + done.stderr)
    return out

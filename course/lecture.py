"""Mark up the lesson notebooks for lecture slides: each cell's ``slideshow.slide_type``, a ``hide-input`` tag on
figure cells, and speaker notes on each section's slide. Idempotent: run it again and nothing changes.

    python -m scripts.course lecture            # mark up notebooks/0*.ipynb (after their outputs are stored)
    python -m scripts.course lecture --check    # change nothing; exit 1 if a notebook would change

What a lecture slide is (``python -m scripts.course slides`` makes one deck per notebook with nbconvert):
- a markdown cell with a ``#`` or ``##`` heading opens a slide (the title, a section, "What we learned",
  "Exercises"; a cell with text above such a heading is split there first: the text keeps the cell and its id,
  the heading starts a new cell ``<id>-section``); one with a ``###`` heading, a displayed equation (``$$``) or
  an image (a schematic) is a subslide of its section;
- a code cell whose output is a figure is a subslide showing the figure only (tag ``hide-input``: the slides
  leave its code out, the site folds it); one whose output is a results table (``format_table``) likewise;
- code that is the idea is shown: a ``show_source(...)`` listing (a subslide; run the script after the
  notebooks' outputs are stored, as a listing without its stored output is skipped), and a "your turn" task
  stub, on the slide of its task's introduction (``task-<name>-intro`` then ``task-<name>``);
- everything else is skipped: plumbing code (imports, loading, saving, checks), prose (it becomes the speaker
  notes), engineering notes (``<details>``), the Colab cells, the concept check (``quiz-intro``, ``quiz``: a quiz
  needs its JavaScript and a reader; its cell gets the tag ``remove-input``, so that the site shows the quiz
  without the call that draws it) and the task's check cell (``task-<name>-check``);
- each ``#``/``##`` slide gets speaker notes (cell metadata ``speaker_notes``, markdown; the slides template turns
  them into reveal.js notes, shown by pressing S): the first sentence or two of each skipped prose cell of its
  section (less sentences about the notebook's cells and lead-ins ending in a colon), up to four points. A
  section with no skipped prose has none.

The ``hide-input`` tags it adds stay when a cell changes (it never removes a tag); slide types and speaker notes
are recomputed from the cells every run, so a slide type edited by hand is overwritten: change the rules here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

FIGURE_MIME = ("image/png", "image/svg+xml", "image/jpeg", "image/gif")
HIDE = "hide-input"
QUIZ_TAG = "remove-input"  # the concept check's cell: the site shows the quiz, not the call that draws it
NOTES_KEY = "speaker_notes"
MAX_NOTES, NOTE_CHARS = 4, 220


def source(cell: dict) -> str:
    s = cell.get("source", "")
    return s if isinstance(s, str) else "".join(s)


def without_details(text: str) -> str:
    """Markdown less its folded ``<details>`` blocks (engineering notes) and fenced code."""
    text = re.sub(r"<details>.*?</details>", "", text, flags=re.S | re.I)
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def heading_level(text: str) -> int:
    """The level of the highest heading in a markdown text (1 for ``#``), 0 for none."""
    levels = [len(m.group(1)) for m in re.finditer(r"^(#{1,6})\s+\S", without_details(text), flags=re.M)]
    return min(levels, default=0)


def has_equation(text: str) -> bool:
    text = without_details(text)
    return "$$" in text or bool(re.search(r"\\begin\{(equation|align|gather)", text))


def has_image(text: str) -> bool:
    text = without_details(text)
    return bool(re.search(r"!\[[^\]]*\]\([^)]+\)", text) or re.search(r"<img\s", text, flags=re.I))


def output_kinds(cell: dict) -> set[str]:
    kinds = set()
    for out in cell.get("outputs", []):
        kinds |= set(out.get("data", {})) if "data" in out else {out.get("output_type", "")}
    return kinds


def is_task(cell_id: str, suffix: str = "") -> bool:
    return bool(re.fullmatch(rf"task-[a-z0-9_]+{suffix}", cell_id))


def is_quiz(cell: dict) -> bool:
    return cell["cell_type"] == "code" and (cell.get("id") == "quiz" or "concept_check(" in source(cell))


def classify(cell: dict, previous_shown: dict | None) -> tuple[str, bool]:
    """(slide type, whether the cell's input is hidden on the slide) of one cell."""
    cid, text, tags = cell.get("id", ""), source(cell), cell.get("metadata", {}).get("tags", [])
    if cid.startswith("colab") or {"colab-badge", "colab-setup", "remove-cell"} & set(tags):
        return "skip", False
    if cid in ("quiz-intro", "quiz") or "concept_check(" in text:
        return "skip", False
    if is_task(cid, "-check") or "your_turn(" in text:
        return "skip", False
    if cell["cell_type"] == "markdown":
        if is_task(cid, "-intro"):
            return "subslide", False
        if not without_details(text).strip():
            return "skip", False  # an engineering note, folded
        level = heading_level(text)
        if level in (1, 2):
            return "slide", False
        if level >= 3 or has_equation(text) or has_image(text):
            return "subslide", False
        return "skip", False
    if cell["cell_type"] != "code":
        return "skip", False
    if is_task(cid):  # the stub the learner fills in: the code is the idea, under its introduction
        intro = previous_shown is not None and previous_shown.get("id") == f"{cid}-intro"
        return ("-" if intro else "subslide"), False
    kinds = output_kinds(cell)
    if "show_source(" in text:  # the listing is its output: none stored, nothing to show
        return ("subslide" if kinds else "skip"), False
    if kinds & set(FIGURE_MIME):
        return "subslide", True
    if "format_table(" in text and "stream" in kinds:
        return "subslide", True
    return "skip", False


def first_sentences(text: str) -> str:
    """The first sentence of a prose cell (two when the first is short), as plain-ish markdown on one line."""
    text = without_details(text)
    text = re.sub(r"^#{1,6}\s.*$", "", text, flags=re.M)  # headings
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links: their text
    text = re.sub(r"<[^>]+>", "", text)  # HTML tags
    text = re.sub(r"^\s*(?:[*-]|\d+\.)\s+", "", text, flags=re.M)  # list markers
    text = " ".join(text.split())
    if not text:
        return ""
    sentences = re.split(r"(?<=[.!?:])\s+(?=[A-Z(*`$_\"'])", text)
    # what a speaker says: not the notebook's own plumbing ("the cell below prints ...") nor a lead-in to what
    # a cell shows ("... is the probability that:")
    good = [t for t in sentences if not t.endswith(":") and not re.search(r"\bcells?\b", t, flags=re.I)]
    if not good:
        return ""
    note = good[0]
    if len(note) < 60 and len(good) > 1:
        note += " " + good[1]
    if len(note) > NOTE_CHARS:
        note = note[:NOTE_CHARS].rsplit(" ", 1)[0] + " …"
    return note


def section_start(lines: list[str]) -> int | None:
    """The index of the first ``#``/``##`` heading line that has text above it in its cell (outside fenced code
    and ``<details>`` blocks), or None."""
    fence = details = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = not fence
        elif re.match(r"<details", stripped, flags=re.I):
            details = True
        elif re.match(r"</details>", stripped, flags=re.I):
            details = False
        elif not fence and not details and re.match(r"#{1,2}\s+\S", line) and any(prev.strip() for prev in lines[:i]):
            return i
    return None


def split_sections(cells: list[dict]) -> list[dict]:
    """Markdown cells split where a section heading follows other text, so that the heading opens its slide: the
    text above keeps the cell (and its id), the heading and what follows go into a new cell ``<id>-section``."""
    out = []
    for cell in cells:
        lines = source(cell).splitlines(keepends=True)
        at = section_start(lines) if cell["cell_type"] == "markdown" else None
        if at is None:
            out.append(cell)
            continue
        above = "".join(lines[:at]).rstrip("\n")
        cell["source"] = above.splitlines(keepends=True)
        new = {
            "cell_type": "markdown",
            "id": f"{cell.get('id', 'cell')}-section"[:64],
            "metadata": {},
            "source": "".join(lines[at:]).rstrip("\n").splitlines(keepends=True),
        }
        out.append(cell)
        out.extend(split_sections([new]))
    return out


def mark_up(nb: dict) -> tuple[dict, list[str]]:
    """The notebook with its section cells split and its slide metadata set; and warnings."""
    warnings, previous_shown = [], None
    nb["cells"] = split_sections(nb["cells"])
    cells = nb["cells"]
    types = []
    for cell in cells:
        slide_type, hide = classify(cell, previous_shown)
        types.append(slide_type)
        meta = cell.setdefault("metadata", {})
        meta.setdefault("slideshow", {})["slide_type"] = slide_type
        tag = HIDE if hide else QUIZ_TAG if is_quiz(cell) else None
        if tag and tag not in meta.get("tags", []):
            meta["tags"] = [*meta.get("tags", []), tag]
        if slide_type != "skip":
            previous_shown = cell
        if slide_type == "slide" and not re.match(r"\s*#{1,2}\s", source(cell)):
            warnings.append(f"cell {cell.get('id')}: a slide that does not open with its heading")
    # speaker notes: the skipped prose of each section, on the section's slide
    for i, cell in enumerate(cells):
        meta = cell["metadata"]
        if types[i] != "slide":
            meta.pop(NOTES_KEY, None)
            continue
        notes = []
        for j in range(i + 1, len(cells)):
            if types[j] == "slide":
                break
            other = cells[j]
            if (
                types[j] == "skip"
                and other["cell_type"] == "markdown"
                and other.get("id") != "quiz-intro"
                and (note := first_sentences(source(other)))
            ):
                notes.append(f"- {note}")
        if notes:
            meta[NOTES_KEY] = "\n".join(notes[:MAX_NOTES])
        else:
            meta.pop(NOTES_KEY, None)
    return nb, warnings


def mark_up_file(path: Path, check: bool = False) -> tuple[bool, str, list[str]]:
    """Mark up one notebook (or, with ``check``, only say whether it would change): (changed, summary, warnings)."""
    before = path.read_text(encoding="utf-8")
    nb, warnings = mark_up(json.loads(before))
    after = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    types = [c["metadata"]["slideshow"]["slide_type"] for c in nb["cells"]]
    summary = (
        f"{types.count('slide')} slides, {types.count('subslide')} subslides, "
        f"{sum(HIDE in c['metadata'].get('tags', []) for c in nb['cells'])} hidden inputs, "
        f"{sum(NOTES_KEY in c['metadata'] for c in nb['cells'])} with speaker notes"
    )
    if after != before and not check:
        path.write_text(after, encoding="utf-8")
    return after != before, summary, warnings

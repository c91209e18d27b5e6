"""The Chinese editions, made from the English notebooks and gettext catalogues: one source, two editions.

The English notebooks are the source. Their prose goes into one PO catalogue per notebook,
``locales/zh_CN/LC_MESSAGES/<notebook>.po``: one entry per markdown cell, with the cell's id as context, and one
per question, answer and feedback of its concept check. The package's printed messages (a task's verdict) are
in ``tutorial_utils.po``. Any PO editor (Poedit, Weblate, a text editor) edits them.

* :func:`update_catalogues` extracts the English again and merges it the gettext way: an entry whose English
  changed keeps its old translation, marked fuzzy, with the old English beside it; an entry whose cell is gone
  becomes obsolete; a new cell gets an empty entry. :func:`catalogue_counts` counts each kind.
* :func:`write_editions` writes ``notebooks/zh/`` and ``notebooks/zh_TW/``: every code cell, its outputs and every
  cell's metadata as in English, the markdown from the catalogue, the printed verdicts and the concept checks in
  the edition's language with the same numbers, links pointed at the edition's own pages.
* ``zh_TW`` is not translated by hand: its catalogues are converted from ``zh_CN`` with OpenCC's ``s2twp``
  (Taiwan standard characters and phrases).

``python -m scripts.translate`` runs these; docs/zh/translating.md (in Chinese) tells translators how to work.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polib

from course.config import ROOT
from tutorial_utils import i18n
from tutorial_utils.paths import NOTEBOOKS, lesson_notebooks, solution_notebooks

REVIEWED = "zh_CN"  # translated and reviewed by people
CONVERTED = {"zh_TW": "s2twp"}  # made from REVIEWED by OpenCC with this profile
PACKAGE_SOURCES = ROOT / "tutorial_utils"
QUIZZES = NOTEBOOKS / "quizzes"
EDITION_ASSETS = ("figures",)  # folders beside the notebooks that each edition gets a copy of
OPEN_IN_COLAB = {"zh_CN": "在 Colab 中打开", "zh_TW": "在 Colab 中開啟"}
VERDICT_CALL = "your_turn("  # a cell that prints a task's verdict: its printed text is translated
FIX_COMMAND = "python -m scripts.translate update, translate the entries it names, then python -m scripts.translate"
# pages of the docs that have a Chinese version: a link to the English one goes to it instead
DOC_EDITIONS = {ROOT / "README.md": {"zh_CN": ROOT / "README.zh-CN.md"}}
_LINK = re.compile(r"(\]\()([^)\s]+)(\))")
_IMG_SRC = re.compile(r'(<img[^>]*\bsrc=")([^"]+)(")')
_COLAB_CHDIR = re.compile(r'(os\.chdir\(home \+ "/notebooks)((?:/solutions)?"\))')
_COLAB_PATH = re.compile(r"(colab\.research\.google\.com/github/[^)\s\"]+?/blob/[^/)\s\"]+/)notebooks/")


class TranslationError(ValueError):
    """A catalogue is missing, behind the English, or does not fit it: the message says which entry and how to fix."""


@dataclass(frozen=True)
class Message:
    """One translatable English text: where it comes from, its context (unique in its catalogue) and a hint."""

    context: str
    text: str
    comment: str
    occurrence: str


def _rel(path: Path) -> str:
    """``path`` as the messages name it: relative to the repository when inside it."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.as_posix()


def source_notebooks() -> list[Path]:
    return lesson_notebooks() + solution_notebooks()


def domain_of(notebook: Path) -> str:
    return notebook.stem


def _cell_text(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def translatable_cell(cell: dict) -> bool:
    """Markdown, except the Colab badge (its address is rewritten, not translated)."""
    tags = cell.get("metadata", {}).get("tags", [])
    return cell["cell_type"] == "markdown" and "colab-badge" not in tags and bool(_cell_text(cell).strip())


def quiz_of(notebook: Path) -> Path | None:
    quiz = QUIZZES / f"{notebook.stem}.json"
    return quiz if quiz.exists() and notebook.parent == NOTEBOOKS else None


def quiz_messages(quiz: Path) -> Iterator[Message]:
    where = quiz.relative_to(ROOT).as_posix()
    for i, question in enumerate(json.loads(quiz.read_text(encoding="utf-8")), 1):
        yield Message(f"quiz/{i}/question", question["question"], f"concept check, question {i}", where)
        for j, answer in enumerate(question["answers"], 1):
            yield Message(f"quiz/{i}/answer/{j}", answer["answer"], f"question {i}, answer {j}", where)
            if answer.get("feedback"):
                yield Message(f"quiz/{i}/feedback/{j}", answer["feedback"], f"question {i}, feedback {j}", where)


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def notebook_messages(notebook: Path, content: dict | None = None) -> list[Message]:
    """The markdown cells (context: the cell id) and the concept check of ``notebook``, in reading order;
    ``content``: the notebook's JSON, if already read (or changed)."""
    where = notebook.relative_to(ROOT).as_posix()
    found = []
    for index, cell in enumerate((content or read_notebook(notebook))["cells"]):
        if translatable_cell(cell):
            if "id" not in cell:
                raise TranslationError(f"{where}: markdown cell {index} has no id; nbformat 4.5 gives every cell one")
            found.append(Message(cell["id"], _cell_text(cell), f"markdown cell {index}", where))
    quiz = quiz_of(notebook)
    if quiz:
        found.extend(quiz_messages(quiz))
    return found


def _string_value(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def package_messages(folder: Path = PACKAGE_SOURCES) -> list[Message]:
    """Every ``_("...")`` template in the package's sources: the text a learner reads in a printed verdict.

    The context is the template itself: one entry per template, however often it is used.
    """
    found: dict[str, Message] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_" and node.args:
                text = _string_value(node.args[0])
                if text is None:
                    raise TranslationError(f"{path}:{node.lineno}: _() needs a string literal, not an expression")
                where = f"{path.relative_to(ROOT).as_posix()}:{node.lineno}"
                found.setdefault(text, Message(text, text, "printed by the package", where))
    return list(found.values())


def sources() -> dict[str, list[Message]]:
    """Catalogue name -> its English messages: one per notebook, and the package's."""
    catalogues = {domain_of(nb): notebook_messages(nb) for nb in source_notebooks()}
    catalogues[i18n.DOMAIN] = package_messages()
    return catalogues


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it holds it already (an unchanged file keeps its time); True if written."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def catalogue_path(lang: str, domain: str) -> Path:
    return i18n.catalogue_path(lang, domain)


def _new_catalogue(lang: str, domain: str) -> polib.POFile:
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": f"image-similarity-pytorch {domain}",
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": "nplurals=1; plural=0;",
    }
    return po


def merge(old: polib.POFile | None, messages: list[Message], lang: str, domain: str) -> polib.POFile:
    """``messages`` as a catalogue that keeps ``old``'s translations, the way msgmerge does (see the module)."""
    po = _new_catalogue(lang, domain)
    if old is not None:
        po.metadata = dict(old.metadata) or po.metadata
    current = {(e.msgctxt, e.msgid): e for e in old or [] if not e.obsolete}
    by_context = {e.msgctxt: e for e in old or [] if not e.obsolete}
    used: set[str | None] = set()
    for message in messages:
        entry = polib.POEntry(
            msgctxt=message.context,
            msgid=message.text,
            comment=message.comment,
            occurrences=[(message.occurrence, "")],
        )
        kept = current.get((message.context, message.text))
        if kept is not None:
            entry.msgstr = kept.msgstr
            entry.flags = list(kept.flags)
            entry.previous_msgid = kept.previous_msgid
            entry.tcomment = kept.tcomment
        elif message.context in by_context:
            before = by_context[message.context]
            entry.msgstr = before.msgstr
            entry.tcomment = before.tcomment
            if before.msgstr:
                entry.flags = ["fuzzy"]
                entry.previous_msgid = before.previous_msgid or before.msgid
        used.add(message.context)
        po.append(entry)
    for entry in old or []:
        if entry.msgctxt not in used and entry.msgstr:
            entry.obsolete = True
            po.append(entry)
    return po


def update_catalogues(langs: Iterable[str] = (REVIEWED,)) -> dict[str, dict[str, int]]:
    """Extract the English again and merge it into each catalogue of ``langs``; return the counts per catalogue."""
    counts = {}
    for domain, messages in sources().items():
        for lang in langs:
            path = catalogue_path(lang, domain)
            old = polib.pofile(str(path), wrapwidth=0) if path.exists() else None
            po = merge(old, messages, lang, domain)
            _write_if_changed(path, (str(po) + "\n").encode("utf-8"))
            counts[f"{lang}/{domain}"] = catalogue_counts(po)
    return counts


def catalogue_counts(po: polib.POFile) -> dict[str, int]:
    active = [e for e in po if not e.obsolete]
    return {
        "entries": len(active),
        "translated": sum(bool(e.msgstr) and "fuzzy" not in e.flags for e in active),
        "untranslated": sum(not e.msgstr for e in active),
        "fuzzy": sum("fuzzy" in e.flags for e in active),
        "obsolete": sum(e.obsolete for e in po),
    }


def convert_catalogues(converted: dict[str, str] = CONVERTED) -> list[Path]:
    """``zh_TW`` (and any other converted language) from the reviewed catalogues, msgstr by msgstr."""
    written = []
    for lang, profile in converted.items():
        for source in sorted(catalogue_path(REVIEWED, "x").parent.glob("*.po")):
            target = catalogue_path(lang, source.stem)
            _write_if_changed(target, converted_text(source, lang, profile).encode("utf-8"))
            written.append(target)
    return written


# ---------------------------------------------------------------------------------------------------------------
# the editions


def edition_path(english: Path, lang: str) -> Path:
    """Where the ``lang`` edition of ``english`` (a notebook, a quiz) lives: the same name in the edition's folder."""
    return i18n.EDITIONS[lang] / english.relative_to(NOTEBOOKS)


def translations(lang: str, domain: str, messages: list[Message]) -> dict[str, str]:
    """Context -> translation for ``messages``; every one must be translated, current and not fuzzy."""
    path = catalogue_path(lang, domain)
    rel = _rel(path)
    if not path.exists():
        raise TranslationError(f"{rel} is missing. Run: {FIX_COMMAND}")
    entries = {e.msgctxt: e for e in polib.pofile(str(path), wrapwidth=0) if not e.obsolete}
    table = {}
    for message in messages:
        entry = entries.get(message.context)
        where = f"{rel}: {message.occurrence} {message.comment} (msgctxt {message.context!r})"
        if entry is None or entry.msgid != message.text:
            raise TranslationError(f"{where}: the English changed and the catalogue lacks it. Run: {FIX_COMMAND}")
        if not entry.msgstr or "fuzzy" in entry.flags:
            state = "fuzzy (its English changed)" if entry.msgstr else "untranslated"
            raise TranslationError(f"{where} is {state}. Run: {FIX_COMMAND}")
        table[message.context] = entry.msgstr
    return table


def relink(text: str, english: Path, edition: Path, lang: str) -> str:
    """Relative links of ``english``'s text, made to work from ``edition``: to the edition of a notebook or page
    where there is one, else to the English file."""

    def target(link: str) -> str:
        if re.match(r"^[a-z][a-z0-9+.-]*:", link) or link.startswith(("#", "/")):
            return link
        path, _, anchor = link.partition("#")
        resolved = (english.parent / path).resolve()
        if not resolved.exists():
            raise TranslationError(f"{english.relative_to(ROOT)}: the link {link!r} points at nothing")
        if NOTEBOOKS in resolved.parents and not any(folder in resolved.parents for folder in i18n.EDITIONS.values()):
            resolved = edition_path(resolved, lang)  # a notebook, a figure: the edition has its own
        else:
            resolved = DOC_EDITIONS.get(resolved, {}).get(lang, resolved)
        relative = Path(os.path.relpath(resolved, edition.parent))
        return relative.as_posix() + (f"#{anchor}" if anchor else "")

    text = _LINK.sub(lambda m: m.group(1) + target(m.group(2)) + m.group(3), text)
    return _IMG_SRC.sub(lambda m: m.group(1) + target(m.group(2)) + m.group(3), text)


def edition_colab(text: str, lang: str) -> str:
    """The Colab badge's address, or the Colab cell's working folder, moved to the edition's folder: the one
    difference between an edition's code cells and the English ones."""
    folder = i18n.EDITIONS[lang].relative_to(NOTEBOOKS).as_posix()
    text = text.replace("![Open in Colab]", f"![{OPEN_IN_COLAB[lang]}]")  # the badge's alt text
    text = _COLAB_PATH.sub(lambda m: f"{m.group(1)}notebooks/{folder}/", text)
    return _COLAB_CHDIR.sub(lambda m: f"{m.group(1)}/{folder}{m.group(2)}", text)


def translated_quiz(quiz: Path, table: dict[str, str]) -> list[dict]:
    questions = json.loads(quiz.read_text(encoding="utf-8"))
    out = copy.deepcopy(questions)
    for i, question in enumerate(out, 1):
        question["question"] = table[f"quiz/{i}/question"]
        for j, answer in enumerate(question["answers"], 1):
            answer["answer"] = table[f"quiz/{i}/answer/{j}"]
            if answer.get("feedback"):
                answer["feedback"] = table[f"quiz/{i}/feedback/{j}"]
    return out


def _quiz_strings(english: list[dict], translated: list[dict]) -> list[tuple[str, str]]:
    pairs = []
    for q_en, q_tr in zip(english, translated, strict=True):
        pairs.append((q_en["question"], q_tr["question"]))
        for a_en, a_tr in zip(q_en["answers"], q_tr["answers"], strict=True):
            pairs.append((a_en["answer"], a_tr["answer"]))
            if a_en.get("feedback"):
                pairs.append((a_en["feedback"], a_tr["feedback"]))
    return pairs


def _translate_quiz_output(text: str, pairs: list[tuple[str, str]]) -> tuple[str, int]:
    """The quiz's JavaScript output (jupyterquiz embeds the questions as JSON) with each English string swapped."""
    count = 0
    for english, translated in pairs:
        for encode in (lambda s: json.dumps(s), lambda s: json.dumps(s, ensure_ascii=False)):
            needle = encode(english)
            if needle in text:
                count += text.count(needle)
                text = text.replace(needle, encode(translated))
                break
    return text, count


def _join(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)


def _split(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def edition_notebook(english: Path, lang: str, content: dict | None = None) -> dict:
    """The ``lang`` edition of ``english`` as notebook JSON (see the module for what changes and what does not);
    ``content``: the English notebook's JSON, if already read (or changed)."""
    notebook = copy.deepcopy(content) if content is not None else read_notebook(english)
    messages = notebook_messages(english, notebook)
    table = translations(lang, domain_of(english), messages)
    edition = edition_path(english, lang)
    quiz = quiz_of(english)
    pairs = _quiz_strings(json.loads(quiz.read_text()), translated_quiz(quiz, table)) if quiz else []
    for cell in notebook["cells"]:
        text = _join(cell["source"])
        if translatable_cell(cell):
            cell["source"] = _split(relink(table[cell["id"]], english, edition, lang))
        elif "colab-badge" in cell["metadata"].get("tags", []) or "colab-setup" in cell["metadata"].get("tags", []):
            cell["source"] = _split(edition_colab(text, lang))
        verdict = cell["cell_type"] == "code" and VERDICT_CALL in text  # the only cells that print the package's
        for output in cell.get("outputs", []):  # messages: other printed text (a table) stays as it is
            if verdict and output.get("output_type") == "stream" and output.get("name") == "stdout":
                output["text"] = _split(i18n.translate_printed(_join(output["text"]), lang))
            data = output.get("data", {})
            if pairs and "application/javascript" in data:
                script, count = _translate_quiz_output(_join(data["application/javascript"]), pairs)
                if count:
                    data["application/javascript"] = _split(script)
    return notebook


def dumps(notebook: dict) -> str:
    """As Jupyter and nbformat write a notebook: one-space indent, non-ASCII kept, a final newline."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def edition_files(lang: str) -> dict[Path, str]:
    """Every file of the ``lang`` edition and its text: the notebooks and their concept checks."""
    files: dict[Path, str] = {}
    for english in source_notebooks():
        files[edition_path(english, lang)] = dumps(edition_notebook(english, lang))
        quiz = quiz_of(english)
        if quiz:
            table = translations(lang, domain_of(english), list(quiz_messages(quiz)))
            quiz_text = json.dumps(translated_quiz(quiz, table), indent=1, ensure_ascii=False) + "\n"
            files[edition_path(quiz, lang)] = quiz_text
    return files


def edition_assets(lang: str) -> dict[Path, bytes]:
    """The files an edition's markdown shows, copied unchanged: the schematics keep their English labels (no CJK
    font is needed to draw them)."""
    return {
        edition_path(path, lang): path.read_bytes()
        for folder in EDITION_ASSETS
        for path in sorted((NOTEBOOKS / folder).iterdir())
        if path.is_file()
    }


def write_editions(langs: Iterable[str] = tuple(i18n.EDITIONS)) -> list[Path]:
    """Write every edition; return the files whose text changed."""
    changed = []
    for lang in langs:
        files = {path: text.encode("utf-8") for path, text in edition_files(lang).items()} | edition_assets(lang)
        changed += [path for path, data in files.items() if _write_if_changed(path, data)]
    return changed


def converted_text(source: Path, lang: str, profile: str) -> str:
    """The ``lang`` catalogue made from the reviewed catalogue ``source`` with OpenCC's ``profile``."""
    import opencc

    converter = opencc.OpenCC(profile)
    po = polib.pofile(str(source), wrapwidth=0)
    po.metadata["Language"] = lang
    po.metadata["X-Converted-From"] = f"{REVIEWED} with OpenCC {profile}"
    for entry in po:
        if entry.msgstr:
            entry.msgstr = converter.convert(entry.msgstr)
    return str(po) + "\n"


def check_all() -> list[str]:
    """What ``python -m scripts.translate`` would change or refuse, as sentences: catalogues behind the English,
    entries that need a translator, converted catalogues or edition files that differ from what they would be."""
    problems: list[str] = []
    for domain, messages in sources().items():
        path = catalogue_path(REVIEWED, domain)
        rel = path.relative_to(ROOT).as_posix()
        if not path.exists():
            problems.append(f"{rel} is missing. Run: {FIX_COMMAND}")
            continue
        old = polib.pofile(str(path), wrapwidth=0)
        merged = merge(old, messages, REVIEWED, domain)
        count = catalogue_counts(merged)
        for entry in merged:
            if entry.obsolete:
                problems.append(f"{rel} (msgctxt {entry.msgctxt!r}) is obsolete: its English is gone. Delete it.")
            elif not entry.msgstr or "fuzzy" in entry.flags:
                state = "fuzzy: its English changed" if entry.msgstr else "untranslated"
                occurrence = entry.occurrences[0][0] if entry.occurrences else rel
                problems.append(
                    f"{occurrence}: {entry.comment} (msgctxt {entry.msgctxt!r}) is {state} in {rel}. Run: {FIX_COMMAND}"
                )
        if not any(count[k] for k in ("untranslated", "fuzzy", "obsolete")) and str(merged) + "\n" != path.read_text(
            encoding="utf-8"
        ):
            problems.append(
                f"{rel} is not as the extraction writes it (an entry's English or place moved). Run: {FIX_COMMAND}"
            )
    if problems:
        return problems
    for lang, profile in CONVERTED.items():
        for source in sorted(catalogue_path(REVIEWED, "x").parent.glob("*.po")):
            target = catalogue_path(lang, source.stem)
            if not target.exists() or target.read_text(encoding="utf-8") != converted_text(source, lang, profile):
                problems.append(
                    f"{target.relative_to(ROOT)} is not the OpenCC {profile} conversion of {source.name}. "
                    f"Run: {FIX_COMMAND}"
                )
    for lang in i18n.EDITIONS:
        try:
            files = edition_files(lang)
        except TranslationError as error:
            problems.append(str(error))
            continue
        for path, data in ({p: t.encode("utf-8") for p, t in files.items()} | edition_assets(lang)).items():
            if not path.exists() or path.read_bytes() != data:
                problems.append(f"{_rel(path)} is not what the English and the catalogues make. Run: {FIX_COMMAND}")
    return problems


# ---------------------------------------------------------------------------------------------------------------
# checks of one translation against its English


_CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6}) ", re.MULTILINE)
_TARGET = re.compile(r"\]\(([^)\s]+)\)")
_PLACEHOLDER = re.compile(r"\{\w+(?:![rsa])?(?::[^{}]*)?\}")


def _structure(text: str) -> dict[str, list[str]]:
    fences = _FENCE.findall(text)
    rest = _FENCE.sub("", text)
    return {
        "code blocks": fences,
        "inline code": sorted(_CODE_SPAN.findall(rest)),
        "math": sorted(_MATH.findall(_CODE_SPAN.sub("", rest))),
        "headings": _HEADING.findall(rest),
        "link targets": sorted(_TARGET.findall(rest)),
        "fields": sorted(_PLACEHOLDER.findall(rest)),
    }


def prose_lint(text: str) -> list[str]:
    """autocorrect's findings for Chinese technical prose (spaces between Chinese and Latin text or digits,
    full-width punctuation in Chinese sentences), as "line N: old -> new"."""
    import autocorrect_py

    result = autocorrect_py.lint_for(text, "entry.md")
    return [f"line {line.line}: {line.old.strip()!r} -> {line.new.strip()!r}" for line in result.lines]


def entry_problems(entry: polib.POEntry) -> list[str]:
    """What is wrong with one translated entry: it must keep the English's code (blocks and inline), math, link
    targets, heading levels and message fields exactly, and pass the prose lint."""
    if not entry.msgstr:
        return []
    problems = []
    english, chinese = _structure(entry.msgid), _structure(entry.msgstr)
    for part, items in english.items():
        if items != chinese[part]:
            missing = [x for x in items if x not in chinese[part]][:3]
            extra = [x for x in chinese[part] if x not in items][:3]
            problems.append(f"{part} differ from the English (missing {missing}, extra {extra})")
    problems.extend(f"prose lint {finding}" for finding in prose_lint(entry.msgstr))
    return problems


def catalogue_problems(path: Path) -> list[str]:
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    problems = []
    for entry in polib.pofile(str(path), wrapwidth=0):
        if entry.obsolete:
            continue
        problems.extend(f"{rel} (msgctxt {entry.msgctxt!r}): {p}" for p in entry_problems(entry))
    return problems

"""The language of the text the package prints for a learner (every notebook's task verdicts), and its translations.

The lesson exists in English (``notebooks/``), Simplified Chinese (``notebooks/zh/``) and Traditional Chinese
(``notebooks/zh_TW/``), with the same code cells. A cell learns its language from the folder it runs in: Jupyter
starts each notebook's kernel in the notebook's own folder, so a kernel whose working folder lies in
``notebooks/zh/`` speaks Simplified Chinese. ``$TUTORIAL_LANGUAGE`` (``en``, ``zh_CN``, ``zh_TW``) overrides that.

A message is an English template with named fields, ``_("{n} checks pass").format(n=3)``; its translations are in
the gettext catalogue ``locales/<language>/LC_MESSAGES/tutorial_utils.po``. :func:`translate_printed` turns an
English text the package printed into the same text in another language, keeping every field's value: that is how
the Chinese notebooks' stored outputs are made from the English ones.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from tutorial_utils.paths import NOTEBOOKS, REPO_ROOT

ENGLISH = "en"
LOCALES = REPO_ROOT / "locales"
DOMAIN = "tutorial_utils"  # the package's own catalogue; the notebooks' catalogues are named after the notebooks
# each translated edition and its folder of notebooks
EDITIONS = {"zh_CN": NOTEBOOKS / "zh", "zh_TW": NOTEBOOKS / "zh_TW"}
LANGUAGES = (ENGLISH, *EDITIONS)
_FIELD = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")


def language(cwd: str | os.PathLike[str] | None = None) -> str:
    """``$TUTORIAL_LANGUAGE`` if set, else the edition whose folder holds ``cwd`` (the working folder), else English."""
    chosen = os.environ.get("TUTORIAL_LANGUAGE")
    if chosen:
        if chosen not in LANGUAGES:
            raise ValueError(f"TUTORIAL_LANGUAGE={chosen!r}: expected one of {', '.join(LANGUAGES)}")
        return chosen
    here = Path(cwd if cwd is not None else os.getcwd()).resolve()
    for name, folder in EDITIONS.items():
        if here == folder or folder in here.parents:
            return name
    return ENGLISH


def catalogue_path(lang: str, domain: str = DOMAIN) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{domain}.po"


@functools.cache
def messages(lang: str) -> dict[str, str]:
    """English template -> translated template, for the entries of the package's catalogue that are translated and
    not fuzzy (a fuzzy entry is an old translation of a changed English text: English is safer than a wrong one)."""
    if lang == ENGLISH:
        return {}
    import polib

    path = catalogue_path(lang)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no catalogue for language {lang!r}")
    entries = polib.pofile(str(path))
    return {e.msgid: e.msgstr for e in entries if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}


def _(template: str) -> str:
    """``template`` in the current language (:func:`language`); English where it has no translation yet."""
    return messages(language()).get(template, template)


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with each field replaced by its value as printed (a string: format specs are not applied)."""
    return _FIELD.sub(lambda match: values[match.group(1)], template)


@functools.cache
def _pattern(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    seen: set[str] = set()
    last = 0
    for match in _FIELD.finditer(template):
        parts.append(re.escape(template[last : match.start()]))
        name = match.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        last = match.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts), re.DOTALL)


def translate_printed(text: str, lang: str, templates: list[str] | None = None) -> str:
    """An English text the package printed, in ``lang``: each line that is a message (or a message after a
    prefix such as ``"  ✓ "``) is replaced by its translation, filled with the same values.

    The longest template that matches wins, and a field's value may itself be a message (a finding inside a
    report line), which is translated in turn. Lines that are no message stay as they are.
    """
    table = messages(lang)
    candidates = sorted(templates if templates is not None else table, key=len, reverse=True)

    def one(line: str) -> str:
        for template in candidates:
            match = _pattern(template).fullmatch(line)
            if match and template in table:
                values = {name: one(value) for name, value in match.groupdict().items()}
                return fill(table[template], values)
        prefix = re.match(r"^(\s*[✓✗→]\s+)(.*)$", line, re.DOTALL)
        if prefix:
            return prefix.group(1) + one(prefix.group(2))
        return line

    return "\n".join(one(line) for line in text.split("\n"))

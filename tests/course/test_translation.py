"""The Chinese editions cannot fall out of step with the English: every English text has a current translation,
the committed editions are exactly what the English and the catalogues make, their code and numbers are the
English ones, every link resolves, and the Chinese prose passes the linter."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from course import translation
from course.config import ROOT
from tutorial_utils import i18n
from tutorial_utils.paths import NOTEBOOKS

ENGLISH = translation.source_notebooks()
LANGS = list(i18n.EDITIONS)
CHINESE_PAGES = [ROOT / "README.zh-CN.md", *sorted((ROOT / "docs" / "zh").glob("*.md"))]


def _catalogues(lang: str) -> list[Path]:
    return sorted((i18n.LOCALES / lang / "LC_MESSAGES").glob("*.po"))


def test_every_notebook_and_the_package_have_a_catalogue_in_both_languages():
    names = {translation.domain_of(nb) for nb in ENGLISH} | {i18n.DOMAIN}
    for lang in [translation.REVIEWED, *translation.CONVERTED]:
        assert {p.stem for p in _catalogues(lang)} == names


@pytest.mark.parametrize("lang", [translation.REVIEWED, *translation.CONVERTED])
def test_no_entry_is_untranslated_fuzzy_or_obsolete(lang):
    for path in _catalogues(lang):
        counts = translation.catalogue_counts(polib.pofile(str(path), wrapwidth=0))
        assert (counts["untranslated"], counts["fuzzy"], counts["obsolete"]) == (0, 0, 0), (path.name, counts)
        assert counts["entries"] > 0


def test_catalogues_converted_catalogues_and_editions_are_current():
    """What `python -m scripts.translate` would write is what is committed, for both editions."""
    assert translation.check_all() == []


def test_a_changed_english_cell_fails_with_its_cell_and_the_command():
    english = NOTEBOOKS / "03_training.ipynb"
    content = translation.read_notebook(english)
    cell = next(c for c in content["cells"] if c.get("id") == "cell-10")
    cell["source"] = "".join(cell["source"]).replace("Four fifths", "Three quarters")
    with pytest.raises(translation.TranslationError) as caught:
        translation.edition_notebook(english, "zh_CN", content)
    message = str(caught.value)
    assert "'cell-10'" in message
    assert "notebooks/03_training.ipynb" in message
    assert "python -m scripts.translate" in message


def test_an_untranslated_or_fuzzy_entry_fails(tmp_path, monkeypatch):
    english = NOTEBOOKS / "02_encoder_decoder.ipynb"
    po = polib.pofile(str(translation.catalogue_path("zh_CN", english.stem)), wrapwidth=0)
    po[0].flags.append("fuzzy")
    po[1].msgstr = ""
    (tmp_path / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    po.save(str(tmp_path / "zh_CN" / "LC_MESSAGES" / f"{english.stem}.po"))
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    with pytest.raises(translation.TranslationError, match="fuzzy"):
        translation.edition_notebook(english, "zh_CN")
    po[0].flags.remove("fuzzy")
    po.save(str(tmp_path / "zh_CN" / "LC_MESSAGES" / f"{english.stem}.po"))
    with pytest.raises(translation.TranslationError, match="untranslated"):
        translation.edition_notebook(english, "zh_CN")


def test_merge_keeps_translations_marks_changed_entries_fuzzy_and_unused_ones_obsolete():
    old = translation.merge(
        None,
        [translation.Message("a", "One.", "", "x"), translation.Message("b", "Two.", "", "x")],
        "zh_CN",
        "t",
    )
    old[0].msgstr, old[1].msgstr = "一。", "二。"
    new = translation.merge(
        old, [translation.Message("a", "One!", "", "x"), translation.Message("c", "Three.", "", "x")], "zh_CN", "t"
    )
    counts = translation.catalogue_counts(new)
    assert counts == {"entries": 2, "translated": 0, "untranslated": 1, "fuzzy": 1, "obsolete": 1}
    changed = next(e for e in new if e.msgctxt == "a")
    assert changed.msgstr == "一。"
    assert changed.previous_msgid == "One."


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(source) -> str:
    return source if isinstance(source, str) else "".join(source)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.stem)
def test_code_outputs_and_metadata_are_the_english_ones(english, lang):
    """Cell for cell: same ids, types and metadata; code cells as in English (the Colab cell's folder aside);
    outputs as in English but for the package's printed verdicts and the concept check, which are translated."""
    edition = translation.edition_path(english, lang)
    ours, theirs = _cells(english), _cells(edition)
    assert [(c.get("id"), c["cell_type"]) for c in ours] == [(c.get("id"), c["cell_type"]) for c in theirs]
    translated_outputs = 0
    for en, zh in zip(ours, theirs, strict=True):
        assert en["metadata"] == zh["metadata"], en.get("id")
        if en["cell_type"] != "code":
            continue
        if "colab-setup" in en["metadata"].get("tags", []):
            assert _text(zh["source"]) == translation.edition_colab(_text(en["source"]), lang)
            continue
        assert _text(en["source"]) == _text(zh["source"]), en.get("id")
        assert len(en["outputs"]) == len(zh["outputs"])
        for out_en, out_zh in zip(en["outputs"], zh["outputs"], strict=True):
            if out_en == out_zh:
                continue
            translated_outputs += 1
            if out_en["output_type"] == "stream":
                assert translation.VERDICT_CALL in _text(en["source"]), "only a verdict's printed text changes"
                assert _text(out_zh["text"]) == i18n.translate_printed(_text(out_en["text"]), lang)
                numbers = [sorted(re.findall(r"\d+(?:\.\d+)?", _text(o["text"]))) for o in (out_en, out_zh)]
                assert numbers[0] == numbers[1], "a translated output keeps the English numbers (in any order)"
            else:
                assert set(out_en["data"]) == set(out_zh["data"])
                assert "var questions" in _text(out_zh["data"]["application/javascript"])
    printed_verdicts = sum("Your turn ·" in json.dumps(c.get("outputs", [])) for c in ours)
    quizzes = translation.quiz_of(english) is not None
    assert translated_outputs >= printed_verdicts + quizzes


@pytest.mark.parametrize("lang", LANGS)
def test_the_edition_notebooks_have_no_english_paragraph(lang):
    """A markdown cell of an edition holds Chinese in every paragraph that is prose (not code, math or a link)."""
    for english in ENGLISH:
        for cell in _cells(translation.edition_path(english, lang)):
            if not translation.translatable_cell(cell):
                continue
            text = re.sub(r"```.*?```|\$\$.*?\$\$|<[^>]+>", "", _text(cell["source"]), flags=re.DOTALL)
            for paragraph in re.split(r"\n\s*\n", text):
                words = re.sub(r"`[^`]*`|\$[^$]*\$|\]\([^)]*\)|[#*|>\-\d\s.,:;()\[\]!?=+/]", "", paragraph)
                if len(words) > 20:
                    assert re.search(r"[\u4e00-\u9fff]", paragraph), (english.name, cell.get("id"), paragraph[:80])


def _links(text: str) -> list[str]:
    return [m for m in re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r'src="([^"]+)"', text)]


@pytest.mark.parametrize("lang", LANGS)
def test_every_link_of_an_edition_resolves(lang):
    checked = 0
    for english in ENGLISH:
        edition = translation.edition_path(english, lang)
        for cell in _cells(edition):
            if cell["cell_type"] != "markdown":
                continue
            for link in _links(_text(cell["source"])):
                if re.match(r"^[a-z]+:|^#", link):
                    continue
                target = (edition.parent / link.partition("#")[0]).resolve()
                assert target.exists(), f"{edition.relative_to(ROOT)}: {link}"
                if target.suffix == ".ipynb":  # a lesson's link to another notebook stays inside its edition
                    assert i18n.EDITIONS[lang] in target.parents, f"{edition.relative_to(ROOT)}: {link}"
                checked += 1
    assert checked > 0


@pytest.mark.parametrize("page", CHINESE_PAGES, ids=lambda p: p.name)
def test_every_link_of_a_chinese_page_resolves(page):
    for link in _links(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:|^#", link):
            continue
        assert (page.parent / link.partition("#")[0]).resolve().exists(), f"{page.relative_to(ROOT)}: {link}"


def test_the_english_and_chinese_readmes_link_to_each_other():
    assert "README.zh-CN.md" in (ROOT / "README.md").read_text(encoding="utf-8").split("\n## ")[0]
    assert "](README.md)" in (ROOT / "README.zh-CN.md").read_text(encoding="utf-8").split("\n## ")[0]


def test_chinese_catalogues_keep_the_english_code_math_links_and_pass_the_prose_lint():
    problems = [p for path in _catalogues(translation.REVIEWED) for p in translation.catalogue_problems(path)]
    assert problems == []


@pytest.mark.parametrize("page", CHINESE_PAGES, ids=lambda p: p.name)
def test_chinese_pages_pass_the_prose_lint(page):
    assert translation.prose_lint(page.read_text(encoding="utf-8")) == []


def test_the_prose_lint_finds_missing_spaces_and_half_width_punctuation():
    assert translation.prose_lint("使用PyTorch训练自编码器,它有3层.")
    assert translation.prose_lint("使用 PyTorch 训练自编码器，它有 3 层。") == []


def test_a_translation_that_changes_code_math_or_a_link_is_reported():
    entry = polib.POEntry(msgid="Use `fit` with $x$, see [03](03_training.ipynb).", msgstr="使用 `train`，见 $y$。")
    problems = " ".join(translation.entry_problems(entry))
    assert "inline code" in problems
    assert "math" in problems
    assert "link targets" in problems


def test_glossary_has_one_chinese_term_per_english_term():
    rows = re.findall(r"^\| (.+?) \| (.+?) \|$", (ROOT / "docs" / "zh" / "glossary.md").read_text(), re.MULTILINE)
    english = [r[0] for r in rows[2:]]  # after the header and its rule
    assert len(english) == len(set(english)) > 40


@pytest.mark.parametrize("lang", LANGS)
def test_an_edition_kernel_knows_its_language_from_its_folder(lang, monkeypatch):
    monkeypatch.delenv("TUTORIAL_LANGUAGE", raising=False)
    assert i18n.language(i18n.EDITIONS[lang]) == lang
    assert i18n.language(i18n.EDITIONS[lang] / "solutions") == lang
    assert i18n.language(NOTEBOOKS) == i18n.ENGLISH
    assert i18n.language(NOTEBOOKS / "solutions") == i18n.ENGLISH
    monkeypatch.setenv("TUTORIAL_LANGUAGE", lang)
    assert i18n.language(NOTEBOOKS) == lang
    monkeypatch.setenv("TUTORIAL_LANGUAGE", "fr")
    with pytest.raises(ValueError, match="TUTORIAL_LANGUAGE"):
        i18n.language()


@pytest.mark.parametrize("lang", LANGS)
def test_an_edition_concept_check_is_the_translated_quiz(lang):
    for english in ENGLISH:
        quiz = translation.quiz_of(english)
        if quiz is None:
            continue
        ours = json.loads(quiz.read_text(encoding="utf-8"))
        theirs = json.loads(translation.edition_path(quiz, lang).read_text(encoding="utf-8"))
        assert len(ours) == len(theirs)
        for q_en, q_zh in zip(ours, theirs, strict=True):
            assert [a["correct"] for a in q_en["answers"]] == [a["correct"] for a in q_zh["answers"]]
            assert re.search(r"[\u4e00-\u9fff]", q_zh["question"])


@pytest.mark.parametrize("lang", LANGS)
def test_a_kernel_in_an_edition_folder_prints_what_its_notebook_stored(lang, monkeypatch):
    """Run from the edition's folder, as Jupyter runs its notebooks, a task check prints the edition's stored
    output: the language comes from the folder, not from anything in the (English) code."""
    monkeypatch.delenv("TUTORIAL_LANGUAGE", raising=False)
    edition = translation.edition_path(NOTEBOOKS / "01_dataset.ipynb", lang)
    cell = next(c for c in _cells(edition) if c.get("id") == "task-load_image-check")
    code = "def load_image(path, size):\n    raise NotImplementedError\n" + _text(cell["source"])
    done = subprocess.run([sys.executable, "-c", code], cwd=edition.parent, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == _text(cell["outputs"][0]["text"])
    assert re.search(r"[\u4e00-\u9fff]", done.stdout)

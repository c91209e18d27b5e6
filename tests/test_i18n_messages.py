"""The "your turn" verdicts in Chinese: printed directly in zh_CN, and translated from the English output by
:func:`tutorial_utils.i18n.translate_printed` (how the Chinese notebooks' stored outputs are made), the same text."""

from __future__ import annotations

import re

import pytest

from course import translation
from tests.tasks.test_checks import WRONG
from tutorial_utils import i18n
from tutorial_utils.tasks import TASKS, your_turn

ENGLISH_WORDS = re.compile(r"\b(?:the|is|are|of|and|expected|returns|checks?|your|shape|loss)\b")


@pytest.fixture
def printed(monkeypatch, capsys):
    """What ``your_turn(name, candidate)`` prints in a language."""

    def run(name, candidate, lang):
        monkeypatch.setenv("TUTORIAL_LANGUAGE", lang)
        i18n.messages.cache_clear()
        capsys.readouterr()
        your_turn(name, candidate)
        return capsys.readouterr().out

    yield run
    i18n.messages.cache_clear()


def _unwritten(*args, **kwargs):
    raise NotImplementedError


CANDIDATES = (
    [(name, TASKS[name].reference, "package") for name in sorted(TASKS)]
    + [(name, _unwritten, "unwritten") for name in sorted(TASKS)]
    + [(name, wrong, wrong.__name__) for name, wrong, _ in WRONG]
)


@pytest.mark.parametrize(("name", "candidate", "label"), CANDIDATES, ids=[f"{n}-{x}" for n, _, x in CANDIDATES])
def test_the_translated_english_output_is_the_chinese_output(printed, name, candidate, label):
    english = printed(name, candidate, "en")
    chinese = printed(name, candidate, "zh_CN")
    assert "Your turn ·" in english
    assert "动手练习 ·" in chinese
    assert "Your turn" not in chinese
    assert i18n.translate_printed(english, "zh_CN") == chinese
    # the same numbers in both (a translation may put its fields in another order)
    assert sorted(re.findall(r"\d+(?:\.\d+)?", english)) == sorted(re.findall(r"\d+(?:\.\d+)?", chinese))


@pytest.mark.parametrize(
    ("name", "candidate"), [("train_epoch", TASKS["train_epoch"].reference), (WRONG[6][0], WRONG[6][1])]
)
def test_a_verdict_prints_chinese_sentences(printed, name, candidate):
    chinese = printed(name, candidate, "zh_CN")
    for line in chinese.splitlines():
        prose = re.sub(r"[\w.]*\(\)|`[^`]*`|\b\w*_\w*\b|[\w./]+\.(?:ipynb|py)\b", "", line)
        assert not ENGLISH_WORDS.search(prose), line
        assert re.search(r"[\u4e00-\u9fff]", line), line


def test_every_template_has_a_translation_with_the_same_fields():
    table = i18n.messages("zh_CN")
    fields = re.compile(r"\{\w+(?:![rsa])?(?::[^{}]*)?\}")
    for template in (message.text for message in translation.package_messages()):
        assert table.get(template), template
        assert sorted(fields.findall(template)) == sorted(fields.findall(table[template])), template
        if template.startswith("{"):
            # a leading field takes a printed prefix such as "  ✗ " along: the translation must start with it too
            assert table[template].startswith(fields.match(template).group(0)), template

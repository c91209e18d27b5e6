from __future__ import annotations

import pytest

from tutorial_utils.data import FolderDataset
from tutorial_utils.notebook import format_table, show_source


def test_show_source_is_the_real_source():
    md = show_source(FolderDataset)
    assert md.data.startswith(
        "`tutorial_utils.data.FolderDataset`\n```python\nclass FolderDataset(Dataset[ImagePair]):"
    )
    assert "def __getitem__" in md.data
    assert md.data.endswith("```")


def test_format_table_aligns_and_formats_numbers():
    text = format_table([("a", 1234, 0.5), ("bbb", 7, 0.25)], ["name", "n", "x"])
    lines = text.splitlines()
    assert lines[0] == "name      n       x"
    assert lines[2] == "a     1,234  0.5000"
    assert lines[3] == "bbb       7  0.2500"
    assert len({len(line) for line in lines}) == 1


def test_a_concept_check_shows_its_questions_after_keeping_the_pages_mathjax(tmp_path, monkeypatch):
    import json

    import jupyterquiz
    from IPython import display as ipd

    from tutorial_utils.notebook import concept_check

    shown = []
    monkeypatch.setattr(ipd, "display", lambda obj: shown.append(obj))
    monkeypatch.setattr(jupyterquiz, "display_quiz", lambda ref: shown.append(("quiz", ref)))
    quiz = tmp_path / "q.json"
    answers = [{"answer": "a", "correct": True, "feedback": "yes"}, {"answer": "b", "correct": False, "feedback": "no"}]
    quiz.write_text(json.dumps([{"question": "Why?", "type": "multiple_choice", "answers": answers}]))
    concept_check(quiz)
    assert "MathJax.typeset" in shown[0].data
    assert shown[1] == ("quiz", str(quiz))
    quiz.write_text(json.dumps([{"question": "Is $x^2$ even?", "type": "multiple_choice", "answers": answers}]))
    with pytest.raises(ValueError, match=r"q\.json: a question holds math"):
        concept_check(quiz)

from __future__ import annotations

from tutorial_utils.data import FolderDataset
from tutorial_utils.notebook import format_table, show_source


def test_show_source_is_the_real_source():
    md = show_source(FolderDataset)
    assert md.data.startswith("`tutorial_utils.data.FolderDataset`\n```python\nclass FolderDataset(Dataset):")
    assert "def __getitem__" in md.data and md.data.endswith("```")


def test_format_table_aligns_and_formats_numbers():
    text = format_table([("a", 1234, 0.5), ("bbb", 7, 0.25)], ["name", "n", "x"])
    lines = text.splitlines()
    assert lines[0] == "name      n       x"
    assert lines[2] == "a     1,234  0.5000"
    assert lines[3] == "bbb       7  0.2500"
    assert len({len(line) for line in lines}) == 1

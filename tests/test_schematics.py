"""The lesson's schematics (notebooks/figures/*.svg): present, valid SVG, accessible, small, and what the script draws.

The bytes are not compared with a fresh drawing: matplotlib versions draw the same picture with different paths.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "notebooks" / "figures"
NAMES = ["autoencoder.svg", "nearest-neighbours.svg", "simclr-views.svg", "triplet.svg"]
MAX_BYTES = 150 * 1024
SVG = "{http://www.w3.org/2000/svg}"


def title_and_desc(path: Path) -> tuple[str, str]:
    """The text of the <title> and <desc> that are direct children of the root <svg> (where screen readers look)."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg", f"{path.name}: the root element is {root.tag}, not <svg>"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None, f"{path.name}: no <title> or <desc> inside <svg>"
    assert desc is not None, f"{path.name}: no <title> or <desc> inside <svg>"
    return (title.text or "").strip(), (desc.text or "").strip()


@pytest.mark.parametrize("name", NAMES)
def test_schematic_is_small_accessible_svg(name: str):
    path = FIGURES / name
    assert path.is_file(), f"{path} is missing: python scripts/draw_schematics.py draws it"
    assert path.stat().st_size < MAX_BYTES, f"{name}: {path.stat().st_size} bytes, over {MAX_BYTES}"
    title, desc = title_and_desc(path)
    assert title, f"{name}: empty <title>"
    assert len(desc) > len(title), f"{name}: the <desc> should describe the picture in more words than the title"


def test_script_draws_the_committed_set(tmp_path: Path):
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "draw_schematics.py"), "--out", str(tmp_path)],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    drawn = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert drawn == sorted(p.name for p in FIGURES.glob("*.svg")) == NAMES
    for name in NAMES:
        assert title_and_desc(tmp_path / name) == title_and_desc(FIGURES / name), (
            f"{name}: the committed file is not what scripts/draw_schematics.py draws now; run it again"
        )
        assert (tmp_path / name).stat().st_size < MAX_BYTES

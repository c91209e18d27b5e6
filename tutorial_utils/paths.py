"""Where the lesson's files live: the shipped data and models, and the run folders the steps write into.

Every notebook (from 01 on), the command line and the tests take their defaults from here.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT / "data" / "emoji" / "images"
DEFAULT_LABELS = REPO_ROOT / "data" / "emoji" / "labels.csv"
DEFAULT_QUERIES = REPO_ROOT / "data" / "emoji-queries" / "images"
# notebook 03's model, trained once by scripts/train_reference.py: what notebooks 04-09 compute from
REFERENCE_CHECKPOINT = REPO_ROOT / "data" / "pretrained" / "autoencoder.pt"
DEFAULT_RUN = REPO_ROOT / "runs" / "lesson"  # the notebooks and make run
CLI_RUN = REPO_ROOT / "runs" / "cli"  # the command line, so a user's own model never replaces the lesson's
BEST_CHECKPOINT = "best.pt"
LAST_CHECKPOINT = "last.pt"
INDEX_FILE = "index.json"
HISTORY_FILE = "history.json"
NOTEBOOKS = REPO_ROOT / "notebooks"


def lesson_notebooks(folder: str | os.PathLike[str] = NOTEBOOKS) -> list[Path]:
    """The lesson's notebooks (01_dataset.ipynb ... 09_...), in order: the one list that the run, the tests, the
    portability check and the course kit all use."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def solution_notebooks(folder: str | os.PathLike[str] = NOTEBOOKS) -> list[Path]:
    """Their worked solutions (solutions/01_dataset_solutions.ipynb ...), in the same order."""
    return sorted((Path(folder) / "solutions").glob("[0-9][0-9]_*_solutions.ipynb"))


def lesson_run_dir() -> Path:
    """The run folder the notebooks share: ``$TUTORIAL_RUN_DIR`` if set, else ``runs/lesson``."""
    return Path(os.environ.get("TUTORIAL_RUN_DIR", DEFAULT_RUN)).resolve()


def relative(path: str | os.PathLike[str]) -> str:
    """``path`` relative to the repository when it lies inside it, for outputs that read the same everywhere."""
    path = Path(path).resolve()
    try:
        return path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return path.as_posix()

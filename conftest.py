"""pytest set-up shared by the unit tests and the notebook tests (nbval).

1. Notebook tests run on the CPU: ``TUTORIAL_DEVICE=cpu`` is inherited by nbval's kernels, so a learner
   with CUDA or Apple MPS compares against the stored CPU outputs (``make run`` still uses the GPU).
2. Cells tagged ``tolerance-<class>`` compare their numbers with a tolerance instead of as exact strings:
   ``tests/nbval_tolerance.py`` holds the rule and the classes, ``notebooks/README.md`` says why.
3. Under pytest-xdist (``make test`` runs ``pytest -n 4 --dist loadfile``), each worker gets its own run folder,
   ``<run dir>/<worker id>``, so two workers never write the same model or index, and one thread, it and the
   kernels it starts (unless ``OMP_NUM_THREADS`` says otherwise): on a 2-core machine four one-thread workers
   keep both cores busy, where two-thread processes side by side stall each other.
4. The Chinese editions (``notebooks/zh``, ``notebooks/zh_TW``) are not run: their code cells and outputs are the
   English ones, which tests/course/test_translation.py checks cell by cell, so nbval runs the English only.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TUTORIAL_DEVICE", "cpu")

pytest_plugins = ["tests.nbval_tolerance"]
collect_ignore = ["notebooks/zh", "notebooks/zh_TW"]


def pytest_configure(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return
    base = Path(os.environ.get("TUTORIAL_RUN_DIR", Path(config.rootpath) / "runs" / "test"))
    os.environ["TUTORIAL_RUN_DIR"] = str(base / worker)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))

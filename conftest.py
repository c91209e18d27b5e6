"""pytest set-up shared by the unit tests and the notebook tests (nbval).

1. Notebook tests run on the CPU: ``TUTORIAL_DEVICE=cpu`` is inherited by nbval's kernels, so a learner
   with CUDA or Apple MPS compares against the stored CPU outputs (``make run`` still uses the GPU).
2. Cells tagged ``tolerance-<class>`` compare their numbers with a tolerance instead of as exact strings:
   ``tests/nbval_tolerance.py`` holds the rule and the classes, ``notebooks/README.md`` says why.
"""

from __future__ import annotations

import os

os.environ.setdefault("TUTORIAL_DEVICE", "cpu")

pytest_plugins = ["tests.nbval_tolerance"]

"""``python -m tutorial_utils``: train, index, search and evaluate from the command line.

The command line sits above everything else: it trains with :func:`tutorial_utils.scale.fit_at_scale`, indexes
with :func:`tutorial_utils.scale.build_index` and scores with :mod:`tutorial_utils.evaluation`.
"""

from .main import build_parser, main

__all__ = ["build_parser", "main"]

"""Helpers for the image-similarity-search lesson: data, models, training, embeddings, search.

Each module holds one stage of the pipeline; a later stage imports an earlier one, never the reverse:
data -> models -> training/checkpoints -> embeddings -> search -> evaluation; plots and cli read from them.
"""

__version__ = "0.1.0"

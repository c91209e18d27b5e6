"""A self-supervised embedding (notebook 09): SimCLR training of the lesson's encoder, no labels, no decoder.

Importing this package registers the ``selfsup`` checkpoint kind, so that
:func:`~tutorial_utils.checkpoints.load_checkpoint` rebuilds the shipped embedder (``SIMCLR_CHECKPOINT``).
"""

from .._lazy import lazy_exports
from . import embedder  # noqa: F401  (registers on import)

_EXPORTS = {
    **dict.fromkeys(
        [
            "ViewSettings",
            "gaussian_blur",
            "hue_rotation",
            "outline",
            "random_colour",
            "random_geometry",
            "random_views",
            "to_grey",
        ],
        "augment",
    ),
    **dict.fromkeys(
        [
            "BatchNormConvEncoder",
            "ContrastiveSettings",
            "ProjectionHead",
            "as_float",
            "fold_batch_norm",
            "nt_xent",
            "train_contrastive",
            "warmup_cosine",
        ],
        "contrastive",
    ),
    **dict.fromkeys(
        [
            "FEATURE_PARTS",
            "SIMCLR_CHECKPOINT",
            "SelfSupervisedEmbedder",
            "embedder_from_state",
            "mean_features",
            "save_selfsup_checkpoint",
        ],
        "embedder",
    ),
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

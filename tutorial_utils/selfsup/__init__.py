"""A self-supervised embedding (notebook 09): SimCLR training of the lesson's encoder, no labels, no decoder.

Importing this package registers the ``selfsup`` checkpoint kind, so that
:func:`~tutorial_utils.checkpoints.load_checkpoint` rebuilds the shipped embedder (``SIMCLR_CHECKPOINT``).
"""

from .augment import (
    ViewSettings,
    gaussian_blur,
    hue_rotation,
    outline,
    random_colour,
    random_geometry,
    random_views,
    to_grey,
)
from .contrastive import (
    BatchNormConvEncoder,
    ContrastiveSettings,
    ProjectionHead,
    as_float,
    fold_batch_norm,
    nt_xent,
    train_contrastive,
    warmup_cosine,
)
from .embedder import (
    FEATURE_PARTS,
    SIMCLR_CHECKPOINT,
    SelfSupervisedEmbedder,
    embedder_from_state,
    mean_features,
    save_selfsup_checkpoint,
)

__all__ = [
    "FEATURE_PARTS",
    "SIMCLR_CHECKPOINT",
    "BatchNormConvEncoder",
    "ContrastiveSettings",
    "ProjectionHead",
    "SelfSupervisedEmbedder",
    "ViewSettings",
    "as_float",
    "embedder_from_state",
    "fold_batch_norm",
    "gaussian_blur",
    "hue_rotation",
    "mean_features",
    "nt_xent",
    "outline",
    "random_colour",
    "random_geometry",
    "random_views",
    "save_selfsup_checkpoint",
    "to_grey",
    "train_contrastive",
    "warmup_cosine",
]

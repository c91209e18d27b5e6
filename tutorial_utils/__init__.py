"""Image similarity search in PyTorch: the helpers of the lesson's notebooks.

The lesson core (notebooks 01-05) is the flat modules here. Every name the notebooks and the docs import from the
package itself is re-exported here, explicitly (``__all__``): ``from tutorial_utils import FolderDataset, fit,
SimilarityIndex``; the rest of the core is imported from its module (``tutorial_utils.search.order_candidates``).

- :mod:`~tutorial_utils.paths` where the data, shipped models and run folders are;
- :mod:`~tutorial_utils.data` a folder of images as a dataset (01);
- :mod:`~tutorial_utils.models` the encoder and decoder (02);
- :mod:`~tutorial_utils.devices`, :mod:`~tutorial_utils.training`, :mod:`~tutorial_utils.checkpoints` training (03);
- :mod:`~tutorial_utils.embeddings` embeddings and the index on disk (04);
- :mod:`~tutorial_utils.search` k-nearest-neighbour search (05);
- :mod:`~tutorial_utils.pipeline` the steps end to end; :mod:`~tutorial_utils.plots`,
  :mod:`~tutorial_utils.widgets`, :mod:`~tutorial_utils.notebook`, :mod:`~tutorial_utils.files` support.

The extras sit beside the core in subpackages, each named after what it teaches. They import the core; the core
never imports them: :mod:`tutorial_utils.evaluation` (06-07), :mod:`tutorial_utils.scale` (08),
:mod:`tutorial_utils.selfsup` (09), and :mod:`tutorial_utils.cli` (``python -m tutorial_utils``).
"""

from .checkpoints import load_checkpoint
from .data import FolderDataset, ImageReadError, image_to_tensor, read_labels, split_indices, to_rgb, train_val_split
from .devices import pick_device
from .embeddings import Embedder, EmbeddingIndex, StaleIndexError, create_embeddings, embed_images, map_2d
from .models import ConvDecoder, ConvEncoder, ModelConfig, build_models, count_parameters, layer_shapes
from .notebook import concept_check, format_table, show_source
from .paths import (
    DEFAULT_DATA,
    DEFAULT_LABELS,
    DEFAULT_QUERIES,
    REFERENCE_CHECKPOINT,
    REPO_ROOT,
    lesson_run_dir,
    relative,
)
from .pipeline import TrainSettings, ensure_index, train_folder
from .plots import (
    plot_embedding_map,
    plot_label_matrix,
    plot_losses,
    plot_neighbour_comparison,
    plot_neighbours,
    plot_recall_curve,
    plot_reconstructions,
    plot_scores,
    plot_training_log,
    save_figure,
    show_grid,
    show_images,
)
from .search import SimilarityIndex, SklearnBackend
from .training import fit, make_loaders, mean_image_baseline, reconstruct, train_step, val_step
from .widgets import NeighbourExplorer, pooled_searcher, reconstruction_viewer

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_DATA",
    "DEFAULT_LABELS",
    "DEFAULT_QUERIES",
    "REFERENCE_CHECKPOINT",
    "REPO_ROOT",
    "ConvDecoder",
    "ConvEncoder",
    "Embedder",
    "EmbeddingIndex",
    "FolderDataset",
    "ImageReadError",
    "ModelConfig",
    "NeighbourExplorer",
    "SimilarityIndex",
    "SklearnBackend",
    "StaleIndexError",
    "TrainSettings",
    "build_models",
    "concept_check",
    "count_parameters",
    "create_embeddings",
    "embed_images",
    "ensure_index",
    "fit",
    "format_table",
    "image_to_tensor",
    "layer_shapes",
    "lesson_run_dir",
    "load_checkpoint",
    "make_loaders",
    "map_2d",
    "mean_image_baseline",
    "pick_device",
    "plot_embedding_map",
    "plot_label_matrix",
    "plot_losses",
    "plot_neighbour_comparison",
    "plot_neighbours",
    "plot_recall_curve",
    "plot_reconstructions",
    "plot_scores",
    "plot_training_log",
    "pooled_searcher",
    "read_labels",
    "reconstruct",
    "reconstruction_viewer",
    "relative",
    "save_figure",
    "show_grid",
    "show_images",
    "show_source",
    "split_indices",
    "to_rgb",
    "train_folder",
    "train_step",
    "train_val_split",
    "val_step",
]

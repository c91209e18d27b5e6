"""Image similarity search in PyTorch: the helpers of the lesson's notebooks.

The lesson core (notebooks 01-05) is the flat modules here, and every name it uses can be imported from the
package itself: ``from tutorial_utils import FolderDataset, fit, SimilarityIndex``.

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

from ._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    **dict.fromkeys(
        [
            "BEST_CHECKPOINT",
            "CLI_RUN",
            "DEFAULT_DATA",
            "DEFAULT_LABELS",
            "DEFAULT_QUERIES",
            "DEFAULT_RUN",
            "HISTORY_FILE",
            "INDEX_FILE",
            "LAST_CHECKPOINT",
            "REFERENCE_CHECKPOINT",
            "REPO_ROOT",
            "lesson_run_dir",
            "relative",
        ],
        "paths",
    ),
    **dict.fromkeys(
        [
            "BACKGROUND",
            "FolderDataset",
            "IMAGE_EXTENSIONS",
            "ImageReadError",
            "MAX_PIXELS",
            "ORIENTATION",
            "check_image",
            "decode_chw_uint8",
            "decode_hwc_uint8",
            "decode_pil",
            "describe_skipped",
            "image_to_tensor",
            "list_image_files",
            "open_pil",
            "pil_to_float_tensor",
            "read_file_bytes",
            "read_labels",
            "report_skipped",
            "resize_square",
            "rgb_square_pil",
            "scan_images",
            "split_indices",
            "tensor_to_pil",
            "to_rgb",
            "train_val_split",
            "vanished",
        ],
        "data",
    ),
    **dict.fromkeys(
        [
            "ConvDecoder",
            "ConvEncoder",
            "DOWNSAMPLING",
            "ModelConfig",
            "OUTPUT_ACTIVATIONS",
            "build_models",
            "channels_last",
            "check_image_size",
            "count_parameters",
            "layer_shapes",
        ],
        "models",
    ),
    **dict.fromkeys(["pick_device"], "devices"),
    **dict.fromkeys(
        [
            "History",
            "amp_context",
            "epoch_line",
            "fit",
            "make_adam",
            "make_loaders",
            "mean_image_baseline",
            "reconstruct",
            "seed_everything",
            "train_step",
            "val_step",
        ],
        "training",
    ),
    **dict.fromkeys(
        ["FORMAT_VERSION", "load_checkpoint", "read_checkpoint", "register_checkpoint_kind", "save_checkpoint"],
        "checkpoints",
    ),
    **dict.fromkeys(
        [
            "Embedder",
            "EmbeddingIndex",
            "INDEX_FORMAT",
            "POOLINGS",
            "StaleIndexError",
            "commit_manifest",
            "create_embeddings",
            "embed_batch",
            "embed_images",
            "embeddings_file",
            "file_digest",
            "map_2d",
            "new_build_id",
            "pool_features",
        ],
        "embeddings",
    ),
    **dict.fromkeys(
        [
            "BACKENDS",
            "Backend",
            "EXTRA_CANDIDATES",
            "METRICS",
            "Neighbours",
            "SimilarityIndex",
            "SklearnBackend",
            "TIE_DECIMALS",
            "exact_distances",
            "indexed_rows",
            "make_backend",
            "order_candidates",
            "register_backend",
        ],
        "search",
    ),
    **dict.fromkeys(["TrainSettings", "ensure_index", "index_folder", "load_history", "train_folder"], "pipeline"),
    **dict.fromkeys(
        [
            "plot_embedding_map",
            "plot_label_matrix",
            "plot_losses",
            "plot_neighbour_comparison",
            "plot_neighbours",
            "plot_recall_curve",
            "plot_reconstructions",
            "plot_scores",
            "plot_training_log",
            "save_figure",
            "show_grid",
            "show_images",
        ],
        "plots",
    ),
    **dict.fromkeys(
        [
            "MAX_UPLOAD_BYTES",
            "NeighbourExplorer",
            "Query",
            "png_bytes",
            "pooled_searcher",
            "read_upload",
            "read_variants",
            "reconstruction_viewer",
            "short_name",
        ],
        "widgets",
    ),
    **dict.fromkeys(["concept_check", "format_table", "show_source"], "notebook"),
    **dict.fromkeys(["atomic_write", "file_lock"], "files"),
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

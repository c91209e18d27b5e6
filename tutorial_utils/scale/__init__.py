"""Scaling up (notebook 08): FAISS backends, a streaming index for any folder, torchrun, long training runs.

Importing this package registers the ``faiss`` and ``faiss-ann`` backends of
:class:`~tutorial_utils.search.SimilarityIndex`.
"""

from .._lazy import lazy_exports
from . import backends  # noqa: F401  (registers on import)

_EXPORTS = {
    **dict.fromkeys(
        ["FaissBackend", "default_nlist", "faiss_approximate", "faiss_exact", "import_faiss", "normalise_rows"],
        "backends",
    ),
    **dict.fromkeys(
        [
            "all_reduce_mean",
            "barrier",
            "close_distributed",
            "distribute_loader",
            "init_distributed",
            "is_main_process",
            "launched_by_torchrun",
            "process_group_info",
        ],
        "distributed",
    ),
    **dict.fromkeys(
        ["ImageFileReader", "PREFETCH_BYTES", "SAVE_EVERY_S", "build_index", "default_workers"], "indexing"
    ),
    **dict.fromkeys(["median_seconds", "median_times"], "timing"),
    **dict.fromkeys(["fit_at_scale", "resume_state"], "training"),
    **dict.fromkeys(["make_vectors", "nearest_real_neighbours", "neighbour_recall", "recall_curve"], "vectors"),
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

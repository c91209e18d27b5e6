"""Scaling up (notebook 08): FAISS backends, a streaming index for any folder, torchrun, long training runs.

Importing this package registers the ``faiss`` and ``faiss-ann`` backends of
:class:`~tutorial_utils.search.SimilarityIndex`.
"""

from .backends import FaissBackend, default_nlist, faiss_approximate, faiss_exact, import_faiss
from .distributed import (
    all_reduce_mean,
    barrier,
    close_distributed,
    distribute_loader,
    init_distributed,
    is_main_process,
    launched_by_torchrun,
    process_group_info,
)
from .indexing import PREFETCH_BYTES, SAVE_EVERY_S, ImageFileReader, build_index, default_workers
from .timing import median_seconds, median_times
from .training import fit_at_scale, resume_state
from .vectors import make_vectors, nearest_real_neighbours, neighbour_recall, recall_curve

__all__ = [
    "PREFETCH_BYTES",
    "SAVE_EVERY_S",
    "FaissBackend",
    "ImageFileReader",
    "all_reduce_mean",
    "barrier",
    "build_index",
    "close_distributed",
    "default_nlist",
    "default_workers",
    "distribute_loader",
    "faiss_approximate",
    "faiss_exact",
    "fit_at_scale",
    "import_faiss",
    "init_distributed",
    "is_main_process",
    "launched_by_torchrun",
    "make_vectors",
    "median_seconds",
    "median_times",
    "nearest_real_neighbours",
    "neighbour_recall",
    "process_group_info",
    "recall_curve",
    "resume_state",
]

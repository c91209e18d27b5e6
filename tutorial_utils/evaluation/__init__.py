"""How good is a search? Labels to score with, baselines to beat, and what supervision buys (notebooks 06-07).

- :mod:`.metrics` precision@k, mAP@k and recall@k of queries with a known answer;
- :mod:`.baselines` embeddings that need no training (pixels, PCA, colour histograms);
- :mod:`.tables` one table of scores for many embeddings;
- :mod:`.ranking` a triplet-loss fine-tune on labels; :mod:`.pretrained` a ResNet trunk as an encoder;
- :mod:`.robustness` restyled copies of the collection that must find their originals (also notebook 09).
"""

from .._lazy import lazy_exports

_EXPORTS = {
    **dict.fromkeys(
        [
            "colour_histogram_tensor",
            "colour_histograms",
            "pca_embeddings",
            "pca_projector",
            "pixel_embeddings",
            "stack_images",
        ],
        "baselines",
    ),
    **dict.fromkeys(
        [
            "average_precision_at_k",
            "leave_one_out_neighbours",
            "mean_average_precision_at_k",
            "neighbour_label_matrix",
            "per_label_precision",
            "precision_at_k",
            "recall_at_k",
            "relevance",
            "relevant_counts",
            "score_embeddings",
            "score_neighbours",
        ],
        "metrics",
    ),
    **dict.fromkeys(["ResNetEncoder"], "pretrained"),
    **dict.fromkeys(
        [
            "LabelBatchSampler",
            "batch_all_triplet_loss",
            "batch_hard_triplet_loss",
            "train_triplet",
            "triplet_margin_loss",
        ],
        "ranking",
    ),
    **dict.fromkeys(
        [
            "WHITE",
            "blur",
            "greyscale",
            "hue_shift",
            "jpeg",
            "outline_only",
            "robustness_suite",
            "robustness_table",
            "rotate",
            "shrink",
            "suite_recall",
        ],
        "robustness",
    ),
    **dict.fromkeys(["baseline_embeddings", "encoder_embeddings", "l2_concat", "score_table", "table_rows"], "tables"),
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

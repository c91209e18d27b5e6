"""How good is a search? Labels to score with, baselines to beat, and what supervision buys (notebooks 06-07).

- :mod:`.metrics` precision@k, mAP@k and recall@k of queries with a known answer;
- :mod:`.baselines` embeddings that need no training (pixels, PCA, colour histograms);
- :mod:`.tables` one table of scores for many embeddings;
- :mod:`.ranking` a triplet-loss fine-tune on labels; :mod:`.pretrained` a ResNet trunk as an encoder;
- :mod:`.robustness` restyled copies of the collection that must find their originals (also notebook 09).
"""

from .baselines import (
    colour_histogram_tensor,
    colour_histograms,
    pca_embeddings,
    pca_projector,
    pixel_embeddings,
    stack_images,
)
from .metrics import (
    average_precision_at_k,
    leave_one_out_neighbours,
    mean_average_precision_at_k,
    neighbour_label_matrix,
    per_label_precision,
    precision_at_k,
    recall_at_k,
    relevance,
    relevant_counts,
    score_embeddings,
    score_neighbours,
)
from .pretrained import ResNetEncoder
from .ranking import (
    LabelBatchSampler,
    batch_all_triplet_loss,
    batch_hard_triplet_loss,
    train_triplet,
    triplet_margin_loss,
)
from .robustness import (
    WHITE,
    blur,
    greyscale,
    hue_shift,
    jpeg,
    outline_only,
    robustness_suite,
    robustness_table,
    rotate,
    shrink,
    suite_recall,
)
from .tables import baseline_embeddings, encoder_embeddings, l2_concat, score_table, table_rows

__all__ = [
    "WHITE",
    "LabelBatchSampler",
    "ResNetEncoder",
    "average_precision_at_k",
    "baseline_embeddings",
    "batch_all_triplet_loss",
    "batch_hard_triplet_loss",
    "blur",
    "colour_histogram_tensor",
    "colour_histograms",
    "encoder_embeddings",
    "greyscale",
    "hue_shift",
    "jpeg",
    "l2_concat",
    "leave_one_out_neighbours",
    "mean_average_precision_at_k",
    "neighbour_label_matrix",
    "outline_only",
    "pca_embeddings",
    "pca_projector",
    "per_label_precision",
    "pixel_embeddings",
    "precision_at_k",
    "recall_at_k",
    "relevance",
    "relevant_counts",
    "robustness_suite",
    "robustness_table",
    "rotate",
    "score_embeddings",
    "score_neighbours",
    "score_table",
    "shrink",
    "stack_images",
    "suite_recall",
    "table_rows",
    "train_triplet",
    "triplet_margin_loss",
]

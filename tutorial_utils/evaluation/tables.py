"""Score many embeddings the same way: one table of precision@k, mAP@k and near-duplicate recall (notebooks 06-07).

Labels only score; nothing here trains on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import nn

from ..embeddings import embed_images
from ..search import normalise_rows
from .baselines import colour_histograms, pca_embeddings, pixel_embeddings
from .metrics import leave_one_out_neighbours, recall_at_k, score_neighbours

Pair = tuple[np.ndarray, np.ndarray | None]  # (collection embeddings, query embeddings or None)


def baseline_embeddings(images: torch.Tensor, queries: torch.Tensor | None = None) -> dict[str, Pair]:
    """Raw pixels, PCA of pixels (256 dims) and a colour histogram, for the collection and the queries."""
    out: dict[str, Pair] = {}
    out["raw pixels"] = (pixel_embeddings(images), None if queries is None else pixel_embeddings(queries))
    pca = (pca_embeddings(images), None) if queries is None else pca_embeddings(images, queries=queries)
    out["PCA of pixels (256)"] = pca
    out["colour histogram"] = (colour_histograms(images), None if queries is None else colour_histograms(queries))
    return out


def encoder_embeddings(
    encoder: nn.Module, images: torch.Tensor, queries: torch.Tensor | None = None, pooling: str = "flatten"
) -> Pair:
    """(collection, queries) embeddings from one encoder."""
    encoded_queries = None if queries is None else embed_images(encoder, queries, pooling)
    return embed_images(encoder, images, pooling), encoded_queries


def l2_concat(*parts: np.ndarray) -> np.ndarray:
    """Concatenate embeddings after scaling each row of each part to length 1, so every part weighs the same."""
    return np.hstack([normalise_rows(p) for p in parts])


def score_table(
    methods: Mapping[str, Pair],
    label_sets: Mapping[str, Sequence],
    targets: Sequence[int] | None = None,
    k: int = 10,
    metric: str = "cosine",
) -> list[dict[str, float | str]]:
    """One row per method: P@k and mAP@k for each label set (leave-one-out), R@1/R@5 of the queries' targets."""
    rows = []
    for name, (collection, queries) in methods.items():
        row: dict[str, float | str] = {"embedding": name, "dims": collection.shape[1]}
        neighbours = leave_one_out_neighbours(collection, k, metric)
        for level, labels in label_sets.items():
            row.update({f"{level} {name}": value for name, value in score_neighbours(neighbours, labels).items()})
        if targets is not None and queries is not None:
            row.update(recall_at_k(collection, queries, targets, (1, 5), metric))
        rows.append(row)
    return rows


def table_rows(rows: Sequence[Mapping[str, float | str]], columns: Sequence[str]) -> list[list]:
    """The chosen columns of :func:`score_table` rows, in order, for ``format_table``."""
    return [[r.get(c, "") for c in columns] for r in rows]

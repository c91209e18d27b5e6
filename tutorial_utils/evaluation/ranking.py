"""Deep Ranking: fine-tune the encoder with a triplet loss on *labelled* images, to show what supervision buys
(notebook 07).

A triplet (anchor, positive, negative) asks the anchor to be nearer to an image of its own label than to
an image of another label by a margin. Training uses every violating triplet of a batch ("batch-all", the default)
or, on request, "batch-hard" mining: for each anchor its farthest positive and its nearest negative. Everything
else in the lesson is label-free; this module is the exception.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset, Sampler

from ..devices import pick_device
from ..embeddings import pool_features
from ..models import channels_last
from ..training import seed_everything


def triplet_margin_loss(
    anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float = 0.2
) -> torch.Tensor:
    """Mean over explicit triplets of max(0, d(a, p) - d(a, n) + margin), d the cosine distance 1 - cos."""
    a, p, n = (F.normalize(t, dim=1) for t in (anchor, positive, negative))
    return F.relu((1 - (a * p).sum(1)) - (1 - (a * n).sum(1)) + margin).mean()


def batch_all_triplet_loss(embeddings: torch.Tensor, labels: torch.Tensor, margin: float = 0.2) -> torch.Tensor:
    """Mean of max(0, d(a, p) - d(a, n) + margin) over the triplets of the batch that still violate the margin.

    Every (anchor, positive, negative) of the batch takes part, which is gentler than picking only the hardest
    ones and avoids the collapse (all embeddings equal) that batch-hard mining can fall into at the start.
    """
    z = F.normalize(embeddings, dim=1)
    dist = 1 - z @ z.T
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    valid = (same & ~eye)[:, :, None] & ~same[:, None, :]  # [a, p, n]
    losses = F.relu(dist[:, :, None] - dist[:, None, :] + margin)[valid]
    active = losses > 1e-12
    return losses[active].mean() if active.any() else embeddings.sum() * 0.0


def batch_hard_triplet_loss(embeddings: torch.Tensor, labels: torch.Tensor, margin: float = 0.2) -> torch.Tensor:
    """Mean over anchors of max(0, d(anchor, hardest positive) - d(anchor, hardest negative) + margin).

    Distances are cosine distances of the L2-normalised embeddings. Anchors without a positive or a
    negative in the batch are left out.
    """
    z = F.normalize(embeddings, dim=1)
    dist = 1 - z @ z.T
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    pos_mask, neg_mask = same & ~eye, ~same
    valid = pos_mask.any(1) & neg_mask.any(1)
    if not valid.any():
        return embeddings.sum() * 0.0
    hardest_pos = dist.masked_fill(~pos_mask, float("-inf")).amax(1)
    hardest_neg = dist.masked_fill(~neg_mask, float("inf")).amin(1)
    return F.relu(hardest_pos - hardest_neg + margin)[valid].mean()


class LabelBatchSampler(Sampler[list[int]]):
    """Batches of ``per_label`` images from each of ``labels_per_batch`` labels, so every anchor has positives."""

    def __init__(self, labels: Sequence, labels_per_batch: int = 16, per_label: int = 4, seed: int = 0) -> None:
        self.labels = np.asarray(labels)
        self.groups = {lab: np.flatnonzero(self.labels == lab) for lab in sorted(set(self.labels.tolist()))}
        self.groups = {lab: idx for lab, idx in self.groups.items() if len(idx) >= 2}
        self.labels_per_batch, self.per_label = labels_per_batch, per_label
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return max(1, len(self.labels) // (self.labels_per_batch * self.per_label))

    def __iter__(self):
        names = list(self.groups)
        for _ in range(len(self)):
            chosen = self.rng.choice(len(names), size=min(self.labels_per_batch, len(names)), replace=False)
            batch = []
            for c in chosen:
                idx = self.groups[names[c]]
                batch += self.rng.choice(idx, size=self.per_label, replace=len(idx) < self.per_label).tolist()
            yield batch


def train_triplet(
    encoder: nn.Module,
    dataset: Dataset,
    labels: Sequence,
    epochs: int = 15,
    lr: float = 3e-4,
    margin: float = 0.2,
    pooling: str = "flatten",
    mining: str = "all",
    seed: int = 0,
    device: str | None = None,
    verbose: bool = True,
) -> list[float]:
    """Fine-tune ``encoder`` in place with a triplet loss; ``labels[i]`` belongs to ``dataset[i]``.

    ``mining`` is ``"all"`` (every violating triplet of the batch) or ``"hard"`` (batch-hard).
    """
    loss_fn = {"all": batch_all_triplet_loss, "hard": batch_hard_triplet_loss}[mining]
    dev = pick_device(device)
    seed_everything(seed)
    encoder.to(dev).to(memory_format=torch.channels_last).train()
    label_ids = {lab: i for i, lab in enumerate(sorted(set(labels)))}
    targets = torch.tensor([label_ids[lab] for lab in labels])
    sampler = LabelBatchSampler(labels, seed=seed)
    optimizer = torch.optim.Adam(encoder.parameters(), lr=lr)
    losses = []
    for epoch in range(1, epochs + 1):
        total, batches = 0.0, 0
        for batch_idx in sampler:
            images = channels_last(torch.stack([dataset[i][0] for i in batch_idx]).to(dev))
            loss = loss_fn(pool_features(encoder(images), pooling), targets[batch_idx].to(dev), margin)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total, batches = total + loss.item(), batches + 1
        losses.append(total / batches)
        if verbose and (epoch == 1 or epoch % 5 == 0 or epoch == epochs):
            print(f"epoch {epoch:3d}/{epochs}  triplet loss {losses[-1]:.4f}")
    encoder.eval().cpu()
    return losses

"""Contrastive self-supervised training (SimCLR) of the lesson's encoder: no labels, no decoder (notebook 09).

Two random views of each image (:mod:`tutorial_utils.selfsup.augment`) must embed close together and far from the
views of every other image in the batch (the NT-Xent loss). The encoder then keeps what survives the
augmentations (shapes, parts, layout) and drops what does not (exact colours, position, size), which is
what "the same emoji, drawn differently" needs. Batch norm after each convolution makes training stable;
it is folded into the convolutions afterwards, so the result is a plain :class:`ConvEncoder`.
"""

# PyTorch declares batch norm's running statistics and a convolution's bias as optional; fold_batch_norm reads them
# from layers that always have them, and the type checker is told not to report those reads.
# pyright: reportOptionalOperand=false, reportOptionalMemberAccess=false, reportOperatorIssue=false

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..models import ConvEncoder, channels_last
from .augment import ViewSettings, random_views


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """SimCLR's loss: each view must pick its partner out of the 2N - 1 other views of the batch."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / temperature
    sim.fill_diagonal_(float("-inf"))
    n = len(z1)
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, partner)


class ProjectionHead(nn.Module):
    """Pooled encoder features -> the small space where the loss is computed; dropped after training."""

    def __init__(self, in_dim: int = 256, hidden: int = 512, out_dim: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out_dim)
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features.mean(dim=(2, 3)))


class BatchNormConvEncoder(nn.Module):
    """The lesson's encoder with batch norm after each convolution: conv 3x3 -> BN -> max-pool 2 -> ReLU."""

    def __init__(self, channels: tuple[int, ...] = (16, 32, 64, 128, 256)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for c_out in channels:
            layers += [
                nn.Conv2d(c_in, c_out, 3, padding=1),
                nn.BatchNorm2d(c_out),
                nn.MaxPool2d(2),
                nn.ReLU(inplace=True),
            ]
            c_in = c_out
        self.channels = tuple(channels)
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


@torch.no_grad()
def fold_batch_norm(model: BatchNormConvEncoder) -> ConvEncoder:
    """A plain ConvEncoder that computes exactly what ``model`` computes in eval mode.

    In eval mode batch norm is a fixed scale and shift per channel, so it can be merged into the convolution
    just before it: w' = w * g / sqrt(var + eps), b' = (b - mean) * g / sqrt(var + eps) + beta.
    """
    plain = ConvEncoder(model.channels)
    convs = [m for m in model.layers if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.layers if isinstance(m, nn.BatchNorm2d)]
    targets = [m for m in plain.layers if isinstance(m, nn.Conv2d)]
    for conv, norm, target in zip(convs, norms, targets, strict=True):
        scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
        target.weight.copy_(conv.weight * scale[:, None, None, None])
        target.bias.copy_((conv.bias - norm.running_mean) * scale + norm.bias)
    return plain.eval()


@dataclass(frozen=True)
class ContrastiveSettings:
    """SimCLR hyper-parameters; the defaults are the ones the shipped checkpoint was trained with."""

    epochs: int = 50
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_fraction: float = 0.05
    temperature: float = 0.2
    seed: int = 0
    views: ViewSettings = ViewSettings()

    def to_dict(self) -> dict:
        return asdict(self)


def warmup_cosine(step: int, total: int, warmup: int) -> float:
    """Learning-rate factor: linear warm-up over ``warmup`` steps, then a cosine decay to 0 at ``total``."""
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def as_float(batch: torch.Tensor) -> torch.Tensor:
    """uint8 images (0..255) -> float in [0, 1]; float images pass through."""
    return batch.float() / 255 if batch.dtype == torch.uint8 else batch.float()


def train_contrastive(
    images: torch.Tensor,
    settings: ContrastiveSettings = ContrastiveSettings(),
    channels: tuple[int, ...] = (16, 32, 64, 128, 256),
    device: str | torch.device = "cpu",
    on_epoch: Callable[[int, float, float, BatchNormConvEncoder], None] | None = None,
) -> tuple[BatchNormConvEncoder, list[float]]:
    """Train a fresh batch-norm encoder with NT-Xent on ``images`` (N, 3, S, S), uint8 or float; no labels.

    Returns the encoder (fold it with :func:`fold_batch_norm`) and the mean loss of every epoch.
    ``on_epoch(epoch, loss, seconds, model)`` is called after each epoch, with the model in eval mode
    (logging, evaluation, a progress line).
    """
    s = settings
    if len(images) < s.batch_size:
        raise ValueError(f"{len(images)} images are fewer than one batch of {s.batch_size}")
    device = torch.device(device)
    torch.manual_seed(s.seed)
    model = BatchNormConvEncoder(channels).to(device).to(memory_format=torch.channels_last)
    head = ProjectionHead(channels[-1]).to(device)
    params = list(model.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=s.lr, weight_decay=s.weight_decay)
    steps_per_epoch = len(images) // s.batch_size  # drop the last partial batch: NT-Xent wants full batches
    total = s.epochs * steps_per_epoch
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: warmup_cosine(step, total, max(1, int(s.warmup_fraction * total)))
    )
    order_rng = torch.Generator().manual_seed(s.seed)
    views_rng = torch.Generator().manual_seed(s.seed + 1)
    losses: list[float] = []
    for epoch in range(1, s.epochs + 1):
        start = time.perf_counter()
        model.train()
        head.train()
        order = torch.randperm(len(images), generator=order_rng)
        total_loss = 0.0
        for step in range(steps_per_epoch):
            batch = as_float(images[order[step * s.batch_size : (step + 1) * s.batch_size]])
            views = torch.cat([random_views(batch, views_rng, s.views), random_views(batch, views_rng, s.views)])
            z = head(model(channels_last(views.to(device))))
            loss = nt_xent(*z.chunk(2), temperature=s.temperature)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item()
        losses.append(total_loss / steps_per_epoch)
        if on_epoch is not None:
            model.eval()
            on_epoch(epoch, losses[-1], time.perf_counter() - start, model)
    model.eval().cpu()
    return model, losses

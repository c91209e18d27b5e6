"""Contrastive self-supervised training (SimCLR-style) of the same encoder: no labels, no decoder.

Two random views of each image (crop, flip, small rotation) should embed close together and far from the
other images of the batch (the NT-Xent loss). The encoder then learns what survives those changes,
instead of every pixel, which is what a search for "similar" images needs.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from .checkpoints import save_checkpoint
from .models import ConvDecoder, ConvEncoder, ModelConfig
from .training import pick_device, seed_everything


def random_views(images: torch.Tensor, generator: torch.Generator, min_scale: float = 0.6,
                 max_degrees: float = 15.0, grey_p: float = 0.0) -> torch.Tensor:
    """A random crop-and-zoom, horizontal flip and small rotation of every image, one affine warp per image."""
    n = len(images)
    rand = lambda: torch.rand(n, generator=generator)  # noqa: E731
    scale = min_scale + (1 - min_scale) * rand()
    angle = (rand() * 2 - 1) * math.radians(max_degrees)
    flip = torch.where(rand() < 0.5, -1.0, 1.0)
    tx, ty = (rand() * 2 - 1) * (1 - scale), (rand() * 2 - 1) * (1 - scale)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta.to(images), list(images.shape), align_corners=False)
    # pad with white (1.0), the background of the images: warp (x - 1), pad with 0, add 1 back
    views = F.grid_sample(images - 1, grid, align_corners=False, padding_mode="zeros") + 1
    if grey_p > 0:
        grey = (rand() < grey_p).to(images.device)
        views = torch.where(grey[:, None, None, None], views.mean(1, keepdim=True).expand_as(views), views)
    return views


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """SimCLR's loss: each view must pick its partner out of the 2N - 1 other views of the batch."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / temperature
    sim.fill_diagonal_(float("-inf"))
    n = len(z1)
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, partner)


class ProjectionHead(nn.Module):
    """Pooled encoder features -> the small space where the contrastive loss is computed (dropped afterwards)."""

    def __init__(self, in_dim: int = 256, out_dim: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, in_dim), nn.ReLU(inplace=True), nn.Linear(in_dim, out_dim))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features.mean(dim=(2, 3)))


def train_contrastive(
    dataset: Dataset,
    config: ModelConfig,
    epochs: int = 30,
    batch_size: int = 256,
    lr: float = 2e-3,
    temperature: float = 0.2,
    seed: int = 0,
    device: str | None = None,
    out: str | os.PathLike | None = None,
    verbose: bool = True,
) -> tuple[ConvEncoder, list[float]]:
    """Train a fresh ConvEncoder with NT-Xent on two random views per image; return it and the epoch losses.

    With ``out``, the encoder is saved as a normal checkpoint (with an untrained decoder) so the
    embedding and search code can load it like any other.
    """
    dev = pick_device(device)
    seed_everything(seed)
    encoder = ConvEncoder(config.channels).to(dev)
    head = ProjectionHead(config.channels[-1]).to(dev)
    params = list(encoder.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(params, lr=lr)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(seed))
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * len(loader))
    views_rng = torch.Generator().manual_seed(seed + 1)
    losses = []
    for epoch in range(1, epochs + 1):
        encoder.train()
        total = 0.0
        for images, _ in loader:
            images = images.to(dev)
            v1, v2 = random_views(images, views_rng), random_views(images, views_rng)
            loss = nt_xent(head(encoder(v1)), head(encoder(v2)), temperature)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item()
        losses.append(total / len(loader))
        if verbose and (epoch == 1 or epoch % 5 == 0 or epoch == epochs):
            print(f"epoch {epoch:3d}/{epochs}  contrastive loss {losses[-1]:.3f}")
    encoder.eval().cpu()
    if out is not None:
        save_checkpoint(Path(out), config, encoder, ConvDecoder(config.channels, config.output),
                        epoch=epochs, method="contrastive", losses=losses)
    return encoder, losses

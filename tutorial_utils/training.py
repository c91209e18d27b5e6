"""Train the autoencoder: seeded loaders, epoch-mean losses, best-model checkpoints (notebook 03).

Fixes from the original tutorial: the step functions return the mean loss over the whole epoch
(not the last batch's), and the best model is chosen against the best validation loss seen so far
(the original compared with an undefined ``max_loss``). Long runs (GPU mixed precision, several processes,
resuming, a progress bar) use the same steps through :func:`tutorial_utils.scale.fit_at_scale`.
"""

# The type checker's strict rules hold here but one: PyTorch leaves some parameters of Tensor.backward and
# torch.manual_seed untyped, and calling them is not reported as a use of an unknown type.
# pyright: reportUnknownMemberType=false

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from .checkpoints import save_checkpoint
from .data import ImagePair, ItemT, train_val_split
from .devices import pick_device
from .models import ModelConfig, channels_last
from .paths import BEST_CHECKPOINT


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch so weights, shuffles and splits repeat run after run."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_loaders(
    dataset: Dataset[ItemT], batch_size: int = 32, val_fraction: float = 0.2, seed: int = 0
) -> tuple[DataLoader[ItemT], DataLoader[ItemT], DataLoader[ItemT]]:
    """(train, val, full) loaders: a seeded split, a seeded shuffle for training, the full set in order."""
    train_set, val_set = train_val_split(dataset, val_fraction, seed)
    shuffle_rng = torch.Generator().manual_seed(seed)
    return (
        DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=shuffle_rng),
        DataLoader(val_set, batch_size=batch_size),
        DataLoader(dataset, batch_size=batch_size),
    )


def amp_context(device: torch.device, amp: bool) -> torch.autocast | nullcontext[None]:
    """Mixed precision (float16) on CUDA when asked; a no-op context elsewhere."""
    if amp and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.float16)
    return nullcontext()


def _to_device(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A batch on ``device`` in channels-last layout (see :func:`models.channels_last`)."""
    return channels_last(images.to(device))


def train_step(
    encoder: nn.Module,
    decoder: nn.Module,
    loader: DataLoader[ImagePair],
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    device: torch.device | str,
    scaler: torch.amp.GradScaler | None = None,
) -> float:
    """One epoch of training; returns the mean loss over all images of the epoch."""
    device = torch.device(device)
    encoder.train()
    decoder.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = _to_device(inputs, device), targets.to(device)
        optimizer.zero_grad(set_to_none=True)
        with amp_context(device, scaler is not None and scaler.is_enabled()):
            loss = loss_fn(decoder(encoder(inputs)), targets)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        total += loss.item() * len(inputs)  # loss is a batch mean: weight it by the batch size
        count += len(inputs)
    return total / count


@torch.no_grad()
def val_step(
    encoder: nn.Module,
    decoder: nn.Module,
    loader: DataLoader[ImagePair],
    loss_fn: nn.Module,
    device: torch.device | str,
    amp: bool = False,
) -> float:
    """Mean loss over every image of ``loader``, without gradients."""
    device = torch.device(device)
    autoencoder = nn.Sequential(encoder, decoder).eval()  # decoder(encoder(x)), both in eval mode
    total, count = 0.0, 0
    for inputs, targets in loader:
        with amp_context(device, amp):
            loss = loss_fn(autoencoder(_to_device(inputs, device)), targets.to(device))
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count


def make_adam(params: list[nn.Parameter], lr: float, device: torch.device) -> torch.optim.Optimizer:
    """Adam; its fused one-kernel update where this PyTorch has it for ``device`` (the same maths, faster)."""
    if device.type in ("cpu", "cuda"):
        try:
            return torch.optim.Adam(params, lr=lr, fused=True)
        except (RuntimeError, TypeError, ValueError):  # older PyTorch: fused Adam is CUDA-only or absent
            pass
    return torch.optim.Adam(params, lr=lr)


@dataclass
class History:
    """Per-epoch losses and which epoch gave the best validation loss (epochs count from 1)."""

    train_loss: list[float] = field(default_factory=list[float])
    val_loss: list[float] = field(default_factory=list[float])
    best_epoch: int = 0
    best_val_loss: float = float("inf")

    def record(self, train_loss: float, val_loss: float) -> bool:
        """Append one epoch; return True when it is the best validation loss so far."""
        self.train_loss.append(train_loss)
        self.val_loss.append(val_loss)
        if val_loss < self.best_val_loss:
            self.best_val_loss, self.best_epoch = val_loss, len(self.val_loss)
            return True
        return False


EpochCallback = Callable[[int, nn.Module, nn.Module], None]


def fit(
    encoder: nn.Module,
    decoder: nn.Module,
    train_loader: DataLoader[ImagePair],
    val_loader: DataLoader[ImagePair],
    config: ModelConfig,
    epochs: int = 15,
    lr: float = 2e-3,
    device: torch.device | str | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    verbose: bool = True,
    callbacks: Sequence[EpochCallback] = (),
) -> History:
    """Train encoder and decoder together with MSE; save ``out_dir/best.pt`` whenever validation loss improves.

    Each callback gets ``(epoch, encoder, decoder)`` after every epoch.
    """
    device = pick_device(str(device) if device is not None else None)
    seed_everything(seed)
    for model in (encoder, decoder):  # channels-last weights and inputs: faster convolutions on CPUs and GPUs
        model.to(device).to(memory_format=torch.channels_last)
    optimizer = make_adam(list(encoder.parameters()) + list(decoder.parameters()), lr, device)
    loss_fn = nn.MSELoss()
    history = History()
    for epoch in range(1, epochs + 1):
        train_loss = train_step(encoder, decoder, train_loader, loss_fn, optimizer, device)
        val_loss = val_step(encoder, decoder, val_loader, loss_fn, device)
        if history.record(train_loss, val_loss) and out_dir is not None:
            save_checkpoint(
                Path(out_dir) / BEST_CHECKPOINT,
                config,
                encoder,
                decoder,
                epoch=epoch,
                history=asdict(history),
                val_loss=val_loss,
            )
        if verbose:
            print(epoch_line(epoch, epochs, history))
        for callback in callbacks:
            callback(epoch, encoder, decoder)
    return history


def epoch_line(epoch: int, epochs: int, history: History) -> str:
    """The line printed after each epoch. It shows the best value, not a "(best so far)" mark: on a near-tie a mark
    flips between machines."""
    return (
        f"epoch {epoch:3d}/{epochs}  train MSE {history.train_loss[-1]:.4f}  "
        f"val MSE {history.val_loss[-1]:.4f}  best {history.best_val_loss:.4f}"
    )


@torch.no_grad()
def reconstruct(encoder: nn.Module, decoder: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Decoder(encoder(images)) on the models' device, returned on the CPU and clamped to [0, 1]."""
    encoder.eval()
    decoder.eval()
    device = next(encoder.parameters()).device
    return decoder(encoder(images.to(device))).clamp(0, 1).cpu()


@torch.no_grad()
def mean_image_baseline(loader_train: DataLoader[ImagePair], loader_eval: DataLoader[ImagePair]) -> float:
    """MSE of always predicting the mean training image: the floor a useful autoencoder must beat."""
    total: torch.Tensor | None = None
    count = 0
    for images, _ in loader_train:
        total = images.sum(0) if total is None else total + images.sum(0)
        count += len(images)
    mean = cast(torch.Tensor, total) / count
    err, n = 0.0, 0
    for images, _ in loader_eval:
        err += ((images - mean) ** 2).mean(dim=(1, 2, 3)).sum().item()
        n += len(images)
    return err / n

"""Train the autoencoder: device choice, seeded loaders, epoch-mean losses, best-model checkpoints.

Fixes from the original tutorial: the step functions return the mean loss over the whole epoch
(not the last batch's), and the best model is chosen against the best validation loss seen so far
(the original compared with an undefined ``max_loss``).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm.auto import tqdm

from .checkpoints import read_checkpoint, save_checkpoint
from .data import train_val_split
from .distributed import all_reduce_mean, process_group_info
from .models import ModelConfig, channels_last

BEST_CHECKPOINT = "best.pt"
LAST_CHECKPOINT = "last.pt"


def pick_device(preferred: str | None = None) -> torch.device:
    """``preferred`` if given, else ``$TUTORIAL_DEVICE`` if set, else CUDA, then Apple MPS, then the CPU.

    The notebook tests set ``TUTORIAL_DEVICE=cpu`` so that their outputs are compared with CPU results.
    """
    preferred = preferred or os.environ.get("TUTORIAL_DEVICE") or None
    if preferred:
        return torch.device(preferred)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch so weights, shuffles and splits repeat run after run."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_loaders(
    dataset: Dataset, batch_size: int = 32, val_fraction: float = 0.2, seed: int = 0
) -> tuple[DataLoader, DataLoader, DataLoader]:
    """(train, val, full) loaders: a seeded split, a seeded shuffle for training, the full set in order.

    Under torchrun every process makes the same split (same seed) and a ``DistributedSampler`` gives each
    its own share of it; ``batch_size`` is then per process.
    """
    train_set, val_set = train_val_split(dataset, val_fraction, seed)
    shuffle_rng = torch.Generator().manual_seed(seed)
    if process_group_info()[1] > 1:
        return (
            DataLoader(train_set, batch_size=batch_size,
                       sampler=DistributedSampler(train_set, shuffle=True, seed=seed)),
            DataLoader(val_set, batch_size=batch_size, sampler=DistributedSampler(val_set, shuffle=False)),
            DataLoader(dataset, batch_size=batch_size),
        )
    return (
        DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=shuffle_rng),
        DataLoader(val_set, batch_size=batch_size),
        DataLoader(dataset, batch_size=batch_size),
    )


def _autocast(device: torch.device, amp: bool):
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
    loader: DataLoader,
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
        with _autocast(device, scaler is not None and scaler.is_enabled()):
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
    encoder: nn.Module, decoder: nn.Module, loader: DataLoader, loss_fn: nn.Module, device: torch.device | str,
    amp: bool = False,
) -> float:
    """Mean loss over every image of ``loader``, without gradients."""
    device = torch.device(device)
    encoder.eval()
    decoder.eval()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = _to_device(inputs, device), targets.to(device)
        with _autocast(device, amp):
            loss = loss_fn(decoder(encoder(inputs)), targets)
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count


def make_adam(params: list[nn.Parameter], lr: float, device: torch.device) -> torch.optim.Optimizer:
    """Adam; its fused one-kernel update where this PyTorch has it for ``device`` (same maths, ~5% faster here)."""
    if device.type in ("cpu", "cuda"):
        try:
            return torch.optim.Adam(params, lr=lr, fused=True)
        except (RuntimeError, TypeError, ValueError):  # older PyTorch: fused Adam is CUDA-only or absent
            pass
    return torch.optim.Adam(params, lr=lr)


@dataclass
class History:
    """Per-epoch losses and which epoch gave the best validation loss (epochs count from 1)."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
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
    train_loader: DataLoader,
    val_loader: DataLoader,
    config: ModelConfig,
    epochs: int = 15,
    lr: float = 2e-3,
    device: torch.device | str | None = None,
    out_dir: str | os.PathLike | None = None,
    resume: bool = False,
    amp: bool | None = None,
    seed: int = 0,
    progress: bool = False,
    verbose: bool = True,
    callbacks: Sequence[EpochCallback] = (),
) -> History:
    """Train encoder and decoder together with MSE for ``epochs`` epochs in total.

    Writes ``out_dir/best.pt`` whenever validation loss improves and ``out_dir/last.pt`` after every
    epoch (both atomically). ``resume=True`` continues from ``last.pt`` when it exists. ``amp``
    defaults to mixed precision on CUDA only. Each callback gets ``(epoch, encoder, decoder)``.
    """
    device = pick_device(str(device) if device is not None else None)
    amp = device.type == "cuda" if amp is None else (amp and device.type == "cuda")
    seed_everything(seed)
    # channels-last weights and inputs: about 1.2x faster epochs on a 2-core CPU, same results up to rounding
    encoder.to(device, memory_format=torch.channels_last)
    decoder.to(device, memory_format=torch.channels_last)
    rank, world = process_group_info()
    main = rank == 0
    if world > 1:  # PyTorch's DDP: each wrapper all-reduces its module's gradients during backward
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if device.type == "cuda" else None
        train_encoder, train_decoder = DDP(encoder, device_ids=ids), DDP(decoder, device_ids=ids)
    else:
        train_encoder, train_decoder = encoder, decoder
    optimizer = make_adam(list(encoder.parameters()) + list(decoder.parameters()), lr, device)
    scaler = torch.amp.GradScaler("cuda", enabled=amp) if amp else None
    loss_fn = nn.MSELoss()
    history = History()
    out = Path(out_dir) if out_dir is not None else None
    start = 0
    if resume and out is not None and (out / LAST_CHECKPOINT).exists():
        state = read_checkpoint(out / LAST_CHECKPOINT)
        if ModelConfig(**{**state["config"], "channels": tuple(state["config"]["channels"])}) != config:
            raise ValueError(f"{out / LAST_CHECKPOINT}: made for {state['config']}, cannot resume {config}")
        encoder.load_state_dict(state["encoder"])
        decoder.load_state_dict(state["decoder"])
        optimizer.load_state_dict(state["optimizer"])
        history = History(**state["history"])
        start = state["epoch"]
        torch.set_rng_state(state["rng_state"])
        if verbose and main:
            print(f"resumed from {LAST_CHECKPOINT} after epoch {start}")

    epochs_iter = range(start + 1, epochs + 1)
    bar = tqdm(epochs_iter, desc="epochs", disable=not (progress and main))
    for epoch in bar:
        if isinstance(train_loader.sampler, DistributedSampler):
            train_loader.sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every process
        train_loss = train_step(train_encoder, train_decoder, train_loader, loss_fn, optimizer, device, scaler)
        val_loss = val_step(encoder, decoder, val_loader, loss_fn, device, amp)
        train_loss = all_reduce_mean(train_loss, len(train_loader.sampler), device)
        val_loss = all_reduce_mean(val_loss, len(val_loader.sampler), device)
        improved = history.record(train_loss, val_loss)
        if out is not None and main:
            extra = {"epoch": epoch, "history": asdict(history), "val_loss": val_loss}
            if improved:
                save_checkpoint(out / BEST_CHECKPOINT, config, encoder, decoder, **extra)
            save_checkpoint(
                out / LAST_CHECKPOINT, config, encoder, decoder, **extra,
                optimizer=optimizer.state_dict(), rng_state=torch.get_rng_state(),
            )
        bar.set_postfix(train=f"{train_loss:.4f}", val=f"{val_loss:.4f}")
        if verbose and main:
            # the best value, not a "(best so far)" mark: a mark flips between machines on a near-tie
            print(f"epoch {epoch:3d}/{epochs}  train MSE {train_loss:.4f}  val MSE {val_loss:.4f}  "
                  f"best {history.best_val_loss:.4f}")
        for callback in callbacks:
            callback(epoch, encoder, decoder)
    return history


@torch.no_grad()
def reconstruct(encoder: nn.Module, decoder: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Decoder(encoder(images)) on the models' device, returned on the CPU and clamped to [0, 1]."""
    encoder.eval()
    decoder.eval()
    device = next(encoder.parameters()).device
    return decoder(encoder(images.to(device))).clamp(0, 1).cpu()


@torch.no_grad()
def mean_image_baseline(loader_train: DataLoader, loader_eval: DataLoader) -> float:
    """MSE of always predicting the mean training image: the floor a useful autoencoder must beat."""
    total, count = None, 0
    for images, _ in loader_train:
        total = images.sum(0) if total is None else total + images.sum(0)
        count += len(images)
    mean = total / count
    err, n = 0.0, 0
    for images, _ in loader_eval:
        err += ((images - mean) ** 2).mean(dim=(1, 2, 3)).sum().item()
        n += len(images)
    return err / n

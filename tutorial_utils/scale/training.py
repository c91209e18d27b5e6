"""The lesson's training loop for long runs: GPU mixed precision, several processes, resuming, progress (notebook 08).

:func:`fit_at_scale` trains with the same :func:`~tutorial_utils.training.train_step` and
:func:`~tutorial_utils.training.val_step` as notebook 03's :func:`~tutorial_utils.training.fit`, and adds
one layer per need: float16 autocast with a gradient scaler on CUDA, PyTorch's DistributedDataParallel when
started by ``torchrun``, ``last.pt`` after every epoch to resume from, and a tqdm bar. The command line trains
with it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence, Sized
from dataclasses import asdict
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler
from tqdm.auto import tqdm

from ..checkpoints import read_checkpoint, save_checkpoint
from ..devices import pick_device
from ..models import ModelConfig
from ..paths import BEST_CHECKPOINT, LAST_CHECKPOINT
from ..training import EpochCallback, History, epoch_line, make_adam, seed_everything, train_step, val_step
from .distributed import all_reduce_mean, distribute_loader, process_group_info


def resume_state(
    path: Path, config: ModelConfig, encoder: nn.Module, decoder: nn.Module, optimizer: torch.optim.Optimizer
) -> tuple[int, History]:
    """Load ``last.pt`` into the models and the optimizer; returns (epochs done, history so far)."""
    state = read_checkpoint(path)
    if ModelConfig(**{**state["config"], "channels": tuple(state["config"]["channels"])}) != config:
        raise ValueError(f"{path}: made for {state['config']}, cannot resume {config}")
    encoder.load_state_dict(state["encoder"])
    decoder.load_state_dict(state["decoder"])
    optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["rng_state"])
    return state["epoch"], History(**state["history"])


def fit_at_scale(
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
    """:func:`~tutorial_utils.training.fit` plus mixed precision (``amp``, default: on CUDA), DDP under torchrun,
    ``out_dir/last.pt`` after every epoch (``resume=True`` goes on from it) and a progress bar."""
    device = pick_device(str(device) if device is not None else None)
    amp = device.type == "cuda" if amp is None else (amp and device.type == "cuda")
    seed_everything(seed)
    encoder.to(device).to(memory_format=torch.channels_last)
    decoder.to(device).to(memory_format=torch.channels_last)
    main = process_group_info()[0] == 0
    train_loader, val_loader = distribute_loader(train_loader, True, seed), distribute_loader(val_loader, False, seed)
    train_encoder, train_decoder = _wrap_ddp(encoder, device), _wrap_ddp(decoder, device)
    optimizer = make_adam(list(encoder.parameters()) + list(decoder.parameters()), lr, device)
    scaler = torch.amp.GradScaler("cuda", enabled=amp) if amp else None
    out = Path(out_dir) if out_dir is not None else None
    start, history = 0, History()
    if resume and out is not None and (out / LAST_CHECKPOINT).exists():
        start, history = resume_state(out / LAST_CHECKPOINT, config, encoder, decoder, optimizer)
        if verbose and main:
            print(f"resumed from {LAST_CHECKPOINT} after epoch {start}")
    for epoch in tqdm(range(start + 1, epochs + 1), desc="epochs", disable=not (progress and main)):
        if isinstance(train_loader.sampler, DistributedSampler):
            train_loader.sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every process
        train_loss = train_step(train_encoder, train_decoder, train_loader, nn.MSELoss(), optimizer, device, scaler)
        val_loss = val_step(encoder, decoder, val_loader, nn.MSELoss(), device, amp)
        improved = history.record(
            all_reduce_mean(train_loss, _items(train_loader), device),
            all_reduce_mean(val_loss, _items(val_loader), device),
        )
        if out is not None and main:
            extra = {"epoch": epoch, "history": asdict(history), "val_loss": history.val_loss[-1]}
            if improved:
                save_checkpoint(out / BEST_CHECKPOINT, config, encoder, decoder, **extra)
            save_checkpoint(
                out / LAST_CHECKPOINT,
                config,
                encoder,
                decoder,
                **extra,
                optimizer=optimizer.state_dict(),
                rng_state=torch.get_rng_state(),
            )
        if verbose and main:
            print(epoch_line(epoch, epochs, history))
        for callback in callbacks:
            callback(epoch, encoder, decoder)
    return history


def _items(loader: DataLoader[Any]) -> int:
    """The items ``loader`` visits in an epoch: under torchrun, this process's share (its sampler's length)."""
    return len(cast(Sized, loader.sampler))


def _wrap_ddp(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` in PyTorch's DDP wrapper, which all-reduces its gradients during backward; alone: ``model``."""
    if process_group_info()[1] == 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

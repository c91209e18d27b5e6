"""Several processes, one model: what ``torchrun`` needs from this package, and nothing when run alone (notebook 08).

``python -m torch.distributed.run --nproc-per-node N -m tutorial_utils train ...`` starts N processes that
share the work through PyTorch's own DistributedDataParallel (gloo on CPUs, NCCL on CUDA GPUs). Every helper
here falls back to "one process, rank 0" when no process group is running, so the lesson's code is the same.
"""

from __future__ import annotations

import logging
import os

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler


def process_group_info() -> tuple[int, int]:
    """(rank, world size) of this process: (0, 1) when not started by torchrun."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main_process() -> bool:
    """True in the one process that prints, writes checkpoints, history and manifests."""
    return process_group_info()[0] == 0


def barrier() -> None:
    """Wait for every process (no-op alone)."""
    if process_group_info()[1] > 1:
        dist.barrier()


def launched_by_torchrun() -> bool:
    """True when torchrun set this process's rank and world size in the environment."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def init_distributed(device: torch.device) -> torch.device:
    """Join the process group torchrun prepared (gloo for CPUs, NCCL for CUDA); returns this process's device.

    On CUDA each process takes the GPU of its local rank (``cuda:LOCAL_RANK``).
    """
    if not launched_by_torchrun() or dist.is_initialized():
        return device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
        dist.init_process_group("nccl")
    else:
        dist.init_process_group("gloo")
    if dist.get_rank() != 0:  # one process reports skipped files; the others would repeat every line
        logging.getLogger("tutorial_utils").setLevel(logging.ERROR)
    return device


def close_distributed() -> None:
    """Leave the process group, if one is running, once every process has come this far: a process that left
    while another was still saving its checkpoint tore the group down under it (gloo aborted the leaver with
    "terminate called without an active exception", seen once in the torchrun test on Python 3.12)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def all_reduce_mean(mean: float, count: int, device: torch.device) -> float:
    """The mean over every process of a per-process mean of ``count`` items (alone: ``mean`` itself)."""
    if process_group_info()[1] == 1:
        return mean
    totals = torch.tensor([mean * count, float(count)], dtype=torch.float64, device=device)
    dist.all_reduce(totals)
    return (totals[0] / totals[1]).item()


def distribute_loader(loader: DataLoader, shuffle: bool, seed: int = 0) -> DataLoader:
    """``loader`` with its dataset dealt out among the processes by a ``DistributedSampler``; alone: ``loader``.

    Every process holds the same (seeded) split, and the sampler gives each its own share of it, reshuffled
    each epoch by ``set_epoch`` when ``shuffle``; ``batch_size`` is then per process.
    """
    if process_group_info()[1] == 1:
        return loader
    sampler = DistributedSampler(loader.dataset, shuffle=shuffle, seed=seed)
    return DataLoader(loader.dataset, batch_size=loader.batch_size, sampler=sampler)

"""Where the lesson's tensors run: the GPU when there is one, else the CPU (notebook 03)."""

from __future__ import annotations

import os

import torch


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

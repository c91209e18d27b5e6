"""The oldest PyTorch that pyproject.toml allows has what the GPU-only code paths call.

The tests run on the CPU, where mixed precision is off, so they never reach the line of
``tutorial_utils.scale.training`` that makes a gradient scaler; ``make test-min-versions`` runs this file with the
oldest allowed release, where a missing API would otherwise first fail on a learner's GPU."""

from __future__ import annotations

import torch


def test_the_device_generic_gradient_scaler_exists():
    # torch.amp.GradScaler("cuda", ...) replaced torch.cuda.amp.GradScaler in PyTorch 2.3 (hence torch>=2.3)
    scaler = torch.amp.GradScaler("cuda", enabled=False)
    assert not scaler.is_enabled()


def test_float16_autocast_on_cuda_can_be_described_on_any_machine():
    # what tutorial_utils.training.amp_context returns on CUDA; built disabled here, as on a machine without one
    with torch.autocast(device_type="cuda", dtype=torch.float16, enabled=False):
        assert torch.ones(1).dtype == torch.float32

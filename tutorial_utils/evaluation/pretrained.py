"""Where a pretrained network goes: a torchvision ResNet trunk as a drop-in encoder (notebook 07).

Real ImageNet weights must be downloaded once (``weights="DEFAULT"``), which needs an internet connection;
the lesson and its tests run offline, so they build the same network with ``weights=None``.
"""

from __future__ import annotations

import torch
from torch import nn


class ResNetEncoder(nn.Module):
    """A torchvision ResNet without its classifier: images -> (N, C, H/32, W/32) feature maps.

    Inputs are in [0, 1] like the rest of the lesson; the ImageNet normalisation the weights expect
    is applied inside, so ``create_embeddings`` and ``Embedder`` work unchanged (use ``pooling="avg"``).
    """

    mean: torch.Tensor  # the two buffers registered in __init__
    std: torch.Tensor

    def __init__(self, arch: str = "resnet18", weights: str | None = None) -> None:
        super().__init__()
        import torchvision

        net = torchvision.models.get_model(arch, weights=weights)
        self.trunk = nn.Sequential(*list(net.children())[:-2])  # drop global pooling and the classifier
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.trunk((x - self.mean) / self.std)

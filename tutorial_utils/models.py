"""The convolutional encoder and decoder of the lesson, and the config that rebuilds them (notebook 02).

Encoder: 5 blocks of conv 3x3 -> ReLU -> max-pool 2, channels 3 -> 16 -> 32 -> 64 -> 128 -> 256.
Each block halves the side, so an S x S image becomes a 256 x (S/32) x (S/32) feature map.
(The code pools before the ReLU: the same function, see :class:`ConvEncoder`, on a quarter of the values.)
Decoder: 5 transposed convolutions (kernel 2, stride 2) that double the side back to S x S.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

DOWNSAMPLING = 32  # five max-pools of 2
OUTPUT_ACTIVATIONS = ("relu", "sigmoid")


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild an encoder/decoder pair; stored inside every checkpoint.

    ``output`` is the decoder's last activation: ``"sigmoid"`` (default) keeps reconstructions inside
    [0, 1] like the target pixels; ``"relu"`` is the original tutorial's choice, and with some seeds its
    output dies at the start of training (all pixels 0, zero gradient) and never recovers.
    """

    image_size: int = 64
    channels: tuple[int, ...] = field(default=(16, 32, 64, 128, 256))
    output: str = "sigmoid"

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
        check_image_size(self.image_size)
        if len(self.channels) != 5:
            raise ValueError(f"the lesson's encoder has 5 blocks; got channels {self.channels}")
        if self.output not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"output must be one of {OUTPUT_ACTIVATIONS}, got {self.output!r}")

    @property
    def embedding_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the encoder output for this image size."""
        side = self.image_size // DOWNSAMPLING
        return (self.channels[-1], side, side)

    @property
    def embedding_dim(self) -> int:
        """Length of the flattened embedding: C x (S/32)^2."""
        c, h, w = self.embedding_shape
        return c * h * w

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for checkpoints."""
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d


def check_image_size(image_size: int) -> None:
    """Fail early, with the fix, when five halvings cannot bring ``image_size`` to a whole number."""
    if image_size < DOWNSAMPLING or image_size % DOWNSAMPLING:
        raise ValueError(
            f"image_size must be a positive multiple of {DOWNSAMPLING} (five max-pools of 2), "
            f"got {image_size}; try {max(DOWNSAMPLING, round(image_size / DOWNSAMPLING) * DOWNSAMPLING)}"
        )


class ConvEncoder(nn.Module):
    """Image (N, 3, S, S) -> feature map (N, C, S/32, S/32) with 5 x [conv 3x3, ReLU, max-pool 2].

    Each block runs max-pool before ReLU. The two commute (the ReLU of a window's largest value is the largest
    of its ReLUs), so the output and the gradients are exactly those of conv -> ReLU -> pool, while the ReLU
    and its backward pass touch a quarter of the values, so training is faster.
    """

    def __init__(self, channels: tuple[int, ...] = (16, 32, 64, 128, 256)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for c_out in channels:
            layers += [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1), nn.MaxPool2d(2), nn.ReLU(inplace=True)]
            c_in = c_out
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class ConvDecoder(nn.Module):
    """Feature map (N, C, S/32, S/32) -> image (N, 3, S, S) with 5 transposed convs (kernel 2, stride 2)."""

    def __init__(self, channels: tuple[int, ...] = (16, 32, 64, 128, 256), output: str = "sigmoid") -> None:
        super().__init__()
        if output not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"output must be one of {OUTPUT_ACTIVATIONS}, got {output!r}")
        widths = [*reversed(channels), 3]  # 256 -> 128 -> 64 -> 32 -> 16 -> 3
        layers: list[nn.Module] = []
        for i, (c_in, c_out) in enumerate(itertools.pairwise(widths)):
            layers.append(nn.ConvTranspose2d(c_in, c_out, kernel_size=2, stride=2))
            last = i == len(widths) - 2
            layers.append(nn.Sigmoid() if (last and output == "sigmoid") else nn.ReLU(inplace=True))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """A batch (N, C, H, W) in channels-last memory layout, the one oneDNN and cuDNN convolve fastest.

    With the model's weights in the same layout (``model.to(memory_format=torch.channels_last)``),
    training and inference run faster on a CPU (scripts/benchmark_training.py measures it); the values are the
    same up to rounding.
    """
    return x.contiguous(memory_format=torch.channels_last)


def build_models(config: ModelConfig) -> tuple[ConvEncoder, ConvDecoder]:
    """A fresh encoder and decoder for ``config``."""
    return ConvEncoder(config.channels), ConvDecoder(config.channels, config.output)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def layer_shapes(
    model: ConvEncoder | ConvDecoder, input_shape: tuple[int, ...]
) -> list[tuple[str, tuple[int, ...], int]]:
    """(layer description, output shape, parameter count) after every layer, from one dummy forward pass."""
    rows: list[tuple[str, tuple[int, ...], int]] = []
    x = torch.zeros(input_shape)
    with torch.no_grad():
        for layer in model.layers:
            x = layer(x)
            rows.append((repr(layer), tuple(x.shape), count_parameters(layer)))
    return rows

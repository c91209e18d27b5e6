"""Random views of a whole batch of drawings, in torch: what a self-supervised model must learn to ignore
(notebook 09).

Every function takes a (N, 3, H, W) batch in [0, 1] on a white background and keeps white white, so a view
never gains a grey frame the model could use to tell views apart. Working on the whole batch at once (one
``grid_sample``, one matrix product, one convolution) keeps augmenting cheaper than training, which per-image
PIL transforms would not be on a CPU.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class ViewSettings:
    """How strong each augmentation is and how often it is applied (probabilities are per image)."""

    min_zoom: float = 0.6  # < 1 shows a part of the image (a crop), > 1 the whole image smaller, with margin
    max_zoom: float = 1.5
    max_degrees: float = 15.0
    flip_p: float = 0.5
    colour_p: float = 0.8  # hue anywhere on the colour wheel, saturation and lightness
    saturation: tuple[float, float] = (0.3, 1.5)
    lightness: tuple[float, float] = (0.7, 1.3)
    grey_p: float = 0.2
    blur_p: float = 0.3
    blur_sigma: tuple[float, float] = (0.5, 1.5)
    outline_p: float = 0.1

    def to_dict(self) -> dict:
        return asdict(self)


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def _chosen(n: int, p: float, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=generator) < p


def random_geometry(
    images: torch.Tensor,
    generator: torch.Generator,
    min_zoom: float = 0.6,
    max_zoom: float = 1.5,
    max_degrees: float = 15.0,
    flip_p: float = 0.5,
) -> torch.Tensor:
    """One random affine warp per image: zoom in (crop) or out (margin), rotate, flip, shift; white padding."""
    n = len(images)
    zoom = torch.exp(_uniform(n, math.log(min_zoom), math.log(max_zoom), generator))  # sampled evenly in log scale
    angle = _uniform(n, -1, 1, generator) * math.radians(max_degrees)
    flip = torch.where(_chosen(n, flip_p, generator), -1.0, 1.0)
    slack = (1 - zoom).abs()  # how far the view can move without leaving the picture (or its margin)
    tx, ty = _uniform(n, -1, 1, generator) * slack, _uniform(n, -1, 1, generator) * slack
    cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta.to(images), list(images.shape), align_corners=False)
    # grid_sample pads with 0; warping (x - 1) and adding 1 back pads with white instead
    return F.grid_sample(images - 1, grid, align_corners=False, padding_mode="zeros") + 1


def hue_rotation(angles: torch.Tensor) -> torch.Tensor:
    """(N, 3, 3) matrices that turn RGB colours around the grey axis by ``angles`` (radians): greys stay put."""
    cos, sin = torch.cos(angles)[:, None, None], torch.sin(angles)[:, None, None]
    eye, ones = torch.eye(3), torch.full((3, 3), 1 / 3)
    cross = torch.tensor([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]]) / math.sqrt(3)
    return cos * eye + (1 - cos) * ones + sin * cross


def random_colour(
    images: torch.Tensor,
    generator: torch.Generator,
    p: float = 0.8,
    saturation: tuple[float, float] = (0.3, 1.5),
    lightness: tuple[float, float] = (0.7, 1.3),
) -> torch.Tensor:
    """Turn the hue anywhere on the wheel, scale saturation, and darken or lighten (white stays white)."""
    n = len(images)
    on = _chosen(n, p, generator)
    angle = torch.where(on, _uniform(n, -math.pi, math.pi, generator), 0.0)
    sat = torch.where(on, _uniform(n, *saturation, generator), 1.0).to(images)[:, None, None, None]
    light = torch.where(on, _uniform(n, *lightness, generator), 1.0).to(images)[:, None, None, None]
    out = torch.einsum("nij,njhw->nihw", hue_rotation(angle).to(images), images)
    grey = out.mean(1, keepdim=True)
    out = grey + sat * (out - grey)
    return (1 - light * (1 - out)).clamp(0, 1)


def to_grey(images: torch.Tensor) -> torch.Tensor:
    """Luminance (ITU-R 601 weights) repeated on the three channels."""
    weights = torch.tensor([0.299, 0.587, 0.114]).to(images).view(1, 3, 1, 1)
    return (images * weights).sum(1, keepdim=True).expand_as(images)


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Blur with a 5x5 Gaussian of width ``sigma`` pixels; edges are padded with their own values."""
    x = torch.arange(5, dtype=images.dtype, device=images.device) - 2
    k1 = torch.exp(-(x**2) / (2 * sigma**2))
    k1 = k1 / k1.sum()
    kernel = (k1[:, None] * k1[None, :]).expand(3, 1, 5, 5)
    return F.conv2d(F.pad(images, (2, 2, 2, 2), mode="replicate"), kernel, groups=3)


def outline(images: torch.Tensor, strength: float = 2.0) -> torch.Tensor:
    """A line drawing of each image: dark Sobel edges of its luminance on white."""
    lum = to_grey(images)[:, :1]
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]).to(images)
    kernels = torch.stack([sobel, sobel.T])[:, None]
    grad = F.conv2d(F.pad(lum, (1, 1, 1, 1), mode="replicate"), kernels)
    edges = (grad.pow(2).sum(1, keepdim=True).sqrt() * strength / 4).clamp(0, 1)
    return (1 - edges).expand_as(images)


def random_views(
    images: torch.Tensor, generator: torch.Generator, settings: ViewSettings = ViewSettings()
) -> torch.Tensor:
    """One random view of every image: geometry, then colour, grey, blur and outline, each with its own chance."""
    s = settings
    n = len(images)
    views = random_geometry(images, generator, s.min_zoom, s.max_zoom, s.max_degrees, s.flip_p)
    views = random_colour(views, generator, s.colour_p, s.saturation, s.lightness)
    grey = _chosen(n, s.grey_p, generator).to(images.device)[:, None, None, None]
    views = torch.where(grey, to_grey(views), views)
    blur = _chosen(n, s.blur_p, generator).to(images.device)[:, None, None, None]
    sigma = float(_uniform(1, *s.blur_sigma, generator))  # one width per batch: one convolution
    views = torch.where(blur, gaussian_blur(views, sigma), views)
    line = _chosen(n, s.outline_p, generator).to(images.device)[:, None, None, None]
    return torch.where(line, outline(views), views).clamp(0, 1)

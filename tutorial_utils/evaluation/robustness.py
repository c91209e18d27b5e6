"""A robustness test made from the collection itself: restyled copies of every emoji must find their original
(notebook 09, ``python -m tutorial_utils evaluate --robustness``).

Each transform makes one copy of every image, never indexed; the copy queries the collection and should get
its own original back at rank 1 (R@1) or within the first five (R@5). The transforms are deterministic
PIL operations, written independently of the training augmentations in :mod:`tutorial_utils.selfsup.augment`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

import numpy as np
import torch
from PIL import Image, ImageFilter, ImageOps

from ..data import pil_to_float_tensor, tensor_to_pil
from .metrics import recall_at_k, rows_searcher

WHITE = (255, 255, 255)


def hue_shift(image: Image.Image, i: int) -> Image.Image:
    """Every hue turned a third of the way round the colour wheel (two thirds for odd i): a recoloured emoji."""
    h, s, v = image.convert("HSV").split()
    shift = 85 if i % 2 == 0 else 170
    h = h.point([(x + shift) % 256 for x in range(256)])  # a lookup table of the 256 hues
    return Image.merge("HSV", (h, s, v)).convert("RGB")


def greyscale(image: Image.Image, i: int) -> Image.Image:
    """Luminance only."""
    return ImageOps.grayscale(image).convert("RGB")


def rotate(image: Image.Image, i: int) -> Image.Image:
    """Rotated by 15 degrees, clockwise or anticlockwise (alternating), on white."""
    return image.rotate(15 if i % 2 == 0 else -15, resample=Image.Resampling.BICUBIC, fillcolor=WHITE)


def shrink(image: Image.Image, i: int) -> Image.Image:
    """Scaled to 70 % and centred, with a white margin."""
    side = round(image.width * 0.7)
    canvas = Image.new("RGB", image.size, WHITE)
    offset = ((image.width - side) // 2, (image.height - side) // 2)
    canvas.paste(image.resize((side, side), Image.Resampling.LANCZOS), offset)
    return canvas


def blur(image: Image.Image, i: int) -> Image.Image:
    """A Gaussian blur of radius 1.5 pixels."""
    return image.filter(ImageFilter.GaussianBlur(1.5))


def jpeg(image: Image.Image, i: int) -> Image.Image:
    """Saved as a JPEG of quality 30 and decoded again."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=30)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def outline_only(image: Image.Image, i: int) -> Image.Image:
    """Only the contours (PIL's CONTOUR filter on the luminance): a line drawing, no fill, no colour."""
    padded = ImageOps.expand(ImageOps.grayscale(image), border=1, fill=255)  # white border: no false frame
    lines = padded.filter(ImageFilter.CONTOUR).crop((1, 1, image.width + 1, image.height + 1))
    return ImageOps.autocontrast(lines).convert("RGB")


TRANSFORMS: dict[str, Callable[[Image.Image, int], Image.Image]] = {
    "hue shift": hue_shift,
    "greyscale": greyscale,
    "rotated ±15°": rotate,
    "70 % + margin": shrink,
    "blur": blur,
    "JPEG q30": jpeg,
    "outline only": outline_only,
}


def robustness_suite(images: torch.Tensor, transforms: Mapping[str, Callable] = TRANSFORMS) -> dict[str, torch.Tensor]:
    """{transform name: (N, 3, S, S) float copies}, copy i made from image i (the row it must find)."""
    originals = [tensor_to_pil(im) for im in images]
    return {
        name: torch.stack([pil_to_float_tensor(fn(im, i)) for i, im in enumerate(originals)])
        for name, fn in transforms.items()
    }


def suite_recall(
    collection: np.ndarray,
    embed: Callable[[torch.Tensor], np.ndarray],
    suite: Mapping[str, torch.Tensor],
    targets: np.ndarray,
    ks: tuple[int, ...] = (1, 5),
    metric: str = "cosine",
) -> dict[str, float]:
    """{"<transform> R@k": ..., "mean R@1": ...}: each transform's copies, embedded, searched among ``collection``."""
    row = {}
    searcher = rows_searcher(collection, metric)  # fitted once for all the transforms
    for transform, copies in suite.items():
        for k, value in recall_at_k(searcher, embed(copies), targets, ks, metric).items():
            row[f"{transform} {k}"] = value
    row["mean R@1"] = float(np.mean([row[f"{t} R@1"] for t in suite]))
    return row


def robustness_table(
    embedders: Mapping[str, Callable[[torch.Tensor], np.ndarray]],
    images: torch.Tensor,
    suite: Mapping[str, torch.Tensor],
    ks: tuple[int, ...] = (1, 5),
    metric: str = "cosine",
    targets: np.ndarray | None = None,
) -> list[dict[str, float | str]]:
    """One row per embedding: R@k of each transform's copies against the untouched collection, and mean R@1.

    ``embedders`` maps a name to a function from an (N, 3, S, S) batch to (N, D) embeddings; it is called on
    the collection first (so a PCA can be fitted there) and then on each transform's copies. Copy j must find
    collection row ``targets[j]``: by default row j (a suite made from all of ``images``); pass the rows the
    suite was made from when it covers only some of them.
    """
    first = next(iter(suite.values()))
    targets = np.arange(len(first)) if targets is None else np.asarray(targets)
    if len(targets) != len(first):
        raise ValueError(f"{len(targets)} targets for {len(first)} copies per transform")
    return [
        {"embedding": name, **suite_recall(embed(images), embed, suite, targets, ks, metric)}
        for name, embed in embedders.items()
    ]

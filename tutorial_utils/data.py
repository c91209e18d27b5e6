"""Turn a folder of images into a PyTorch dataset: decoding, colour modes, size, split, labels (notebook 01).

Every image goes through :func:`to_rgb` and :func:`resize_square`, so the collection, the queries and the tests
all see pixels the same way: EXIF orientation applied, transparency composited onto white, any mode to RGB.
Each loader's name says what it returns: ``*_pil`` a PIL image, ``*_hwc_uint8`` / ``*_chw_uint8`` a NumPy
array of bytes (height, width, RGB or RGB, height, width), ``*_tensor`` a float tensor with values in [0, 1].
"""

# The type checker's strict rules hold here but one: PyTorch leaves the parameters of torch.from_numpy and
# Tensor.tolist untyped, and calling them is not reported as a use of an unknown type.
# pyright: reportUnknownMemberType=false

from __future__ import annotations

import csv
import io
import logging
import os
import re
import warnings
from collections.abc import Callable, Sequence, Sized
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch.utils.data import Dataset, Subset

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})
BACKGROUND = (255, 255, 255)
ImageLike = str | os.PathLike[str] | Image.Image
ImagePair = tuple[torch.Tensor, torch.Tensor]  # an item of FolderDataset: (input image, reconstruction target)
Queries = ImageLike | torch.Tensor | Sequence[ImageLike | torch.Tensor]  # one image, a list of them, or a 4-D batch
ORIENTATION = 0x0112  # the EXIF tag that says how the camera was turned
MAX_PIXELS = 50_000_000  # larger images are refused from their header, before any pixel is decoded (~150 MB RGB)
log = logging.getLogger("tutorial_utils")
ItemT = TypeVar("ItemT")  # what a dataset's items are


class ImageReadError(ValueError):
    """An image file that cannot be used; the message names the file and ``reason`` says why in a few words."""

    def __init__(self, path: str | os.PathLike[str], reason: str, detail: str = "") -> None:
        self.path, self.reason = Path(path), reason
        self.why = reason + (f" ({detail})" if detail else "")  # the message without the file name
        super().__init__(f"{path}: {self.why}")


def _to_8bit(img: Image.Image) -> Image.Image:
    """Scale 16-bit or float greyscale to 8 bits (Pillow's own convert("L") clips instead of scaling)."""
    arr = np.asarray(img)
    if img.mode == "F":
        arr = arr * 255.0 if arr.size and float(arr.max()) <= 1.0 else arr
    elif img.mode.startswith("I;16") or (arr.size and int(arr.max()) > 255):
        arr = arr.astype(np.float64) / 257.0
    return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), mode="L")


def to_rgb(img: Image.Image, background: tuple[int, int, int] = BACKGROUND) -> Image.Image:
    """Return an RGB copy of ``img``: EXIF-rotated, transparent pixels composited onto ``background``.

    ``img.convert("RGB")`` alone drops the alpha channel and shows whatever colour the transparent
    pixels happen to hold (often black), which is the transparency bug of the original tutorial.
    """
    if img.getexif().get(ORIENTATION, 1) != 1:  # most files have no rotation: skip the copy exif_transpose makes
        img = ImageOps.exif_transpose(img)
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    if has_alpha:
        rgba = img.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (*background, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        img = _to_8bit(img)
    return img.convert("RGB")


def resize_square(img: Image.Image, size: int, background: tuple[int, int, int] = BACKGROUND) -> Image.Image:
    """Fit ``img`` into a ``size`` x ``size`` square without distorting it, padding with ``background``."""
    if img.size == (size, size):
        return img
    return ImageOps.pad(img, (size, size), method=Image.Resampling.LANCZOS, color=background)


def vanished(path: str | os.PathLike[str]) -> ImageReadError:
    """The error for a file that was listed but is gone when it is read."""
    return ImageReadError(path, "disappeared", "deleted after the folder was listed")


def read_file_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of an image file; a file that vanished since it was listed is an :class:`ImageReadError`."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError as err:
        raise vanished(path) from err
    except OSError as err:
        raise ImageReadError(path, "unreadable", err.strerror or str(err)) from err


def _open_checked(
    source: str | os.PathLike[str] | io.BytesIO, path: str | os.PathLike[str], max_pixels: int
) -> Image.Image:
    """``Image.open`` (header only) plus a size check, so a decompression bomb is refused before decoding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(source)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        pixels = re.search(r"\d+", str(err))  # "Image size (400000000 pixels) exceeds limit of ..."
        detail = f"{int(pixels.group()):,} pixels, limit {max_pixels:,}" if pixels else str(err)
        raise ImageReadError(path, "too large", detail) from err
    except FileNotFoundError as err:
        raise vanished(path) from err
    except (UnidentifiedImageError, SyntaxError, ValueError) as err:
        raise ImageReadError(path, "not an image", "no decoder recognises its bytes") from err
    except OSError as err:
        raise ImageReadError(path, "unreadable", str(err)) from err
    width, height = img.size
    if width * height > max_pixels:
        img.close()
        raise ImageReadError(path, "too large", f"{width}x{height} pixels, limit {max_pixels:,}")
    return img


def check_image(path: str | os.PathLike[str], max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """(width, height) from the file's header alone: cheap, and refuses non-images and enormous images."""
    img = _open_checked(path, path, max_pixels)
    img.close()
    return img.size


def decode_pil(data: bytes, path: str | os.PathLike[str], max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Fully decode an image from its bytes; ``path`` is only used to name the file in errors."""
    img = _open_checked(io.BytesIO(data), path, max_pixels)
    try:
        img.load()
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        reason = "truncated" if "truncated" in str(err) or isinstance(err, EOFError) else "corrupt"
        raise ImageReadError(path, reason, str(err)) from err
    return img


def open_pil(path: str | os.PathLike[str], max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open and fully decode an image file, raising :class:`ImageReadError` that names the file."""
    return decode_pil(read_file_bytes(path), path, max_pixels)


def describe_skipped(skipped: Sequence[tuple[Path, str]], root: str | os.PathLike[str] | None = None) -> list[str]:
    """One clean line per skipped file, e.g. ``skipped big.png: too large (20000x20000 pixels, ...)``."""
    lines: list[str] = []
    for path, why in skipped:
        name = Path(path).relative_to(root).as_posix() if root and Path(path).is_relative_to(root) else str(path)
        lines.append(f"skipped {name}: {why}")
    return lines


def report_skipped(skipped: Sequence[tuple[Path, str]], root: str | os.PathLike[str] | None = None) -> None:
    """Log each skipped file on one line (``logging``: no traceback, no source line)."""
    for line in describe_skipped(skipped, root):
        log.warning(line)


def rgb_square_pil(image: ImageLike, size: int) -> Image.Image:
    """Read a path or PIL image as an RGB ``size`` x ``size`` picture, the way the dataset does."""
    img = open_pil(image) if not isinstance(image, Image.Image) else image
    return resize_square(to_rgb(img), size)


def decode_hwc_uint8(data: bytes, path: str | os.PathLike[str], size: int, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Image bytes -> uint8 (size, size, 3) array (height, width, RGB), decoded once, the way the dataset sees it."""
    return np.asarray(resize_square(to_rgb(decode_pil(data, path, max_pixels)), size), dtype=np.uint8)


def decode_chw_uint8(data: bytes, path: str | os.PathLike[str], size: int, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Image bytes -> uint8 (3, size, size) array: :func:`decode_hwc_uint8` with the channels first."""
    return np.ascontiguousarray(decode_hwc_uint8(data, path, size, max_pixels).transpose(2, 0, 1))


def pil_to_float_tensor(img: Image.Image) -> torch.Tensor:
    """RGB PIL image -> float tensor (3, H, W) with values in [0, 1]."""
    arr = np.asarray(img, dtype=np.uint8)
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float().div_(255.0)


def tensor_to_pil(image: torch.Tensor) -> Image.Image:
    """(3, H, W) float tensor in [0, 1] -> RGB PIL image (rounded to the nearest of the 256 levels)."""
    return Image.fromarray((image.detach().cpu().clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy(), mode="RGB")


def image_to_tensor(image: ImageLike | torch.Tensor, size: int) -> torch.Tensor:
    """Any query (path, PIL image of any mode and size, or a (3, H, W) tensor) -> (3, size, size) tensor."""
    if isinstance(image, torch.Tensor):
        if image.ndim != 3 or image.shape[0] != 3:
            raise ValueError(f"expected a (3, H, W) image tensor, got shape {tuple(image.shape)}")
        if image.shape[1:] != (size, size):
            image = torch.nn.functional.interpolate(
                image[None].float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False
            )[0]
        return image.float()
    return pil_to_float_tensor(rgb_square_pil(image, size))


def list_image_files(root: str | os.PathLike[str]) -> list[Path]:
    """Every file under ``root`` with an image extension, in sorted (deterministic) order."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder")
    files = [
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")
    ]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def scan_images(
    paths: Sequence[Path], image_size: int, cache: bool, strict: bool, max_pixels: int = MAX_PIXELS
) -> tuple[list[Path], list[tuple[Path, str]], torch.Tensor | None]:
    """(usable paths, skipped (path, why) pairs, cached uint8 pixels or None): every file is checked now, so a bad
    file is reported before training rather than in the middle of it. ``strict`` raises on the first bad file."""
    good: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    cached: list[np.ndarray] = []
    for path in paths:
        try:
            if cache:
                cached.append(decode_chw_uint8(read_file_bytes(path), path, image_size, max_pixels))
            else:
                check_image(path, max_pixels)  # the header only: size and format
        except ImageReadError as err:
            if strict:
                raise
            skipped.append((path, err.why))
            continue
        good.append(path)
    return good, skipped, torch.from_numpy(np.stack(cached)) if cache and cached else None


class FolderDataset(Dataset[ImagePair]):
    """Every image under a folder as ``(image, image)`` pairs: the input and the reconstruction target.

    Item ``i`` is ``self.paths[i]``, in sorted order. Files that cannot be used are skipped and logged
    (``self.skipped``), or raise :class:`ImageReadError` with ``strict=True``. ``cache=True`` decodes every
    image once, here, and keeps its bytes in memory; ``cache=False`` decodes in ``__getitem__``.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        image_size: int = 64,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        strict: bool = False,
        cache: bool = True,
        max_pixels: int = MAX_PIXELS,
    ) -> None:
        self.root, self.image_size = Path(root), int(image_size)
        self.transform, self.max_pixels = transform, max_pixels
        candidates = list_image_files(self.root)
        if not candidates:
            raise ValueError(f"{self.root}: no image files found (looked for {', '.join(sorted(IMAGE_EXTENSIONS))})")
        self.paths, self.skipped, self._cache = scan_images(candidates, self.image_size, cache, strict, max_pixels)
        report_skipped(self.skipped, self.root)
        if not self.paths:
            raise ValueError(f"{self.root}: none of the {len(candidates)} image files could be read")

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self._cache is not None:
            raw = self._cache[idx]
        else:
            path = self.paths[idx]
            raw = torch.from_numpy(decode_chw_uint8(read_file_bytes(path), path, self.image_size, self.max_pixels))
        image = raw.float().div_(255.0)
        if self.transform is not None:
            image = self.transform(image)
        return image, image

    def path(self, idx: int) -> Path:
        """The file behind item ``idx``."""
        return self.paths[idx]

    @property
    def relative_paths(self) -> list[str]:
        """File names relative to the root, as POSIX strings: the index manifest (a new list each time)."""
        key = (id(self.paths), len(self.paths), self.root)  # worked out again only if paths or root are replaced
        if getattr(self, "_relative_key", None) != key:
            self._relative = tuple(p.relative_to(self.root).as_posix() for p in self.paths)
            self._relative_key = key
        return list(self._relative)


def dataset_size(dataset: Dataset[Any]) -> int:
    """``len(dataset)``: every map-style dataset has a length, though PyTorch's ``Dataset`` does not declare one."""
    return len(cast(Sized, dataset))


def split_indices(n: int, val_fraction: float = 0.2, seed: int = 0) -> tuple[list[int], list[int]]:
    """Shuffle ``range(n)`` with a fixed seed and cut it into (train, val) index lists."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    n_val = max(1, round(n * val_fraction))
    if n_val >= n:
        raise ValueError(f"cannot split {n} images into train and validation sets")
    order = cast(list[int], torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist())
    return sorted(order[n_val:]), sorted(order[:n_val])


def train_val_split(
    dataset: Dataset[ItemT], val_fraction: float = 0.2, seed: int = 0
) -> tuple[Subset[ItemT], Subset[ItemT]]:
    """Seeded train/validation split of a dataset: the same seed gives the same split every time."""
    train_idx, val_idx = split_indices(dataset_size(dataset), val_fraction, seed)
    return Subset(dataset, train_idx), Subset(dataset, val_idx)


def read_labels(csv_path: str | os.PathLike[str], files: Sequence[str], column: str = "category") -> list[str]:
    """The ``column`` label of each file in ``files`` (names relative to the image folder), in order."""
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or "file" not in rows[0] or column not in rows[0]:
        raise ValueError(f"{csv_path}: needs a header with 'file' and '{column}' columns")
    table = {row["file"]: row[column] for row in rows}
    missing = [name for name in files if name not in table]
    if missing:
        raise ValueError(f"{csv_path}: no label for {len(missing)} file(s), e.g. {missing[0]}")
    return [table[name] for name in files]

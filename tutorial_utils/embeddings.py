"""Embed every image with the trained encoder and save the result as a search index with a manifest (notebook 04).

:func:`embed_batch` is the one place where an encoder turns images into rows: the notebooks, the command line,
the streaming index and the evaluation all embed through it, so their vectors agree.

Fix from the original tutorial: it started from one random placeholder row and ``torch.cat``-ed
each batch onto it, so row i held image i-1 and every search result was off by one. Here the
(N, D) array is preallocated and row i is filled with image i; the manifest stores file i beside it.
"""

# The type checker's strict rules hold here but one: PyTorch declares DataLoader.sampler without type arguments,
# and reading it is not reported as a use of an unknown type.
# pyright: reportUnknownMemberType=false

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, SequentialSampler

from .data import ImageLike, ImagePair, Queries, image_to_tensor, list_image_files
from .files import atomic_write
from .models import channels_last

POOLINGS = ("flatten", "avg")


def pool_features(features: torch.Tensor, pooling: str = "flatten") -> torch.Tensor:
    """(N, C, H, W) feature map -> (N, D) vectors: all values (``flatten``) or a per-channel mean (``avg``).

    Models that already give one vector per image, (N, D), pass through unchanged whatever the pooling.
    """
    if features.ndim == 2:
        return features
    if pooling == "flatten":
        return features.flatten(1)
    if pooling == "avg":
        return features.mean(dim=(2, 3))
    raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")


@torch.no_grad()
def embed_batch(encoder: nn.Module, images: torch.Tensor, pooling: str = "flatten") -> np.ndarray:
    """(N, 3, S, S) images, float in [0, 1] or uint8, -> (N, D) float32 rows, on the encoder's device.

    The encoder runs in eval mode with channels-last weights and inputs (faster convolutions, same values).
    """
    encoder.eval().to(memory_format=torch.channels_last)
    images = images.to(module_device(encoder))
    if images.dtype == torch.uint8:
        images = images.float().div_(255.0)
    return pool_features(encoder(channels_last(images)), pooling).float().cpu().numpy()


def module_device(module: nn.Module) -> torch.device:
    """The device of a module's first parameter or buffer (the CPU for a module that has neither)."""
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


def embed_images(
    encoder: nn.Module, images: torch.Tensor, pooling: str = "flatten", batch_size: int = 64
) -> np.ndarray:
    """Rows of an in-memory (N, 3, S, S) stack of images, ``batch_size`` images per pass; row i = image i."""
    batches = [embed_batch(encoder, images[i : i + batch_size], pooling) for i in range(0, len(images), batch_size)]
    return np.concatenate(batches) if batches else np.empty((0, 0), dtype=np.float32)


def create_embeddings(
    encoder: nn.Module,
    loader: DataLoader[ImagePair],
    device: torch.device | str | None = None,
    pooling: str = "flatten",
) -> np.ndarray:
    """Embed every image of ``loader`` into a preallocated (N, D) float32 array, row i = item i.

    The loader must not shuffle: a shuffled order would break the row <-> file alignment.
    """
    if not isinstance(loader.sampler, SequentialSampler):
        raise ValueError("create_embeddings needs an unshuffled loader (shuffle=False): row i must be item i")
    if device is not None:
        encoder.to(device)
    n = len(loader.sampler)  # the number of items: the sequential sampler visits each once
    out: np.ndarray | None = None
    row = 0
    for images, _ in loader:
        vectors = embed_batch(encoder, images, pooling)
        if out is None:
            out = np.empty((n, vectors.shape[1]), dtype=np.float32)
        out[row : row + len(vectors)] = vectors
        row += len(vectors)
    if out is None or row != n:
        raise RuntimeError(f"the loader gave {row} images for a dataset of {n}")
    return out


class Embedder:
    """Turns any query (path, PIL image, tensor, or a list of them) into embedding rows."""

    def __init__(
        self,
        encoder: nn.Module,
        image_size: int,
        pooling: str = "flatten",
        device: torch.device | str | None = None,
        batch_size: int = 256,
    ) -> None:
        self.device = torch.device(device) if device is not None else module_device(encoder)
        self.encoder = encoder.to(self.device)
        self.image_size, self.pooling, self.batch_size = image_size, pooling, batch_size

    def __call__(self, images: Queries) -> np.ndarray:
        """(Q, D) float32 embeddings; a single image gives Q = 1. Many queries go ``batch_size`` at a time."""
        if isinstance(images, (list, tuple)) or (isinstance(images, torch.Tensor) and images.ndim == 4):
            items = list(images)
        else:  # one image
            items = [cast(ImageLike | torch.Tensor, images)]
        batch = torch.stack([image_to_tensor(im, self.image_size) for im in items])
        return embed_images(self.encoder, batch, self.pooling, self.batch_size)


class StaleIndexError(RuntimeError):
    """The index no longer matches the image folder it was built from."""


def _stat(path: Path) -> tuple[int, int]:
    """(size, mtime_ns) of a file: a cheap first test of whether it changed."""
    st = path.stat()
    return (st.st_size, st.st_mtime_ns)


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-1 of a file's bytes: detects an image that was replaced under the same name."""
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()


INDEX_FORMAT = 2
_NPY_NAME = re.compile(r"-[0-9a-f]{12}\.npy$")


def embeddings_file(manifest: str | os.PathLike[str], build_id: str) -> Path:
    """The ``.npy`` beside a manifest for one build: ``index.json`` -> ``index-<build_id>.npy``."""
    manifest = Path(manifest)
    return manifest.with_name(f"{manifest.stem}-{build_id}.npy")


def new_build_id() -> str:
    """12 random hex digits naming one build's embeddings file, so a new build never overwrites the old one."""
    return secrets.token_hex(6)


def commit_manifest(path: str | os.PathLike[str], record: dict[str, Any]) -> Path:
    """Atomically point the manifest at a finished embeddings file, then delete the files it replaced.

    Until the rename the old manifest and the old ``.npy`` stay in place, so an interrupted build never
    leaves an index whose rows and files disagree.
    """
    path = Path(path)
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(record)))
    keep = record["embeddings"]
    for old in path.parent.glob(f"{path.stem}-*.npy"):
        if old.name != keep and _NPY_NAME.search(old.name):
            old.unlink(missing_ok=True)
    return path


@dataclass
class EmbeddingIndex:
    """Embeddings with their manifest: ``embeddings[i]`` belongs to ``root / files[i]``.

    On disk an index is a JSON manifest (``index.json``: root, files, digests, meta) and the (N, D) float32
    rows in a ``.npy`` beside it, which :meth:`load` memory-maps: a collection larger than RAM still loads.
    """

    embeddings: np.ndarray
    files: list[str]
    root: Path
    digests: list[str]
    meta: dict[str, Any] = field(default_factory=dict[str, Any])
    stats: list[tuple[int, int]] | None = None  # (size, mtime_ns) of each file when it was indexed

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if self.embeddings.ndim != 2 or not len(self.embeddings) == len(self.files) == len(self.digests):
            raise ValueError(
                f"index has {self.embeddings.shape} embeddings for {len(self.files)} files: they must match 1:1"
            )

    @classmethod
    def build(
        cls, embeddings: np.ndarray, root: str | os.PathLike[str], files: list[str], **meta: Any
    ) -> EmbeddingIndex:
        """Pair embeddings with file names (relative to ``root``) and record each file's digest."""
        root = Path(root)
        return cls(
            np.asarray(embeddings, dtype=np.float32),
            list(files),
            root,
            [file_digest(root / f) for f in files],
            dict(meta),
            [_stat(root / f) for f in files],
        )

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, root: str | os.PathLike[str] = ".") -> EmbeddingIndex:
        """An index of bare vectors with no image files behind them (rows ``row_000000``, ...), for experiments."""
        names = [f"row_{i:06d}" for i in range(len(vectors))]
        return cls(np.asarray(vectors, dtype=np.float32), names, Path(root), [""] * len(names))

    @property
    def paths(self) -> list[Path]:
        """Absolute-or-as-given paths of the indexed files, in row order."""
        return [self.root / f for f in self.files]

    def manifest(self, embeddings_name: str) -> dict[str, Any]:
        """The JSON record that describes this index and names its embeddings file."""
        return {
            "format": INDEX_FORMAT,
            "embeddings": embeddings_name,
            "shape": list(self.embeddings.shape),
            "root": str(self.root),
            "files": self.files,
            "digests": self.digests,
            "stats": [list(st) for st in self.stats] if self.stats else None,
            "meta": self.meta,
        }

    def save(self, path: str | os.PathLike[str], rows_file: str | os.PathLike[str] | None = None) -> Path:
        """Write the rows to a new ``.npy``, then switch the manifest ``path`` to it atomically.

        ``rows_file``: a finished ``.npy`` that already holds exactly these rows (a streaming build's); it is moved
        into place instead of being written again.
        """
        path = Path(path)
        if path.suffix != ".json":
            raise ValueError(f"{path}: an index is saved as a .json manifest (its rows go to a .npy beside it)")
        npy = embeddings_file(path, new_build_id())

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:  # a file object: np.save would append ".npy" to a name
                np.save(f, np.asarray(self.embeddings, dtype=np.float32))

        if rows_file is None:
            atomic_write(npy, write)
        else:
            os.replace(rows_file, npy)
        try:
            return commit_manifest(path, self.manifest(npy.name))
        except BaseException:
            npy.unlink(missing_ok=True)
            raise

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        root: str | os.PathLike[str] | None = None,
        check: bool = True,
        mmap: bool = True,
    ) -> EmbeddingIndex:
        """Read an index (rows memory-mapped unless ``mmap=False``); with ``check``, raise
        :class:`StaleIndexError` when the folder changed since it was built."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such index; build it first (python -m tutorial_utils index)")
        if path.suffix == ".npz":
            raise ValueError(
                f"{path}: an index in the old single-file format; rebuild it "
                "(python -m tutorial_utils index), which writes index.json"
            )
        try:
            manifest = json.loads(path.read_text())
            if manifest.get("format") != INDEX_FORMAT:
                raise ValueError(f"format {manifest.get('format')}, expected {INDEX_FORMAT}")
            npy = path.with_name(manifest["embeddings"])
            embeddings = np.load(npy, mmap_mode="r" if mmap else None, allow_pickle=False)
        except Exception as err:
            raise ValueError(f"{path}: not a readable index ({err})") from err
        if list(embeddings.shape) != manifest["shape"] or embeddings.dtype != np.float32:
            raise ValueError(
                f"{path}: {npy.name} holds {embeddings.shape} {embeddings.dtype}, "
                f"the manifest says {tuple(manifest['shape'])} float32; rebuild the index"
            )
        stats = manifest.get("stats")
        index = cls(
            embeddings,
            manifest["files"],
            Path(root) if root else Path(manifest["root"]),
            manifest["digests"],
            manifest.get("meta", {}),
            [tuple(x) for x in stats] if stats else None,
        )
        if check:
            index.check(source=path)
        return index

    def check(self, source: str | os.PathLike[str] = "index") -> None:
        """Compare the manifest with the folder: files added, removed or changed make the index stale.

        Like git, a file whose size and modification time are as recorded is taken as unchanged; only the
        others are read and hashed, so checking a large photo folder does not read every photo.
        """
        if not self.root.is_dir():
            raise StaleIndexError(f"{source}: image folder {self.root} does not exist")
        present = {p.relative_to(self.root).as_posix() for p in list_image_files(self.root)}
        indexed = set(self.files)
        skipped = set(self.meta.get("skipped", []))  # unreadable files left out on purpose at build time
        added, removed = sorted(present - indexed - skipped), sorted(indexed - present)
        stats = self.stats or [None] * len(self.files)
        changed = [
            f
            for f, d, st in zip(self.files, self.digests, stats, strict=True)
            if f in present and _stat(self.root / f) != st and file_digest(self.root / f) != d
        ]
        problems = [
            f"{len(names)} file(s) {what} (e.g. {names[0]})"
            for names, what in ((added, "added"), (removed, "removed"), (changed, "changed"))
            if names
        ]
        if problems:
            raise StaleIndexError(
                f"{source}: index is stale for {self.root}: {'; '.join(problems)}. "
                "Rebuild it with: python -m tutorial_utils index"
            )


def map_2d(
    embeddings: np.ndarray, seed: int = 0, pca_dims: int = 50, perplexity: float = 30.0, iterations: int = 500
) -> np.ndarray:
    """(N, 2) coordinates for a picture of the embedding space: PCA to ``pca_dims``, then t-SNE.

    PCA first removes noise and makes t-SNE much faster; both are seeded so the map repeats. 500 t-SNE
    iterations (scikit-learn's default is 1,000) draw the same groups of emoji in less time.
    """
    import inspect

    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    n_components = min(pca_dims, *embeddings.shape)
    reduced = PCA(n_components=n_components, random_state=seed).fit_transform(embeddings)
    steps = "max_iter" if "max_iter" in inspect.signature(TSNE).parameters else "n_iter"  # renamed in 1.5
    tsne = TSNE(
        n_components=2,
        perplexity=min(perplexity, (len(embeddings) - 1) / 3),
        init="pca",
        random_state=seed,
        **{steps: iterations},
    )
    return tsne.fit_transform(reduced).astype(np.float32)

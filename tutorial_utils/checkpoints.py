"""Save and load checkpoints that carry the config needed to rebuild the models (notebooks 03 and 04).

Checkpoints are written atomically, so a crash mid-save never destroys the previous best model. A checkpoint of
another kind than the autoencoder (``state["kind"]``) is rebuilt by the loader its module registered with
:func:`register_checkpoint_kind`; the self-supervised embedding of notebook 09 is one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn

from .files import atomic_write
from .models import ConvDecoder, ConvEncoder, ModelConfig, build_models

FORMAT_VERSION = 1
KindLoader = Callable[[ConvEncoder, dict[str, Any]], nn.Module]  # (loaded encoder, raw state) -> the model to use
_KIND_LOADERS: dict[str, KindLoader] = {}


def register_checkpoint_kind(kind: str, loader: KindLoader) -> None:
    """Let :func:`load_checkpoint` rebuild checkpoints whose ``kind`` is ``kind`` with ``loader``."""
    _KIND_LOADERS[kind] = loader


def save_checkpoint(
    path: str | os.PathLike[str],
    config: ModelConfig,
    encoder: nn.Module,
    decoder: nn.Module | None,
    **extra: Any,
) -> Path:
    """Write config, both state dicts and any ``extra`` (epoch, history, optimizer...) atomically.

    ``decoder=None`` is for encoders trained without one (the self-supervised kind).
    """
    state: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "config": config.to_dict(),
        "encoder": {k: v.detach().cpu() for k, v in encoder.state_dict().items()},
        "decoder": None if decoder is None else {k: v.detach().cpu() for k, v in decoder.state_dict().items()},
        **extra,
    }
    return atomic_write(path, lambda tmp: torch.save(state, tmp))


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load the raw checkpoint dict on the CPU, with a clear error when it is not one of ours."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint; train first (python -m tutorial_utils train)")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # pickle, zip and torch errors all mean "not a readable checkpoint"
        raise ValueError(f"{path}: not a readable checkpoint ({err})") from err
    state = cast(dict[str, Any], loaded) if isinstance(loaded, dict) else {}
    if state.get("format_version") != FORMAT_VERSION or "config" not in state:
        raise ValueError(f"{path}: not a tutorial_utils checkpoint (format_version {FORMAT_VERSION} expected)")
    return state


def load_checkpoint(
    path: str | os.PathLike[str], expect: ModelConfig | None = None
) -> tuple[nn.Module, ConvDecoder | None, ModelConfig, dict[str, Any]]:
    """Rebuild (encoder, decoder, config, raw state) from a checkpoint.

    An autoencoder checkpoint gives its ConvEncoder and ConvDecoder. A checkpoint of another kind gives what its
    registered loader builds around the encoder (for ``selfsup``: an embedder that maps images straight to
    embedding vectors) and no decoder.

    With ``expect``, a checkpoint made for another image size or architecture fails with a message
    that says what differs, instead of a cryptic shape error later.
    """
    state = read_checkpoint(path)
    kind = state.get("kind")
    if kind is not None and kind not in _KIND_LOADERS:
        raise ValueError(
            f"{path}: a {kind!r} checkpoint, and no loader is registered for that kind "
            f"(import the module that makes them first, e.g. tutorial_utils.{kind})"
        )
    cfg = state["config"]
    config = ModelConfig(image_size=cfg["image_size"], channels=tuple(cfg["channels"]), output=cfg["output"])
    if expect is not None and expect != config:
        diffs = [
            f"{name}: checkpoint has {getattr(config, name)}, expected {getattr(expect, name)}"
            for name in ("image_size", "channels", "output")
            if getattr(config, name) != getattr(expect, name)
        ]
        raise ValueError(f"{path}: checkpoint does not match the requested model ({'; '.join(diffs)})")
    encoder, decoder = build_models(config)
    try:
        encoder.load_state_dict(state["encoder"])
        if state["decoder"] is not None:
            decoder.load_state_dict(state["decoder"])
    except RuntimeError as err:
        raise ValueError(f"{path}: the weights do not fit the model its config describes ({err})") from err
    if kind is not None:
        return _KIND_LOADERS[kind](encoder.eval(), state), None, config, state
    return encoder, decoder if state["decoder"] is not None else None, config, state

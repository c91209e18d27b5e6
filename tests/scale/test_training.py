from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from tutorial_utils.checkpoints import read_checkpoint
from tutorial_utils.data import FolderDataset
from tutorial_utils.models import ModelConfig, build_models
from tutorial_utils.scale.training import fit_at_scale
from tutorial_utils.training import fit, make_loaders

CONFIG = ModelConfig(image_size=32)


def _pairs(n: int = 7, seed: int = 0) -> TensorDataset:
    x = torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))
    return TensorDataset(x, x)


def test_alone_on_a_cpu_the_layers_change_nothing(image_folder: Path, tmp_path: Path):
    """fit_at_scale is fit plus layers that are off here (no GPU, no torchrun): the same losses, the same best.pt."""
    ds = FolderDataset(image_folder, 32)
    runs, weights = [], []
    for name, trainer in (("plain", fit), ("scaled", fit_at_scale)):
        train, val, _ = make_loaders(ds, batch_size=4, val_fraction=0.25, seed=3)
        torch.manual_seed(3)
        encoder, decoder = build_models(CONFIG)
        runs.append(
            trainer(
                encoder,
                decoder,
                train,
                val,
                CONFIG,
                epochs=2,
                device="cpu",
                seed=3,
                out_dir=tmp_path / name,
                verbose=False,
            )
        )
        weights.append(read_checkpoint(tmp_path / name / "best.pt")["encoder"])
    assert runs[0].train_loss == runs[1].train_loss
    assert runs[0].val_loss == runs[1].val_loss
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert not (tmp_path / "plain" / "last.pt").exists()
    assert (tmp_path / "scaled" / "last.pt").is_file()


def test_resume_continues_after_the_last_epoch(tmp_path: Path, capsys):
    ds = _pairs(6)
    loader = DataLoader(ds, batch_size=3)
    encoder, decoder = build_models(CONFIG)
    first = fit_at_scale(
        encoder, decoder, loader, loader, CONFIG, epochs=2, out_dir=tmp_path, device="cpu", verbose=False
    )
    encoder2, decoder2 = build_models(CONFIG)
    resumed = fit_at_scale(
        encoder2, decoder2, loader, loader, CONFIG, epochs=4, out_dir=tmp_path, device="cpu", resume=True
    )
    assert "resumed from" in capsys.readouterr().out
    assert len(resumed.train_loss) == 4
    assert resumed.train_loss[:2] == first.train_loss
    assert read_checkpoint(tmp_path / "last.pt")["epoch"] == 4


def test_resume_with_another_config_fails(tmp_path: Path):
    loader = DataLoader(_pairs(4), batch_size=2)
    encoder, decoder = build_models(CONFIG)
    fit_at_scale(encoder, decoder, loader, loader, CONFIG, epochs=1, out_dir=tmp_path, device="cpu", verbose=False)
    other = ModelConfig(image_size=32, output="relu")
    enc, dec = build_models(other)
    with pytest.raises(ValueError, match="cannot resume"):
        fit_at_scale(enc, dec, loader, loader, other, epochs=2, out_dir=tmp_path, device="cpu", resume=True)


def test_amp_is_off_on_cpu(tmp_path: Path):
    loader = DataLoader(_pairs(4), batch_size=2)
    encoder, decoder = build_models(CONFIG)
    history = fit_at_scale(encoder, decoder, loader, loader, CONFIG, epochs=1, device="cpu", amp=True, verbose=False)
    assert len(history.train_loss) == 1

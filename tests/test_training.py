from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import tutorial_utils.training as training
from tutorial_utils.checkpoints import load_checkpoint, read_checkpoint, save_checkpoint
from tutorial_utils.data import FolderDataset
from tutorial_utils.devices import pick_device
from tutorial_utils.models import ModelConfig, build_models
from tutorial_utils.paths import DEFAULT_DATA, REFERENCE_CHECKPOINT, REPO_ROOT
from tutorial_utils.pipeline import TrainSettings, compare_with_reference
from tutorial_utils.training import fit, make_loaders, mean_image_baseline, train_step, val_step

CONFIG = ModelConfig(image_size=32)


def _pairs(n: int = 7, seed: int = 0) -> TensorDataset:
    x = torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))
    return TensorDataset(x, x)


def _full_mse(encoder, decoder, ds: TensorDataset) -> float:
    with torch.no_grad():
        x = ds.tensors[0]
        return nn.functional.mse_loss(decoder(encoder(x)), x).item()


def test_val_step_returns_the_epoch_mean_not_the_last_batch():
    torch.manual_seed(0)
    encoder, decoder = build_models(CONFIG)
    ds = _pairs(7)
    loader = DataLoader(ds, batch_size=3)  # batches of 3, 3, 1: the last batch is not representative
    loss = val_step(encoder, decoder, loader, nn.MSELoss(), "cpu")
    assert loss == pytest.approx(_full_mse(encoder, decoder, ds), rel=1e-5)
    last_batch = nn.functional.mse_loss(decoder(encoder(ds.tensors[0][6:])), ds.tensors[0][6:]).item()
    assert loss != pytest.approx(last_batch, rel=1e-3)


def test_train_step_returns_the_epoch_mean():
    torch.manual_seed(0)
    encoder, decoder = build_models(CONFIG)
    ds = _pairs(7)
    expected = _full_mse(encoder, decoder, ds)
    # lr = 0: weights stay put, so the mean over the epoch equals the loss over all images at once
    optimizer = torch.optim.SGD(list(encoder.parameters()) + list(decoder.parameters()), lr=0.0)
    loss = train_step(encoder, decoder, DataLoader(ds, batch_size=3), nn.MSELoss(), optimizer, "cpu")
    assert loss == pytest.approx(expected, rel=1e-5)


def test_train_step_lowers_the_loss():
    torch.manual_seed(0)
    encoder, decoder = build_models(ModelConfig(image_size=32, output="sigmoid"))
    ds = _pairs(8)
    before = _full_mse(encoder, decoder, ds)
    optimizer = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-3)
    for _ in range(5):
        train_step(encoder, decoder, DataLoader(ds, batch_size=4), nn.MSELoss(), optimizer, "cpu")
    assert _full_mse(encoder, decoder, ds) < before


def test_best_checkpoint_follows_the_lowest_validation_loss(tmp_path: Path, monkeypatch):
    scripted = iter([0.5, 0.3, 0.4, 0.35])
    monkeypatch.setattr(training, "val_step", lambda *a, **k: next(scripted))
    encoder, decoder = build_models(CONFIG)
    loader = DataLoader(_pairs(4), batch_size=2)
    history = fit(encoder, decoder, loader, loader, CONFIG, epochs=4, out_dir=tmp_path, device="cpu", verbose=False)
    assert history.val_loss == [0.5, 0.3, 0.4, 0.35]
    assert (history.best_epoch, history.best_val_loss) == (2, 0.3)
    assert read_checkpoint(tmp_path / "best.pt")["epoch"] == 2
    assert not (tmp_path / "last.pt").exists()  # resumable runs are fit_at_scale's (tests/scale/test_training.py)


def test_best_checkpoint_holds_the_weights_of_the_best_epoch(tmp_path: Path, monkeypatch):
    snapshots = {}
    scripted = iter([0.9, 0.1, 0.5])
    monkeypatch.setattr(training, "val_step", lambda *a, **k: next(scripted))
    encoder, decoder = build_models(CONFIG)
    loader = DataLoader(_pairs(4), batch_size=2)

    def remember(epoch, enc, dec):
        snapshots[epoch] = {k: v.clone() for k, v in enc.state_dict().items()}

    fit(
        encoder,
        decoder,
        loader,
        loader,
        CONFIG,
        epochs=3,
        out_dir=tmp_path,
        device="cpu",
        verbose=False,
        callbacks=[remember],
    )
    best_encoder, _, _, _ = load_checkpoint(tmp_path / "best.pt")
    for k, v in best_encoder.state_dict().items():
        assert torch.equal(v, snapshots[2][k])
    assert not all(torch.equal(v, snapshots[3][k]) for k, v in best_encoder.state_dict().items())


def test_save_is_atomic_a_failed_write_keeps_the_old_checkpoint(tmp_path: Path, monkeypatch):
    encoder, decoder = build_models(CONFIG)
    path = save_checkpoint(tmp_path / "best.pt", CONFIG, encoder, decoder, epoch=1)
    before = path.read_bytes()

    def broken_save(obj, f):
        Path(f).write_bytes(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, CONFIG, encoder, decoder, epoch=2)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["best.pt"]  # no temporary file left behind


def test_checkpoint_rebuilds_the_model_and_rejects_another_size(tmp_path: Path):
    encoder, decoder = build_models(CONFIG)
    path = save_checkpoint(tmp_path / "m.pt", CONFIG, encoder, decoder)
    enc2, _dec2, config, _ = load_checkpoint(path)
    assert config == CONFIG
    x = torch.rand(1, 3, 32, 32)
    assert torch.equal(enc2(x), encoder(x))
    with pytest.raises(ValueError, match=r"m\.pt: .*image_size: checkpoint has 32, expected 64"):
        load_checkpoint(path, expect=ModelConfig(image_size=64))
    with pytest.raises(ValueError, match=r"channels: checkpoint has"):
        load_checkpoint(path, expect=ModelConfig(image_size=32, channels=(8, 16, 32, 64, 128)))


def test_not_a_checkpoint_is_a_clear_error(tmp_path: Path):
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=r"junk\.pt: not a readable checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match=r"other\.pt: not a tutorial_utils checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError, match="train first"):
        load_checkpoint(tmp_path / "missing.pt")


def test_pick_device_honours_an_override_and_falls_back_to_cpu():
    assert pick_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        assert pick_device().type in ("cpu", "mps")


def test_fit_is_reproducible_with_a_seed(image_folder: Path):
    ds = FolderDataset(image_folder, 32)
    runs = []
    for _ in range(2):
        train, val, _ = make_loaders(ds, batch_size=4, val_fraction=0.25, seed=3)
        torch.manual_seed(3)
        encoder, decoder = build_models(CONFIG)
        runs.append(fit(encoder, decoder, train, val, CONFIG, epochs=2, device="cpu", seed=3, verbose=False))
    assert runs[0].train_loss == runs[1].train_loss


def test_mean_image_baseline_by_hand():
    a = torch.zeros(1, 3, 2, 2)
    b = torch.ones(1, 3, 2, 2)
    train = DataLoader(TensorDataset(torch.cat([a, b]), torch.cat([a, b])), batch_size=1)
    # mean image is 0.5 everywhere; every pixel of a or b is 0.5 away -> MSE 0.25
    assert mean_image_baseline(train, train) == pytest.approx(0.25)


# -- notebook 03 compares its run with the shipped reference model only when the recipe is the reference's ------


def _reference_comparison_cell() -> str:
    """The code of notebook 03's cell that sets the run beside the shipped reference model."""
    cells = json.loads((REPO_ROOT / "notebooks" / "03_training.ipynb").read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    found = [source for source in code if "compare_with_reference(" in source]
    assert len(found) == 1, "notebook 03 has one cell that compares its run with the reference"
    return found[0]


def _run_cell(source: str, best_val_loss: float, config: ModelConfig, settings: TrainSettings) -> None:
    history = training.History(best_val_loss=best_val_loss)
    exec(
        source,
        {
            "compare_with_reference": compare_with_reference,
            "DEFAULT_DATA": DEFAULT_DATA,
            "history": history,
            "config": config,
            "settings": settings,
        },
    )


def test_a_128_px_recipe_is_not_compared_with_the_64_px_reference(capsys):
    shipped = read_checkpoint(REFERENCE_CHECKPOINT)["history"]["best_val_loss"]
    gpu_recipe = ModelConfig(image_size=128), TrainSettings(epochs=50)
    comparison = compare_with_reference(shipped / 3, *gpu_recipe)
    assert not comparison.same_recipe
    assert comparison.agrees is None
    assert comparison.differences == ("image_size 128 (the reference: 64)", "epochs 50 (the reference: 15)")
    assert "not compared" in str(comparison)
    assert "image_size 128" in str(comparison)
    _run_cell(_reference_comparison_cell(), shipped / 3, *gpu_recipe)  # a better 128 px model fails nothing
    assert "not compared" in capsys.readouterr().out


def test_the_reference_recipe_is_compared_and_a_far_loss_fails_the_cell(capsys):
    shipped = read_checkpoint(REFERENCE_CHECKPOINT)["history"]["best_val_loss"]
    lesson_recipe = ModelConfig(image_size=64), TrainSettings()
    assert compare_with_reference(shipped * 1.1, *lesson_recipe).agrees is True
    assert compare_with_reference(shipped * 1.2, *lesson_recipe).agrees is False
    _run_cell(_reference_comparison_cell(), shipped * 1.05, *lesson_recipe)
    assert "within 15% of it" in capsys.readouterr().out
    with pytest.raises(AssertionError):
        _run_cell(_reference_comparison_cell(), shipped * 1.5, *lesson_recipe)
    other_data = compare_with_reference(shipped, ModelConfig(), TrainSettings(lr=1e-3), data=REPO_ROOT / "mine")
    assert other_data.differences == ("data mine (the reference: data/emoji/images)", "lr 0.001 (the reference: 0.002)")


def test_a_checkpoint_without_its_recipe_is_a_clear_error(tmp_path: Path):
    encoder, decoder = build_models(CONFIG)
    path = save_checkpoint(tmp_path / "old.pt", CONFIG, encoder, decoder, history={"best_val_loss": 0.1})
    with pytest.raises(ValueError, match=r"old\.pt: no record of the recipe"):
        compare_with_reference(0.1, CONFIG, TrainSettings(), reference=path)

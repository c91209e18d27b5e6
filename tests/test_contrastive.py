from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.utils.data import TensorDataset

from tutorial_utils.checkpoints import load_checkpoint
from tutorial_utils.contrastive import nt_xent, random_views, train_contrastive
from tutorial_utils.models import ModelConfig


def test_random_views_keep_shape_and_white_padding():
    images = torch.ones(4, 3, 32, 32)
    views = random_views(images, torch.Generator().manual_seed(0))
    assert views.shape == images.shape
    assert torch.allclose(views, images, atol=1e-5)  # an all-white image stays white, padding included
    pattern = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    a = random_views(pattern, torch.Generator().manual_seed(0))
    b = random_views(pattern, torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and not torch.allclose(a, pattern)


def test_nt_xent_prefers_matching_pairs():
    z = torch.eye(4)
    matched = nt_xent(z, z.clone())
    shuffled = nt_xent(z, z[[1, 2, 3, 0]])
    assert matched < shuffled
    assert matched.item() == pytest.approx(torch.nn.functional.cross_entropy(
        torch.tensor([[1 / 0.2] + [0.0] * 6]), torch.tensor([0])).item(), rel=1e-4)


def test_train_contrastive_runs_and_saves_a_loadable_checkpoint(tmp_path: Path):
    images = torch.rand(16, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    ds = TensorDataset(images, images)
    encoder, losses = train_contrastive(ds, ModelConfig(image_size=32), epochs=2, batch_size=8, out=tmp_path / "c.pt",
                                        verbose=False)
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))
    loaded, _, config, state = load_checkpoint(tmp_path / "c.pt")
    assert config.image_size == 32 and state["method"] == "contrastive"
    assert torch.equal(loaded(images[:2]), encoder(images[:2]))

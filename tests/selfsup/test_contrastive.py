from __future__ import annotations

import pytest
import torch

from tutorial_utils.models import ConvEncoder
from tutorial_utils.selfsup.augment import ViewSettings
from tutorial_utils.selfsup.contrastive import (
    BatchNormConvEncoder,
    ContrastiveSettings,
    fold_batch_norm,
    nt_xent,
    train_contrastive,
    warmup_cosine,
)


def test_nt_xent_prefers_matching_pairs():
    z = torch.eye(4)
    matched = nt_xent(z, z.clone())
    shuffled = nt_xent(z, z[[1, 2, 3, 0]])
    assert matched < shuffled
    assert matched.item() == pytest.approx(
        torch.nn.functional.cross_entropy(torch.tensor([[1 / 0.2] + [0.0] * 6]), torch.tensor([0])).item(), rel=1e-4
    )


def test_folding_batch_norm_gives_the_lesson_encoder_with_the_same_outputs():
    torch.manual_seed(0)
    model = BatchNormConvEncoder((4, 8, 8, 8, 16))
    model.train()
    for _ in range(3):  # give the running statistics and the affine parameters values other than 0 and 1
        model(torch.rand(8, 3, 32, 32) * 2)
    for m in model.layers:
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.uniform_(-1.5, 1.5)  # negative scales too: exact only because BN comes before the max-pool
            m.bias.data.uniform_(-0.5, 0.5)
    model.eval()
    plain = fold_batch_norm(model)
    assert type(plain) is ConvEncoder
    x = torch.rand(5, 3, 32, 32)
    assert torch.allclose(plain(x), model(x), atol=1e-5)


def test_warmup_then_cosine_schedule():
    assert warmup_cosine(0, 100, 10) == pytest.approx(0.1)
    assert warmup_cosine(9, 100, 10) == pytest.approx(1.0)
    assert warmup_cosine(10, 100, 10) == pytest.approx(1.0)
    assert warmup_cosine(55, 100, 10) == pytest.approx(0.5)
    assert warmup_cosine(100, 100, 10) == pytest.approx(0.0, abs=1e-9)


def test_train_contrastive_lowers_the_loss_and_reports_every_epoch():
    g = torch.Generator().manual_seed(0)
    images = torch.ones(32, 3, 32, 32)
    images[:, :, 6:26, 6:26] = torch.rand(32, 3, 20, 20, generator=g)
    seen = []
    light = ViewSettings(max_zoom=1.0, blur_p=0, outline_p=0)
    settings = ContrastiveSettings(epochs=4, batch_size=16, lr=3e-3, views=light)
    _model, losses = train_contrastive(
        (images * 255).to(torch.uint8),
        settings,
        channels=(4, 8, 8, 16, 16),
        on_epoch=lambda e, loss, s, m: seen.append((e, loss, m.training)),
    )
    assert [e for e, _, _ in seen] == [1, 2, 3, 4]
    assert not any(t for _, _, t in seen)
    assert losses == [loss for _, loss, _ in seen]
    assert losses[-1] < losses[0]
    with pytest.raises(ValueError, match="fewer than one batch"):
        train_contrastive(images[:8], settings)

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from tutorial_utils.embeddings import create_embeddings
from tutorial_utils.evaluation.metrics import score_embeddings
from tutorial_utils.evaluation.pretrained import ResNetEncoder
from tutorial_utils.evaluation.ranking import LabelBatchSampler, batch_hard_triplet_loss, train_triplet
from tutorial_utils.models import ConvEncoder


def test_triplet_loss_by_hand():
    # anchor 0 and 1 share a label, 2 is different; 2-D unit vectors so cosine distances are easy
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    labels = torch.tensor([0, 0, 1])
    # anchor 0: d(pos)=1, d(neg)=0 -> 1 + 0.2; anchor 1: d(pos)=1, d(neg)=1 -> 0.2; anchor 2: no positive
    assert batch_hard_triplet_loss(z, labels, margin=0.2).item() == pytest.approx((1.2 + 0.2) / 2)
    well_separated = torch.tensor([[1.0, 0.0], [1.0, 0.01], [-1.0, 0.0]])
    assert batch_hard_triplet_loss(well_separated, labels, margin=0.2).item() == pytest.approx(0.0)


def test_label_batch_sampler_gives_positives():
    labels = ["a"] * 5 + ["b"] * 5 + ["c"] * 1
    batches = list(LabelBatchSampler(labels, labels_per_batch=2, per_label=2, seed=0))
    for batch in batches:
        names = [labels[i] for i in batch]
        assert len(batch) == 4
        assert all(names.count(n) >= 2 for n in names)
        assert "c" not in names  # a label with one image can never be a positive


def test_triplet_training_separates_two_labels():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    red = torch.rand(16, 3, 32, 32, generator=g) * 0.3 + torch.tensor([0.7, 0.0, 0.0]).view(1, 3, 1, 1)
    blue = torch.rand(16, 3, 32, 32, generator=g) * 0.3 + torch.tensor([0.0, 0.0, 0.7]).view(1, 3, 1, 1)
    images = torch.cat([red, blue])
    images[::2] = images[::2].flip(-1)  # some variety inside each label
    ds = TensorDataset(images, images)
    labels = ["red"] * 16 + ["blue"] * 16
    encoder = ConvEncoder()
    losses = train_triplet(encoder, ds, labels, epochs=8, lr=1e-3, verbose=False)
    assert losses[-1] < losses[0]
    emb = create_embeddings(encoder, torch.utils.data.DataLoader(ds, batch_size=8), "cpu")
    assert score_embeddings(emb, labels, k=5)["P@5"] > 0.9


def test_resnet_encoder_without_weights_plugs_into_embeddings():
    encoder = ResNetEncoder("resnet18", weights=None).eval()
    x = torch.rand(3, 3, 64, 64)
    assert encoder(x).shape == (3, 512, 2, 2)
    emb = create_embeddings(
        encoder, torch.utils.data.DataLoader(TensorDataset(x, x), batch_size=2), "cpu", pooling="avg"
    )
    assert emb.shape == (3, 512)
    assert np.isfinite(emb).all()

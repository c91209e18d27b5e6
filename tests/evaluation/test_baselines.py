from __future__ import annotations

import numpy as np
import pytest
import torch

from tutorial_utils.evaluation.baselines import colour_histograms, pca_embeddings, pixel_embeddings


def test_colour_histogram_by_hand():
    img = torch.zeros(1, 3, 2, 2)
    img[0, 0, 0, 0] = 1.0  # one red pixel, three black ones
    img[0, :, 1, 1] = 1.0  # one white pixel
    raw = colour_histograms(img, bins=2, drop_white=False, sqrt=False)[0]
    # codes: black = 0, red = (1*2+0)*2+0 = 4, white = 7
    assert raw.tolist() == pytest.approx([0.5, 0, 0, 0, 0.25, 0, 0, 0.25])
    no_white = colour_histograms(img, bins=2, drop_white=True, sqrt=False)[0]
    assert no_white.tolist() == pytest.approx([2 / 3, 0, 0, 0, 1 / 3, 0, 0, 0])
    assert colour_histograms(img, bins=2, drop_white=True)[0].tolist() == pytest.approx(np.sqrt(no_white).tolist())


def test_pixels_and_pca_shapes():
    images = torch.rand(20, 3, 8, 8)
    assert pixel_embeddings(images).shape == (20, 192)
    pca = pca_embeddings(images, dims=5)
    assert pca.shape == (20, 5)
    assert np.allclose(pca.mean(0), 0, atol=1e-5)


def test_all_white_image_does_not_divide_by_zero():
    hist = colour_histograms(torch.ones(1, 3, 4, 4))
    assert np.isfinite(hist).all()
    assert hist.sum() == 0


def test_pca_with_queries_fits_once_and_matches_fit_on():
    images, queries = torch.rand(20, 3, 8, 8), torch.rand(4, 3, 8, 8)
    both = pca_embeddings(images, dims=5, queries=queries)
    assert np.allclose(both[0], pca_embeddings(images, dims=5), atol=1e-5)
    assert np.allclose(both[1], pca_embeddings(queries, dims=5, fit_on=images), atol=1e-5)

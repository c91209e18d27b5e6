from __future__ import annotations

import numpy as np
import torch

from tutorial_utils.evaluation.baselines import pixel_embeddings
from tutorial_utils.evaluation.robustness import TRANSFORMS, robustness_suite, robustness_table


def _images(n: int = 8) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    images = torch.ones(n, 3, 32, 32)
    for i in range(n):
        images[i, :, 6 + i : 20 + i, 4:28] = torch.rand(3, 1, 1, generator=g)
    return images


def test_suite_makes_one_changed_copy_of_every_image_per_transform():
    images = _images()
    suite = robustness_suite(images)
    assert list(suite) == list(TRANSFORMS)
    for name, copies in suite.items():
        assert copies.shape == images.shape, name
        assert copies.min() >= 0
        assert copies.max() <= 1
        assert (copies - images).abs().mean() > 1e-3, f"{name} left the images unchanged"
    grey = suite["greyscale"]
    assert torch.allclose(grey[:, 0], grey[:, 1], atol=1 / 255)
    assert torch.allclose(grey[:, 1], grey[:, 2], atol=1 / 255)
    assert torch.allclose(suite["70 % + margin"][:, :, :4], torch.ones(1)), "a white margin"


def test_table_scores_each_transform_and_the_mean():
    images = _images()
    suite = {"same": images.clone(), "reversed": images.flip(0)}
    rows = robustness_table({"pixels": lambda x: pixel_embeddings(x)}, images, suite, metric="euclidean")
    (row,) = rows
    assert row["same R@1"] == 1.0
    assert row["reversed R@1"] < 0.5
    assert row["mean R@1"] == np.mean([row["same R@1"], row["reversed R@1"]])


def test_a_suite_of_some_images_is_searched_against_all_of_them():
    images = _images()
    rows = np.array([1, 4, 6])
    suite = {"same": images[rows].clone()}
    (row,) = robustness_table({"pixels": pixel_embeddings}, images, suite, targets=rows, metric="euclidean")
    assert row["same R@1"] == 1.0
    (row,) = robustness_table({"pixels": pixel_embeddings}, images, suite, targets=rows[::-1], metric="euclidean")
    assert row["same R@1"] < 1.0
    import pytest

    with pytest.raises(ValueError, match="2 targets for 3 copies"):
        robustness_table({"pixels": pixel_embeddings}, images, suite, targets=rows[:2])

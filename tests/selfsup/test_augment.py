from __future__ import annotations

import math

import pytest
import torch

from tutorial_utils.selfsup.augment import (
    ViewSettings,
    gaussian_blur,
    hue_rotation,
    outline,
    random_colour,
    random_geometry,
    random_views,
    to_grey,
)


def _pattern(n: int = 6, size: int = 32, seed: int = 0) -> torch.Tensor:
    images = torch.ones(n, 3, size, size)
    images[:, :, 8:24, 8:24] = torch.rand(n, 3, 16, 16, generator=torch.Generator().manual_seed(seed))
    return images


def test_every_augmentation_keeps_a_white_image_white():
    white = torch.ones(4, 3, 32, 32)
    g = torch.Generator().manual_seed(0)
    for view in (
        random_geometry(white, g, 0.5, 1.5, 30),
        random_colour(white, g, p=1.0),
        to_grey(white),
        gaussian_blur(white, 1.5),
        outline(white),
        random_views(white, g),
    ):
        assert view.shape == white.shape
        assert torch.allclose(view, white, atol=1e-5)


def test_hue_rotation_keeps_greys_and_turns_full_circle():
    angles = torch.tensor([0.3, 2.0, -1.0])
    grey = torch.full((3,), 0.4)
    assert torch.allclose(hue_rotation(angles) @ grey, grey.expand(3, 3), atol=1e-6)
    red = torch.tensor([1.0, 0.0, 0.0])
    third = hue_rotation(torch.tensor([2 * math.pi / 3]))[0] @ red
    assert torch.allclose(third, torch.tensor([0.0, 1.0, 0.0]), atol=1e-6)  # a third of a turn: red -> green
    assert torch.allclose(hue_rotation(torch.tensor([2 * math.pi]))[0], torch.eye(3), atol=1e-6)


def test_zoom_out_leaves_a_white_margin_and_zoom_in_does_not():
    dark = torch.zeros(2, 3, 32, 32)
    g = torch.Generator().manual_seed(0)
    out = random_geometry(dark, g, min_zoom=1.6, max_zoom=1.6, max_degrees=0, flip_p=0)
    assert torch.allclose(out[:, :, 0, 0], torch.ones(2, 3))  # corner is margin
    inside = random_geometry(dark, g, min_zoom=0.6, max_zoom=0.6, max_degrees=0, flip_p=0)
    assert inside.max() < 1e-5  # a crop inside a black image stays black


def test_outline_draws_dark_lines_on_the_edges_only():
    images = torch.ones(1, 3, 32, 32)
    images[:, :, 8:24, 8:24] = 0.0
    lines = outline(images)
    assert lines[0, 0, 16, 16] == pytest.approx(1.0)  # inside a flat area: white
    assert lines[0, 0, 8, 16] < 0.5  # on the square's edge: dark
    assert torch.equal(lines[:, 0], lines[:, 1])  # grey lines


def test_random_views_repeat_with_the_seed_and_differ_between_draws():
    images = _pattern()
    a = random_views(images, torch.Generator().manual_seed(3))
    b = random_views(images, torch.Generator().manual_seed(3))
    g = torch.Generator().manual_seed(3)
    c, d = random_views(images, g), random_views(images, g)
    assert torch.equal(a, b)
    assert torch.equal(a, c)
    assert not torch.allclose(c, d)
    assert a.min() >= 0
    assert a.max() <= 1


def test_views_with_everything_off_are_the_images():
    images = _pattern()
    off = ViewSettings(min_zoom=1.0, max_zoom=1.0, max_degrees=0, flip_p=0, colour_p=0, grey_p=0, blur_p=0, outline_p=0)
    assert torch.allclose(random_views(images, torch.Generator().manual_seed(0), off), images, atol=1e-5)

from __future__ import annotations

import itertools

import pytest
import torch

from tutorial_utils.models import ConvDecoder, ConvEncoder, ModelConfig, build_models, count_parameters, layer_shapes


@pytest.mark.parametrize("size", [32, 64, 96, 128])
def test_shapes_for_several_image_sizes(size: int):
    config = ModelConfig(image_size=size)
    encoder, decoder = build_models(config)
    x = torch.rand(2, 3, size, size)
    z = encoder(x)
    assert z.shape == (2, 256, size // 32, size // 32) == (2, *config.embedding_shape)
    assert config.embedding_dim == 256 * (size // 32) ** 2
    assert decoder(z).shape == x.shape


def test_embedding_dim_at_the_lesson_and_original_sizes():
    assert ModelConfig(image_size=64).embedding_dim == 1024
    assert ModelConfig(image_size=512).embedding_dim == 65536


@pytest.mark.parametrize("size", [0, 16, 50, 100])
def test_image_size_must_be_a_multiple_of_32(size: int):
    with pytest.raises(ValueError, match="multiple of 32"):
        ModelConfig(image_size=size)


def test_output_activation_option():
    z = torch.randn(4, 256, 1, 1) * 10
    relu_out = ConvDecoder(output="relu")(z)
    sig_out = ConvDecoder(output="sigmoid")(z)
    assert relu_out.min() >= 0
    assert sig_out.min() >= 0
    assert sig_out.max() <= 1
    assert isinstance(ConvDecoder(output="sigmoid").layers[-1], torch.nn.Sigmoid)
    with pytest.raises(ValueError, match="output must be one of"):
        ModelConfig(output="tanh")


def test_smaller_bottleneck_channels():
    config = ModelConfig(image_size=64, channels=(16, 32, 64, 128, 16))
    encoder, _decoder = build_models(config)
    assert encoder(torch.rand(1, 3, 64, 64)).shape == (1, 16, 2, 2)
    assert config.embedding_dim == 64


def test_parameter_counts_match_the_layer_formula():
    # conv 3x3: 9*c_in*c_out + c_out; transposed conv 2x2: 4*c_in*c_out + c_out
    widths = [3, 16, 32, 64, 128, 256]
    enc = sum(9 * a * b + b for a, b in itertools.pairwise(widths))
    dec = sum(4 * a * b + a for a, b in itertools.pairwise(widths))
    assert count_parameters(ConvEncoder()) == enc
    assert count_parameters(ConvDecoder()) == dec


def test_layer_shapes_table_halves_then_doubles():
    rows = layer_shapes(ConvEncoder(), (1, 3, 64, 64))
    assert len(rows) == 15
    assert [shape for _, shape, _ in rows][2::3] == [
        (1, 16, 32, 32),
        (1, 32, 16, 16),
        (1, 64, 8, 8),
        (1, 128, 4, 4),
        (1, 256, 2, 2),
    ]
    rows = layer_shapes(ConvDecoder(), (1, 256, 2, 2))
    assert rows[-1][1] == (1, 3, 64, 64)


def test_pool_before_relu_is_the_same_function_as_relu_before_pool():
    torch.manual_seed(0)
    encoder = ConvEncoder()
    reordered = torch.nn.Sequential(
        *[
            m
            for block in range(5)
            for m in (encoder.layers[3 * block], encoder.layers[3 * block + 2], encoder.layers[3 * block + 1])
        ]
    )  # conv -> ReLU -> pool, as described
    assert [type(m).__name__ for m in reordered[:3]] == ["Conv2d", "ReLU", "MaxPool2d"]
    x = torch.randn(4, 3, 64, 64)
    out_fast = encoder(x)
    out_fast.square().sum().backward()
    grads_fast = [p.grad.clone() for p in encoder.parameters()]
    encoder.zero_grad()
    out_described = reordered(x)
    out_described.square().sum().backward()
    assert torch.equal(out_fast, out_described)
    for fast, described in zip(grads_fast, (p.grad for p in encoder.parameters()), strict=True):
        assert torch.equal(fast, described)

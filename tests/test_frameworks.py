"""Tests of initlib.frameworks: fan rules per layout, the rules' std and bound, sampling."""

import math

import numpy as np
import pytest

import initlib
from initlib import frameworks as fw


def test_keras_fans_are_torch_fans_of_the_transposed_layout():
    for torch_shape in [(256, 784), (10, 256), (64, 3, 3, 3), (8, 4, 5)]:
        assert fw.keras_fans(fw.to_keras_layout(torch_shape)) == initlib.fans(torch_shape)


def test_the_layout_mix_up_swaps_the_fans():
    keras_shaped = (784, 256)  # (in, out)
    assert initlib.fans(keras_shaped) == (256, 784)  # read as (out, in): swapped


@pytest.mark.parametrize("shape", [(256, 784), (10, 256), (64, 3, 3, 3)])
def test_same_rule_same_numbers_across_frameworks(shape):
    keras = fw.to_keras_layout(shape)
    pairs = [
        (("keras", "glorot_uniform", keras), ("pytorch", "xavier_uniform_", shape)),
        (("keras", "he_uniform", keras), ("pytorch", "kaiming_uniform_", shape)),
        (("keras", "he_normal", keras), ("pytorch", "kaiming_normal_", shape)),
        (("keras", "lecun_uniform", keras), ("caffe", "xavier", shape)),
    ]
    for a, b in pairs:
        assert fw.spec(*a).std == pytest.approx(fw.spec(*b).std)


def test_formulas():
    fan_in, fan_out = 784, 256
    s = fw.spec("keras", "glorot_uniform", (fan_in, fan_out))
    assert s.bound == pytest.approx(math.sqrt(6 / (fan_in + fan_out)))
    s = fw.spec("keras", "he_normal", (fan_in, fan_out))
    assert s.std == pytest.approx(math.sqrt(2 / fan_in))
    # Keras's stddev argument to truncated_normal is std / 0.8796..., cut at 2 of it
    assert s.bound == pytest.approx(2 * math.sqrt(2 / fan_in) / 0.87962566103423978)
    s = fw.spec("pytorch", "nn_default", (fan_out, fan_in))
    assert s.bound == pytest.approx(1 / math.sqrt(fan_in))
    assert s.var == pytest.approx(1 / (3 * fan_in))
    assert fw.spec("pytorch", "kaiming_normal_", (fan_out, fan_in)).bound == math.inf


def test_pytorch_default_is_kaiming_uniform_with_a_sqrt5():
    fan_in = 300
    g = initlib.gain("leaky_relu", math.sqrt(5))
    assert g == pytest.approx(math.sqrt(1 / 3))
    bound = math.sqrt(3) * g / math.sqrt(fan_in)
    assert bound == pytest.approx(fw.spec("pytorch", "nn_default", (50, fan_in)).bound)


@pytest.mark.parametrize("framework,name,shape", [
    ("keras", "he_normal", (400, 300)),
    ("keras", "glorot_uniform", (3, 3, 16, 32)),
    ("pytorch", "nn_default", (300, 400)),
    ("caffe", "xavier", (32, 16, 3, 3)),
])
def test_sample_matches_spec(framework, name, shape):
    s = fw.spec(framework, name, shape)
    W = fw.sample(framework, name, shape, rng=0)
    assert W.shape == tuple(shape)
    # 5 standard errors of a sample std (kurtosis <= 3 for all three distributions)
    assert abs(W.std() - s.std) < 5 * s.std / math.sqrt(2 * W.size)
    assert np.abs(W).max() <= s.bound


def test_sample_is_seeded():
    a = fw.sample("keras", "he_normal", (20, 10), rng=3)
    b = fw.sample("keras", "he_normal", (20, 10), rng=3)
    np.testing.assert_array_equal(a, b)


def test_conventions_table_rows():
    rows = fw.conventions_table([(256, 784), (64, 3, 3, 3)])
    n_rules = sum(len(r) for r in fw.RULES.values())
    assert len(rows) == 2 * n_rules
    assert all(r.fan_in in (784, 27) for r in rows)


def test_errors():
    with pytest.raises(ValueError, match="Unknown framework 'jax'"):
        fw.spec("jax", "he_normal", (3, 4))
    with pytest.raises(ValueError, match="valid names: glorot_uniform"):
        fw.spec("keras", "kaiming_normal_", (3, 4))
    with pytest.raises(ValueError, match=r"shape must have at least 2 dimensions .* got \(3,\)"):
        fw.keras_fans((3,))
    with pytest.raises(TypeError, match=r"shape must contain ints, got \(3.0, 4\)"):
        fw.keras_fans((3.0, 4))

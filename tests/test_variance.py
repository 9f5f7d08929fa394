"""Tests of initlib.variance: the variance-propagation predictions and their Monte Carlo checks."""

import numpy as np
import pytest

from initlib.variance import (
    Estimate,
    linear_variance_prediction,
    mean_field_moments,
    product_variance,
    sample_variance,
)


# ----------------------------------------------------------------- sample_variance


def test_sample_variance_value_and_standard_error():
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 2.0, 200_000)
    est = sample_variance(x)
    assert isinstance(est, Estimate)
    # for a normal, SE of s^2 = sigma^2 sqrt(2/N)
    assert est.se == pytest.approx(4.0 * np.sqrt(2 / x.size), rel=0.02)
    assert est.agrees_with(4.0)
    assert not est.agrees_with(4.2)


def test_sample_variance_covers_truth_about_as_often_as_it_should():
    rng = np.random.default_rng(1)
    hits = [sample_variance(rng.uniform(-1, 1, 2000)).agrees_with(1 / 3, k=2) for _ in range(400)]
    assert 0.9 < np.mean(hits) < 0.99  # 2 SE: ~95 %


@pytest.mark.parametrize("bad", [[1.0], [1.0, np.nan, 2.0]])
def test_sample_variance_rejects_bad_input(bad):
    with pytest.raises(ValueError, match="sample_variance"):
        sample_variance(bad)


# ----------------------------------------------------------------- product_variance


def test_product_variance_matches_monte_carlo_with_nonzero_means():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 2, 1_000_000)  # mean 1, var 1/3
    y = rng.normal(1.5, 2.0, 1_000_000)  # mean 1.5, var 4
    predicted = product_variance(1 / 3, 4.0, mean_x=1.0, mean_y=1.5)
    assert predicted == pytest.approx(1 / 3 * 4 + 1 / 3 * 1.5**2 + 4 * 1.0**2)
    assert sample_variance(x * y).agrees_with(predicted, k=4)
    assert not sample_variance(x * y).agrees_with(1 / 3 * 4.0, k=4)  # the zero-mean shortcut


def test_product_variance_zero_means_is_product_of_variances():
    assert product_variance(0.5, 3.0) == 1.5


def test_product_variance_rejects_negative_variance():
    with pytest.raises(ValueError, match="var_x must be >= 0"):
        product_variance(-1.0, 1.0)


# ----------------------------------------------------------------- linear prediction


def test_linear_forward_prediction_by_hand():
    got = linear_variance_prediction([64, 100, 50, 10], [1 / 64, 1 / 50, 1 / 50], var_x=2.0)
    np.testing.assert_allclose(got, [2.0, 2.0 * 2.0, 2.0 * 2.0 * 1.0])


def test_linear_backward_prediction_by_hand():
    # factors n[l] Var(W[l]) = 100/64, 50/50, 10/50
    got = linear_variance_prediction(
        [64, 100, 50, 10], [1 / 64, 1 / 50, 1 / 50], var_x=1.0, direction="backward"
    )
    np.testing.assert_allclose(got, [100 / 64 * 1.0 * 0.2, 1.0 * 0.2, 0.2])


def test_linear_prediction_matches_a_random_linear_network():
    rng = np.random.default_rng(3)
    sizes = [50, 200, 80, 120]
    var_w = [1.3 / n for n in sizes[:-1]]
    predicted = linear_variance_prediction(sizes, var_w)
    measured = np.zeros((40, 3))
    for t in range(40):
        a = rng.standard_normal((200, sizes[0]))
        for l in range(3):
            a = a @ rng.normal(0, np.sqrt(var_w[l]), (sizes[l + 1], sizes[l])).T
            measured[t, l] = a.var()
    np.testing.assert_allclose(measured.mean(0), predicted, rtol=0.08)


@pytest.mark.parametrize(
    "sizes, var_w, match",
    [
        ([10], 0.1, r"layer_sizes needs at least 2 entries \(inputs and outputs\), got \[10\]"),
        ([10, 0, 5], 0.1, r"layer_sizes must be positive, got \[10, 0, 5\]"),
        ([10, 5, 5], [0.1, 0.1, 0.1], "one per layer \\(2\\)"),
        ([10, 5], -0.1, "finite and >= 0"),
    ],
)
def test_linear_prediction_errors(sizes, var_w, match):
    with pytest.raises(ValueError, match=match):
        linear_variance_prediction(sizes, var_w)


def test_linear_prediction_rejects_unknown_direction():
    with pytest.raises(ValueError, match="Unknown direction 'sideways'. Valid values: forward, backward"):
        linear_variance_prediction([3, 3], 1.0, direction="sideways")


# ----------------------------------------------------------------- mean field


def test_mean_field_tanh_known_numbers():
    m = mean_field_moments("tanh", [100, 100], 1 / 100)
    assert m.var_z[0] == pytest.approx(1.0)
    assert m.mean_a[0] == pytest.approx(0.0, abs=1e-12)
    assert m.var_a[0] == pytest.approx(0.394294, abs=1e-5)  # E[tanh(z)^2], z ~ N(0, 1)


def test_mean_field_relu_halves_the_second_moment():
    m = mean_field_moments("relu", [100] * 5, 1 / 100)
    np.testing.assert_allclose(m.second_moment_a, 0.5 ** np.arange(1, 5), rtol=1e-6)
    np.testing.assert_allclose(m.mean_a[0], np.sqrt(1 / (2 * np.pi)), rtol=1e-6)


def test_mean_field_sigmoid_uses_second_moment_not_variance():
    m = mean_field_moments("sigmoid", [100, 100, 100], 1 / 100)
    assert m.mean_a[0] == pytest.approx(0.5, abs=1e-12)
    # layer 2's pre-activation variance is E[a^2] = Var(a) + 1/4, not Var(a)
    assert m.var_z[1] == pytest.approx(m.var_a[0] + 0.25, rel=1e-9)


def test_mean_field_matches_a_wide_random_network():
    rng = np.random.default_rng(4)
    n, depth = 400, 4
    for name, f in [("tanh", np.tanh), ("sigmoid", lambda z: 1 / (1 + np.exp(-z)))]:
        m = mean_field_moments(name, [n] * (depth + 1), 2.0 / n)
        a = rng.standard_normal((500, n))
        for l in range(depth):
            z = a @ rng.normal(0, np.sqrt(2.0 / n), (n, n)).T
            assert z.var() == pytest.approx(m.var_z[l], rel=0.1)
            a = f(z)
            assert a.mean() == pytest.approx(m.mean_a[l], abs=0.03)


def test_mean_field_rejects_non_activation():
    with pytest.raises(TypeError, match="activation must be a name"):
        mean_field_moments(3, [2, 2], 1.0)

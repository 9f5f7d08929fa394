"""Tests of initlib.stats: per-layer statistics and signal propagation against theory."""

import math
import warnings

import numpy as np
import pytest

import initlib
from initlib import (MLP, LayerStats, SignalPropagation, dead_fraction, layer_stats,
                     saturated_fraction, signal_propagation)


# ---------------------------------------------------------------------------
# Definitions
# ---------------------------------------------------------------------------
def test_saturated_fraction_definitions():
    assert saturated_fraction(np.array([0.98, 0.995, -0.999, 0.0]), "tanh") == 0.5
    assert saturated_fraction(np.array([0.005, 0.5, 0.995, 0.02]), "sigmoid") == 0.5
    assert math.isnan(saturated_fraction(np.array([1.0, 0.0]), "relu"))
    assert saturated_fraction(np.array([0.999]), initlib.get_activation("tanh")) == 1.0


def test_dead_fraction_definition():
    z = np.array([[-1.0, 2.0, 0.0], [-3.0, -1.0, 0.0]])   # units 0 and 2 never positive
    assert dead_fraction(z, "relu") == pytest.approx(2 / 3)
    assert dead_fraction(z, "leaky_relu") == pytest.approx(2 / 3)
    assert math.isnan(dead_fraction(z, "tanh"))


# ---------------------------------------------------------------------------
# layer_stats
# ---------------------------------------------------------------------------
def test_layer_stats_match_direct_computation():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 4)), rng.integers(0, 3, 50)
    net = MLP([4, 6, 5, 3], activation=["tanh", "relu"], rng=1, bias_init=0.1)
    s = layer_stats(net, X, y)
    bp = net.backprop(X, y)
    np.testing.assert_array_equal(s.layer, [1, 2, 3])
    assert s.activation == ["tanh", "relu", "softmax"]
    for i in range(3):
        assert s.a_mean[i] == pytest.approx(bp.activations[i + 1].mean())
        assert s.a_std[i] == pytest.approx(bp.activations[i + 1].std())
        assert s.z_std[i] == pytest.approx(bp.preactivations[i].std())
        assert s.W_std[i] == pytest.approx(net.weights[i].std())
        assert s.grad_z_std[i] == pytest.approx(bp.grad_preactivations[i].std())
        assert s.grad_W_std[i] == pytest.approx(bp.grads[i][0].std())
        assert s.grad_W_mean[i] == pytest.approx(bp.grads[i][0].mean())
    assert s.grad_a_std[0] == pytest.approx(bp.grad_activations[1].std())
    assert math.isnan(s.grad_a_std[2])
    assert s.loss == pytest.approx(bp.loss)
    assert math.isnan(s.saturated[1]) and not math.isnan(s.saturated[0])
    assert math.isnan(s.dead[0]) and not math.isnan(s.dead[1])
    assert math.isnan(s.saturated[2]) and math.isnan(s.dead[2])     # output layer


def test_layer_stats_without_targets():
    net = MLP([3, 4, 2], rng=0)
    s = layer_stats(net, np.ones((5, 3)))
    assert isinstance(s, LayerStats) and s.loss is None and s.grad_z_std is None
    assert "grad_z_std" not in s.table() and "a_std" in s.table()
    assert repr(s).startswith("LayerStats (2 layers)\nlayer")
    assert set(s.as_dict()) >= {"a_std", "dead", "saturated", "grad_W_std"}
    with pytest.raises(TypeError, match="net must be an initlib.MLP, got dict"):
        layer_stats({}, np.ones((5, 3)))


def test_dead_and_zero_fraction_of_relu():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 20))
    dead = MLP([20, 30, 2], activation="relu", init="he_normal", bias_init=-100.0, rng=0)
    s = layer_stats(dead, X)
    assert s.dead[0] == 1.0 and s.zero_fraction[0] == 1.0
    # at a He init with centred inputs each unit is positive half of the time; the
    # per-unit fractions are independent across the 1000 units, each with std <= 1/2
    net = MLP([20, 1000, 2], activation="relu", init="he_normal", rng=0)
    s = layer_stats(net, X)
    assert abs(s.zero_fraction[0] - 0.5) < 5 * 0.5 / math.sqrt(1000)
    assert s.dead[0] == 0.0


def test_tanh_saturates_with_large_weights():
    X = np.random.default_rng(0).standard_normal((300, 50))
    big = MLP([50, 100, 100, 2], activation="tanh",
              init=lambda shape, rng: initlib.normal(shape, std=1.0, rng=rng), rng=0)
    good = MLP([50, 100, 100, 2], activation="tanh", init="xavier_normal", rng=0)
    # std(w) = 1: layer 1 is mostly saturated, so z2 ~ N(0, 100 E[a1^2]) with E[a1^2] > 0.8
    # and P(|z2| > 2.65) > P(|N(0, 1)| > 0.3) = 0.76
    s = layer_stats(big, X)
    assert s.a_std[0] ** 2 > 0.8 and s.saturated[1] > 0.7
    assert layer_stats(good, X).saturated[1] < 0.05


def test_layer_stats_of_a_diverged_network_do_not_warn():
    net = MLP([3, 5, 5, 2], activation="relu", init=1e200, rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = layer_stats(net, np.ones((4, 3)), [0, 1, 0, 1])
        text = s.table()
    assert not np.isfinite(s.a_std[1]) and not np.isfinite(s.loss)
    # every cell shows its own value: non-finite stds as "inf", undefined entries as "-"
    header, *rows = [line.split() for line in text.splitlines()]
    assert [int(row[0]) for row in rows] == [1, 2, 3]
    for name in ("a_std", "z_std", "saturated", "dead"):
        column = [row[header.index(name)] for row in rows]
        assert column == ["-" if np.isnan(v) else f"{v:.3g}" for v in getattr(s, name)], name
    assert [row[header.index("saturated")] for row in rows] == ["-"] * 3   # ReLU: undefined
    assert rows[0][header.index("a_std")] == "inf"                      # layer 1 overflowed


# ---------------------------------------------------------------------------
# signal_propagation: the variance recursions of chapters 3-5
# ---------------------------------------------------------------------------
# Per layer, the batch-averaged squared norm is multiplied by a chi-square-like factor
# with relative std at most sqrt(2 / width) (about 2x that for ReLU), so the per-layer
# slope of log-variance, (log v[L] - log v[1]) / (L - 1), has std below
# 2 sqrt(2 / width) / sqrt(L - 1). Tolerance: 5 of those.
WIDTH, DEPTH = 256, 30
TOL = 5 * 2 * math.sqrt(2 / WIDTH) / math.sqrt(DEPTH - 1)


def _slope(values):
    """Mean per-layer change of log(variance) between layers 1 and DEPTH."""
    return math.log(values[DEPTH] ** 2 / values[1] ** 2) / (DEPTH - 1)


@pytest.mark.parametrize("init,activation,forward,backward", [
    ("lecun_normal", "linear", 0.0, 0.0),             # Var(w) = 1/n: both directions kept
    ("he_normal", "relu", 0.0, 0.0),                  # He: 2/n makes up for ReLU's halving
    ("xavier_normal", "relu", -math.log(2), -math.log(2)),  # Xavier + ReLU halves per layer
])
def test_variance_slopes_over_depth(init, activation, forward, backward):
    s = signal_propagation(init, activation, width=WIDTH, depth=DEPTH, n_samples=256, rng=0)
    assert _slope(s.z_std) == pytest.approx(forward, abs=TOL)
    # gradient: measured from the top (layer DEPTH) down to the input (layer 0)
    g = math.log(s.grad_std[0] ** 2 / s.grad_std[DEPTH] ** 2) / DEPTH
    assert g == pytest.approx(backward, abs=TOL)


def test_small_init_vanishes_geometrically_with_tanh():
    # normal(std=0.05), width 100: sigma sqrt(n) = 0.5, and tanh is linear near 0
    s = signal_propagation("normal", "tanh", width=100, depth=10, rng=0)
    ratios = s.a_std[2:] / s.a_std[1:-1]
    np.testing.assert_allclose(ratios, 0.5, rtol=5 * math.sqrt(2 / 100))
    assert s.grad_std[0] < 1e-2 * s.grad_std[10]


def test_signal_propagation_matches_mlp_forward():
    X = np.random.default_rng(5).standard_normal((64, 32))
    s = signal_propagation("he_normal", "relu", width=32, depth=4, X=X, rng=3)
    net = MLP([32] * 5, activation="relu", init="he_normal", output="linear", rng=3)
    acts = net.activations(X)
    for l in range(1, 4):                              # the MLP's last layer is linear
        assert s.a_std[l] == pytest.approx(acts[l].std(), rel=1e-12)
        assert s.a_mean[l] == pytest.approx(acts[l].mean(), rel=1e-12)
    assert s.a_std[0] == pytest.approx(X.std())


def test_signal_propagation_record_and_widths():
    s = signal_propagation("xavier_normal", "tanh", width=[10, 20, 30, 5], n_samples=50)
    assert isinstance(s, SignalPropagation)
    np.testing.assert_array_equal(s.layer, [0, 1, 2, 3])
    np.testing.assert_array_equal(s.width, [10, 20, 30, 5])
    assert math.isnan(s.z_std[0]) and s.grad_std.shape == (4,)
    assert s.grad_std[3] == pytest.approx(1, abs=5 * math.sqrt(1 / (2 * 50 * 5)))
    np.testing.assert_allclose(s.a_var, s.a_std ** 2)
    np.testing.assert_allclose(s.grad_var, s.grad_std ** 2)
    assert repr(s).startswith("SignalPropagation(init='xavier_normal', activation='tanh', depth=3)")
    assert len(s.table(every=2).splitlines()) == 1 + 3        # header + layers 0, 2, 3
    assert s.init == "xavier_normal" and s.activation == "tanh"


def test_signal_propagation_seeded_and_float32():
    a = signal_propagation("he_normal", "relu", width=64, depth=5, rng=1)
    b = signal_propagation("he_normal", "relu", width=64, depth=5, rng=1)
    np.testing.assert_array_equal(a.a_std, b.a_std)
    c = signal_propagation("he_normal", "relu", width=64, depth=5, rng=1, dtype=np.float32)
    np.testing.assert_allclose(c.a_std, a.a_std, rtol=1e-4)


def test_exploding_signal_propagation_is_quiet():
    huge = lambda shape, rng: initlib.normal(shape, std=10.0, rng=rng)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = signal_propagation(huge, "relu", width=50, depth=300, n_samples=20)
        s.table()
    assert not np.all(np.isfinite(s.a_std)) and s.init == "custom"
    # below an overflowed layer the gradient is unknown (nan), not a fake 0
    assert np.isnan(s.grad_std[0])


def test_signal_propagation_errors():
    with pytest.raises(ValueError, match="needs depth="):
        signal_propagation("he_normal", "relu", width=10)
    with pytest.raises(ValueError, match="depth must be >= 1, got 0; e.g. depth=50"):
        signal_propagation("he_normal", "relu", width=10, depth=0)
    with pytest.raises(TypeError, match="depth must be an int, got 2.0 of type float"):
        signal_propagation("he_normal", "relu", width=10, depth=2.0)
    with pytest.raises(TypeError, match="width must be an int, got '8' of type str"):
        signal_propagation("he_normal", "relu", width="8", depth=2)
    with pytest.raises(ValueError, match=r"width lists 3 layer sizes \(depth 2\) but got depth=5"):
        signal_propagation("he_normal", "relu", width=[4, 4, 4], depth=5)
    with pytest.raises(ValueError, match=r"width must be positive, got \[4, 0\]"):
        signal_propagation("he_normal", "relu", width=[4, 0])
    with pytest.raises(ValueError, match="input_std must be > 0, got 0.0"):
        signal_propagation("he_normal", "relu", width=4, depth=2, input_std=0)
    with pytest.raises(ValueError, match=r"init was given as a list of 3 entries, but the network needs 2"):
        signal_propagation(["he_normal"] * 3, "relu", width=4, depth=2)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 4\), got \(3, 5\)"):
        signal_propagation("he_normal", "relu", width=4, depth=2, X=np.ones((3, 5)))
    with pytest.raises(ValueError, match="Unknown activation 'tahn'. Did you mean 'tanh'"):
        signal_propagation("he_normal", "tahn", width=4, depth=2)


def test_docstring_examples_run():
    import doctest

    import initlib.stats

    result = doctest.testmod(initlib.stats, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --- scientific: measured numbers as text for the prose ------------------------------------
@pytest.mark.parametrize(("x", "digits", "text"), [
    (2.18e-05, 0, "2 × 10⁻⁵"), (0.00318, 1, "3.2 × 10⁻³"), (-4.0e7, 0, "-4 × 10⁷"),
    (9.96e-3, 0, "1 × 10⁻²"), (np.float64(336.0), 0, "3 × 10²"),
])
def test_scientific_text(x, digits, text):
    assert initlib.scientific(x, digits) == text


def test_scientific_rejects_what_is_not_a_finite_number():
    with pytest.raises(TypeError, match="x must be a real number"):
        initlib.scientific("1e-5")
    with pytest.raises(ValueError, match="finite"):
        initlib.scientific(float("nan"))
    with pytest.raises(ValueError, match="digits"):
        initlib.scientific(1.0, digits=-1)

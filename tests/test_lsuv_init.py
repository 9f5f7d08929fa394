"""initlib.lsuv_init: LSUV (Mishkin & Matas 2016) reaches unit variance, records what it did,
recovers the analytic gains, and rejects bad input with clear messages."""

import math

import numpy as np
import pytest

import initlib
from initlib.lsuv_init import LSUVRecord, lsuv


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).standard_normal((400, 32))


def deep(activation="relu", width=32, depth=6, **kw):
    return initlib.MLP([32] + [width] * depth + [10], activation=activation, rng=1, **kw)


def preactivation_vars(net, X):
    return np.array([z.var() for z in net.forward_pass(X).preactivations])


# --------------------------------------------------------------------------- the algorithm
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "selu", "linear"])
def test_every_layer_reaches_unit_variance(X, activation):
    net, record = lsuv(deep(activation), X, rng=0)
    assert record.all_converged
    # measured independently, with a full forward pass of the returned network
    np.testing.assert_allclose(preactivation_vars(net, X), 1.0, atol=0.1)
    np.testing.assert_allclose(record.var_after, preactivation_vars(net, X), rtol=1e-12)


def test_zero_biases_need_one_exact_step(X):
    """Var(z) is quadratic in the scale of W when b = 0: one division is exact."""
    net, record = lsuv(deep("tanh"), X, rng=0, tol=1e-12)
    assert record.iterations.max() == 1
    np.testing.assert_allclose(record.var_after, 1.0, rtol=1e-10)


def test_layer_already_at_target_is_left_alone(X):
    # square first layer, orthogonal, standardized input: Var(z1) = mean |x|^2 / n ~ 1
    _, record = lsuv(deep("relu"), X, rng=0)
    assert record.iterations[0] == 0 and record.scale[0] == 1.0
    # |W x| = |x| for every example: mean(z^2) = mean(x^2); Var subtracts a tiny mean(z)^2
    assert abs(record.var_before[0] - np.mean(X**2)) < 1e-5


def test_returns_a_copy_unless_inplace(X):
    net = deep()
    before = [W.copy() for W in net.weights]
    new, _ = lsuv(net, X, rng=0)
    assert new is not net
    assert all(np.array_equal(W, W0) for W, W0 in zip(net.weights, before))
    same, _ = lsuv(net, X, rng=0, inplace=True)
    assert same is net
    assert all(np.array_equal(W, W1) for W, W1 in zip(net.weights, new.weights))


def test_orthogonal_preinit_then_one_scale_per_layer(X):
    net, record = lsuv(deep("relu"), X, rng=0)
    for W, s in zip(net.weights[:-1], record.scale[:-1]):      # square hidden layers
        np.testing.assert_allclose((W / s) @ (W / s).T, np.eye(W.shape[0]), atol=1e-10)


def test_without_orthogonal_init_only_rescales(X):
    start = deep("relu")
    net, record = lsuv(start, X, orthogonal_init=False)
    for W, W0, s in zip(net.weights, start.weights, record.scale):
        np.testing.assert_allclose(W, s * W0, rtol=1e-12)
    np.testing.assert_allclose(record.scale, [np.linalg.norm(W) / np.linalg.norm(W0)
                                              for W, W0 in zip(net.weights, start.weights)])


def test_include_output_false_keeps_the_output_layer(X):
    start = deep("relu")
    net, record = lsuv(start, X, orthogonal_init=False, include_output=False)
    assert len(record.layer) == start.n_layers - 1
    assert np.array_equal(net.weights[-1], start.weights[-1])


def test_seeded_runs_repeat_and_seeds_differ(X):
    a, ra = lsuv(deep(), X, rng=3)
    b, rb = lsuv(deep(), X, rng=3)
    c, _ = lsuv(deep(), X, rng=4)
    assert all(np.array_equal(W, V) for W, V in zip(a.weights, b.weights))
    assert np.array_equal(ra.scale, rb.scale)
    assert not np.allclose(a.weights[1], c.weights[1])


def test_nonzero_biases_take_more_steps_and_still_converge(X):
    """Biases that differ between units add a spread that does not scale with W."""
    start = deep("tanh", bias_init=lambda shape, rng: rng.normal(0.0, 0.5, size=shape))
    net, record = lsuv(start, X, rng=0, tol=1e-3)
    assert record.all_converged
    assert record.iterations.max() > 1
    np.testing.assert_allclose(preactivation_vars(net, X), 1.0, atol=1e-3)


def test_where_activation_relu_and_unreachable_tanh(X):
    net, record = lsuv(deep("relu"), X, rng=0, where="activation")
    assert record.all_converged
    for a in net.activations(X)[1:-1]:
        assert abs(a.var() - 1) < 0.1
    # |tanh| < 1: the output variance of a tanh layer cannot reach 1
    _, record = lsuv(deep("tanh"), X, rng=0, where="activation", max_iter=5)
    assert not record.converged[:-1].any()
    assert (record.iterations[:-1] == 5).all()
    assert (record.var_after[:-1] < 1).all()
    assert record.converged[-1]                       # the output layer: logits, reachable


# --------------------------------------------------------------------------- what it finds
def test_tanh_scale_is_the_variance_keeping_gain():
    """Orthogonal W keeps |a|, so the scale is 1/sqrt(E tanh(z)^2) = 1.5925 for z ~ N(0, 1)."""
    z = np.linspace(-12, 12, 200_001)
    e_tanh2 = np.trapezoid(np.tanh(z) ** 2 * np.exp(-z**2 / 2) / math.sqrt(2 * math.pi), z)
    X = np.random.default_rng(5).standard_normal((2000, 200))
    net = initlib.MLP([200] * 8 + [10], activation="tanh", rng=0)
    _, record = lsuv(net, X, rng=0)
    np.testing.assert_allclose(record.scale[1:7], 1 / math.sqrt(e_tanh2), rtol=0.01)


def test_relu_scales_average_to_sqrt2():
    """ReLU keeps half the second moment: He's sqrt(2), up to layer-to-layer fluctuations."""
    X = np.random.default_rng(5).standard_normal((1000, 200))
    net = initlib.MLP([200] * 16 + [10], activation="relu", rng=0)
    _, record = lsuv(net, X, rng=0)
    geometric_mean = np.exp(np.mean(np.log(record.scale[1:15])))
    assert abs(geometric_mean - math.sqrt(2)) < 0.05


def test_fan_in_change_is_found(X):
    """An orthogonal 32 -> 128 layer spreads |x| over 4x the units: the scale is 2."""
    net = initlib.MLP([32, 128, 10], activation="relu", rng=0)
    _, record = lsuv(net, X, rng=0)
    assert abs(record.scale[0] - 2.0) < 0.1


def test_float32_network_stays_float32(X):
    net, record = lsuv(deep(dtype=np.float32), X, rng=0)
    assert all(W.dtype == np.float32 for W in net.weights)
    assert record.all_converged


# --------------------------------------------------------------------------- the record
def test_record_table_and_repr(X):
    _, record = lsuv(deep(), X, rng=0)
    assert isinstance(record, LSUVRecord)
    table = record.table()
    assert table.splitlines()[0].split() == ["layer", "var_before", "var_after", "scale",
                                             "iterations", "converged"]
    assert len(table.splitlines()) == 1 + len(record.layer)
    assert repr(record).startswith("LSUVRecord(where='preactivation', target_var=1, tol=0.1, 7 layers)")
    assert set(record.as_dict()) >= {"layer", "scale", "iterations", "converged"}


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(tol=0), ValueError, r"tol must be > 0, got 0.0; e.g. tol=0.1 \(the paper's Tol_var\)"),
        (dict(tol=-0.1), ValueError, "tol must be > 0, got -0.1"),
        (dict(tol=float("nan")), ValueError, "tol must be finite, got nan"),
        (dict(tol="0.1"), TypeError, "tol must be a real number, got '0.1' of type str"),
        (dict(target_var=0.0), ValueError, "target_var must be > 0, got 0.0"),
        (dict(max_iter=0), ValueError, "max_iter must be >= 1, got 0"),
        (dict(max_iter=2.5), TypeError, "max_iter must be an int, got 2.5"),
        (dict(max_iter=True), TypeError, "max_iter must be an int"),
        (dict(where="post"), ValueError, "Unknown where 'post'. Valid values: preactivation, activation"),
        (dict(inplace="yes"), TypeError, "inplace must be True or False, got 'yes'"),
        (dict(orthogonal_init=1), TypeError, "orthogonal_init must be True or False"),
        (dict(include_output=None), TypeError, "include_output must be True or False"),
        (dict(rng=np.random.RandomState(0)), TypeError, "legacy np.random.RandomState"),
        (dict(rng="seed"), TypeError, "rng must be None, an int seed or a np.random.Generator"),
    ],
)
def test_bad_options_are_named(X, kwargs, error, match):
    with pytest.raises(error, match=match):
        lsuv(deep(), X, **kwargs)


def test_bad_network_and_data(X):
    with pytest.raises(TypeError, match="net must be an initlib.MLP, got list"):
        lsuv([np.eye(3)], X)
    with pytest.raises(ValueError, match="X has 5 features .* expects 32 inputs"):
        lsuv(deep(), X[:, :5])
    with pytest.raises(ValueError, match="X has 1 example.*needs at least 2"):
        lsuv(deep(), X[:1])
    bad = X.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="X contains 1 NaN or inf"):
        lsuv(deep(), bad)
    with pytest.raises(ValueError, match="must be 2-D"):
        lsuv(deep(), X[0])


def test_a_layer_that_cannot_be_rescaled_is_named(X):
    net = deep("relu")
    net.weights[2][...] = 0.0
    with pytest.raises(ValueError, match="layer 3's output has zero variance"):
        lsuv(net, X, orthogonal_init=False)
    net = deep("linear")
    net.weights[0][...] = 1e300
    with pytest.raises(ValueError, match="layer 1's output overflowed"):
        with np.errstate(all="ignore"):
            lsuv(net, X, orthogonal_init=False)


def test_bad_call_leaves_the_network_untouched(X):
    net = deep("relu")
    before = [W.copy() for W in net.weights]
    net.weights[2][...] = 0.0
    before[2][...] = 0.0
    with pytest.raises(ValueError):
        lsuv(net, X, orthogonal_init=False)
    assert all(np.array_equal(W, W0) for W, W0 in zip(net.weights, before))

"""Tests of initlib.mlp: gradients by central differences, losses, shapes, seeds, errors."""

import functools
import math

import numpy as np
import pytest

import initlib
from initlib import MLP, get_activation

ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
OUTPUTS = ["softmax", "sigmoid", "linear"]


def _targets(output, n, n_out, rng):
    if output == "softmax":
        return rng.integers(0, n_out, n)
    if output == "sigmoid":
        return rng.integers(0, 2, n)
    return rng.standard_normal((n, n_out))


def _numerical_grads(net, X, y, eps=1e-6):
    """Central differences (L(p + eps) - L(p - eps)) / (2 eps) for every parameter."""
    grads = []
    for W, b in zip(net.weights, net.biases):
        pair = []
        for P in (W, b):
            G = np.zeros_like(P)
            for idx in np.ndindex(P.shape):
                old = P[idx]
                P[idx] = old + eps
                up = net.loss(X, y)
                P[idx] = old - eps
                down = net.loss(X, y)
                P[idx] = old
                G[idx] = (up - down) / (2 * eps)
            pair.append(G)
        grads.append(tuple(pair))
    return grads


def _relative_error(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12)


# ---------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_loss_and_grads_match_central_differences(activation, output):
    rng = np.random.default_rng(0)
    n_out = {"softmax": 3, "sigmoid": 1, "linear": 2}[output]
    X = rng.standard_normal((6, 3))
    y = _targets(output, 6, n_out, rng)
    net = MLP([3, 4, 5, n_out], activation=activation, output=output, rng=1,
              bias_init=functools.partial(initlib.normal, std=0.5))
    assert all(np.all(b != 0) for b in net.biases)  # non-zero biases are exercised
    loss, grads = net.loss_and_grads(X, y)
    assert loss == pytest.approx(net.loss(X, y), rel=1e-12)
    numerical = _numerical_grads(net, X, y)
    for (dW, db), (nW, nb) in zip(grads, numerical):
        assert dW.shape == nW.shape and db.shape == nb.shape
        assert _relative_error(dW, nW) < 1e-6
        assert _relative_error(db, nb) < 1e-6


def test_grads_with_mixed_activations_and_parametrized_leaky_relu():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((5, 2)), rng.integers(0, 2, 5)
    net = MLP([2, 3, 4, 3, 2], activation=["tanh", get_activation("leaky_relu", 0.2), "sigmoid"],
              rng=3, bias_init=0.1)
    _, grads = net.loss_and_grads(X, y)
    for (dW, db), (nW, nb) in zip(grads, _numerical_grads(net, X, y)):
        assert _relative_error(dW, nW) < 1e-6 and _relative_error(db, nb) < 1e-6


def test_backprop_signals_match_finite_differences_and_chain_rule():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((4, 3)), rng.integers(0, 2, 4)
    net = MLP([3, 5, 4, 2], activation="tanh", rng=5, bias_init=0.2)
    bp = net.backprop(X, y)
    assert [a.shape for a in bp.activations] == [(4, 3), (4, 5), (4, 4), (4, 2)]
    assert [z.shape for z in bp.preactivations] == [(4, 5), (4, 4), (4, 2)]
    assert [g.shape for g in bp.grad_preactivations] == [(4, 5), (4, 4), (4, 2)]
    assert [g.shape for g in bp.grad_activations] == [(4, 3), (4, 5), (4, 4)]
    assert bp.deltas is bp.grad_preactivations
    # dL/dX by central differences
    eps, num = 1e-6, np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        Xp, Xm = X.copy(), X.copy()
        Xp[idx] += eps
        Xm[idx] -= eps
        num[idx] = (net.loss(Xp, y) - net.loss(Xm, y)) / (2 * eps)
    assert _relative_error(bp.grad_activations[0], num) < 1e-6
    # chain rule between the stored signals: dL/dz[l] = dL/da[l] * f'(z[l]), db = sum dz
    for l in (1, 2):
        fprime = 1 - np.tanh(bp.preactivations[l - 1]) ** 2
        np.testing.assert_allclose(bp.grad_preactivations[l - 1], bp.grad_activations[l] * fprime)
    for (dW, db), dz, a in zip(bp.grads, bp.grad_preactivations, bp.activations):
        np.testing.assert_allclose(db, dz.sum(axis=0))
        np.testing.assert_allclose(dW, dz.T @ a)
    assert net.backward_signals(X, y).loss == bp.loss


def test_hand_worked_example():
    # one linear unit: z = w x + b = 2 * 3 + 1 = 7; loss = 1/2 (7 - 4)^2 = 4.5
    # dL/dz = 3, dL/dw = 3 * x = 9, dL/db = 3
    net = MLP.from_weights([np.array([[2.0]])], [np.array([1.0])], output="linear")
    loss, [(dW, db)] = net.loss_and_grads(np.array([[3.0]]), np.array([4.0]))
    assert loss == 4.5
    assert dW.tolist() == [[9.0]] and db.tolist() == [3.0]


def test_permuting_hidden_units_changes_nothing():
    # relabel the units of hidden layer 1: permute the rows of W1, b1 and the columns of W2
    net = MLP([3, 6, 4, 2], activation="tanh", rng=0, bias_init=0.3)
    X, y = np.random.default_rng(1).standard_normal((5, 3)), np.array([0, 1, 1, 0, 1])
    perm = np.array([3, 0, 5, 1, 4, 2])
    twin = net.copy()
    twin.weights[0], twin.biases[0] = net.weights[0][perm], net.biases[0][perm]
    twin.weights[1] = net.weights[1][:, perm]
    np.testing.assert_allclose(twin.forward(X), net.forward(X), rtol=1e-13)
    (dW1, db1), (dW2, _), _ = net.loss_and_grads(X, y)[1]
    (tW1, tb1), (tW2, _), _ = twin.loss_and_grads(X, y)[1]
    np.testing.assert_allclose(tW1, dW1[perm], rtol=1e-12)
    np.testing.assert_allclose(tW2, dW2[:, perm], rtol=1e-12)


def test_constant_init_gives_every_hidden_unit_the_same_gradient():
    net = MLP([3, 5, 5, 2], activation="sigmoid", init=0.4, rng=0)
    X, y = np.random.default_rng(2).standard_normal((7, 3)), np.arange(7) % 2
    (dW1, db1), (dW2, db2), _ = net.loss_and_grads(X, y)[1]
    assert np.ptp(dW1, axis=0).max() < 1e-15 and np.ptp(db1) < 1e-15   # identical rows
    assert np.ptp(dW2, axis=0).max() < 1e-15 and np.ptp(dW2, axis=1).max() < 1e-15
    assert np.abs(dW1).max() > 0                                       # but not zero


# ---------------------------------------------------------------------------
# Losses and outputs
# ---------------------------------------------------------------------------
def test_softmax_with_zero_weights_gives_log_of_number_of_classes():
    net = MLP([4, 6, 5], init="zeros", rng=0)
    X = np.random.default_rng(0).standard_normal((10, 4))
    assert net.loss(X, np.arange(10) % 5) == pytest.approx(math.log(5), rel=1e-12)
    np.testing.assert_allclose(net.forward(X), 0.2)


def test_losses_against_direct_formulas():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((8, 3))
    net = MLP([3, 4, 3], rng=0)
    y = rng.integers(0, 3, 8)
    p = net.forward(X)
    assert net.loss(X, y) == pytest.approx(-np.mean(np.log(p[np.arange(8), y])), rel=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)

    net = MLP([3, 4, 1], output="sigmoid", rng=0)
    y = rng.integers(0, 2, 8)
    p = net.forward(X)[:, 0]
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert net.loss(X, y) == pytest.approx(bce, rel=1e-12)
    assert net.loss(X, y[:, None]) == net.loss(X, y)  # (n,) and (n, 1) labels

    net = MLP([3, 4, 2], output="linear", rng=0)
    y = rng.standard_normal((8, 2))
    assert net.loss(X, y) == pytest.approx(0.5 * np.mean(np.sum((net.forward(X) - y) ** 2, 1)))


@pytest.mark.parametrize("output,W,y", [("softmax", [[1000.0], [-1000.0]], [0, 1]),
                                         ("sigmoid", [[1000.0]], [1, 0])])
def test_losses_are_stable_for_huge_logits(output, W, y):
    import warnings

    net = MLP.from_weights([np.array(W)], output=output)
    X = np.array([[3.0], [-3.0]])                       # logits of +-3000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grads = net.loss_and_grads(X, np.array(y))
    assert loss == 0.0                                  # confidently right
    assert all(np.isfinite(g).all() for pair in grads for g in pair)
    # a confidently wrong prediction costs about |logit difference|
    loss_wrong = net.loss(X, 1 - np.array(y))
    assert loss_wrong == pytest.approx(3000.0 if output == "sigmoid" else 6000.0, rel=1e-9)


def test_predict_and_accuracy():
    net = MLP.from_weights([np.array([[1.0], [-1.0]])], output="softmax")
    X = np.array([[2.0], [-1.0], [0.5]])
    assert net.predict(X).tolist() == [0, 1, 0]
    assert net.accuracy(X, [0, 1, 1]) == pytest.approx(2 / 3)
    net = MLP.from_weights([np.array([[1.0]])], output="sigmoid")
    assert net.predict(X).tolist() == [1, 0, 1]
    assert net.accuracy(X, np.array([[1], [0], [0]])) == pytest.approx(2 / 3)
    net = MLP.from_weights([np.array([[2.0]])], output="linear")
    np.testing.assert_allclose(net.predict(X), 2 * X)


# ---------------------------------------------------------------------------
# Construction: init specs, seeds, dtype
# ---------------------------------------------------------------------------
def test_shapes_and_n_params():
    net = MLP([5, 7, 3, 2], rng=0)
    assert [W.shape for W in net.weights] == [(7, 5), (3, 7), (2, 3)]
    assert [b.shape for b in net.biases] == [(7,), (3,), (2,)]
    assert all(np.all(b == 0) for b in net.biases)
    assert net.n_params == 5 * 7 + 7 + 7 * 3 + 3 + 3 * 2 + 2
    assert net.n_layers == 3 and net.is_classifier
    assert "MLP([5, 7, 3, 2], activation='tanh'" in repr(net)


def test_same_seed_same_weights_and_layers_use_independent_streams():
    a, b = MLP([4, 8, 8, 3], rng=7), MLP([4, 8, 8, 3], rng=7)
    for Wa, Wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(Wa, Wb)
    assert not np.array_equal(MLP([4, 8, 8, 3], rng=8).weights[0], a.weights[0])
    # adding a layer at the end, or changing the last layer, keeps the earlier draws
    deeper = MLP([4, 8, 8, 8, 3], rng=7)
    np.testing.assert_array_equal(deeper.weights[0], a.weights[0])
    np.testing.assert_array_equal(deeper.weights[1], a.weights[1])
    other_init = MLP([4, 8, 8, 3], init=["xavier_normal", "xavier_normal", "zeros"], rng=7)
    np.testing.assert_array_equal(other_init.weights[1], a.weights[1])
    # a Generator passed in is advanced: two nets from one generator differ
    g = np.random.default_rng(0)
    assert not np.array_equal(MLP([4, 8, 3], rng=g).weights[0], MLP([4, 8, 3], rng=g).weights[0])


def test_init_specs_per_layer_numbers_arrays_callables():
    eye = 1.5 * np.eye(3)
    net = MLP([3, 3, 3, 2], init=[eye, 0.25, functools.partial(initlib.normal, std=0.01)],
              output="softmax", bias_init=[0.1, None, 0.0], rng=0)
    np.testing.assert_array_equal(net.weights[0], eye)
    assert net.weights[0] is not eye
    assert np.all(net.weights[1] == 0.25)
    assert 0 < net.weights[2].std() < 0.05
    assert np.all(net.biases[0] == 0.1) and np.all(net.biases[1] == 0)
    assert net.init == "custom"


def test_he_init_statistics():
    # he_normal: std sqrt(2 / fan_in); 200 * 400 draws, tolerance 5 standard errors
    net = MLP([400, 200, 2], activation="relu", init="he_normal", rng=0)
    W = net.weights[0]
    std = math.sqrt(2 / 400)
    assert abs(W.std() - std) < 5 * std / math.sqrt(2 * W.size)


def test_from_weights_and_direct_assignment():
    net = MLP.from_weights([0.5 * np.eye(2)] * 3, activation="linear")
    np.testing.assert_allclose(net.forward(np.array([[8.0, -8.0]])), [[1.0, -1.0]])
    assert net.layer_sizes == (2, 2, 2, 2) and net.output == "linear"
    net.weights[1] = 3 * np.eye(2)                      # assign directly
    np.testing.assert_allclose(net.forward(np.array([[8.0, -8.0]])), [[6.0, -6.0]])
    net.weights[1] = [[1, 0], [0, 1]]                   # a list of ints is converted
    assert net.forward(np.ones((1, 2))).dtype == np.float64
    assert net.weights[1].dtype == np.float64
    net.weights[1] = np.eye(3)
    with pytest.raises(ValueError, match=r"net.weights\[1\] \(layer 2\) has shape \(3, 3\), expected \(2, 2\)"):
        net.forward(np.ones((1, 2)))


def test_from_weights_errors():
    with pytest.raises(ValueError, match="at least one weight matrix"):
        MLP.from_weights([])
    with pytest.raises(ValueError, match=r"must be a 2-D \(fan_out, fan_in\) matrix, got shape \(3,\)"):
        MLP.from_weights([np.ones(3)])
    with pytest.raises(ValueError, match=r"weights\[1\] has shape \(2, 4\) but the previous layer has 3 outputs"):
        MLP.from_weights([np.ones((3, 2)), np.ones((2, 4))])


def test_float32_mode_stays_float32():
    net = MLP([4, 8, 3], activation="relu", init="he_normal", rng=0, dtype=np.float32)
    assert all(W.dtype == np.float32 for W in net.weights + net.biases)
    X = np.random.default_rng(0).standard_normal((5, 4))   # float64 input is cast
    bp = net.backprop(X, [0, 1, 2, 0, 1])
    for arr in bp.activations + bp.preactivations + bp.grad_preactivations:
        assert arr.dtype == np.float32
    assert all(g.dtype == np.float32 for pair in bp.grads for g in pair)
    net64 = MLP([4, 8, 3], activation="relu", init="he_normal", rng=0)
    assert bp.loss == pytest.approx(net64.loss(X, [0, 1, 2, 0, 1]), rel=1e-5)
    assert MLP.from_weights([np.ones((2, 2), np.float32)]).dtype == np.float32


def test_copy_is_independent():
    net = MLP([2, 3, 2], rng=0)
    twin = net.copy()
    twin.weights[0][0, 0] += 1
    twin.biases[1][0] += 1
    assert net.weights[0][0, 0] != twin.weights[0][0, 0]
    assert net.biases[1][0] == 0
    assert twin.hidden_activations == net.hidden_activations


def test_no_hidden_layer_is_logistic_regression():
    net = MLP([2, 1], output="sigmoid", activation=[], rng=0)
    assert net.hidden_activations == [] and net.n_layers == 1
    assert net.forward(np.zeros((3, 2))).tolist() == [[0.5]] * 3


def test_available_outputs():
    assert initlib.available_outputs() == ["softmax", "sigmoid", "linear"]


# ---------------------------------------------------------------------------
# Errors: each message says what was received and how to fix it
# ---------------------------------------------------------------------------
def test_layer_size_errors():
    with pytest.raises(ValueError, match=r"at least 2 entries .* got \[3\]"):
        MLP([3])
    with pytest.raises(ValueError, match=r"layer_sizes must be positive, got \[2, 0, 1\].*width 0"):
        MLP([2, 0, 1])
    with pytest.raises(TypeError, match=r"layer_sizes must contain ints, got \[2, 3.0\]"):
        MLP([2, 3.0])
    with pytest.raises(TypeError, match="layer_sizes must be a list of ints"):
        MLP(5)


def test_name_errors():
    with pytest.raises(ValueError, match=r"Unknown activation 'rlu'. Did you mean 'relu'\?"):
        MLP([2, 3, 2], activation="rlu")
    with pytest.raises(ValueError, match=r"Unknown output 'softmx'. Did you mean 'softmax'\? Valid outputs: softmax, sigmoid, linear"):
        MLP([2, 3, 2], output="softmx")
    with pytest.raises(ValueError, match=r"Unknown initializer 'he_norml'. Did you mean 'he_normal'\?"):
        MLP([2, 3, 2], init="he_norml")
    with pytest.raises(ValueError, match="dtype must be float32 or float64, got int64"):
        MLP([2, 3, 2], dtype=np.int64)


def test_architecture_errors():
    with pytest.raises(ValueError, match=r"output='softmax' needs at least 2 output units, got layer_sizes\[-1\]=1"):
        MLP([2, 3, 1])
    with pytest.raises(ValueError, match=r"output='sigmoid' needs exactly 1 output unit .* got layer_sizes\[-1\]=3"):
        MLP([2, 3, 3], output="sigmoid")
    with pytest.raises(ValueError, match="activation was given as a list of 1 entries, but the network needs 2"):
        MLP([2, 3, 3, 2], activation=["relu"])
    with pytest.raises(ValueError, match="init was given as a list of 2 entries, but the network needs 3"):
        MLP([2, 3, 3, 2], init=["zeros", "zeros"])
    with pytest.raises(ValueError, match=r"init for layer 1 gave an array of shape \(2, 2\), expected \(3, 2\)"):
        MLP([2, 3, 2], init=np.eye(2))
    with pytest.raises(ValueError, match="init for layer 1 contains NaN or inf"):
        MLP([2, 2, 2], init=np.full((2, 2), np.nan))
    with pytest.raises(TypeError, match=r"init for layer 1 must be an initializer name .* got \{\}"):
        MLP([2, 3, 2], init={})


def test_data_errors():
    net = MLP([2, 3, 3], rng=0)
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"X and y have different lengths: X has 4 rows, y has shape \(3,\)"):
        net.loss(X, [0, 1, 2])
    with pytest.raises(ValueError, match=r"X has 3 features \(shape \(4, 3\)\) but the network expects 2 inputs"):
        net.loss(np.zeros((4, 3)), [0, 1, 2, 0])
    with pytest.raises(ValueError, match=r"X must be 2-D \(n_samples, n_features\), got shape \(2,\).*reshape"):
        net.forward(np.zeros(2))
    with pytest.raises(ValueError, match=r"X contains 1 NaN or inf value\(s\)"):
        net.forward(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match=r"X has no rows"):
        net.forward(np.zeros((0, 2)))
    with pytest.raises(TypeError, match="X must be a numeric array, got dtype <U1"):
        net.forward(np.array([["a", "b"]]))


def test_label_errors():
    net = MLP([2, 3, 3], rng=0)
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"class labels must be in \[0, 3\) .* got labels from 0 to 3"):
        net.loss(X, [0, 1, 3])
    with pytest.raises(ValueError, match=r"class labels must be in \[0, 3\) .* got labels from -1 to 1"):
        net.loss(X, [0, 1, -1])
    with pytest.raises(ValueError, match=r"needs integer class labels in \[0, 3\), got y of dtype float64 with values such as \[0.5"):
        net.loss(X, [0.5, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"needs y of shape \(n,\) or \(n, 1\) .* got shape \(3, 3\). For one-hot rows use y.argmax"):
        net.loss(X, np.eye(3))
    assert np.isfinite(net.loss(X, [0.0, 1.0, 2.0]))  # integral floats are fine
    sig = MLP([2, 3, 1], output="sigmoid", rng=0)
    with pytest.raises(ValueError, match=r"output='sigmoid' needs 0/1 labels, got y with values such as \[2\]"):
        sig.loss(X, [0, 1, 2])
    lin = MLP([2, 3, 2], output="linear", rng=0)
    with pytest.raises(ValueError, match=r"output='linear' with 2 output\(s\) needs y of shape \(3, 2\), got \(3,\)"):
        lin.loss(X, [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"y contains 1 NaN or inf value\(s\)"):
        lin.loss(X, [[0, 0], [1, np.inf], [2, 2]])
    with pytest.raises(ValueError, match="accuracy is defined for classifiers"):
        lin.accuracy(X, np.zeros((3, 2)))


def test_docstring_examples_run():
    import doctest

    import initlib.mlp

    result = doctest.testmod(initlib.mlp, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

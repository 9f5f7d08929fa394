"""INITLIB_PERTURB_ULP: every initial parameter initlib creates, nudged by k ulps, exactly once."""

import functools
import math

import numpy as np
import pytest

import initlib
from initlib import MLP, signal_propagation
from initlib._reproducibility import ENV_VAR, perturb, perturb_ulp

EPS = 2.0 ** -52


def ulps_moved(before, after):
    """How many float64 ulps (of ``before``) each entry moved."""
    return np.abs(after - before) / np.spacing(np.abs(before))


@pytest.fixture
def ulp(monkeypatch):
    def set_k(k):
        monkeypatch.setenv(ENV_VAR, str(k))
    monkeypatch.delenv(ENV_VAR, raising=False)
    return set_k


INITIALIZER_CALLS = {
    "variance_scaling": lambda: initlib.variance_scaling((30, 20), scale=2.0, rng=1),
    "he_normal": lambda: initlib.he_normal((30, 20), rng=1),
    "xavier_uniform": lambda: initlib.xavier_uniform((30, 20), rng=1),
    "truncated": lambda: initlib.variance_scaling((30, 20), distribution="truncated_normal", rng=1),
    "orthogonal": lambda: initlib.orthogonal((20, 30), rng=1),
    "normal": lambda: initlib.normal((30, 20), std=0.01, rng=1),
    "uniform": lambda: initlib.uniform(50, rng=1),
    "constant": lambda: initlib.constant((3, 4), value=0.1),
    "ones": lambda: initlib.ones(7),
}


@pytest.mark.parametrize("k", ["0", "", " 0 "])
@pytest.mark.parametrize("name", sorted(INITIALIZER_CALLS))
def test_k_zero_is_bit_identical(ulp, name, k):
    unset = INITIALIZER_CALLS[name]()
    ulp(k)
    assert np.array_equal(INITIALIZER_CALLS[name](), unset)
    assert INITIALIZER_CALLS[name]().tobytes() == unset.tobytes()


def test_k_zero_matches_the_raw_draws(ulp):
    ulp(0)
    W = initlib.he_normal((30, 20), rng=1)
    assert W.tobytes() == np.random.default_rng(1).normal(0.0, math.sqrt(2 / 20), (30, 20)).tobytes()


@pytest.mark.parametrize("k", [4, -4, 1])
@pytest.mark.parametrize("name", sorted(INITIALIZER_CALLS))
def test_k_moves_every_entry_by_k_ulps_relative(ulp, name, k):
    plain = INITIALIZER_CALLS[name]()
    ulp(k)
    nudged = INITIALIZER_CALLS[name]()
    assert nudged.dtype == plain.dtype and nudged.shape == plain.shape
    nonzero = plain != 0
    # relative change k * 2**-52 up to the rounding of the product (half an ulp)
    relative = (nudged[nonzero] - plain[nonzero]) / plain[nonzero]
    np.testing.assert_allclose(relative, k * EPS, rtol=0.5 / abs(k) + 1e-12)
    moved = ulps_moved(plain[nonzero], nudged[nonzero])
    assert moved.min() >= abs(k) - 0.5 and moved.max() <= 2 * abs(k)
    assert np.all(nudged[~nonzero] == 0)


def test_ulps_moved_is_between_k_and_2k_for_k_4(ulp):
    plain = initlib.he_normal((200, 100), rng=3)
    ulp(4)
    moved = ulps_moved(plain, initlib.he_normal((200, 100), rng=3))
    assert moved.max() <= 8 and moved.min() >= 3.5
    assert 4 <= np.median(moved) <= 8


def test_zeros_stay_zeros(ulp):
    ulp(4)
    assert np.array_equal(initlib.zeros((3, 5)), np.zeros((3, 5)))
    net = MLP([3, 4, 2], rng=0)
    assert all(np.all(b == 0) for b in net.biases)
    assert not any(np.signbit(b).any() for b in net.biases)


def test_read_at_every_call(ulp):
    ulp(4)
    a = initlib.he_normal((5, 5), rng=0)
    ulp(-4)
    b = initlib.he_normal((5, 5), rng=0)
    ulp(0)
    c = initlib.he_normal((5, 5), rng=0)
    assert not np.array_equal(a, c) and not np.array_equal(b, c)
    assert np.all(np.sign(a - c) == np.sign(c)) and np.all(np.sign(b - c) == -np.sign(c))


def _layers(net):
    return [*net.weights, *net.biases]


@pytest.mark.parametrize("init", [
    "he_normal",                                              # a name
    functools.partial(initlib.normal, std=0.1),               # an initlib initializer inside
    lambda shape, rng: 0.1 * rng.standard_normal(shape),      # a function of the reader's
    0.3,                                                      # a number
])
def test_mlp_parameters_perturbed_exactly_once(ulp, init):
    plain = MLP([4, 6, 3], activation="relu", init=init, bias_init=0.01, rng=0)
    ulp(4)
    nudged = MLP([4, 6, 3], activation="relu", init=init, bias_init=0.01, rng=0)
    for p, q in zip(_layers(plain), _layers(nudged)):
        assert q.tobytes() == (p * (1 + 4 * EPS)).tobytes()


def test_mlp_array_spec_perturbed_and_caller_array_untouched(ulp):
    W = np.random.default_rng(0).standard_normal((3, 2))
    kept = W.copy()
    ulp(-4)
    net = MLP.from_weights([W])
    assert net.weights[0].tobytes() == (kept * (1 - 4 * EPS)).tobytes()
    assert np.array_equal(W, kept)


def test_signal_propagation_weights_perturbed(ulp):
    plain = signal_propagation("he_normal", "relu", width=32, depth=3, n_samples=16)
    ulp(4)
    nudged = signal_propagation("he_normal", "relu", width=32, depth=3, n_samples=16)
    assert not np.array_equal(plain.a_std, nudged.a_std)
    np.testing.assert_allclose(nudged.a_std, plain.a_std, rtol=1e-13)


@pytest.mark.parametrize("value", ["four", "4.0", "1e3", "0x4", str(2 ** 26 + 1), "-99999999999"])
def test_bad_values_name_the_variable(ulp, value):
    ulp(value)
    with pytest.raises(ValueError, match=f"{ENV_VAR}.*got"):
        initlib.he_normal((3, 3), rng=0)
    with pytest.raises(ValueError, match=ENV_VAR):
        MLP([2, 3, 1], output="sigmoid", rng=0)


def test_perturb_helper(ulp):
    x = np.array([1.0, -2.0, 0.0])
    assert perturb(x) is x and perturb_ulp() == 0
    ulp(" -3 ")
    assert perturb_ulp() == -3
    assert perturb(x).tolist() == [1 - 3 * EPS, -2 * (1 - 3 * EPS), 0.0]


@pytest.mark.parametrize("k", [4, -3])
def test_float32_networks_are_nudged_at_float32_precision(ulp, k):
    """A float32 MLP's parameters move by about k float32 ulps (a float64 nudge alone rounds away)."""
    plain = MLP([4, 6, 3], activation="relu", init="he_normal", bias_init=0.01, rng=0,
                dtype=np.float32)
    ulp(k)
    nudged = MLP([4, 6, 3], activation="relu", init="he_normal", bias_init=0.01, rng=0,
                 dtype=np.float32)
    for p, q in zip(_layers(plain), _layers(nudged)):
        assert q.dtype == np.float32
        moved = np.abs(q.astype(np.float64) - p) / np.spacing(np.abs(p)).astype(np.float64)
        # relative change k * 2**-23 is between |k| and 2|k| float32 ulps of each entry (+-1 for rounding)
        assert np.all((moved >= abs(k) - 1) & (moved <= 2 * abs(k) + 1)), moved
        assert np.all(np.sign(q - p) == np.sign(k) * np.sign(p))

"""initlib.meanfield: the maps against Monte Carlo and closed forms, fixed points, chi, depth scales.

Monte Carlo tolerances are k standard errors of the estimate (k = 4: a seeded test that
passes now keeps passing; a wrong formula misses by far more). Quadrature tolerances are
the measured accuracy of the Gauss-Hermite rules, stated where they are used.
"""

import numpy as np
import pytest

import initlib
from initlib import meanfield as mf

K_SE = 4.0


def mc_mean(samples):
    """Mean of i.i.d. samples and its standard error."""
    samples = np.asarray(samples, dtype=np.float64)
    return samples.mean(), samples.std(ddof=1) / np.sqrt(samples.size)


# ---------------------------------------------------------------------------
# The maps against Monte Carlo
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("q, sw, sb", [(1.0, 1.0, 0.0), (0.3, 2.0, 0.05), (2.5, 1.5, 0.3), (4.0, 3.0, 0.1)])
def test_length_map_matches_monte_carlo(q, sw, sb):
    xi = np.random.default_rng(0).standard_normal(400_000)
    mean, se = mc_mean(sw * np.tanh(np.sqrt(q) * xi) ** 2 + sb)
    assert abs(mf.length_map(q, sw, sb) - mean) <= K_SE * se


@pytest.mark.parametrize("c, q, sw, sb", [(0.2, 1.0, 2.0, 0.05), (0.9, 0.5, 1.5, 0.1),
                                          (-0.4, 2.0, 3.0, 0.0), (0.99, 3.0, 4.0, 0.3)])
def test_correlation_map_matches_monte_carlo(c, q, sw, sb):
    z1, z2 = np.random.default_rng(1).standard_normal((2, 400_000))
    u1, u2 = np.sqrt(q) * z1, np.sqrt(q) * (c * z1 + np.sqrt(1 - c * c) * z2)
    mean, se = mc_mean(sw * np.tanh(u1) * np.tanh(u2) + sb)       # q12' = c' q'
    predicted = mf.correlation_map(c, sw, sb, q=q) * mf.length_map(q, sw, sb)
    assert abs(predicted - mean) <= K_SE * se


def test_maps_broadcast_over_grids():
    sw, sb = np.meshgrid([1.0, 2.0, 3.0], [0.0, 0.1])
    out = mf.length_map(1.0, sw, sb)
    assert out.shape == (2, 3)
    assert out[1, 2] == pytest.approx(mf.length_map(1.0, 3.0, 0.1), rel=1e-13)
    assert mf.chi(sw, sb).shape == (2, 3)


# ---------------------------------------------------------------------------
# Closed forms
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("q, sw, sb", [(0.5, 1.0, 0.0), (2.0, 2.0, 0.1), (7.0, 0.5, 1.0)])
def test_linear_and_relu_length_maps_are_exact(q, sw, sb):
    assert mf.length_map(q, sw, sb, "linear") == pytest.approx(sw * q + sb, rel=1e-13)
    assert mf.length_map(q, sw, sb, "relu") == pytest.approx(sw * q / 2 + sb, rel=1e-13)


@pytest.mark.parametrize("c", [-0.9, 0.0, 0.3, 0.8, 1.0])
def test_linear_correlation_map(c):
    q, sw, sb = 1.3, 2.0, 0.2
    want = (sw * q * c + sb) / (sw * q + sb)
    assert mf.correlation_map(c, sw, sb, "linear", q=q) == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("c, q, sw, sb", [(-0.5, 1.3, 2.0, 0.1), (0.0, 0.7, 1.5, 0.0),
                                          (0.5, 2.0, 2.5, 0.3), (0.95, 1.0, 2.0, 0.0)])
def test_relu_correlation_map_matches_monte_carlo(c, q, sw, sb):
    # initlib uses the arc-cosine kernel here (Cho & Saul 2009); check it independently
    z1, z2 = np.random.default_rng(2).standard_normal((2, 400_000))
    u1, u2 = np.sqrt(q) * z1, np.sqrt(q) * (c * z1 + np.sqrt(1 - c * c) * z2)
    mean, se = mc_mean(sw * np.maximum(u1, 0) * np.maximum(u2, 0) + sb)
    predicted = mf.correlation_map(c, sw, sb, "relu", q=q) * mf.length_map(q, sw, sb, "relu")
    assert abs(predicted - mean) <= K_SE * se
    slope, se = mc_mean(sw * (u1 > 0) * (u2 > 0))                    # sigma_w2 E[f'(u1) f'(u2)]
    pair, _ = mf._pair_moments(initlib.get_activation("relu"), np.array(q), np.array(c), deriv=True)
    assert abs(sw * pair - slope) <= K_SE * se


def test_relu_at_he_keeps_correlations_slowly():
    # He (sigma_w2 = 2, sigma_b2 = 0) is critical: the slope at c = 1 is exactly 1, so 1 - c
    # decays like a power law, 1 - c[l] ~ 9 pi^2 / (2 l^2), not exponentially
    c = 0.0
    for _ in range(400):
        c = mf.correlation_map(c, 2.0, 0.0, "relu", q=1.0)
    assert (1 - c) * 400**2 == pytest.approx(9 * np.pi**2 / 2, rel=0.1)


@pytest.mark.parametrize("sw", [0.3, 0.8, 0.99, 1.0])
def test_tanh_without_bias_dies_out_below_sigma_w2_1(sw):
    assert mf.q_star(sw, 0.0) == 0.0
    assert mf.chi(sw, 0.0) == pytest.approx(sw, rel=1e-12)        # chi = sigma_w2 f'(0)^2


@pytest.mark.parametrize("sw", [1.1, 1.5, 3.0])
def test_tanh_without_bias_has_a_positive_fixed_point_above_1(sw):
    q = mf.q_star(sw, 0.0)
    assert q > 0
    assert mf.length_map(q, sw, 0.0) == pytest.approx(q, rel=1e-10)
    assert abs(mf.c_star(sw, 0.0)) < 1e-10                        # odd f, no bias: c* = 0
    assert mf.chi(sw, 0.0) > 1


@pytest.mark.parametrize("sw, sb", [(0.5, 0.05), (1.5, 0.05), (2.5, 0.3), (4.0, 1.0)])
def test_q_star_is_a_fixed_point_whatever_the_start(sw, sb):
    q = mf.q_star(sw, sb)
    assert mf.length_map(q, sw, sb) == pytest.approx(q, rel=1e-10)
    assert mf.q_star(sw, sb, q0=10.0) == pytest.approx(q, rel=1e-10)
    assert mf.q_star(sw, sb, q0=1e-3) == pytest.approx(q, rel=1e-10)


def test_relu_and_linear_fixed_points():
    assert mf.q_star(1.5, 0.1, "relu") == pytest.approx(0.1 / (1 - 1.5 / 2), rel=1e-10)
    assert mf.q_star(2.5, 0.1, "relu") == np.inf                  # the length grows forever
    assert mf.q_star(2.0, 0.0, "relu", q0=3.0) == 3.0             # He: every length is kept
    assert mf.q_star(0.5, 0.2, "linear") == pytest.approx(0.4, rel=1e-10)
    assert mf.chi(2.0, 0.0, "relu") == pytest.approx(1.0, abs=1e-14)   # He is critical
    assert mf.chi(1.2, 0.3, "relu") == pytest.approx(0.6, abs=1e-14)
    assert mf.chi(1.2, 0.0, "relu") == pytest.approx(0.6, abs=1e-14)   # q* = 0: the limit q -> 0+
    assert mf.critical_sigma_w2(0.0, "relu") == pytest.approx(2.0, abs=1e-9)


# ---------------------------------------------------------------------------
# The critical line, c*, the depth scales
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("sb", [0.05, 0.2, 0.5])
def test_chi_is_1_on_the_critical_line(sb):
    sw = mf.critical_sigma_w2(sb)
    assert mf.chi(sw, sb) == pytest.approx(1.0, abs=1e-9)
    assert mf.chi(0.9 * sw, sb) < 1 < mf.chi(1.1 * sw, sb)


def test_critical_line_starts_at_1_and_rises():
    line = mf.critical_sigma_w2(np.array([0.0, 0.05, 0.2]))
    assert line[0] == pytest.approx(1.0, abs=1e-6)     # chi - 1 is quadratic there: 1e-7 accuracy
    assert line[1] == pytest.approx(1.761, abs=1e-3)   # Schoenholz et al. (2017): about 1.76
    assert np.all(np.diff(line) > 0)


@pytest.mark.parametrize("sw, sb", [(2.0, 0.05), (3.0, 0.05), (3.5, 0.3)])
def test_c_star_is_the_fixed_point_in_the_chaotic_phase(sw, sb):
    c = mf.c_star(sw, sb)
    assert 0 < c < 1
    assert mf.correlation_map(c, sw, sb) == pytest.approx(c, abs=1e-10)
    assert mf.correlation_map(c + 0.05, sw, sb) < c + 0.05        # stable from above


def test_c_star_is_1_in_the_ordered_phase():
    assert mf.c_star(1.2, 0.05) == 1.0
    assert mf.correlation_map(0.6, 1.2, 0.05) > 0.6               # nearby inputs converge


def test_slopes_match_finite_differences():
    sw, sb, h = 2.5, 0.1, 1e-5
    m = mf.mean_field(sw, sb)
    slope_q = (mf.length_map(m.q_star + h, sw, sb) - mf.length_map(m.q_star - h, sw, sb)) / (2 * h)
    assert np.exp(-1 / m.xi_q) == pytest.approx(slope_q, abs=1e-7)
    c = m.c_star
    slope_c = (mf.correlation_map(c + h, sw, sb) - mf.correlation_map(c - h, sw, sb)) / (2 * h)
    assert m.chi_c == pytest.approx(slope_c, abs=1e-7)
    assert np.exp(-1 / m.xi_c) == pytest.approx(slope_c, abs=1e-7)


def test_map_and_slope_from_one_grid_equal_the_separate_evaluations():
    q, c = np.array([0.3, 1.4, 4.0]), np.array([0.1, 0.7, 0.999])
    sw, sb = np.array([1.5, 3.0, 4.0]), np.array([0.05, 0.2, 0.0])
    for name in ("tanh", "relu"):
        act = initlib.get_activation(name)
        new_c, slope = mf._map_and_slope(act, sw, sb, q, c)
        assert np.array_equal(new_c, mf._corr_map(act, sw, sb, q, c))   # bit for bit
        assert np.array_equal(slope, mf._chi_c(act, sw, sb, q, c))
    q, c, act = np.linspace(0.2, 3.0, 40), np.linspace(0.0, 0.99, 40), initlib.get_activation("tanh")
    whole = mf._map_and_slope(act, np.full(40, 2.0), np.full(40, 0.05), q, c)   # in chunks
    alone = np.array([mf._map_and_slope(act, np.array([2.0]), np.array([0.05]), q[i:i + 1], c[i:i + 1])
                      for i in range(40)])[..., 0]
    assert np.allclose(whole, alone.T, rtol=1e-14, atol=0)


def test_xi_c_is_minus_one_over_log_chi_in_the_ordered_phase():
    m = mf.mean_field(1.3, 0.05)
    assert m.xi_c == pytest.approx(-1 / np.log(m.chi), rel=1e-10)


def test_xi_c_diverges_at_the_critical_line():
    crit = mf.critical_sigma_w2(0.05)
    eps = np.array([0.1, 0.03, 0.01, 0.003])
    below = mf.mean_field(crit - eps, 0.05).xi_c
    above = mf.mean_field(crit + eps, 0.05).xi_c
    assert np.all(np.diff(below) > 0) and np.all(np.diff(above) > 0)   # grows as eps shrinks
    # like 1/eps: chi - 1 is linear in sigma_w2 - crit, so xi_c * eps tends to a constant
    assert (below * eps)[-1] == pytest.approx((below * eps)[-2], rel=0.05)
    assert below[-1] > 300 and above[-1] > 300
    assert mf.mean_field(crit, 0.05).xi_c > 1e5


# ---------------------------------------------------------------------------
# Simulated networks against the theory
# ---------------------------------------------------------------------------
def test_correlated_inputs_are_exact():
    X = mf.correlated_inputs(4, 50, 0.3, q=2.0, rng=0)
    gram = X @ X.T / 50
    assert np.allclose(np.diag(gram), 2.0) and np.allclose(gram[~np.eye(4, dtype=bool)], 0.6)


def test_propagate_follows_the_length_and_correlation_maps():
    sw, sb, depth, width, nets = 2.0, 0.05, 8, 400, 6
    X = mf.correlated_inputs(3, width, 0.5, rng=0)
    runs = [mf.propagate(X, sw, sb, depth, rng=s) for s in range(nets)]
    q = np.array([r.q.mean(axis=1) for r in runs])                 # (nets, depth)
    c = np.array([r.c[:, 0, 1] for r in runs])
    q_theory, c_theory = [sw * 1.0 + sb], [None]
    c_theory[0] = (sw * 0.5 + sb) / q_theory[0]                     # layer 1 is linear in x
    for _ in range(depth - 1):
        c_theory.append(mf.correlation_map(c_theory[-1], sw, sb, q=q_theory[-1]))
        q_theory.append(mf.length_map(q_theory[-1], sw, sb))
    # Across networks the estimates scatter by about 1/sqrt(width); the finite-width bias is
    # O(1/width). Tolerance: K_SE standard errors of the mean over networks plus 2/width.
    for measured, theory in ((q, q_theory), (c, c_theory)):
        se = measured.std(axis=0, ddof=1) / np.sqrt(nets)
        assert np.all(np.abs(measured.mean(axis=0) - theory) <= K_SE * se + 2 / width)


def test_measured_xi_c_in_the_ordered_phase():
    sw, sb = 1.2, 0.05
    X = mf.correlated_inputs(2, 500, 0.6, rng=0)
    p = mf.propagate(X, sw, sb, 40, rng=3)
    measured = mf.decay_length(1 - p.c[:, 0, 1], start=10)
    assert measured == pytest.approx(mf.mean_field(sw, sb).xi_c, rel=0.15)


def test_propagate_draws_with_initlib_normal(monkeypatch):
    calls = []
    original = initlib.normal

    def spy(shape, **kw):
        calls.append(shape)
        return original(shape, **kw)

    monkeypatch.setattr(initlib, "normal", spy)
    mf.propagate(np.ones((1, 5)), 1.0, 0.1, 3, width=7, rng=0)
    assert calls == [(7, 5), (7,), (7, 7), (7,), (7, 7), (7,)]


def test_propagate_is_seeded():
    X = mf.correlated_inputs(2, 30, 0.5, rng=0)
    a, b = mf.propagate(X, 2.0, 0.1, 5, rng=4), mf.propagate(X, 2.0, 0.1, 5, rng=4)
    assert np.array_equal(a.q, b.q) and np.array_equal(a.c, b.c)


def test_decay_length_recovers_a_known_rate():
    assert mf.decay_length(2.0 * np.exp(-np.arange(30) / 4.5)) == pytest.approx(4.5, rel=1e-12)
    assert mf.decay_length(np.exp(np.arange(5) / 2.0)) == np.inf


# ---------------------------------------------------------------------------
# Training many networks at once
# ---------------------------------------------------------------------------
def test_stacked_sgd_matches_initlib_train():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 6)), rng.integers(0, 3, 40)
    sizes = [6, 5, 5, 3]
    Ws, bs = mf._stack_params([1.0, 3.0], 0.1, sizes, 2, np.random.SeedSequence(5))
    nets = [initlib.MLP.from_weights([W[k].copy() for W in Ws], [b[k, 0].copy() for b in bs],
                                     activation="tanh", output="softmax") for k in range(4)]
    mf._sgd(Ws, bs, X, y, [np.arange(40)] * 3, 0.1, initlib.get_activation("tanh"))
    for k, net in enumerate(nets):
        initlib.train(net, X, y, lr=0.1, epochs=3)                 # full batch: 3 steps
        for l in range(3):
            assert np.allclose(net.weights[l], Ws[l][k], rtol=0, atol=1e-12)
            assert np.allclose(net.biases[l], bs[l][k, 0], rtol=0, atol=1e-12)


def test_stacked_networks_have_the_requested_variance():
    Ws, bs = mf._stack_params([2.0], 0.3, [200, 200, 200], 3, np.random.SeedSequence(0))
    for W in Ws:                                                    # 120,000 entries each
        assert W.var() * 200 == pytest.approx(2.0, rel=4 * np.sqrt(2 / W.size))
    assert np.concatenate([b.ravel() for b in bs]).var() == pytest.approx(0.3, rel=4 * np.sqrt(2 / 1200))


def test_trainability_learns_shallow_and_fails_deep_ordered():
    ds = initlib.load_dataset("digits", n_samples=200, rng=0)
    r = mf.trainability(ds.X_train, ds.y_train, [1.0, 1.76], [2, 30], sigma_b2=0.05, width=16,
                        steps=40, lr=0.05, batch_size=32, seeds=2, X_val=ds.X_val, y_val=ds.y_val)
    assert r.accuracy.shape == r.val_accuracy.shape == (2, 2, 2)
    assert np.all(r.accuracy[:, 0] > 0.6)                           # 2 layers: every net learns
    assert np.all(r.val_accuracy[:, 0] > 0.4)
    assert np.all(r.accuracy[0, 1] < 0.2)                           # 30 ordered layers: chance-like
    assert r.trained(0.6)[:, 0].tolist() == [2, 2]


def test_trainability_float32_follows_float64_on_a_stable_run():
    ds = initlib.load_dataset("digits", n_samples=200, rng=0)
    kw = dict(sigma_b2=0.05, width=16, steps=20, lr=0.05, batch_size=32, seeds=2, rng=1)
    a = mf.trainability(ds.X_train, ds.y_train, [1.2], [2], **kw)
    b = mf.trainability(ds.X_train, ds.y_train, [1.2], [2], dtype=np.float32, **kw)
    assert np.abs(a.accuracy - b.accuracy).max() <= 2 / len(ds.X_train)   # a shallow, ordered net
    with pytest.raises(ValueError, match="dtype must be float32 or float64, got int32"):
        mf.trainability(ds.X_train, ds.y_train, [1.2], [2], dtype=np.int32, **kw)


def test_trainability_is_seeded():
    ds = initlib.load_dataset("digits", n_samples=200, rng=0)
    kw = dict(sigma_b2=0.05, width=8, steps=5, lr=0.05, batch_size=16, seeds=2, rng=3)
    a = mf.trainability(ds.X_train, ds.y_train, [1.5], [3], **kw)
    b = mf.trainability(ds.X_train, ds.y_train, [1.5], [3], **kw)
    assert np.array_equal(a.accuracy, b.accuracy)


# ---------------------------------------------------------------------------
# Errors say what was received and what to do
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda: mf.length_map(1.0, -1.0, 0.0), r"sigma_w2 is a variance: .* got -1.0; e.g. sigma_w2=1.5"),
    (lambda: mf.length_map(1.0, 1.0, float("nan")), r"sigma_b2 is a variance"),
    (lambda: mf.q_star(0.0, 0.1), r"sigma_w2 must be > 0"),
    (lambda: mf.length_map(-0.5, 1.0, 0.0), r"q is a mean square: .* >= 0"),
    (lambda: mf.correlation_map(1.5, 1.0, 0.1), r"c is a correlation: .* \[-1, 1\]"),
    (lambda: mf.correlation_map(0.5, 0.8, 0.0), r"q\* = 0 .* pass q= explicitly"),
    (lambda: mf.mean_field(0.8, 0.0), r"needs a finite fixed point q\* > 0"),
    (lambda: mf.mean_field(3.0, 0.1, "relu"), r"q\* = inf"),
    (lambda: mf.q_star(1.0, 0.1, q0=0), r"q0 must be > 0, got 0.0"),
    (lambda: mf.length_map(1.0, [1.0, 2.0], [0.1, 0.2, 0.3]), r"must broadcast together"),
    (lambda: mf.critical_sigma_w2(0.1, "sigmoid"), r"chi stays below 1 up to sigma_w2 = 25"),
    (lambda: mf.correlated_inputs(5, 5, 0.5), r"width must exceed n_inputs"),
    (lambda: mf.correlated_inputs(2, 10, 1.5), r"c must be a number in \[0, 1\]"),
    (lambda: mf.propagate(np.ones(5), 1.0, 0.1, 3), r"X must be a finite 2-D array"),
    (lambda: mf.propagate(np.ones((2, 5)), 1.0, 0.1, 0), r"depth must be >= 1, got 0"),
    (lambda: mf.decay_length([0.5]), r"at least 2 finite non-zero deviations"),
    (lambda: mf.trainability(np.ones((4, 2)), np.array([0, 1, 0, 1]), [1.0], [2],
                             sigma_b2=0.0, lr=-1), r"lr must be > 0, got -1.0"),
    (lambda: mf.trainability(np.ones((4, 2)), np.array([0.0, 1, 0, 1]), [1.0], [2],
                             sigma_b2=0.0), r"integer class labels"),
])
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_unknown_activation_and_wrong_type():
    with pytest.raises(TypeError, match="sigma_w2 must be a number .* got 'big' of type str"):
        mf.chi("big", 0.1)
    with pytest.raises(ValueError, match="Did you mean 'tanh'"):
        mf.length_map(1.0, 1.0, 0.0, "tahn")
    with pytest.raises(TypeError, match="activation must be a name"):
        mf.length_map(1.0, 1.0, 0.0, np.tanh)
    # types raise TypeError, values ValueError (initlib._validation's policy)
    with pytest.raises(TypeError, match="depth must be an int, got 2.5 of type float"):
        mf.propagate(np.ones((2, 5)), 1.0, 0.1, 2.5)
    with pytest.raises(TypeError, match="q0 must be a real number, got True of type bool"):
        mf.q_star(1.0, 0.1, q0=True)
    with pytest.raises(TypeError, match="c must be a real number, got '0.5' of type str"):
        mf.correlated_inputs(2, 10, "0.5")

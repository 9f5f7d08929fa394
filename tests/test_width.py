"""initlib.width: each parametrization's per-layer scales against Yang et al.'s table, the drawn
variances, the INITLIB_PERTURB_ULP switch, the coordinate check's slopes (flat under μP, growing
under SP), the learning-rate sweep's bookkeeping, and clear errors (the exercise checker:
test_exercises_ch10.py)."""

import math

import numpy as np
import pytest

import initlib
from initlib import width
from initlib.width import Parametrization

# The paper's table (Yang et al. 2022, Table 3; NTK from W = w / sqrt(fan_in)), written out
# independently of initlib: (initial variance, weight learning rate) as functions of the fans.
PAPER = {
    ("sp", "sgd"): {k: (lambda i, o: 1 / i, lambda i, o: 1.0) for k in ("input", "hidden", "output")},
    ("sp", "adam"): {k: (lambda i, o: 1 / i, lambda i, o: 1.0) for k in ("input", "hidden", "output")},
    ("ntk", "sgd"): {k: (lambda i, o: 1 / i, lambda i, o: 1 / i) for k in ("input", "hidden", "output")},
    ("ntk", "adam"): {k: (lambda i, o: 1 / i, lambda i, o: i ** -0.5) for k in ("input", "hidden", "output")},
    ("mup", "sgd"): {"input": (lambda i, o: 1 / i, lambda i, o: o),
                     "hidden": (lambda i, o: 1 / i, lambda i, o: 1.0),
                     "output": (lambda i, o: 1 / i ** 2, lambda i, o: 1 / i)},
    ("mup", "adam"): {"input": (lambda i, o: 1 / i, lambda i, o: 1.0),
                      "hidden": (lambda i, o: 1 / i, lambda i, o: 1 / i),
                      "output": (lambda i, o: 1 / i ** 2, lambda i, o: 1 / i)},
}
BASE = 32


@pytest.mark.parametrize("key", list(PAPER))
@pytest.mark.parametrize("n", [32, 128, 512])
def test_scalings_follow_the_table_relative_to_the_base_width(key, n):
    p = Parametrization(key[0], optimizer=key[1], base_width=BASE)
    sizes = [64, n, n, 10]
    base_sizes = [64, BASE, BASE, 10]
    scalings = p.scalings(sizes)
    assert [s.kind for s in scalings] == ["input", "hidden", "output"]
    for l, s in enumerate(scalings):
        var, lr = PAPER[key][s.kind]
        fi, fo, bfi, bfo = sizes[l], sizes[l + 1], base_sizes[l], base_sizes[l + 1]
        assert (s.fan_in, s.fan_out, s.base_fan_in, s.base_fan_out) == (fi, fo, bfi, bfo)
        # initial variance relative to SP's 1/fan_in, divided by the same ratio at the base
        assert s.init == pytest.approx((var(fi, fo) * fi) / (var(bfi, bfo) * bfi), rel=1e-12)
        assert s.lr == pytest.approx(lr(fi, fo) / lr(bfi, bfo), rel=1e-12)
        # biases ("all biases" column): SGD in muP scales with fan_out, everything else 1
        expected_bias = fo / bfo if key == ("mup", "sgd") else 1.0
        assert s.bias_lr == pytest.approx(expected_bias, rel=1e-12)


@pytest.mark.parametrize("key", list(PAPER))
def test_every_parametrization_is_sp_at_the_base_width(key):
    p = Parametrization(key[0], optimizer=key[1], base_width=48)
    assert all(s.init == s.lr == s.bias_lr == 1.0 for s in p.scalings([20, 48, 48, 48, 3]))


def test_formulas_name_every_entry():
    for key, rows in width.FORMULAS.items():
        assert set(rows) == {"input", "hidden", "output"}
        assert key in PAPER
    assert width.FORMULAS[("mup", "adam")]["output"] == ("1/fan_in^2", "1/fan_in")


@pytest.mark.parametrize("name", ["sp", "mup"])
def test_drawn_weights_have_the_tabled_variance(name):
    """Sample variance of each layer within 5 standard errors (sqrt(2/N) relative) of sigma_w^2 init / fan_in."""
    p = Parametrization(name, optimizer="adam", base_width=32)
    net = p.mlp([64, 256, 256, 10], rng=0)
    for W, s, sw2 in zip(net.weights, p.scalings(net), (2.0, 2.0, 1.0)):
        expected = sw2 * s.init / s.fan_in
        assert abs(W.var() / expected - 1) < 5 * math.sqrt(2 / W.size)
    assert all(np.all(b == 0) for b in net.biases)


def test_learning_rates_are_aligned_with_parameters():
    p = Parametrization("mup", optimizer="adam", base_width=32)
    net = p.mlp([64, 128, 128, 10], rng=0)
    lrs = p.learning_rates(net, lr=0.01)
    assert len(lrs) == len(net.parameters()) == len(net.parameter_names())
    by_name = dict(zip(net.parameter_names(), lrs))
    assert by_name == pytest.approx({"W1": 0.01, "b1": 0.01, "W2": 0.0025, "b2": 0.01,
                                     "W3": 0.0025, "b3": 0.01})
    h = initlib.train(net, np.ones((8, 64)), np.arange(8) % 10, lr=lrs, optimizer="adam",
                      epochs=1)
    assert not h.diverged


def test_seeded_networks_repeat_and_follow_the_perturbation_switch(monkeypatch):
    p = Parametrization("mup", base_width=16)
    a, b = p.mlp([8, 32, 32, 3], rng=3), p.mlp([8, 32, 32, 3], rng=3)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))
    monkeypatch.setenv("INITLIB_PERTURB_ULP", "4")
    c = p.mlp([8, 32, 32, 3], rng=3)
    for x, y in zip(a.weights, c.weights):
        assert np.array_equal(y, x * (1 + 4 * 2.0 ** -52))
        assert not np.array_equal(x, y)


def test_coordinate_check_flat_under_mup_and_growing_under_sp():
    """Slopes of log mean|dz| against log width, one Adam step, widths 32..512, 3 seeds.

    Predicted as n -> infinity: SP (0, 1, 1) for the input, hidden and output layers; muP
    (0, 0, 0). At these widths an unaligned part of size sqrt(n) still competes with the
    aligned part n, so SP's hidden slope is measured near 0.7 and muP's output slope slightly
    negative (the initial output weights' share of the change decays like 1/sqrt(n)). The
    slopes of single seeds differ by about 0.05 (hidden) and 0.1 (output); the bounds below are
    more than 3 such spreads away from the measured medians.
    """
    ds = initlib.load_dataset("digits")
    X, y = ds.X_train[:128], ds.y_train[:128]
    widths = [32, 64, 128, 256, 512]
    slopes = {}
    for name in ("sp", "mup"):
        p = Parametrization(name, optimizer="adam", base_width=32)
        cc = width.coord_check(p, widths, X, y, lr=2 ** -7, steps=1, seeds=(0, 1, 2))
        assert cc.delta.shape == (3, 5, 3) and np.all(cc.delta > 0)
        slopes[name] = cc.slopes()
    assert abs(slopes["sp"][0]) < 0.15 and abs(slopes["mup"][0]) < 0.15  # input layer: flat in both
    assert slopes["sp"][1] > 0.45 and slopes["sp"][2] > 0.7                # SP: hidden, output grow
    assert np.all(np.abs(slopes["mup"][1:]) < 0.35)                        # muP: flat
    assert slopes["sp"][1] - slopes["mup"][1] > 0.45


def test_log_log_slope_recovers_a_power_law():
    n = np.array([16, 32, 64, 128])
    assert width.log_log_slope(n, 3.0 * n ** -0.5) == pytest.approx(-0.5, abs=1e-12)


def test_lr_sweep_counts_divergence_and_picks_the_best_finite_rate():
    ds = initlib.load_dataset("digits")
    p = Parametrization("sp", optimizer="sgd", base_width=8)
    sweep = width.lr_sweep(p, [8, 16], [1e-3, 0.1, 1e4], ds.X_train[:256], ds.y_train[:256],
                           batch_size=64, seeds=(0, 1))
    assert sweep.loss.shape == (2, 2, 3)
    assert np.all(sweep.diverged[:, 2] == 2) and np.all(sweep.diverged[:, :2] == 0)
    assert np.all(np.isinf(sweep.median_loss[:, 2]))
    assert list(sweep.best_lr()) == [0.1, 0.1]
    assert sweep.near_best(0.1).sum(axis=1).tolist() == [1, 1]
    again = width.lr_sweep(p, [8, 16], [1e-3, 0.1, 1e4], ds.X_train[:256], ds.y_train[:256],
                           batch_size=64, seeds=(0, 1))
    assert np.array_equal(sweep.loss, again.loss)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs, error, message", [
    (dict(name="mu-p"), ValueError, r"Unknown parametrization 'mu-p'. Did you mean 'mup'\? Valid names: sp, ntk, mup"),
    (dict(name="mup", optimizer="rmsprop"), ValueError, "Unknown optimizer 'rmsprop'. Valid names: sgd, adam"),
    (dict(name="mup", base_width=0), ValueError, "base_width must be >= 1, got 0; e.g. base_width=32"),
    (dict(name="mup", base_width=32.0), TypeError, "base_width must be an int, got 32.0"),
    (dict(name=3), TypeError, "parametrization must be a name \\(str\\), got 3 of type int"),
    (dict(name="muP", optimizer="SGD", base_width=8), None, None),        # any case
])
def test_bad_parametrization(kwargs, error, message):
    name = kwargs.pop("name")
    if error is None:
        assert repr(Parametrization(name, **kwargs)) == "Parametrization('mup', optimizer='sgd', base_width=8)"
        return
    with pytest.raises(error, match=message):
        Parametrization(name, **kwargs)


def test_bad_inputs_say_what_was_received():
    p = Parametrization("mup")
    with pytest.raises(ValueError, match=r"at least one hidden layer, got \[64, 10\]"):
        p.scalings([64, 10])
    with pytest.raises(ValueError, match=r"layer_sizes\[1\] must be >= 1, got -5"):
        p.mlp([64, -5, 10])
    with pytest.raises(ValueError, match="sigma_w2 must be > 0, got 0.0"):
        p.mlp([64, 32, 10], sigma_w2=0)
    with pytest.raises(TypeError, match="net must be an initlib.MLP"):
        p.learning_rates([64, 32, 10], lr=0.1)
    with pytest.raises(ValueError, match="lr must be > 0, got -0.1"):
        p.learning_rates(p.mlp([64, 32, 10]), lr=-0.1)
    X, y = np.ones((4, 3)), np.array([0, 1, 0, 1])
    with pytest.raises(TypeError, match="parametrization must be a width.Parametrization, got 'mup'"):
        width.coord_check("mup", [8, 16], X, y, lr=0.01)
    with pytest.raises(ValueError, match=r"widths must list at least two hidden widths, got \[8\]"):
        width.coord_check(p, [8], X, y, lr=0.01)
    with pytest.raises(TypeError, match="widths must be a list of hidden widths, got 8 of type int"):
        width.lr_sweep(p, 8, [0.1], X, y)
    with pytest.raises(TypeError, match="each width must be an int, got 8.0 of type float"):
        width.coord_check(p, [8, 8.0], X, y, lr=0.01)
    with pytest.raises(ValueError, match="seeds must hold at least one seed"):
        width.lr_sweep(p, [8, 16], [0.1], X, y, seeds=())
    with pytest.raises(TypeError, match="layer_sizes must be a list .* got 'big' of type str"):
        p.scalings("big")
    with pytest.raises(ValueError, match=r"got X of shape \(4, 3\) and y of shape \(3,\)"):
        width.coord_check(p, [8, 16], X, y[:3], lr=0.01)
    with pytest.raises(ValueError, match="y must hold integer class labels"):
        width.lr_sweep(p, [8, 16], [0.1], X, y + 0.5)
    with pytest.raises(ValueError, match="two 1-D sequences of the same length"):
        width.log_log_slope([1, 2, 3], [1, 2])


def test_update_ratios_of_a_first_adam_step_are_lr_over_the_weight_std():
    """Adam's first step moves every entry with a nonzero gradient by lr (the gradient's sign),
    so the Frobenius ratio is lr sqrt(fraction moved) / rms(W)."""
    p = Parametrization("sp", optimizer="adam", base_width=128)
    net = p.mlp([64, 128, 128, 10], rng=0)
    ds = initlib.load_dataset("digits")
    X, y = ds.X_train[:64], ds.y_train[:64]
    _, grads = net.loss_and_flat_grads(X, y)
    moved = [np.mean(g != 0) for g in grads[::2]]
    rms = [np.sqrt(np.mean(W ** 2)) for W in net.weights]
    ratios = width.update_ratios(net, initlib.Adam(1e-3), X, y)
    assert ratios == pytest.approx([1e-3 * np.sqrt(f) / r for f, r in zip(moved, rms)], rel=1e-4)
    with pytest.raises(TypeError, match="optimizer must be an object with step"):
        width.update_ratios(net, 0.1, ds.X_train[:4], ds.y_train[:4])


def test_lr_sweep_trains_each_rate_as_alone():
    """The stacked sweep (all rates of a width and seed at once) against the plain loop:
    one network per rate, initlib's own optimizer, shuffled batches, the cost on all of X."""
    ds = initlib.load_dataset("digits")
    X, y = ds.X_train[:200], ds.y_train[:200]
    lrs = [1e-3, 3e-2]
    for name, opt in (("mup", "adam"), ("ntk", "sgd")):
        p = Parametrization(name, optimizer=opt, base_width=8)
        sweep = width.lr_sweep(p, [8, 32], lrs, X, y, epochs=2, batch_size=64, seeds=(4,))
        orders = [np.random.default_rng([4, e]).permutation(len(X)) for e in range(2)]
        for j, n in enumerate([8, 32]):
            for k, lr in enumerate(lrs):
                net = p.mlp([64, n, n, 10], rng=4)
                optimizer = (initlib.Adam if opt == "adam" else initlib.SGD)(p.learning_rates(net, lr))
                for order in orders:
                    for start in range(0, len(X), 64):
                        _, grads = net.loss_and_flat_grads(X[order[start:start + 64]], y[order[start:start + 64]])
                        optimizer.step(net.parameters(), grads)
                assert sweep.loss[0, j, k] == pytest.approx(net.loss(X, y), rel=1e-10)


def test_lr_sweep_in_float32_finds_what_float64_finds():
    ds = initlib.load_dataset("digits")
    p = Parametrization("sp", optimizer="adam", base_width=16)
    kw = dict(seeds=(0, 1))
    a = width.lr_sweep(p, [16, 64], 2.0 ** np.arange(-8, -3), ds.X_train, ds.y_train, **kw)
    b = width.lr_sweep(p, [16, 64], 2.0 ** np.arange(-8, -3), ds.X_train, ds.y_train,
                       dtype=np.float32, **kw)
    assert np.allclose(a.loss, b.loss, rtol=1e-4)                 # a stable run: rounding only
    assert np.allclose(a.update_ratio, b.update_ratio, rtol=1e-3)
    assert a.table() == b.table()
    cc = [width.coord_check(p, [16, 64], ds.X_train[:64], ds.y_train[:64], lr=2 ** -7, steps=1,
                            seeds=(0,), dtype=dtype) for dtype in (np.float64, np.float32)]
    assert np.allclose(cc[0].delta, cc[1].delta, rtol=1e-3)


def test_lr_sweep_records_update_ratios_of_the_last_epoch():
    ds = initlib.load_dataset("digits")
    p = Parametrization("mup", optimizer="adam", base_width=8)
    sweep = width.lr_sweep(p, [8, 32], [1e-3, 1e-2], ds.X_train[:256], ds.y_train[:256],
                           epochs=2, batch_size=64, seeds=(0,))
    r = sweep.update_ratio
    assert r.shape == (1, 2, 2, 3) and np.all(r > 0)
    assert np.all(r[:, :, 1] > r[:, :, 0])            # a 10x larger rate moves the weights more
    assert np.all(r[0, 1, :, 1] < r[0, 0, :, 1])      # muP: the hidden rate falls like 1/n


def test_lr_sweep_table_and_plot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds = initlib.load_dataset("digits")
    p = Parametrization("sp", optimizer="adam", base_width=8)
    sweep = width.lr_sweep(p, [8, 16], 2.0 ** np.array([-8, -5, 20]), ds.X_train[:128],
                           ds.y_train[:128], batch_size=64, seeds=(0,))
    lines = sweep.table().splitlines()
    assert lines[0].split()[:3] == ["width", "best", "eta"] and len(lines) == 3
    assert lines[1].split()[:2] == ["8", "2^-5"] and lines[1].split()[-1] == "1"   # 2^20 diverged
    fig, ax = plt.subplots()
    sweep.plot(ax)
    assert len(ax.lines) == 4 and ax.get_yscale() == "log"
    plt.close(fig)

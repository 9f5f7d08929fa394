"""Tests of initlib.train: learning, divergence, symmetry, exact repeats, continuation, errors."""

import warnings

import numpy as np
import pytest

import initlib
from initlib import MLP, SGD, Adam, History, load_dataset, train


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", rng=0)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", rng=0)


def _fingerprint(h):
    return (h.epoch, h.loss, h.accuracy, h.val_loss, h.val_accuracy, h.step_loss,
            h.diverged, h.diverged_at, h.message)


# ---------------------------------------------------------------------------
# It learns
# ---------------------------------------------------------------------------
def test_two_moons_he_relu(moons):
    net = MLP([2, 32, 32, 2], activation="relu", init="he_normal", rng=0)
    h = train(net, moons.X_train, moons.y_train, lr=0.1, epochs=100, batch_size=32,
              momentum=0.9, rng=0, X_val=moons.X_val, y_val=moons.y_val)
    assert not h.diverged
    assert h.final_accuracy >= 0.95
    assert h.final_val_accuracy >= 0.93     # noise 0.2: the classes overlap a little
    assert h.final_loss < h.loss[0] / 5
    assert len(h.epoch) == len(h.loss) == len(h.accuracy) == len(h.val_loss) == 101
    assert h.epoch == list(range(101)) and h.steps == 100 * 12
    assert h.message.startswith("Trained 100 epochs (1200 steps): loss")


def test_digits_validation_accuracy(digits):
    net = MLP([64, 64, 10], activation="relu", init="he_normal", rng=0)
    h = train(net, digits.X_train, digits.y_train, lr=0.05, epochs=10, batch_size=64,
              momentum=0.9, rng=0, X_val=digits.X_val, y_val=digits.y_val)
    assert h.final_val_accuracy >= 0.90
    assert net.accuracy(digits.X_val, digits.y_val) == h.final_val_accuracy


def test_deep_linear_regression_full_batch():
    ds = load_dataset("linear", n_features=3, rng=0)
    net = MLP([3, 3, 3, 3, 3], activation="linear", init="orthogonal", output="linear", rng=0)
    h = train(net, ds.X_train, ds.y_train, lr=0.05, epochs=200)
    assert h.accuracy == [] and h.final_accuracy is None
    assert h.final_loss < 1e-3 * h.loss[0]
    # full-batch GD with a small step: the loss never goes up
    assert np.all(np.diff(h.loss) <= 1e-15)


def test_sigmoid_output_binary():
    ds = load_dataset("xor", rng=0)
    net = MLP([2, 16, 1], activation="tanh", output="sigmoid", rng=0)
    h = train(net, ds.X_train, ds.y_train, lr=0.5, epochs=100, batch_size=50, rng=0)
    assert h.final_accuracy > 0.95


# ---------------------------------------------------------------------------
# Exploding, vanishing, symmetric
# ---------------------------------------------------------------------------
def test_deep_relu_with_huge_init_diverges_quietly(digits):
    def huge(shape, rng):
        return 10 * initlib.he_normal(shape, rng=rng)

    net = MLP([64] + [64] * 8 + [10], activation="relu", init=huge, rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")               # any RuntimeWarning fails the test
        h = train(net, digits.X_train, digits.y_train, lr=0.1, epochs=20, batch_size=64, rng=0)
    assert h.diverged and h.diverged_at == 1
    assert h.epochs == 1 and h.steps < 20
    assert not np.isfinite(h.step_loss[-1])
    assert h.message.startswith("Diverged at epoch 1 (step ")
    assert "\n" not in h.message
    with pytest.raises(ValueError, match="This history diverged at epoch 1"):
        train(net, digits.X_train, digits.y_train, lr=0.1, epochs=1, history=h)


def test_max_loss_counts_as_divergence(moons):
    net = MLP([2, 16, 2], activation="relu", init="he_normal", rng=0)
    h = train(net, moons.X_train, moons.y_train, lr=0.1, epochs=5, max_loss=1e-3)
    assert h.diverged and h.diverged_at == 0
    assert "initial training loss" in h.message


def test_zero_init_tanh_hidden_weights_stay_exactly_zero(moons):
    net = MLP([2, 8, 8, 2], activation="tanh", init="zeros", rng=0)
    h = train(net, moons.X_train, moons.y_train, lr=0.5, epochs=30, batch_size=32,
              momentum=0.9, rng=0)
    assert all(np.all(W == 0) for W in net.weights)
    assert np.all(net.biases[0] == 0) and np.all(net.biases[1] == 0)
    assert np.any(net.biases[2] != 0)                 # only the output bias learns
    assert max(h.accuracy) <= 0.55                    # the net is a constant function


def test_constant_init_keeps_hidden_units_identical(moons):
    net = MLP([2, 6, 2], activation="sigmoid", init=0.3, rng=0)
    train(net, moons.X_train, moons.y_train, lr=0.5, epochs=20, batch_size=16, rng=0)
    W = net.weights[0]
    assert np.ptp(W, axis=0).max() == 0               # every hidden unit has the same weights
    assert np.ptp(net.weights[1], axis=1).max() == 0  # and sends the same weight to each output


# ---------------------------------------------------------------------------
# Reproducibility and continuation
# ---------------------------------------------------------------------------
def test_same_seeds_give_identical_history(moons):
    runs = []
    for _ in range(2):
        net = MLP([2, 16, 2], activation="relu", init="he_normal", rng=3)
        h = train(net, moons.X_train, moons.y_train, lr=0.1, epochs=5, batch_size=16,
                  momentum=0.5, rng=4, X_val=moons.X_val, y_val=moons.y_val)
        runs.append((_fingerprint(h), [W.copy() for W in net.weights], h))
    assert runs[0][0] == runs[1][0]
    assert runs[0][2] == runs[1][2]                   # History.__eq__ compares the records
    for Wa, Wb in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(Wa, Wb)
    net = MLP([2, 16, 2], activation="relu", init="he_normal", rng=3)
    other = train(net, moons.X_train, moons.y_train, lr=0.1, epochs=5, batch_size=16,
                  momentum=0.5, rng=5)
    assert other.step_loss != runs[0][0][5]           # another shuffling seed differs
    assert other != runs[0][2]


def test_identical_diverged_runs_compare_equal_despite_nan(digits):
    def run():
        huge = lambda shape, rng: 10 * initlib.he_normal(shape, rng=rng)  # noqa: E731
        net = MLP([64] + [64] * 8 + [10], activation="relu", init=huge, rng=0)
        return train(net, digits.X_train, digits.y_train, lr=0.1, epochs=2, batch_size=64,
                     rng=0, record="weights")

    a, b = run(), run()
    assert a.diverged and np.isnan(a.loss[-1]) and a == b
    assert a != History() and (a == "history") is False


def test_continuing_equals_one_long_run(moons):
    def fresh():
        return MLP([2, 16, 2], activation="tanh", rng=0)

    net_a = fresh()
    h_a = train(net_a, moons.X_train, moons.y_train, lr=0.05, epochs=6, batch_size=32,
                momentum=0.9, rng=1)
    net_b, opt, shuffle = fresh(), SGD(lr=0.05, momentum=0.9), np.random.default_rng(1)
    h_b = train(net_b, moons.X_train, moons.y_train, optimizer=opt, epochs=2, batch_size=32,
                rng=shuffle)
    assert opt.velocities is not None
    h_b2 = train(net_b, moons.X_train, moons.y_train, optimizer=opt, epochs=4, batch_size=32,
                 rng=shuffle, history=h_b)
    assert h_b2 is h_b
    assert _fingerprint(h_a)[:6] == _fingerprint(h_b)[:6]
    assert h_b.epoch == list(range(7))
    for Wa, Wb in zip(net_a.weights, net_b.weights):
        np.testing.assert_array_equal(Wa, Wb)


def test_continuing_with_a_foreign_history_is_refused(moons):
    h = train(MLP([2, 4, 2], rng=0), moons.X_train, moons.y_train, lr=0.1, epochs=1,
              momentum=0.9)
    with pytest.raises(ValueError, match=r"history belongs to a model with other parameters \(shapes \[\(4, 2\), \(4,\), \(2, 4\), \(2,\)\], this model has \[\(5, 2\)"):
        train(MLP([2, 5, 2], rng=0), moons.X_train, moons.y_train, lr=0.1, epochs=1,
              momentum=0.9, history=h)
    fresh = train(MLP([2, 4, 2], rng=0), moons.X_train, moons.y_train, lr=0.1, epochs=1,
                  history=History())              # an empty History is a fresh start
    assert fresh.epoch == [0, 1]
    h_val = train(MLP([2, 4, 2], rng=0), moons.X_train, moons.y_train, lr=0.1, epochs=1,
                  X_val=moons.X_val, y_val=moons.y_val)
    with pytest.raises(ValueError, match="history has validation metrics; pass the same X_val and y_val"):
        train(MLP([2, 4, 2], rng=0), moons.X_train, moons.y_train, lr=0.1, epochs=1,
              history=h_val)
    with pytest.raises(TypeError, match="model must be a trainable model such as an initlib.MLP, got str without parameters"):
        train("net", moons.X_train, moons.y_train, lr=0.1, epochs=1)
    with pytest.raises(TypeError, match="history must be a History"):
        train(MLP([2, 4, 2], rng=0), moons.X_train, moons.y_train, lr=0.1, epochs=1,
              history={})


# ---------------------------------------------------------------------------
# The optimizers (initlib/optim.py)
# ---------------------------------------------------------------------------
def test_sgd_momentum_update_rule():
    w, b = np.array([[1.0]]), np.array([0.0])
    opt = SGD(lr=0.1, momentum=0.5)
    # v1 = -0.1 * 2 = -0.2, w = 0.8;  v2 = 0.5 * -0.2 - 0.1 * 2 = -0.3, w = 0.5
    for expected in (0.8, 0.5):
        opt.step([w, b], [np.array([[2.0]]), np.array([0.0])])
        assert w[0, 0] == pytest.approx(expected)
    SGD(lr=0.1).step([w, b], [np.array([[1.0]]), np.array([1.0])])
    assert w[0, 0] == pytest.approx(0.4) and b[0] == pytest.approx(-0.1)
    assert repr(opt) == "SGD(lr=0.1, momentum=0.5)"


def test_adam_two_steps_by_hand():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    theta = np.array([0.5, -2.0, 0.0])
    g1, g2 = np.array([0.2, -1.0, 0.0]), np.array([-0.4, 3.0, 1e-3])
    opt = Adam(lr=lr, betas=(b1, b2), eps=eps)
    opt.step([theta], [g1])
    # step 1: m = 0.1 g1, s = 0.001 g1^2; m_hat = g1, s_hat = g1^2: theta -= lr g1 / (|g1| + eps)
    np.testing.assert_allclose(theta, [0.5 - lr * 0.2 / (0.2 + eps),
                                       -2.0 + lr * 1.0 / (1.0 + eps), 0.0], rtol=1e-15)
    expected = theta.copy()
    m = (1 - b1) * g1 * b1 + (1 - b1) * g2
    s = (1 - b2) * g1 ** 2 * b2 + (1 - b2) * g2 ** 2
    expected -= lr * (m / (1 - b1 ** 2)) / (np.sqrt(s / (1 - b2 ** 2)) + eps)
    opt.step([theta], [g2])
    np.testing.assert_allclose(theta, expected, rtol=1e-14)
    assert opt.t == 2 and repr(opt) == "Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-08)"


@pytest.mark.parametrize("make", [lambda lr: SGD(lr, momentum=0.9), lambda lr: Adam(lr)],
                         ids=["sgd", "adam"])
def test_optimizers_never_write_the_grads_and_take_one_lr_per_parameter(make):
    params = [np.ones((2, 3)), np.ones(2)]
    grads = [np.full((2, 3), 0.5), np.full(2, -0.5)]
    kept = [g.copy() for g in grads]
    frozen = make([0.1, 0.0 + 1e-300])              # the second parameter barely moves
    for _ in range(3):
        frozen.step(params, grads)
    for g, k in zip(grads, kept):
        np.testing.assert_array_equal(g, k)
    assert np.all(params[0] < 1) and np.allclose(params[1], 1, atol=1e-200)
    per_layer, shared = [np.ones(4), np.ones(4)], [np.ones(4), np.ones(4)]
    make([0.1, 0.2]).step(per_layer, [np.ones(4), np.ones(4)])
    make(0.1).step(shared, [np.ones(4), np.ones(4)])
    np.testing.assert_allclose(1 - per_layer[1], 2 * (1 - per_layer[0]))
    np.testing.assert_array_equal(per_layer[0], shared[0])


def test_optimizer_errors():
    with pytest.raises(ValueError, match=r"lr must have 2 entries \(one learning rate per parameter"):
        SGD([0.1, 0.1, 0.1]).step([np.ones(1), np.ones(1)], [np.ones(1), np.ones(1)])
    with pytest.raises(ValueError, match=r"grads must have 2 entries"):
        Adam(0.1).step([np.ones(1), np.ones(1)], [np.ones(1)])
    with pytest.raises(ValueError, match=r"lr \(the learning rate\) must be > 0, got -0.1"):
        SGD([0.1, -0.1])
    with pytest.raises(TypeError, match=r"lr \(the learning rate\) must be a real number, got '0.1' of type str"):
        Adam("0.1")
    with pytest.raises(ValueError, match=r"betas\[1\] must be < 1.0, got 1.0"):
        Adam(0.1, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=r"momentum must be >= 0.0, got -0.5"):
        SGD(0.1, momentum=-0.5)


def test_train_with_adam_and_per_parameter_lr(moons):
    net = MLP([2, 16, 2], activation="relu", init="he_normal", rng=0)
    h = train(net, moons.X_train, moons.y_train, lr=0.01, optimizer="adam", epochs=20,
              batch_size=32, rng=0)
    assert h.final_accuracy > 0.85 and h.final_loss < h.loss[0] / 2
    frozen = MLP([2, 16, 2], activation="relu", init="he_normal", rng=0)
    W1 = frozen.weights[0].copy()
    train(frozen, moons.X_train, moons.y_train, lr=[1e-300, 0.1, 0.1, 0.1], epochs=3, rng=0)
    np.testing.assert_allclose(frozen.weights[0], W1, rtol=0, atol=1e-290)
    assert not np.array_equal(frozen.biases[0], np.zeros(16))
    with pytest.raises(ValueError, match=r"lr must have 4 entries \(one learning rate per parameter"):
        train(frozen, moons.X_train, moons.y_train, lr=[0.1, 0.1], epochs=1)


class TinyLinearModel:
    """A model that is not an MLP: y_hat = x w + c, half squared error; the protocol only."""

    is_classifier = False

    def __init__(self):
        self.w, self.c = np.zeros(3), np.zeros(1)

    def parameters(self):
        return [self.w, self.c]

    def parameter_names(self):
        return ["w", "c"]

    def loss(self, X, y):
        return float(0.5 * np.mean((X @ self.w + self.c - y) ** 2))

    def loss_and_flat_grads(self, X, y):
        r = X @ self.w + self.c - y
        return float(0.5 * np.mean(r ** 2)), [X.T @ r / len(X), np.array([r.mean()])]


def test_any_model_with_the_protocol_trains():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 3.0
    model = TinyLinearModel()
    h = train(model, X, y, lr=0.1, epochs=30, batch_size=20, momentum=0.5, rng=0,
              record="weights")
    assert not h.diverged and h.accuracy == [] and h.final_loss < 1e-6
    np.testing.assert_allclose(model.w, [1.0, -2.0, 0.5], atol=1e-3)
    np.testing.assert_allclose(model.c, [3.0], atol=1e-3)
    assert len(h.weights) == 31 and h.weights[0] == []      # no parameter is named W...
    h_adam = train(TinyLinearModel(), X, y, optimizer=Adam(0.05), epochs=30, batch_size=20, rng=0)
    assert h_adam.final_loss < 1e-2 * h_adam.loss[0]


def test_float32_training_stays_float32(moons):
    net = MLP([2, 16, 2], activation="relu", init="he_normal", rng=0, dtype=np.float32)
    h = train(net, moons.X_train, moons.y_train, lr=0.1, epochs=3, batch_size=32,
              momentum=0.9, rng=0)
    assert all(W.dtype == np.float32 for W in net.weights + net.biases)
    assert h.final_loss < h.loss[0]


# ---------------------------------------------------------------------------
# Recording, evaluation schedule, callback, verbose
# ---------------------------------------------------------------------------
def test_record_stats_and_weights(moons):
    net = MLP([2, 8, 8, 2], activation="relu", init="he_normal", rng=0)
    h = train(net, moons.X_train, moons.y_train, lr=0.1, epochs=5, record=("stats", "weights"),
              record_every=2)
    assert h.stats_epoch == [0, 2, 4, 5] and h.weights_epoch == [0, 2, 4, 5]
    assert isinstance(h.stats[0], initlib.LayerStats) and len(h.stats[0].layer) == 3
    np.testing.assert_array_equal(h.weights[-1][0], net.weights[0])
    assert not np.array_equal(h.weights[0][0], net.weights[0])
    h2 = train(MLP([2, 8, 2], rng=0), moons.X_train, moons.y_train, lr=0.1, epochs=1,
               record="stats", record_data=(moons.X_val, moons.y_val))
    assert h2.stats[0].loss == pytest.approx(MLP([2, 8, 2], rng=0).loss(moons.X_val, moons.y_val))


def test_eval_every(moons):
    net = MLP([2, 8, 2], rng=0)
    h = train(net, moons.X_train, moons.y_train, lr=0.1, epochs=10, eval_every=4)
    assert h.epoch == [0, 4, 8, 10] and len(h.loss) == 4 and h.steps == 10


def test_callback_can_stop(moons):
    seen = []

    def stop_at_3(epoch, net, history):
        seen.append(epoch)
        return epoch == 3

    h = train(MLP([2, 8, 2], rng=0), moons.X_train, moons.y_train, lr=0.1, epochs=10,
              callback=stop_at_3)
    assert seen == [1, 2, 3] and h.epochs == 3
    assert h.message.startswith("Stopped by the callback after epoch 3")


def test_verbose_prints_one_line_per_evaluation(moons, capsys):
    train(MLP([2, 8, 2], rng=0), moons.X_train, moons.y_train, lr=0.1, epochs=2, verbose=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 0", "epoch 1", "epoch 2"]


def test_history_repr_and_properties():
    h = History()
    assert repr(h) == "History(empty)" and h.final_loss is None and h.epochs == 0


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,error,match", [
    (dict(lr=0), ValueError, r"lr \(the learning rate\) must be > 0, got 0.0; e.g. lr=0.1"),
    (dict(lr=-0.1), ValueError, r"lr \(the learning rate\) must be > 0, got -0.1"),
    (dict(lr=float("inf")), ValueError, r"lr \(the learning rate\) must be finite, got inf"),
    (dict(lr=None), TypeError, r"train\(\) needs lr= \(the learning rate\)"),
    (dict(epochs=0), ValueError, r"epochs must be >= 1, got 0; e.g. epochs=100"),
    (dict(epochs=2.5), TypeError, r"epochs must be an int, got 2.5 of type float"),
    (dict(batch_size=0), ValueError, r"batch_size must be >= 1, got 0"),
    (dict(batch_size=32.0), TypeError, r"batch_size must be an int or None, got 32.0"),
    (dict(momentum=1.0), ValueError, r"momentum must be < 1.0, got 1.0"),
    (dict(momentum=-0.5), ValueError, r"momentum must be >= 0.0, got -0.5"),
    (dict(optimizer="adamw"), ValueError, r"Unknown optimizer 'adamw'. Did you mean 'adam'\?"),
    (dict(optimizer=SGD(0.1)), ValueError, r"lr and momentum belong to the optimizer object"),
    (dict(optimizer="adam", momentum=0.9), ValueError, r"momentum applies to optimizer='sgd'"),
    (dict(record=("grads",)), ValueError, r"Unknown record entry 'grads'. Valid values: stats, weights"),
    (dict(record_every=0), ValueError, r"record_every must be >= 1, got 0"),
    (dict(max_loss=-1), ValueError, r"max_loss must be > 0, got -1.0"),
    (dict(verbose="yes"), TypeError, r"verbose must be True or False, got 'yes'"),
    (dict(callback=3), TypeError, r"callback must be a function"),
    (dict(X_val=np.zeros((2, 2))), ValueError, "Pass both X_val and y_val, or neither; got only X_val"),
])
def test_argument_errors(moons, kwargs, error, match):
    args = dict(lr=0.1, epochs=1)
    args.update(kwargs)
    if "optimizer" in kwargs and not isinstance(kwargs["optimizer"], str):
        args["lr"] = 0.1
    with pytest.raises(error, match=match):
        train(MLP([2, 4, 2], rng=0), moons.X_train, moons.y_train, **args)


def test_data_errors_are_checked_before_training(moons):
    net = MLP([2, 4, 2], rng=0)
    with pytest.raises(ValueError, match="X and y have different lengths"):
        train(net, moons.X_train, moons.y_train[:-1], lr=0.1, epochs=1)
    with pytest.raises(ValueError, match=r"X_val has 3 features"):
        train(net, moons.X_train, moons.y_train, lr=0.1, epochs=1,
              X_val=np.zeros((2, 3)), y_val=[0, 1])
    with pytest.raises(ValueError, match=r"class labels must be in \[0, 2\)"):
        train(net, moons.X_train, moons.y_train + 1, lr=0.1, epochs=1)


def test_docstring_examples_run():
    import doctest
    import importlib

    module = importlib.import_module("initlib.training")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_kernels_run_on_one_blas_thread_and_restore_the_setting():
    # Small matrices: initlib's kernels use one BLAS thread (initlib/_blas.py) and leave
    # the user's threading as it was once they return.
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from initlib import _blas

    def blas_threads():
        return [m["num_threads"] for m in threadpoolctl.threadpool_info() if m["user_api"] == "blas"]

    # a kernel called before scikit-learn loads scipy's own OpenBLAS must not hide it later
    initlib.signal_propagation("he_normal", "relu", width=64, depth=2, n_samples=128)
    data = initlib.load_dataset("moons", n_samples=64)   # imports scikit-learn (and scipy)
    before = blas_threads()
    seen = []
    net = initlib.MLP([2, 128, 128, 2], rng=0)   # 48 x 128 x 128 = 786K MACs: from 2**18 to 2**21
    initlib.train(net, data.X_train, data.y_train, lr=0.1, epochs=1,
                  callback=lambda *args: seen.append(blas_threads()))
    assert seen and all(threads == [1] * len(before) for threads in seen), seen
    assert blas_threads() == before
    assert _blas.small_matrix_kernel(blas_threads)() == [1] * len(before)


# --- reused arrays (initlib._kernel.reusing_buffers, loss_and_flat_grads(out=)) ---------
@pytest.mark.parametrize("activation", ["relu", "tanh", "linear", "sigmoid", "selu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("width", [9, 300])          # 64 x 300 entries: arrays are reused
def test_train_gives_the_same_bits_as_a_loop_of_fresh_arrays(activation, dtype, width):
    """train() reuses its arrays; a hand-written loop of the public, allocating API must agree bit for bit."""
    from initlib import SGD
    from initlib._kernel import REUSE_FROM_ENTRIES

    threadpoolctl = pytest.importorskip("threadpoolctl")
    # One BLAS thread for both loops: train() may pick fewer threads than a single call
    # when a core is busy, and OpenBLAS's float64 products can round differently then.
    limit = threadpoolctl.threadpool_limits(1, user_api="blas")
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((140, 6)), rng.integers(0, 3, 140)
    net = MLP([6, width, width, 3], activation=activation, rng=1, dtype=dtype)
    assert (64 * width >= REUSE_FROM_ENTRIES) == (width == 300)
    reference = net.copy()
    h = train(net, X, y, lr=0.05, momentum=0.9, epochs=3, batch_size=64, rng=2)

    opt, order_rng = SGD(lr=0.05, momentum=0.9), np.random.default_rng(2)
    Xc, yc = reference.check_data(X, y)
    losses = [reference.loss(Xc, yc)]
    for _ in range(3):
        order = order_rng.permutation(len(Xc))
        Xs, ys = Xc[order], yc[order]
        for i in range(0, len(Xs), 64):
            _, grads = reference.loss_and_flat_grads(Xs[i:i + 64], ys[i:i + 64])
            opt.step(reference.parameters(), grads)
        losses.append(reference.loss(Xc, yc))
    limit.restore_original_limits()
    assert h.loss == losses
    for p, q in zip(net.parameters(), reference.parameters()):
        np.testing.assert_array_equal(p, q)


def test_training_fortran_ordered_weights_with_reused_arrays():
    """Orthogonal weights may come Fortran-ordered; the reused gradient arrays must still fit."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 12)), rng.integers(0, 3, 64)
    net = MLP([12, 8, 3], init="orthogonal", rng=0)
    net.weights[0] = np.asfortranarray(net.weights[0])
    reference = net.copy()
    h = train(net, X, y, lr=0.1, epochs=2, batch_size=16, rng=0)
    h_ref = train(reference, X, y, lr=0.1, epochs=2, batch_size=16, rng=0)
    assert not h.diverged and h.loss == h_ref.loss


def test_reused_arrays_give_the_same_bits_and_are_really_reused():
    from initlib._kernel import reusing_buffers

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 5)), rng.integers(0, 4, 64)
    net = MLP([5, 512, 512, 4], activation="relu", rng=0)      # 64 x 512: reused
    loss, grads = net.loss_and_flat_grads(X, y)
    out = [np.empty_like(p) for p in net.parameters()]
    with reusing_buffers() as buffers:
        loss2, grads2 = net.loss_and_flat_grads(X, y, out=out)
        n_arrays = len(buffers)
        net.loss_and_flat_grads(X, y, out=out)
        assert len(buffers) == n_arrays > 0                       # same shapes: nothing new
    assert loss2 == loss and all(g is o for g, o in zip(grads2, out))
    for g, g2 in zip(grads, grads2):
        np.testing.assert_array_equal(g, g2)


def test_arrays_returned_to_the_caller_are_never_reused_buffers():
    from initlib._kernel import reusing_buffers

    X, y = np.ones((4, 3)), np.array([0, 1, 0, 1])
    net = MLP([3, 5, 2], activation="tanh", rng=0)
    with reusing_buffers():
        first = net.activations(X)
        net.loss_and_grads(2 * X, y)
        again = net.activations(X)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


def test_activation_fast_paths_are_bit_identical():
    from initlib import activations

    z = np.concatenate([np.random.default_rng(0).standard_normal(1000) * 4, [0.0, -0.0]])
    for act in (activations.relu, activations.tanh, activations.linear):
        for dtype in (np.float32, np.float64):
            zz = z.astype(dtype)
            a = act.forward(zz)
            np.testing.assert_array_equal(act.forward_into(zz, np.empty_like(zz)), a)
            got = act.derivative_into(zz, a, np.empty_like(zz))
            want = act.derivative(zz, a)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


def test_gradient_out_errors_say_what_to_pass():
    net = MLP([3, 4, 2], rng=0)
    X, y = np.ones((5, 3)), np.array([0, 1, 1, 0, 1])
    with pytest.raises(ValueError, match=r"out must hold 4 arrays \[dW1, db1, \.\.\.\].*got 3"):
        net.loss_and_flat_grads(X, y, out=[np.empty((4, 3))] * 3)
    bad = [np.empty_like(p) for p in net.parameters()]
    bad[2] = np.empty((4, 2))
    with pytest.raises(ValueError, match=r"layer 2's dW must be an array of shape "
                                         r"\(2, 4\) and dtype float64, got shape \(4, 2\)"):
        net.loss_and_flat_grads(X, y, out=bad)
    with pytest.raises(ValueError, match="out must be a list of 2 \\(dW, db\\) pairs"):
        net.loss_and_grads(X, y, out="grads")


@pytest.mark.parametrize("order", ["C", "F"])
def test_sgd_on_two_threads_gives_the_same_bits(order):
    """Large parameters are updated in two halves on two threads: the same numbers as one pass."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from initlib import optim

    rng = np.random.default_rng(0)
    shape = (600, 500)                                   # 300 000 entries >= 2**18
    assert shape[0] * shape[1] >= optim.TWO_THREADS_FROM_ENTRIES
    start = np.asarray(rng.standard_normal(shape), order=order)
    grads = [np.asarray(rng.standard_normal(shape), order=order) for _ in range(3)]
    results = {}
    for threads in (1, 2):
        theta, opt = start.copy(order="K"), SGD(lr=0.1, momentum=0.9)
        with threadpoolctl.threadpool_limits(threads, user_api="blas"):
            for g in grads:
                opt.step([theta], [g])
        results[threads] = theta
    assert results[1].tobytes() == results[2].tobytes()
    expected, v = start.copy(), np.zeros(shape)
    for g in grads:
        v = 0.9 * v + (-0.1 * g)
        expected = expected + v
    np.testing.assert_array_equal(results[2], expected)


def test_sgd_sees_a_new_learning_rate_between_steps_with_the_same_lists():
    """SGD skips re-checking the lists train() passes again; a changed lr must still apply."""
    w, g = np.array([1.0]), np.array([1.0])
    params, grads = [w], [g]
    opt = SGD(lr=0.1)
    opt.step(params, grads)
    opt.lr = 0.5
    opt.step(params, grads)
    np.testing.assert_allclose(w, [1.0 - 0.1 - 0.5])
    params.append(np.array([2.0]))                     # the same list object, grown
    with pytest.raises(ValueError, match="grads must have 2 entries"):
        opt.step(params, grads)

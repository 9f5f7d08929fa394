r"""Mini-batch gradient descent with momentum, a training ``History``, and divergence detection.

One step of stochastic gradient descent with (heavy-ball) momentum :math:`\mu`
and learning rate :math:`\eta`, for every weight matrix and bias vector
:math:`\theta` with gradient :math:`g = \partial L / \partial \theta` of the
mean mini-batch loss:

.. math::

    v \leftarrow \mu v - \eta\, g, \qquad \theta \leftarrow \theta + v

(with :math:`\mu = 0` this is plain SGD, :math:`\theta \leftarrow \theta - \eta g`;
for a constant :math:`\eta` it is the same as PyTorch's ``SGD(momentum=mu)``, which
keeps :math:`v/(-\eta)` instead). Polyak (1964) introduced the heavy ball; Sutskever,
Martens, Dahl & Hinton (2013) show how much momentum and initialization interact.

Training that blows up is part of the course: when a mini-batch loss, the
training loss or a weight becomes NaN or infinite, :func:`train` stops at
once, sets ``history.diverged`` and writes one line to ``history.message`` —
numpy's floating-point warnings are silenced inside training, so there are no
pages of ``RuntimeWarning: overflow``.

>>> from initlib import MLP, train, load_dataset
>>> ds = load_dataset("moons", n_samples=200, rng=0)
>>> net = MLP([2, 16, 2], activation="relu", init="he_normal", rng=0)
>>> h = train(net, ds.X_train, ds.y_train, lr=0.1, epochs=30, batch_size=32, rng=0)
>>> len(h.loss), h.loss[0] > h.loss[-1], h.diverged
(31, True, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from ._blas import small_matrix_kernel

__all__ = ["train", "History", "SGD"]

_RECORDABLE = ("stats", "weights")


class SGD:
    r"""Stochastic gradient descent with heavy-ball momentum; keeps the velocities.

    :math:`v \leftarrow \mu v - \eta g,\ \theta \leftarrow \theta + v`, applied in
    place to ``net.weights`` and ``net.biases``. The velocities (one per
    parameter array, zero at the start) persist between calls of :meth:`step`
    and between :func:`train` calls that continue a ``History``.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\eta > 0`.
    momentum : float
        :math:`\mu \in [0, 1)`; 0 is plain SGD.

    Examples
    --------
    >>> import numpy as np
    >>> from initlib import MLP, SGD
    >>> net = MLP([2, 3, 2], rng=0)
    >>> opt = SGD(lr=0.1, momentum=0.9)
    >>> loss, grads = net.loss_and_grads(np.ones((4, 2)), np.array([0, 1, 0, 1]))
    >>> opt.step(net, grads)
    """

    def __init__(self, lr, momentum=0.0):
        self.lr = _check_lr(lr)
        self.momentum = _check_momentum(momentum)
        self.velocities = None  # [(vW, vb), ...] once momentum is used

    def step(self, net, grads):
        """Update ``net`` in place with ``grads`` (which are overwritten: scaled by -lr)."""
        lr, mu = self.lr, self.momentum
        if mu and self.velocities is None:
            self.velocities = [(np.zeros_like(W), np.zeros_like(b))
                               for W, b in zip(net.weights, net.biases)]
        for l, (dW, db) in enumerate(grads):
            for theta, g, k in ((net.weights[l], dW, 0), (net.biases[l], db, 1)):
                g *= -lr                                   # -lr * g, in place
                if mu:
                    v = self.velocities[l][k]
                    v *= mu
                    v += g                                 # v = mu v - lr g
                    theta += v                             # theta = theta + v
                elif self.velocities is not None:          # momentum set to 0 later
                    v = self.velocities[l][k]
                    v[...] = g
                    theta += g
                else:
                    theta += g                             # theta = theta - lr g

    def __repr__(self):
        return f"SGD(lr={self.lr:g}, momentum={self.momentum:g})"


@dataclass(eq=False)
class History:
    """What happened during training, epoch by epoch.

    Loss and accuracy are measured on the *whole* training set (and validation
    set) with the parameters at the end of each recorded epoch; ``epoch[0] == 0``
    holds the values at initialization, so ``len(loss) == epochs + 1`` when
    ``eval_every == 1``. Plot them with ``plt.plot(h.epoch, h.loss)``.

    Attributes
    ----------
    epoch : list of int
        Epochs at which the metrics below were measured (0 = before training).
    loss, accuracy, val_loss, val_accuracy : list of float
        Mean loss and accuracy at those epochs; ``accuracy`` is empty for a
        regression (linear output) network, the ``val_*`` lists are empty
        without validation data.
    step_loss : list of float
        The loss of every mini-batch, before its update (noisy; one per step).
    stats, stats_epoch : list
        With ``record=("stats",)``: a :class:`initlib.LayerStats` every
        ``record_every`` epochs, and those epochs.
    weights, weights_epoch : list
        With ``record=("weights",)``: copies of ``net.weights`` every
        ``record_every`` epochs, and those epochs.
    diverged : bool
        True if the run stopped because a loss or weight became NaN/inf (or the
        loss exceeded ``max_loss``).
    diverged_at : int or None
        The epoch (1-based) during which it diverged.
    message : str
        One line saying how the run ended, e.g. for ``print(h.message)``.
    optimizer : SGD
        The optimizer and its momentum velocities; ``train(..., history=h)``
        continues with it.
    rng : Generator
        The shuffling generator, continued likewise.
    layer_sizes : tuple
        The trained network's ``layer_sizes`` (a continuation must match).
    """

    epoch: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    step_loss: list = field(default_factory=list)
    stats: list = field(default_factory=list)
    stats_epoch: list = field(default_factory=list)
    weights: list = field(default_factory=list)
    weights_epoch: list = field(default_factory=list)
    diverged: bool = False
    diverged_at: int | None = None
    message: str = ""
    optimizer: SGD | None = field(default=None, repr=False)
    rng: np.random.Generator | None = field(default=None, repr=False)
    layer_sizes: tuple = field(default=(), repr=False)

    @property
    def epochs(self):
        """Number of epochs trained so far."""
        return self.epoch[-1] if self.epoch else 0

    @property
    def steps(self):
        """Number of parameter updates so far."""
        return len(self.step_loss)

    @property
    def final_loss(self):
        """The last recorded training loss."""
        return self.loss[-1] if self.loss else None

    @property
    def final_accuracy(self):
        return self.accuracy[-1] if self.accuracy else None

    @property
    def final_val_loss(self):
        return self.val_loss[-1] if self.val_loss else None

    @property
    def final_val_accuracy(self):
        return self.val_accuracy[-1] if self.val_accuracy else None

    def __repr__(self):
        return f"History({self.message or 'empty'})"

    _COMPARED = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "step_loss",
                 "stats_epoch", "weights_epoch", "diverged", "diverged_at", "message")

    def __eq__(self, other):
        """Same recorded values (NaN equal to NaN) and same weight snapshots.

        So two runs with the same network, data and seeds compare equal:
        ``train(...) == train(...)``. The optimizer state and ``stats`` are not compared.
        """
        if not isinstance(other, History):
            return NotImplemented
        for name in self._COMPARED:
            a, b = getattr(self, name), getattr(other, name)
            if isinstance(a, list):
                if len(a) != len(b) or not np.array_equal(
                        np.array(a, dtype=float), np.array(b, dtype=float), equal_nan=True):
                    return False
            elif a != b:
                return False
        return len(self.weights) == len(other.weights) and all(
            np.array_equal(x, y, equal_nan=True)
            for snap_a, snap_b in zip(self.weights, other.weights)
            for x, y in zip(snap_a, snap_b))

    __hash__ = None


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------
def _is_number(x):
    return isinstance(x, Real) and not isinstance(x, (bool, np.bool_))


def _check_lr(lr):
    if not _is_number(lr) or not (0 < lr < np.inf):
        raise ValueError(
            f"lr (the learning rate) must be a positive finite number, got {lr!r}; "
            f"e.g. lr=0.1."
        )
    return float(lr)


def _check_momentum(momentum):
    if not _is_number(momentum) or not (0 <= momentum < 1):
        raise ValueError(
            f"momentum must be a number in [0, 1), got {momentum!r}; 0 is plain SGD, "
            f"0.9 is a common choice."
        )
    return float(momentum)


def _check_positive_int(value, name, example, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral) or value < 1:
        raise ValueError(
            f"{name} must be a positive integer{' or None' if allow_none else ''}, "
            f"got {value!r}; e.g. {name}={example}."
        )
    return int(value)


def _check_record(record):
    if record is None:
        return ()
    if isinstance(record, str):
        record = (record,)
    record = tuple(record)
    for item in record:
        if item not in _RECORDABLE:
            raise ValueError(
                f"record entries must be among {_RECORDABLE}, got {item!r}; "
                f"e.g. record=('stats',)."
            )
    return record


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------
def _evaluate(net, X, y):
    """Mean loss and accuracy (None for regression) of the whole set, unchecked."""
    a, z = net._forward(X)
    loss = float(net._loss_fn(z[-1], a[-1], y)[0])
    if net.output == "softmax":
        acc = float(np.mean(a[-1].argmax(axis=1) == y))
    elif net.output == "sigmoid":
        acc = float(np.mean((a[-1] > 0.5) == (y > 0.5)))
    else:
        acc = None
    return loss, acc


def _all_finite(arrays):
    return all(np.isfinite(A).all() for A in arrays)


@small_matrix_kernel
def train(net, X, y, *, lr, epochs, batch_size=None, momentum=0.0, rng=None,
          X_val=None, y_val=None, record=None, record_every=1, record_data=None,
          eval_every=1, max_loss=None, history=None, callback=None, verbose=False):
    """Train ``net`` in place with mini-batch SGD (+ momentum); return its :class:`History`.

    Each epoch visits every training example once, in an order shuffled by
    ``rng`` (full-batch gradient descent when ``batch_size`` is None or at
    least ``len(X)``; nothing is shuffled then). After every ``eval_every``
    epochs the loss and accuracy of the whole training (and validation) set are
    recorded.

    Divergence: if a mini-batch loss, the training loss or a weight becomes
    NaN or infinite, or the loss exceeds ``max_loss``, training stops at once
    with ``history.diverged = True`` and a one-line ``history.message``. No
    numpy warnings are printed.

    Continuing: pass ``history=h`` (a History from an earlier call on the same
    network) to train for ``epochs`` more. Epoch numbers continue, the new
    values are appended to ``h`` (which is returned), and the momentum
    velocities and the shuffling generator carry over (unless a new ``rng`` is
    given), so ``train(..., epochs=10)`` twice gives exactly the same result as
    ``train(..., epochs=20)`` once.

    Parameters
    ----------
    net : MLP
        Trained in place.
    X, y : array_like
        Training data ``(n, n0)`` and targets (see :meth:`MLP.loss`).
    lr : float
        Learning rate, > 0.
    epochs : int
        Number of passes over the training set, >= 1.
    batch_size : int, optional
        Mini-batch size; None (default) is full-batch gradient descent. The
        last batch of an epoch may be smaller.
    momentum : float
        Heavy-ball momentum in [0, 1) (see :class:`SGD`).
    rng : None, int or Generator
        Seed for shuffling. The same network, data and seed give the same
        History, exactly.
    X_val, y_val : array_like, optional
        Validation data, evaluated every ``eval_every`` epochs.
    record : tuple of str, optional
        ``"stats"``: a :func:`initlib.layer_stats` of the network every
        ``record_every`` epochs (including epoch 0); ``"weights"``: copies of
        the weight matrices, as often.
    record_every : int
        Epochs between records (default 1).
    record_data : (X, y), optional
        Batch used for the recorded statistics; default the first 1000
        training examples.
    eval_every : int
        Epochs between evaluations of the whole training/validation set
        (default 1; the last epoch is always evaluated). Raise it to save time
        in long full-batch runs.
    max_loss : float, optional
        Treat a loss above this as divergence (e.g. ``1e6``).
    history : History, optional
        Continue this run (see above).
    callback : callable, optional
        ``callback(epoch, net, history)`` after every epoch; return True to stop.
    verbose : bool
        Print one line per evaluation and the final message.

    Returns
    -------
    History

    Raises
    ------
    ValueError
        Bad data (see :class:`MLP`), non-positive ``lr``/``epochs``/``batch_size``,
        momentum outside [0, 1), unknown ``record`` entries, or a ``history``
        that already diverged or belongs to a network of another shape.

    Examples
    --------
    >>> from initlib import MLP, train, load_dataset
    >>> ds = load_dataset("digits")
    >>> net = MLP([64, 32, 10], activation="relu", init="he_normal", rng=0)
    >>> h = train(net, ds.X_train, ds.y_train, lr=0.05, epochs=5, batch_size=64,
    ...           momentum=0.9, rng=0, X_val=ds.X_val, y_val=ds.y_val)
    >>> h.final_val_accuracy > 0.9
    True
    """
    from .mlp import MLP

    if not isinstance(net, MLP):
        raise TypeError(f"net must be an initlib.MLP, got {type(net).__name__}.")
    lr = _check_lr(lr)
    epochs = _check_positive_int(epochs, "epochs", 100)
    batch_size = _check_positive_int(batch_size, "batch_size", 32, allow_none=True)
    momentum = _check_momentum(momentum)
    record = _check_record(record)
    record_every = _check_positive_int(record_every, "record_every", 10)
    eval_every = _check_positive_int(eval_every, "eval_every", 10)
    if max_loss is not None and (not _is_number(max_loss) or not max_loss > 0):
        raise ValueError(f"max_loss must be a positive number or None, got {max_loss!r}.")
    net._check_parameters()
    X = net._check_X(X)
    y = net._check_y(y, len(X))
    has_val = X_val is not None or y_val is not None
    if has_val:
        if X_val is None or y_val is None:
            raise ValueError("Pass both X_val and y_val, or neither.")
        X_val = net._check_X(X_val, "X_val")
        y_val = net._check_y(y_val, len(X_val), "y_val")
    if "stats" in record:
        from .stats import layer_stats
        if record_data is None:
            X_rec, y_rec = X[:1000], y[:1000]
        else:
            X_rec = net._check_X(record_data[0], "record_data[0]")
            y_rec = net._check_y(record_data[1], len(X_rec), "record_data[1]")

    if history is None:
        history = History(optimizer=SGD(lr, momentum), rng=np.random.default_rng(rng),
                          layer_sizes=net.layer_sizes)
    else:
        if not isinstance(history, History):
            raise TypeError(f"history must be a History from train(), got {type(history).__name__}.")
        if history.diverged:
            raise ValueError(
                f"This history diverged at epoch {history.diverged_at}; its network has "
                f"non-finite values. Start again with a new network and history=None."
            )
        if history.optimizer is None or history.layer_sizes != net.layer_sizes:
            raise ValueError(
                f"history belongs to a network of another shape (layer_sizes "
                f"{list(history.layer_sizes)}, this net has {list(net.layer_sizes)}); "
                f"continue with the History that train() returned for this network."
            )
        if history.epoch and bool(history.val_loss) != has_val:
            raise ValueError(
                f"history {'has' if history.val_loss else 'has no'} validation metrics; "
                f"pass {'the same X_val and y_val' if history.val_loss else 'no X_val/y_val'} "
                f"when continuing it, so that every list stays aligned with history.epoch."
            )
        history.optimizer.lr, history.optimizer.momentum = lr, momentum
        if rng is not None:
            history.rng = np.random.default_rng(rng)
    optimizer, shuffle_rng = history.optimizer, history.rng
    n = len(X)
    full_batch = batch_size is None or batch_size >= n
    start = history.epochs
    last = start + epochs

    def evaluate(epoch):
        loss, acc = _evaluate(net, X, y)
        history.epoch.append(epoch)
        history.loss.append(loss)
        if acc is not None:
            history.accuracy.append(acc)
        if has_val:
            val_loss, val_acc = _evaluate(net, X_val, y_val)
            history.val_loss.append(val_loss)
            if val_acc is not None:
                history.val_accuracy.append(val_acc)
        if verbose:
            print(_progress_line(history))
        return loss

    def record_state(epoch):
        if "stats" in record:
            history.stats.append(layer_stats(net, X_rec, y_rec))
            history.stats_epoch.append(epoch)
        if "weights" in record:
            history.weights.append([W.copy() for W in net.weights])
            history.weights_epoch.append(epoch)

    def stop_diverged(epoch, why):
        history.diverged, history.diverged_at = True, epoch
        if not history.epoch or history.epoch[-1] != epoch:
            evaluate(epoch)
        history.message = (
            f"Diverged at epoch {epoch} (step {history.steps}): {why}. The weights or the "
            f"learning rate are too large; try a smaller init scale or lr."
        )

    with np.errstate(all="ignore"):
        if start == 0 and not history.epoch:
            evaluate(0)
            record_state(0)
            if not np.isfinite(history.loss[-1]) or (max_loss and history.loss[-1] > max_loss):
                stop_diverged(0, f"the initial training loss is {history.loss[-1]:.4g}")
                return _finish(history, verbose)
        for epoch in range(start + 1, last + 1):
            if full_batch:
                batches = [(X, y)]
            else:
                order = shuffle_rng.permutation(n)
                batches = ((X[idx], y[idx]) for idx in
                           (order[i:i + batch_size] for i in range(0, n, batch_size)))
            for Xb, yb in batches:
                a, z = net._forward(Xb)
                loss, grads, _, _ = net._backward(a, z, yb)
                history.step_loss.append(loss)
                if not np.isfinite(loss) or (max_loss and loss > max_loss):
                    stop_diverged(epoch, f"a mini-batch loss became {loss:.4g}")
                    return _finish(history, verbose)
                optimizer.step(net, grads)
            if epoch % eval_every == 0 or epoch == last:
                loss = evaluate(epoch)
                if not np.isfinite(loss) or (max_loss and loss > max_loss):
                    stop_diverged(epoch, f"the training loss became {loss:.4g}")
                    return _finish(history, verbose)
                # (a non-finite weight makes the next loss non-finite too; this
                # catches it without waiting for that step)
                if not _all_finite(net.weights) or not _all_finite(net.biases):
                    stop_diverged(epoch, "a weight became NaN or infinite")
                    return _finish(history, verbose)
            if epoch % record_every == 0 or epoch == last:
                record_state(epoch)
            if callback is not None and callback(epoch, net, history):
                if history.epoch[-1] != epoch:
                    evaluate(epoch)
                history.message = f"Stopped by the callback after epoch {epoch}: " + _summary(history)
                return _finish(history, verbose, set_message=False)
    return _finish(history, verbose)


def _summary(history):
    parts = [f"loss {history.loss[-1]:.4g}"]
    if history.accuracy:
        parts.append(f"accuracy {history.accuracy[-1]:.3f}")
    if history.val_loss:
        parts.append(f"val_loss {history.val_loss[-1]:.4g}")
    if history.val_accuracy:
        parts.append(f"val_accuracy {history.val_accuracy[-1]:.3f}")
    return ", ".join(parts)


def _progress_line(history):
    return f"epoch {history.epoch[-1]}: " + _summary(history)


def _finish(history, verbose, set_message=True):
    if set_message and not history.diverged:
        history.message = (
            f"Trained {history.epochs} epochs ({history.steps} steps): " + _summary(history)
        )
    if verbose and (history.diverged or not set_message):
        print(history.message)
    return history

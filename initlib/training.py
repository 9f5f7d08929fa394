r"""Mini-batch training of any trainable model, a ``History``, and divergence detection.

:func:`train` trains any object that follows this protocol (:class:`initlib.MLP` does,
and so do the chapters' residual and μP networks):

==================================  ====================================================
``model.parameters()``              list of the live parameter arrays, updated in place
``model.parameter_names()``         list of str in the same order, e.g. ``["W1", "b1"]``
``model.loss_and_flat_grads(X, y)``  ``(loss, grads)``: the mean mini-batch loss (float)
                                    and fresh gradient arrays aligned with
                                    ``parameters()`` (the optimizer reads, never keeps)
``model.loss(X, y)``                mean loss of a set
``model.is_classifier``             True if accuracy is defined
``model.accuracy(X, y)``            fraction correct (classifiers only)
==================================  ====================================================

Two optional methods make training cheaper: ``model.check_data(X, y, names)`` checks
and converts a data set once (else ``np.asarray``), and ``model.evaluate(X, y)``
returns ``(loss, accuracy or None)`` in one forward pass (else ``loss`` and
``accuracy`` are called). A model whose ``loss_and_flat_grads`` takes ``out=`` (a list of
arrays aligned with ``parameters()``) gets the same arrays back to fill at every step, and
:class:`initlib.MLP` reuses its intermediate arrays within :func:`train` (see
``initlib._kernel``): no step allocates new memory, the results are the same.

The optimizers (:mod:`initlib.optim`: ``SGD`` with momentum, ``Adam``) step over
the flat parameter list, with one learning rate or one per parameter, and keep
their own state; pass the same optimizer object (and the same ``rng`` Generator)
to continue a run exactly.

Training that blows up is part of the course: when a mini-batch loss, the
training loss or a parameter becomes NaN or infinite, :func:`train` stops at
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

import inspect
import math
from dataclasses import dataclass, field

import numpy as np

from ._blas import blas_threads_for
from ._kernel import reusing_buffers
from ._validation import check_bool, check_choice, check_int, check_real, check_rng
from .optim import SGD, Adam

__all__ = ["train", "History"]

_RECORDABLE = ("stats", "weights")
_OPTIMIZERS = {"sgd": SGD, "adam": Adam}
_PROTOCOL = ("parameters", "parameter_names", "loss_and_flat_grads", "loss")


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
        regression (linear output) model, the ``val_*`` lists are empty
        without validation data.
    step_loss : list of float
        The loss of every mini-batch, before its update (noisy; one per step).
    stats, stats_epoch : list
        With ``record=("stats",)``: a :class:`initlib.LayerStats` every
        ``record_every`` epochs, and those epochs.
    weights, weights_epoch : list
        With ``record=("weights",)``: copies of the weight matrices (the parameters
        whose name starts with ``W``) every ``record_every`` epochs, and those epochs.
    diverged : bool
        True if the run stopped because a loss or parameter became NaN/inf (or the
        loss exceeded ``max_loss``).
    diverged_at : int or None
        The epoch (1-based) during which it diverged.
    message : str
        One line saying how the run ended, e.g. for ``print(h.message)``.
    parameter_shapes : tuple
        The trained model's parameter shapes (a continuation must match).
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
    parameter_shapes: tuple = field(default=(), repr=False)

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

    def summary(self):
        """``"loss 0.1234, accuracy 0.950, ..."``: the last recorded values."""
        parts = [f"loss {self.loss[-1]:.4g}"]
        if self.accuracy:
            parts.append(f"accuracy {self.accuracy[-1]:.3f}")
        if self.val_loss:
            parts.append(f"val_loss {self.val_loss[-1]:.4g}")
        if self.val_accuracy:
            parts.append(f"val_accuracy {self.val_accuracy[-1]:.3f}")
        return ", ".join(parts)

    def __repr__(self):
        return f"History({self.message or 'empty'})"

    _COMPARED = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "step_loss",
                 "stats_epoch", "weights_epoch", "diverged", "diverged_at", "message")

    def __eq__(self, other):
        """Same recorded values (NaN equal to NaN) and same weight snapshots.

        So two runs with the same model, data and seeds compare equal:
        ``train(...) == train(...)``. ``stats`` are not compared.
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
# The named pieces of a training run
# ---------------------------------------------------------------------------
def _why_diverged(loss, what, max_loss):
    """The reason a run must stop, or None: the one divergence test."""
    if not math.isfinite(loss) or (max_loss is not None and loss > max_loss):
        return f"{what} {loss:.4g}"
    return None


def _batches(X, y, batch_size, rng):
    """One epoch's mini-batches: views of the data shuffled once (one gather per epoch)."""
    n = len(X)
    if batch_size is None or batch_size >= n:
        yield X, y                                          # full batch: nothing shuffled
        return
    order = rng.permutation(n)
    X, y = X[order], y[order]
    for i in range(0, n, batch_size):
        yield X[i:i + batch_size], y[i:i + batch_size]


_TAKES_OUT = {}


def _takes_out(cls, method):
    """Whether ``loss_and_flat_grads`` accepts ``out=`` (looked up once per model class)."""
    if cls not in _TAKES_OUT:
        try:
            _TAKES_OUT[cls] = "out" in inspect.signature(method).parameters
        except (TypeError, ValueError):  # pragma: no cover - a builtin without a signature
            _TAKES_OUT[cls] = False
    return _TAKES_OUT[cls]


def _gradient_steps(model):
    """``for_epoch(params)`` -> ``step(X, y) -> (loss, grads)`` for one epoch's parameters.

    A model whose ``loss_and_flat_grads`` takes ``out=`` writes into gradient arrays made
    once and remade only if the parameters change shape (a callback, between epochs).
    """
    method = model.loss_and_flat_grads
    if not _takes_out(type(model), method):
        return lambda params: method
    out = []

    def for_epoch(params):
        if len(out) != len(params) or any(g.shape != p.shape or g.dtype != p.dtype
                                          for g, p in zip(out, params)):
            out[:] = [np.empty(p.shape, p.dtype) for p in params]
        return lambda X, y: method(X, y, out=out)

    return for_epoch


def _evaluate(model, X, y):
    """``(loss, accuracy or None)`` of a whole set."""
    if hasattr(model, "evaluate"):
        return model.evaluate(X, y)
    return model.loss(X, y), (model.accuracy(X, y) if model.is_classifier else None)


class _Recorder:
    """Appends the metrics (every evaluation) and the snapshots (``record``) to a History."""

    def __init__(self, model, history, train_set, val_set, record, record_data, verbose):
        self.model, self.history, self.verbose = model, history, verbose
        self.train_set, self.val_set, self.record = train_set, val_set, record
        self.record_data = record_data

    def metrics(self, epoch):
        """Evaluate the whole training (and validation) set; return the training loss."""
        h = self.history
        loss, acc = _evaluate(self.model, *self.train_set)
        h.epoch.append(epoch)
        h.loss.append(loss)
        if acc is not None:
            h.accuracy.append(acc)
        if self.val_set is not None:
            val_loss, val_acc = _evaluate(self.model, *self.val_set)
            h.val_loss.append(val_loss)
            if val_acc is not None:
                h.val_accuracy.append(val_acc)
        if self.verbose:
            print(f"epoch {epoch}: " + h.summary())
        return loss

    def snapshot(self, epoch):
        h = self.history
        if "stats" in self.record:
            from .stats import layer_stats
            h.stats.append(layer_stats(self.model, *self.record_data))
            h.stats_epoch.append(epoch)
        if "weights" in self.record:
            names, params = self.model.parameter_names(), self.model.parameters()
            h.weights.append([p.copy() for name, p in zip(names, params) if name.startswith("W")])
            h.weights_epoch.append(epoch)

    def stop(self, epoch, why=None, stopped_by_callback=False):
        """End the run: diverged (``why``), stopped by the callback, or finished."""
        h = self.history
        if (why or stopped_by_callback) and (not h.epoch or h.epoch[-1] != epoch):
            self.metrics(epoch)
        if why:
            h.diverged, h.diverged_at = True, epoch
            h.message = (
                f"Diverged at epoch {epoch} (step {h.steps}): {why}. The weights or the "
                f"learning rate are too large; try a smaller init scale or lr.")
        elif stopped_by_callback:
            h.message = f"Stopped by the callback after epoch {epoch}: " + h.summary()
        else:
            h.message = f"Trained {h.epochs} epochs ({h.steps} steps): " + h.summary()
        if self.verbose and (why or stopped_by_callback):
            print(h.message)
        return h


# ---------------------------------------------------------------------------
# Checks of train()'s arguments
# ---------------------------------------------------------------------------
def _check_model(model):
    missing = [name for name in _PROTOCOL if not hasattr(model, name)]
    if missing:
        raise TypeError(
            f"model must be a trainable model such as an initlib.MLP, got "
            f"{type(model).__name__} without {', '.join(missing)}; see initlib.train's "
            f"module docstring for the methods a model needs.")


def _make_optimizer(optimizer, lr, momentum):
    if isinstance(optimizer, str):
        check_choice(optimizer, "optimizer", _OPTIMIZERS, "Or pass an optimizer object "
                     "such as initlib.optim.Adam(lr=1e-3).")
        if lr is None:
            raise TypeError(f"train() needs lr= (the learning rate) with optimizer="
                            f"{optimizer!r}, got none; e.g. lr=0.1.")
        if optimizer == "sgd":
            return SGD(lr, momentum)
        if momentum != 0:
            raise ValueError(f"momentum applies to optimizer='sgd', got momentum={momentum!r} "
                             f"with optimizer='adam'; set Adam's betas instead.")
        return Adam(lr)
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"optimizer must be 'sgd', 'adam' or an object with a step(params, "
                        f"grads) method, got {optimizer!r} of type {type(optimizer).__name__}.")
    if lr is not None or momentum != 0:
        raise ValueError(f"lr and momentum belong to the optimizer object when one is passed, "
                         f"got lr={lr!r}, momentum={momentum!r} as well; set them in "
                         f"{type(optimizer).__name__}(...) only.")
    return optimizer


def _check_record(record):
    if record is None:
        return ()
    for item in (record,) if isinstance(record, str) else tuple(record):
        check_choice(item, "record entry", _RECORDABLE, "e.g. record=('stats',).")
    return (record,) if isinstance(record, str) else tuple(record)


def _data(model, X, y, names):
    """A data set checked and converted once (``model.check_data`` if the model has one)."""
    if hasattr(model, "check_data"):
        return model.check_data(X, y, names)
    return np.asarray(X), np.asarray(y)


def _continue_or_start(history, model, has_val):
    """The History to append to: a new one, or ``history`` checked for continuing."""
    shapes = tuple(p.shape for p in model.parameters())
    if history is None:
        return History(parameter_shapes=shapes)
    if not isinstance(history, History):
        raise TypeError(f"history must be a History from train(), got "
                        f"{type(history).__name__}.")
    if history.diverged:
        raise ValueError(
            f"This history diverged at epoch {history.diverged_at}; its model has "
            f"non-finite values. Start again with a new model and history=None.")
    if history.epoch and history.parameter_shapes != shapes:
        raise ValueError(
            f"history belongs to a model with other parameters (shapes "
            f"{list(history.parameter_shapes)}, this model has {list(shapes)}); continue "
            f"with the History that train() returned for this model.")
    if history.epoch and bool(history.val_loss) != has_val:
        raise ValueError(
            f"history {'has' if history.val_loss else 'has no'} validation metrics; "
            f"pass {'the same X_val and y_val' if history.val_loss else 'no X_val/y_val'} "
            f"when continuing it, so that every list stays aligned with history.epoch.")
    history.parameter_shapes = shapes
    return history


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------
def train(model, X, y, *, lr=None, epochs, batch_size=None, momentum=0.0, optimizer="sgd",
          rng=None, X_val=None, y_val=None, record=None, record_every=1, record_data=None,
          eval_every=1, max_loss=None, history=None, callback=None, verbose=False):
    """Train ``model`` in place with mini-batch gradient descent; return its :class:`History`.

    Each epoch visits every training example once, in an order shuffled by
    ``rng`` (full-batch gradient descent when ``batch_size`` is None or at
    least ``len(X)``; nothing is shuffled then). Every ``eval_every`` epochs
    (and after the last) the loss and accuracy of the whole training (and
    validation) set are recorded; epoch 0 is the model as it starts.

    Divergence: if a mini-batch loss, the training loss or a parameter becomes
    NaN or infinite, or the loss exceeds ``max_loss``, training stops at once
    with ``history.diverged = True`` and a one-line ``history.message``. No
    numpy warnings are printed.

    Continuing: pass ``history=h`` (a History from an earlier call on the same
    model) to train for ``epochs`` more; epoch numbers continue and the new values
    are appended to ``h`` (which is returned). The optimizer's state (momentum
    velocities, Adam's moments) and the shuffling stream belong to the objects you
    pass: with the same ``optimizer`` object and the same ``rng`` Generator,
    ``train(..., epochs=10)`` twice gives exactly ``train(..., epochs=20)`` once.

    Parameters
    ----------
    model : MLP or any trainable model
        Trained in place; see the module docstring for the protocol.
    X, y : array_like
        Training data ``(n, n0)`` and targets (see :meth:`MLP.loss`).
    lr : float or list of float
        Learning rate (> 0), or one per parameter, for ``optimizer="sgd"`` or
        ``"adam"``; leave it out when passing an optimizer object.
    epochs : int
        Number of passes over the training set, >= 1.
    batch_size : int, optional
        Mini-batch size; None (default) is full-batch gradient descent. The
        last batch of an epoch may be smaller.
    momentum : float
        Heavy-ball momentum in [0, 1) for ``optimizer="sgd"``.
    optimizer : {"sgd", "adam"} or optimizer object
        ``"sgd"`` (default): :class:`initlib.optim.SGD` with ``lr`` and ``momentum``;
        ``"adam"``: :class:`initlib.optim.Adam` with ``lr``; or an object with
        ``step(params, grads)`` (its state continues between calls).
    rng : None, int or Generator
        Seed for shuffling. The same model, data and seed give the same
        History, exactly.
    X_val, y_val : array_like, optional
        Validation data, evaluated with the training set.
    record : tuple of str, optional
        ``"stats"``: a :func:`initlib.layer_stats` of the network (MLP only) every
        ``record_every`` epochs (including epoch 0); ``"weights"``: copies of
        the weight matrices, as often.
    record_every : int
        Epochs between records (default 1; the last epoch is always recorded).
    record_data : (X, y), optional
        Batch used for the recorded statistics; default the first 1000
        training examples.
    eval_every : int
        Epochs between evaluations of the whole training/validation set
        (default 1; the last epoch is always evaluated).
    max_loss : float, optional
        Treat a loss above this as divergence (e.g. ``1e6``).
    history : History, optional
        Continue this run (see above).
    callback : callable, optional
        ``callback(epoch, model, history)`` after every epoch; return True to stop.
    verbose : bool
        Print one line per evaluation and the final message.

    Returns
    -------
    History

    Raises
    ------
    TypeError
        A model without the protocol's methods; arguments of the wrong type (e.g.
        ``epochs=2.5``, ``lr="0.1"``); a missing ``lr``; a ``history`` that is not
        a History; data that is not numeric.
    ValueError
        Bad data (see :class:`MLP`), non-positive ``lr``/``epochs``/``batch_size``,
        momentum outside [0, 1), unknown ``optimizer`` or ``record`` entries, ``lr``
        given twice, or a ``history`` that diverged or belongs to another model.

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
    _check_model(model)
    optimizer = _make_optimizer(optimizer, lr, check_real(
        momentum, "momentum", example="momentum=0.9 (0 is plain SGD)", minimum=0.0, below=1.0))
    epochs = check_int(epochs, "epochs", example="epochs=100")
    batch_size = check_int(batch_size, "batch_size", example="batch_size=32", allow_none=True)
    record = _check_record(record)
    record_every = check_int(record_every, "record_every", example="record_every=10")
    eval_every = check_int(eval_every, "eval_every", example="eval_every=10")
    max_loss = check_real(max_loss, "max_loss", example="max_loss=1e6", positive=True,
                          allow_none=True)
    verbose = check_bool(verbose, "verbose")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function callback(epoch, model, history), got "
                        f"{callback!r} of type {type(callback).__name__}.")
    train_set = _data(model, X, y, ("X", "y"))
    val_set = None
    if X_val is not None or y_val is not None:
        if X_val is None or y_val is None:
            raise ValueError("Pass both X_val and y_val, or neither; got only "
                             f"{'X_val' if y_val is None else 'y_val'}.")
        val_set = _data(model, X_val, y_val, ("X_val", "y_val"))
    record_data = (train_set[0][:1000], train_set[1][:1000]) if record_data is None else \
        _data(model, *record_data, ("record_data[0]", "record_data[1]"))
    history = _continue_or_start(history, model, val_set is not None)
    shuffle = check_rng(rng)
    recorder = _Recorder(model, history, train_set, val_set, record, record_data, verbose)

    first, last = history.epochs + 1, history.epochs + epochs
    rows = min(batch_size or len(train_set[0]), len(train_set[0]))
    threads = blas_threads_for(rows, [p.shape for p in model.parameters()])
    gradient_steps = _gradient_steps(model)
    with np.errstate(all="ignore"), threads, reusing_buffers():
        if not history.epoch:
            loss = recorder.metrics(0)
            recorder.snapshot(0)
            why = _why_diverged(loss, "the initial training loss is", max_loss)
            if why:
                return recorder.stop(0, why)
        for epoch in range(first, last + 1):
            params = model.parameters()                     # (a callback may replace them)
            gradient_step = gradient_steps(params)
            for Xb, yb in _batches(*train_set, batch_size, shuffle):
                loss, grads = gradient_step(Xb, yb)
                history.step_loss.append(loss)
                why = _why_diverged(loss, "a mini-batch loss became", max_loss)
                if why:
                    return recorder.stop(epoch, why)
                optimizer.step(params, grads)
            if epoch % eval_every == 0 or epoch == last:
                loss = recorder.metrics(epoch)
                why = _why_diverged(loss, "the training loss became", max_loss)
                if not why and not all(np.isfinite(p).all() for p in model.parameters()):
                    why = "a weight became NaN or infinite"   # before the next step shows it
                if why:
                    return recorder.stop(epoch, why)
            if epoch % record_every == 0 or epoch == last:
                recorder.snapshot(epoch)
            if callback is not None and callback(epoch, model, history):
                return recorder.stop(epoch, stopped_by_callback=True)
    return recorder.stop(last)

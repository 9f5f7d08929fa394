"""The explorer's numbers: a setting of its controls, and a run (network, data, training so far).

Nothing here draws. The per-layer statistics are :func:`initlib.layer_stats` (the same
definitions of "saturated" and "dead" as everywhere in the course); the histograms' raw
values and the decision boundary's probabilities come straight from the network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from ..activations import available_activations
from ..data import available_datasets, load_dataset
from ..initializers import available_initializers, get_initializer
from ..mlp import MLP
from ..stats import dead_fraction, layer_stats, saturated_fraction
from .. import train  # the function initlib.train (its module is initlib.training)

__all__ = ["DATASETS", "Settings", "UNIT_OPTIONS", "make_init", "Run", "grid_points",
           "histogram_range", "histogram_values"]

#: Datasets the explorer offers: the classification sets of ``initlib.load_dataset``.
DATASETS = tuple(d for d in available_datasets() if d != "linear")


@dataclass(frozen=True)
class Settings:
    """One setting of the explorer's controls.

    ``depth`` counts hidden layers, each of ``width`` units; the output is a softmax over the
    dataset's classes. The weights of every layer are drawn by ``make_init(init, scale)``:
    ``scale`` multiplies the std of the named rules (a gain) and *is* the std of ``normal``,
    the limit of ``uniform`` and the value of ``constant``. Biases start at zero.
    """

    dataset: str = "moons"
    init: str = "xavier_normal"
    scale: float = 1.0
    activation: str = "tanh"
    depth: int = 3
    width: int = 32
    lr: float = 0.1
    epochs: int = 30
    batch_size: int = 32
    seed: int = 0
    n_samples: int = 300

    def problems(self):
        """What is wrong with this setting, as a list of sentences (empty if it is fine)."""
        out = []
        for what, value, names in (("dataset", self.dataset, DATASETS),
                                   ("initializer", self.init, available_initializers()),
                                   ("activation", self.activation, available_activations())):
            if value not in names:
                out.append(f"{what} {value!r} is not one of {', '.join(names)}")
        for name, low, high in (("depth", 1, 50), ("width", 1, 512), ("epochs", 1, 2000),
                                ("batch_size", 1, 100000), ("n_samples", 20, 5000)):
            v = getattr(self, name)
            if not isinstance(v, Integral) or isinstance(v, bool) or not low <= v <= high:
                out.append(f"{name} must be a whole number from {low} to {high}, received {v!r}")
        if not isinstance(self.lr, Real) or not math.isfinite(self.lr) or not self.lr > 0:
            out.append(f"learning rate must be a finite number > 0 (e.g. 0.1), received {self.lr!r}")
        if not isinstance(self.scale, Real) or not math.isfinite(self.scale) or self.scale < 0:
            out.append(f"scale must be a finite number >= 0 (1 = the initializer as defined), "
                       f"received {self.scale!r}")
        return out

    def label(self):
        """A short description, e.g. ``'he_normal ×2 + relu, 3 × 16'``."""
        if self.init == "normal":
            name = f"N(0, {self.scale:g}²)"
        elif self.init == "uniform":
            name = f"U(±{self.scale:g})"
        elif self.init == "constant":
            name = f"constant {self.scale:g}"
        else:
            name = self.init if self.scale == 1 else f"{self.init} ×{self.scale:g}"
        return f"{name} + {self.activation}, {self.depth} × {self.width}"

    def load_data(self):
        """The dataset of this setting (``digits`` has a fixed size; the others ``n_samples``)."""
        return load_dataset(self.dataset, rng=self.seed,
                            n_samples=None if self.dataset == "digits" else self.n_samples)


#: The simple distributions are drawn in their unit form, so that ``scale`` reads directly:
#: normal → N(0, scale²), uniform → U(−scale, scale), constant → every weight = scale.
UNIT_OPTIONS = {"normal": {"std": 1.0}, "uniform": {"low": -1.0, "high": 1.0}, "constant": {"value": 1.0}}


def make_init(name, scale=1.0):
    """An initializer ``f(shape, rng=...)``: ``scale`` times a draw of the registry's ``name``.

    The variance-scaling rules (``xavier_normal``, ``he_uniform``, ...) and ``orthogonal``
    are drawn as defined, so ``scale`` is a multiplier of their standard deviation (a gain).
    ``normal``, ``uniform`` and ``constant`` are drawn in their unit form (``UNIT_OPTIONS``),
    so ``scale`` is the std of ``normal``, the limit of ``uniform`` and the value of
    ``constant``.

    Examples
    --------
    >>> f = make_init("normal", 0.01)       # N(0, 0.01²): "too small"
    >>> round(float(f((400, 400), rng=0).std()), 4)
    0.01
    >>> g = make_init("he_normal", 0.5)     # half of He's std, sqrt(2 / fan_in)
    >>> round(float(g((400, 400), rng=0).std() / (2 / 400) ** 0.5), 2)
    0.5
    """
    base = get_initializer(name)
    options = UNIT_OPTIONS.get(name, {})
    scale = float(scale)

    def init(shape, *, rng=None):
        return scale * base(shape, rng=rng, **options)

    init.__name__ = name if scale == 1 else f"{name}_x{scale:g}"
    return init


def grid_points(X, n, padding=0.5):
    """An ``n × n`` grid over the data's extent (+ ``padding``), rows from the top (largest x₂) down.

    Returns ``(points, extent)``: points of shape ``(n * n, 2)`` and ``(x1 min, x1 max, x2 min,
    x2 max)``.
    """
    x0 = np.linspace(X[:, 0].min() - padding, X[:, 0].max() + padding, n)
    x1 = np.linspace(X[:, 1].max() + padding, X[:, 1].min() - padding, n)
    g0, g1 = np.meshgrid(x0, x1)
    return np.column_stack([g0.ravel(), g1.ravel()]), (x0[0], x0[-1], x1[-1], x1[0])


def histogram_values(kind, activation, layers):
    """What the histograms show: ReLU activations without their zeros (a spike that hides the rest)."""
    if kind == "act" and activation == "relu":
        return [v[v > 0] for v in layers]
    return layers


def histogram_range(kind, activation, layers):
    """Shared bin range of all layers: the activation's own range, else the data's.

    ``kind`` is ``"act"`` or ``"grad"``. For unbounded values the range ends at the 99.5th
    percentile of ``|values|``: a few outliers would squeeze every layer into one bin.
    """
    if kind == "act" and activation == "tanh":
        return -1.0, 1.0
    if kind == "act" and activation == "sigmoid":
        return 0.0, 1.0
    pooled = np.abs(np.concatenate([np.ravel(v) for v in layers]))
    m = float(np.percentile(pooled, 99.5)) if pooled.size else 0.0
    m = m if m > 0 else (float(pooled.max()) if pooled.size and pooled.max() > 0 else 1.0)
    return (0.0, m) if kind == "act" and activation == "relu" else (-m, m)


class Run:
    """A network, its dataset and its training so far: what the explorer shows.

    Parameters
    ----------
    settings : Settings
        Must have no ``problems()`` (else ``ValueError`` listing them).
    dataset : initlib.Dataset, optional
        Reuse loaded data (the explorer caches it); default ``settings.load_data()``.

    Attributes
    ----------
    net : MLP
    data : Dataset
    history : History or None
        None before the first epoch.
    """

    #: Training examples the views are measured on (the first ones of the training set).
    max_examples = 300

    def __init__(self, settings, dataset=None):
        problems = settings.problems()
        if problems:
            raise ValueError("Cannot build this network: " + "; ".join(problems) + ".")
        self.settings = s = settings
        self.data = dataset if dataset is not None else s.load_data()
        sizes = [self.data.n_features] + [s.width] * s.depth + [self.data.n_classes]
        self.net = MLP(sizes, activation=s.activation, init=make_init(s.init, s.scale),
                       output="softmax", rng=s.seed)
        self.history = None
        self._rng = np.random.default_rng([s.seed, 1])
        d = self.data
        self._initial = (self.net.loss(d.X_train, d.y_train), self.net.loss(d.X_val, d.y_val),
                         self.net.accuracy(d.X_val, d.y_val))

    @property
    def epoch(self):
        """Epochs trained so far."""
        return 0 if self.history is None else self.history.epochs

    @property
    def diverged(self):
        return self.history is not None and self.history.diverged

    def step(self, epochs=1, lr=None, callback=None):
        """Train ``epochs`` more epochs (mini-batch SGD); stops early if the run diverges.

        ``callback(epoch, net, history)`` is passed on to :func:`initlib.train` (called after
        every epoch). Training in chunks gives exactly the same run as in one call.
        """
        if self.diverged:
            return self.history
        d = self.data
        self.history = train(
            self.net, d.X_train, d.y_train, lr=self.settings.lr if lr is None else lr,
            epochs=epochs, batch_size=self.settings.batch_size, rng=self._rng,
            X_val=d.X_val, y_val=d.y_val, history=self.history, callback=callback)
        return self.history

    def curves(self):
        """Per-epoch training cost, validation cost and validation accuracy, from epoch 0."""
        if self.history is None:
            loss, val_loss, val_acc = self._initial
            return [loss], [val_loss], [val_acc]
        h = self.history
        return list(h.loss), list(h.val_loss), list(h.val_accuracy)

    def batch(self):
        """``(X, y)``: the training examples the views are measured on (the first ``max_examples``)."""
        return self.data.X_train[:self.max_examples], self.data.y_train[:self.max_examples]

    def backprop(self):
        """``self.net.backprop`` on the views' batch: the one pass every view is measured from."""
        return self.net.backprop(*self.batch())

    def inside(self, bp=None):
        """Each hidden layer's activations and per-example back-propagated gradients.

        Returns ``(activations, gradients)``: lists with one array ``(batch, width)`` per hidden
        layer; ``gradients[l]`` is the gradient of the example's own loss with respect to
        ``z^{[l+1]}``, that is ``δ^{[l+1]} = ∂J/∂z`` times the batch size (J is the mean).
        ``None, None`` if a value is not finite. ``bp``: a :meth:`backprop` of the network as it
        is now, to reuse (default: one is computed).
        """
        bp = self.backprop() if bp is None else bp
        n = len(bp.activations[0])
        acts = [np.asarray(a) for a in bp.activations[1:-1]]
        grads = [n * np.asarray(g) for g in bp.deltas[:-1]]
        if not all(np.isfinite(v).all() for v in acts + grads):
            return None, None
        return acts, grads

    def stats(self):
        """:func:`initlib.layer_stats` of the network on the batch the views show (all layers)."""
        X, y = self.batch()
        return layer_stats(self.net, X, y)

    def hidden_table(self, bp=None):
        """The explorer's table, one row per hidden layer, from one :meth:`backprop`.

        Columns: mean and std of a, the saturated (tanh, sigmoid) or dead (ReLU, leaky ReLU)
        fraction, the std of the per-example gradient ``∂ℒ/∂z`` (``n × δ``) and the std of W.
        The same numbers as :meth:`stats` (``layer_stats``' definitions, its functions for the
        fractions), without a second pass through the network; ``bp`` as in :meth:`inside`.

        Returns
        -------
        ndarray, shape (hidden layers, 5)
        """
        bp = self.backprop() if bp is None else bp
        n, act = len(bp.activations[0]), self.net.hidden_activations
        rows = []
        with np.errstate(all="ignore"):
            for l in range(len(act)):
                a, z = bp.activations[l + 1], bp.preactivations[l]
                fraction = dead_fraction(z, act[l])
                if math.isnan(fraction):
                    fraction = saturated_fraction(a, act[l])
                rows.append([np.mean(a, dtype=np.float64), np.std(a, dtype=np.float64), fraction,
                             n * float(np.std(bp.deltas[l], dtype=np.float64)),
                             np.std(self.net.weights[l], dtype=np.float64)])
        return np.array(rows, dtype=np.float64).reshape(len(act), 5)

    def table(self, digits=3):
        """The statistics as a text table (``self.stats().table(digits)``)."""
        return self.stats().table(digits)

    def probabilities(self, points):
        """P(class 1) (two classes) or the predicted class (more) at ``points``; None if non-finite."""
        p = self.net.forward(points)
        if not np.isfinite(p).all():
            return None
        return p[:, 1] if p.shape[1] == 2 else np.argmax(p, axis=1)

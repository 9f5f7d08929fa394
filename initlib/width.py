r"""Width and the maximal update parametrization (μP): SP, NTK and μP as a few named settings.

Chapter 10 (:ref:`ch-width-mup`) uses this module. A *parametrization* says, for every
layer, how the initial variance of its weights and its learning rate depend on the width.
Three layers differ (Yang & Hu 2021; Yang et al. 2022, Table 3): the **input** layer
(fan-in fixed by the data, fan-out = the width :math:`n`), the **hidden** layers (both fans
:math:`n`) and the **output** layer (fan-in :math:`n`, fan-out the number of classes).
Biases go with the input layer ("all biases": fan-in 1, fan-out their length).

Everything is written *relative to a base model* of hidden width ``base_width``: with
:math:`r_\text{in} = n_\text{in}/\tilde n_\text{in}` and :math:`r_\text{out} = n_\text{out}/\tilde n_\text{out}`
the ratios of a layer's fans to the same layer's fans in the base model, the initial variance
is :math:`\sigma_w^2/n_\text{in}` times ``init`` and the learning rate is :math:`\eta` times ``lr``:

=========  =========  ===================  =====================  =====================
param.     optimizer  input layer, biases  hidden layers          output layer
=========  =========  ===================  =====================  =====================
SP         any        init 1, lr 1         init 1, lr 1           init 1, lr 1
NTK        SGD        init 1, lr 1         init 1, lr 1/r_in      init 1, lr 1/r_in
NTK        Adam       init 1, lr 1         init 1, lr 1/√r_in     init 1, lr 1/√r_in
μP         SGD        init 1, lr r_out     init 1, lr 1           init 1/r_in, lr 1/r_in
μP         Adam       init 1, lr 1         init 1, lr 1/r_in      init 1/r_in, lr 1/r_in
=========  =========  ===================  =====================  =====================

So μP with Adam has the paper's initial variances :math:`1/n_\text{in}` (input, hidden) and
:math:`1/n_\text{in}^2` (output) and learning rates :math:`1, 1/n_\text{in}, 1/n_\text{in}`, scaled
so that **at the base width every parametrization is SP** (``init`` and ``lr`` all 1): tune
:math:`\eta` on the base model, then transfer it. NTK is the effective form of
:math:`W = w/\sqrt{n_\text{in}}` with :math:`w \sim \mathcal N(0, \sigma_w^2)` trained with one
learning rate: SGD on :math:`w` moves :math:`W` by :math:`\eta/n_\text{in}` times its gradient, Adam
(which ignores the gradient's scale) by :math:`\eta/\sqrt{n_\text{in}}` per entry. The input layer's
fan-in is the data's, the same at every width, so its ``r_in`` is 1.

Every weight is drawn by :func:`initlib.variance_scaling` (through :class:`initlib.MLP`), so
the ``INITLIB_PERTURB_ULP`` switch applies. Biases start at zero.

>>> from initlib import width
>>> p = width.Parametrization("mup", optimizer="adam", base_width=32)
>>> [(s.kind, s.init, s.lr) for s in p.scalings([64, 128, 128, 10])]
[('input', 1.0, 1.0), ('hidden', 1.0, 0.25), ('output', 0.25, 0.25)]
>>> net = p.mlp([64, 128, 128, 10], rng=0)
>>> p.learning_rates(net, lr=0.01)
[0.01, 0.01, 0.0025, 0.01, 0.0025, 0.01]

References
----------
Jacot, Gabriel & Hongler (2018). Neural tangent kernel. NeurIPS.
Kingma & Ba (2015). Adam: a method for stochastic optimization. ICLR.
Yang & Hu (2021). Tensor Programs IV: feature learning in infinite-width neural networks. ICML.
Yang et al. (2022). Tensor Programs V: tuning large neural networks via zero-shot
hyperparameter transfer. arXiv:2203.03466 (Table 3, and the coordinate check).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

import initlib

from ._blas import one_blas_thread
from ._validation import check_int, check_name, check_real

__all__ = [
    "PARAMETRIZATIONS",
    "OPTIMIZERS",
    "FORMULAS",
    "LayerScaling",
    "Parametrization",
    "CoordCheck",
    "coord_check",
    "LRSweep",
    "lr_sweep",
    "log_log_slope",
    "update_ratios",
]

PARAMETRIZATIONS = ("sp", "ntk", "mup")
OPTIMIZERS = ("sgd", "adam")
_KINDS = ("input", "hidden", "output")

# (init factor, weight lr factor, bias lr factor) as functions of (r_in, r_out).
_ONE = (lambda r_in, r_out: 1.0)
_RULES = {
    ("sp", "sgd"): {k: (_ONE, _ONE, _ONE) for k in _KINDS},
    ("sp", "adam"): {k: (_ONE, _ONE, _ONE) for k in _KINDS},
    ("ntk", "sgd"): {
        "input": (_ONE, lambda r_in, r_out: 1 / r_in, _ONE),
        "hidden": (_ONE, lambda r_in, r_out: 1 / r_in, _ONE),
        "output": (_ONE, lambda r_in, r_out: 1 / r_in, _ONE),
    },
    ("ntk", "adam"): {
        "input": (_ONE, lambda r_in, r_out: 1 / math.sqrt(r_in), _ONE),
        "hidden": (_ONE, lambda r_in, r_out: 1 / math.sqrt(r_in), _ONE),
        "output": (_ONE, lambda r_in, r_out: 1 / math.sqrt(r_in), _ONE),
    },
    ("mup", "sgd"): {
        "input": (_ONE, lambda r_in, r_out: r_out, lambda r_in, r_out: r_out),
        "hidden": (_ONE, _ONE, lambda r_in, r_out: r_out),
        "output": (lambda r_in, r_out: 1 / r_in, lambda r_in, r_out: 1 / r_in,
                   lambda r_in, r_out: r_out),
    },
    ("mup", "adam"): {
        "input": (_ONE, _ONE, _ONE),
        "hidden": (_ONE, lambda r_in, r_out: 1 / r_in, _ONE),
        "output": (lambda r_in, r_out: 1 / r_in, lambda r_in, r_out: 1 / r_in, _ONE),
    },
}

#: The width dependence of each entry as the paper writes it (no base model):
#: ``FORMULAS[(parametrization, optimizer)][kind] == (initial variance, learning rate)``.
FORMULAS = {
    ("sp", "sgd"): {k: ("1/fan_in", "1") for k in _KINDS},
    ("sp", "adam"): {k: ("1/fan_in", "1") for k in _KINDS},
    ("ntk", "sgd"): {k: ("1/fan_in", "1/fan_in") for k in _KINDS},
    ("ntk", "adam"): {k: ("1/fan_in", "1/sqrt(fan_in)") for k in _KINDS},
    ("mup", "sgd"): {"input": ("1/fan_in", "fan_out"), "hidden": ("1/fan_in", "1"),
                     "output": ("1/fan_in^2", "1/fan_in")},
    ("mup", "adam"): {"input": ("1/fan_in", "1"), "hidden": ("1/fan_in", "1/fan_in"),
                      "output": ("1/fan_in^2", "1/fan_in")},
}


# ---------------------------------------------------------------------------
# Validation (the public boundary): initlib._validation's checks, one wording
# ---------------------------------------------------------------------------
def _choice(value, kind, choices, example):
    """``value`` in lower case if it names one of ``choices`` (any case), else TypeError/ValueError."""
    if isinstance(value, str) and value.lower() in choices:
        return value.lower()
    check_name(value, kind, choices, f"Pass one of them, e.g. {example}.")   # raises


def _widths(widths):
    example = "widths=[32, 64, 128, 256]"
    if not isinstance(widths, (list, tuple, np.ndarray)):
        raise TypeError(f"widths must be a list of hidden widths, got {widths!r} of type "
                        f"{type(widths).__name__}; e.g. {example}.")
    if len(widths) < 2:
        raise ValueError(f"widths must list at least two hidden widths, got {list(widths)!r}; "
                         f"e.g. {example}.")
    return [check_int(w, "each width", example=example) for w in widths]


def _batch(X, y):
    """Inputs as float64 (batch, n_in) and integer class labels, one per row."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim != 2 or y.shape != (len(X),) or len(X) == 0:
        raise ValueError(f"X must be (batch, n_in) with one integer label in y per row, got "
                         f"X of shape {X.shape} and y of shape {y.shape}.")
    if y.dtype.kind not in "iu" or y.min() < 0:
        raise ValueError(f"y must hold integer class labels 0, 1, ..., got dtype {y.dtype} "
                         f"with values from {y.min()} to {y.max()}.")
    return X, y


def _layer_sizes(layer_sizes):
    if isinstance(layer_sizes, initlib.MLP):
        return tuple(layer_sizes.layer_sizes)
    example = "[64, 128, 128, 10] (input, two hidden layers of width 128, output)"
    if not isinstance(layer_sizes, (list, tuple)):
        raise TypeError(f"layer_sizes must be a list [n_in, n, ..., n, n_out] or an initlib.MLP, "
                        f"got {layer_sizes!r} of type {type(layer_sizes).__name__}; e.g. {example}.")
    if len(layer_sizes) < 3:
        raise ValueError(f"layer_sizes must be a list [n_in, n, ..., n, n_out] with at least one "
                         f"hidden layer, got {list(layer_sizes)!r}; e.g. {example}.")
    return tuple(check_int(n, f"layer_sizes[{i}]", example=example)
                 for i, n in enumerate(layer_sizes))


def _update_ratios(weights, before):
    r""":math:`\lVert W - W_0\rVert_F / \lVert W_0\rVert_F` for each pair of ``weights`` and ``before``."""
    return [np.linalg.norm(W - V) / np.linalg.norm(V) for W, V in zip(weights, before)]


def _experiment(parametrization, widths, n_hidden, X, y, seeds):
    """What :func:`coord_check` and :func:`lr_sweep` share: their checked arguments, the
    layer sizes of the network of each width and the parametrization's optimizer class."""
    if not isinstance(parametrization, Parametrization):
        raise TypeError(f"parametrization must be a width.Parametrization, got "
                        f"{parametrization!r} of type {type(parametrization).__name__}; e.g. "
                        f"width.Parametrization('mup', optimizer='adam', base_width=32).")
    widths = _widths(widths)
    n_hidden = check_int(n_hidden, "n_hidden", example="n_hidden=2")
    X, y = _batch(X, y)
    if len(seeds) < 1:
        raise ValueError("seeds must hold at least one seed, got an empty sequence; e.g. seeds=(0,).")
    n_out = max(int(y.max()) + 1, 2)
    optimizer = {"adam": initlib.Adam, "sgd": initlib.SGD}[parametrization.optimizer]
    return widths, X, y, (lambda n: [X.shape[1]] + [n] * n_hidden + [n_out]), optimizer


# ---------------------------------------------------------------------------
# The parametrizations
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerScaling:
    r"""One layer's place in the table and its factors relative to SP at the base width.

    Attributes
    ----------
    kind : {"input", "hidden", "output"}
    fan_in, fan_out : int
        The layer's fans :math:`n_\text{in}, n_\text{out}`.
    base_fan_in, base_fan_out : int
        The same layer's fans in the base model.
    init : float
        Initial variance relative to SP: :math:`\operatorname{Var}(w) = \sigma_w^2\,\mathrm{init}/n_\text{in}`.
    lr : float
        The weights' learning rate is :math:`\eta \cdot \mathrm{lr}`.
    bias_lr : float
        The bias's learning rate is :math:`\eta \cdot \mathrm{bias\_lr}`.
    """

    kind: str
    fan_in: int
    fan_out: int
    base_fan_in: int
    base_fan_out: int
    init: float
    lr: float
    bias_lr: float


class Parametrization:
    r"""SP, NTK or μP for SGD or Adam, relative to a base width: initial scales and learning rates.

    Parameters
    ----------
    name : {"sp", "ntk", "mup"}
        Standard parametrization (what chapters 3 to 6 teach: :math:`\operatorname{Var}(w)
        \propto 1/n_\text{in}`, one learning rate), the neural-tangent parametrization, or
        the maximal update parametrization.
    optimizer : {"adam", "sgd"}
        The optimizer the learning rates are scaled for (the table differs).
    base_width : int
        Hidden width of the base model, where every parametrization equals SP.

    Examples
    --------
    >>> from initlib import width
    >>> width.Parametrization("mup", optimizer="sgd", base_width=32)
    Parametrization('mup', optimizer='sgd', base_width=32)
    """

    def __init__(self, name, *, optimizer="adam", base_width=32):
        self.name = _choice(name, "parametrization", PARAMETRIZATIONS, "Parametrization('mup')")
        self.optimizer = _choice(optimizer, "optimizer", OPTIMIZERS, "optimizer='adam'")
        self.base_width = check_int(base_width, "base_width", example="base_width=32")

    def __repr__(self):
        return (f"Parametrization({self.name!r}, optimizer={self.optimizer!r}, "
                f"base_width={self.base_width})")

    def scalings(self, layer_sizes):
        """One :class:`LayerScaling` per weight layer of ``layer_sizes`` (or of an MLP).

        The base model has the same input and output sizes and every hidden layer
        ``base_width`` wide.
        """
        sizes = _layer_sizes(layer_sizes)
        base = (sizes[0],) + (self.base_width,) * (len(sizes) - 2) + (sizes[-1],)
        rules = _RULES[(self.name, self.optimizer)]
        out = []
        for l in range(1, len(sizes)):
            kind = "input" if l == 1 else "output" if l == len(sizes) - 1 else "hidden"
            r_in, r_out = sizes[l - 1] / base[l - 1], sizes[l] / base[l]
            init, lr, bias_lr = (float(rule(r_in, r_out)) for rule in rules[kind])
            out.append(LayerScaling(kind, sizes[l - 1], sizes[l], base[l - 1], base[l],
                                    init, lr, bias_lr))
        return out

    def mlp(self, layer_sizes, *, activation="relu", sigma_w2=2.0, output_sigma_w2=1.0,
            rng=None, dtype=np.float64):
        r"""An :class:`initlib.MLP` whose weights follow this parametrization.

        Layer :math:`l` draws :math:`W^{[l]} \sim \mathcal N(0, \sigma_w^2\,\mathrm{init}/n_\text{in})`
        with :func:`initlib.variance_scaling`; biases start at 0.

        Parameters
        ----------
        layer_sizes : list of int
            ``[n_in, n, ..., n, n_out]``, at least one hidden layer.
        activation : str
            Hidden activation (see :class:`initlib.MLP`).
        sigma_w2 : float
            :math:`\sigma_w^2` of the input and hidden layers in SP (2 = He, for ReLU).
        output_sigma_w2 : float
            :math:`\sigma_w^2` of the output layer in SP (1 = LeCun).
        rng : None, int or Generator
            Seed, as for :class:`initlib.MLP`.
        dtype : np.float64 or np.float32
        """
        scalings = self.scalings(layer_sizes)
        sigma_w2 = check_real(sigma_w2, "sigma_w2", example="sigma_w2=2.0", positive=True)
        output_sigma_w2 = check_real(output_sigma_w2, "output_sigma_w2",
                                     example="output_sigma_w2=1.0", positive=True)
        inits = [functools.partial(initlib.variance_scaling, mode="fan_in",
                                   scale=(output_sigma_w2 if s.kind == "output" else sigma_w2)
                                   * s.init)
                 for s in scalings]
        sizes = [scalings[0].fan_in] + [s.fan_out for s in scalings]
        return initlib.MLP(sizes, activation=activation, init=inits, output="softmax",
                           rng=rng, dtype=dtype)

    def learning_rates(self, net, lr):
        """One learning rate per parameter of ``net`` (``[W1, b1, W2, b2, ...]``): ``lr`` times the table's factor.

        Pass the list to :func:`initlib.train` (``lr=``) or to :class:`initlib.optim.Adam`
        / :class:`initlib.optim.SGD`.
        """
        lr = check_real(lr, "lr", example="lr=0.01", positive=True)
        if not isinstance(net, initlib.MLP):
            raise TypeError(f"net must be an initlib.MLP (e.g. from Parametrization.mlp), got "
                            f"{net!r} of type {type(net).__name__}.")
        return [lr * f for s in self.scalings(net) for f in (s.lr, s.bias_lr)]


# ---------------------------------------------------------------------------
# The coordinate check
# ---------------------------------------------------------------------------
def log_log_slope(widths, values):
    r"""Least-squares slope of :math:`\log(\mathrm{values})` against :math:`\log(\mathrm{widths})`.

    A quantity :math:`\propto n^k` has slope :math:`k`: 0 means it stays the same size as the
    network widens.

    >>> round(log_log_slope([32, 64, 128], [1.0, 2.0, 4.0]), 6)
    1.0
    """
    x, v = np.log(np.asarray(widths, dtype=float)), np.log(np.asarray(values, dtype=float))
    if x.shape != v.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"widths and values must be two 1-D sequences of the same length "
                         f">= 2, got shapes {x.shape} and {v.shape}.")
    return float(np.polyfit(x, v, 1)[0])


@dataclass(eq=False)
class CoordCheck:
    r"""The coordinate check's measurements.

    Attributes
    ----------
    parametrization : Parametrization
    widths : list of int
    steps : int
        Optimizer steps taken before measuring.
    delta : ndarray, shape (n_seeds, n_widths, L)
        Mean over the batch and the units of :math:`|z^{[l]}_t - z^{[l]}_0|`, the change of
        each layer's pre-activations (the output layer's: the logits) after ``steps`` steps.
    weight_ratio : ndarray, shape (n_seeds, n_widths, L)
        :math:`\lVert W^{[l]}_t - W^{[l]}_0\rVert_F / \lVert W^{[l]}_0\rVert_F`, the update-to-weight ratio.
    """

    parametrization: Parametrization
    widths: list
    steps: int
    delta: np.ndarray
    weight_ratio: np.ndarray

    @property
    def median_delta(self):
        """Median over seeds of ``delta``, shape (n_widths, L)."""
        return np.median(self.delta, axis=0)

    def slopes(self):
        """Per layer, the log-log slope of the median :math:`|\\Delta z^{[l]}|` against the width."""
        m = self.median_delta
        return np.array([log_log_slope(self.widths, m[:, l]) for l in range(m.shape[1])])


def coord_check(parametrization, widths, X, y, *, lr, steps=3, n_hidden=2, seeds=(0, 1, 2),
                dtype=np.float64):
    r"""Train each width for a few steps on one batch and measure how much every layer moved.

    The *coordinate check* of Yang et al. (2022): for each width :math:`n` and seed, build
    ``parametrization.mlp([n_in] + [n] * n_hidden + [n_out])``, take ``steps`` steps of the
    parametrization's optimizer (its per-layer learning rates, base rate ``lr``) on the
    batch ``(X, y)``, and record the mean :math:`|\Delta z^{[l]}|` of every layer on that batch.
    In a parametrization where every layer learns at a width-independent speed, these
    stay flat as :math:`n` grows (log-log slope 0).

    Parameters
    ----------
    parametrization : Parametrization
    widths : sequence of int
        At least two hidden widths.
    X, y : array_like
        One batch of inputs ``(batch, n_in)`` and integer labels.
    lr : float
        The base learning rate :math:`\eta`.
    steps : int
        Optimizer steps (the same batch each time).
    n_hidden : int
        Number of hidden layers (>= 1; >= 2 to have hidden-to-hidden weights).
    seeds : sequence of int
        One network per seed and width.
    dtype : np.float64 or np.float32
        Precision of the networks and of the step (float32: single precision, as
        deep-learning frameworks train, and faster at large widths).

    Returns
    -------
    CoordCheck
    """
    widths, X, y, sizes, optimizer = _experiment(parametrization, widths, n_hidden, X, y, seeds)
    steps = check_int(steps, "steps", example="steps=3")
    lr = check_real(lr, "lr", example="lr=0.01", positive=True)
    delta = np.empty((len(seeds), len(widths), n_hidden + 1))
    ratio = np.empty_like(delta)
    with one_blas_thread(), np.errstate(all="ignore"):
        for i, seed in enumerate(seeds):
            for j, n in enumerate(widths):
                net = parametrization.mlp(sizes(n), rng=seed, dtype=dtype)
                Xn = X.astype(net.dtype)
                z0 = net.preactivations(Xn)
                W0 = [W.copy() for W in net.weights]
                opt = optimizer(parametrization.learning_rates(net, lr))
                for _ in range(steps):
                    _, grads = net.loss_and_flat_grads(Xn, y)
                    opt.step(net.parameters(), grads)
                zt = net.preactivations(Xn)
                delta[i, j] = [np.mean(np.abs(b - a)) for a, b in zip(z0, zt)]
                ratio[i, j] = _update_ratios(net.weights, W0)
    return CoordCheck(parametrization, widths, steps, delta, ratio)


def update_ratios(net, optimizer, X, y):
    r"""Take one step of ``optimizer`` on ``(X, y)``; return :math:`\lVert\Delta W^{[l]}\rVert_F / \lVert W^{[l]}\rVert_F` per layer.

    The update-to-weight ratio, a diagnostic of whether every layer learns at a sensible
    speed (``net`` is updated in place, as in training).
    """
    if not isinstance(net, initlib.MLP):
        raise TypeError(f"net must be an initlib.MLP, got {type(net).__name__}.")
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"optimizer must be an object with step(params, grads) such as "
                        f"initlib.Adam(lr), got {optimizer!r}.")
    before = [W.copy() for W in net.weights]
    with one_blas_thread(), np.errstate(all="ignore"):
        _, grads = net.loss_and_flat_grads(X, y)
        optimizer.step(net.parameters(), grads)
    return np.array(_update_ratios(net.weights, before))


# ---------------------------------------------------------------------------
# The learning-rate sweep
# ---------------------------------------------------------------------------
@dataclass(eq=False)
class LRSweep:
    r"""Training losses over a grid of widths and learning rates.

    Attributes
    ----------
    parametrization : Parametrization
    widths : list of int
    lrs : ndarray
        The base learning rates :math:`\eta` (the grid).
    loss : ndarray, shape (n_seeds, n_widths, n_lrs)
        The training cost :math:`J` on the whole training set after training; ``inf``
        for a run that diverged (a non-finite loss, or one above ``max_loss``).
    update_ratio : ndarray, shape (n_seeds, n_widths, n_lrs, L)
        Per layer, the median over the steps of the last epoch of the update-to-weight
        ratio :math:`\lVert\Delta W^{[l]}\rVert_F / \lVert W^{[l]}\rVert_F` of one step
        (NaN for a run that diverged).
    """

    parametrization: Parametrization
    widths: list
    lrs: np.ndarray
    loss: np.ndarray
    update_ratio: np.ndarray

    @property
    def median_loss(self):
        """Median over seeds, shape (n_widths, n_lrs); ``inf`` where most seeds diverged."""
        return np.median(self.loss, axis=0)

    @property
    def diverged(self):
        """Number of diverged runs per width and learning rate, shape (n_widths, n_lrs)."""
        return np.sum(~np.isfinite(self.loss), axis=0)

    def best_lr(self):
        """Per width, the grid learning rate with the lowest median loss."""
        return self.lrs[np.argmin(self.median_loss, axis=1)]

    def near_best(self, margin=0.1):
        """Per width, a boolean mask of the learning rates whose median loss is within
        ``(1 + margin)`` times the lowest (the near-ties that another seed could reorder)."""
        m = self.median_loss
        return m <= (1 + margin) * m.min(axis=1, keepdims=True)

    def table(self, margin=0.1):
        """One line per width: the best grid rate, the near-best range, the median cost, divergences.

        Rates are printed as powers of 2 when the grid is one (else with 3 digits); costs with 2
        decimals. Every entry is a grid value, a count or a median rounded to the digits that
        do not depend on the last bits of the arithmetic.
        """
        exponents = np.log2(self.lrs)
        as_power = np.allclose(exponents, np.round(exponents))

        def rate(lr):
            return f"2^{int(round(np.log2(lr)))}" if as_power else f"{lr:.3g}"

        best, near, med = self.best_lr(), self.near_best(margin), self.median_loss
        lines = [f"{'width':>5s} {'best eta':>9s} {f'near-best (within {margin:.0%})':>24s} "
                 f"{'median J at best':>17s} {'diverged runs':>14s}"]
        for j, n in enumerate(self.widths):
            rates = self.lrs[near[j]]
            lines.append(f"{n:5d} {rate(best[j]):>9s} {rate(rates.min()) + ' .. ' + rate(rates.max()):>24s} "
                         f"{med[j].min():17.2f} {int(self.diverged[j].sum()):14d}")
        return "\n".join(lines)

    def plot(self, ax, *, colors=None):
        """Median cost against log2 of the rate, one curve per width, a star at each best rate."""
        colors = colors if colors is not None else [None] * len(self.widths)
        med = self.median_loss
        for j, n in enumerate(self.widths):
            line, = ax.plot(np.log2(self.lrs), med[j], "o-", color=colors[j], label=f"n = {n}")
            k = np.argmin(med[j])
            ax.plot(np.log2(self.lrs[k]), med[j, k], "*", ms=14, color=line.get_color(), mec="black")
        ax.set_yscale("log")
        ax.set_xlabel(r"$\log_2 \eta$ (base learning rate)")
        ax.set_ylabel(f"training cost $J$ (median of {self.loss.shape[0]} seeds)")
        return ax


def _stacked_training(net, lrs, factors, optimizer, X, y, orders, batch_size):
    r"""Train ``len(lrs)`` copies of ``net`` at once, copy ``k`` at the base rate ``lrs[k]``.

    ``X`` has the dtype of ``net``'s parameters, the precision of the training.

    The networks of one width and seed in :func:`lr_sweep` start from the same parameters
    and see the same mini-batches; only the rate differs. So they are trained as one stack
    of arrays, ``(S, ...)`` with ``S = len(lrs)``: one matrix product per layer for all of
    them instead of one per network, each following the path it would follow alone
    (:class:`initlib.MLP`'s ReLU layers and softmax cross-entropy, and the optimizer's
    update written out for a rate per copy). The weights are kept transposed,
    ``WT = W^T`` of shape ``(S, fan_in, fan_out)``, so the forward products read
    contiguous memory, and the optimizer works in place in arrays allocated once (at
    width 256 its arrays are the largest of the step).

    Returns the cost :math:`J` on all of ``X`` per copy (``inf`` where a parameter is not
    finite) and the per-step update-to-weight ratios of the last epoch, ``(S, steps, L)``.
    """
    S, L = len(lrs), net.n_layers
    params = []
    for W, b in zip(net.weights, net.biases):
        params += [np.repeat(W.T[None], S, axis=0), np.repeat(b[None, None], S, axis=0)]
    rates = [(np.asarray(lrs)[:, None, None] * f).astype(X.dtype) for f in factors]  # (S, 1, 1) each
    adam = optimizer is initlib.Adam
    if adam:
        (beta1, beta2), eps = initlib.Adam(1.0).betas, initlib.Adam(1.0).eps
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
    scratch = [(np.empty_like(p), np.empty_like(p)) for p in params]
    t, ratios = 0, []
    for e, order in enumerate(orders):
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            xb, n = X[batch], len(batch)
            a, z = [xb], []
            for l in range(L):                                 # z[l] = a[l-1] W[l]^T + b[l]
                z.append(np.matmul(a[-1], params[2 * l]))
                z[-1] += params[2 * l + 1]
                if l < L - 1:
                    a.append(np.maximum(z[-1], 0))             # ReLU
            delta = np.exp(z[-1] - z[-1].max(axis=-1, keepdims=True))
            delta /= delta.sum(axis=-1, keepdims=True)         # softmax
            delta[:, np.arange(n), y[batch]] -= 1              # dJ/dz[L] = (p - onehot(y)) / n
            delta /= n
            grads = [None] * (2 * L)
            for l in range(L - 1, -1, -1):                     # the chain rule, layer by layer
                grads[2 * l] = np.matmul(np.swapaxes(a[l], -1, -2), delta)   # a[l-1]^T delta
                grads[2 * l + 1] = delta.sum(axis=1, keepdims=True)
                if l > 0:
                    delta = np.matmul(delta, np.swapaxes(params[2 * l], 1, 2)) * (z[l - 1] > 0)
            last_epoch = e == len(orders) - 1
            t += 1
            step_ratios = []
            for i, (theta, g, lr) in enumerate(zip(params, grads, rates)):
                update, work = scratch[i]                      # theta -= update, in place
                if adam:                                       # initlib.Adam's update
                    m[i] *= beta1
                    m[i] += np.multiply(g, 1 - beta1, out=work)          # m = b1 m + (1 - b1) g
                    v[i] *= beta2
                    np.multiply(g, g, out=work)
                    v[i] += np.multiply(work, 1 - beta2, out=work)       # v = b2 v + (1 - b2) g^2
                    np.divide(v[i], 1 - beta2 ** t, out=work)
                    denominator = np.sqrt(work, out=work)
                    denominator += eps                                   # sqrt(v_hat) + eps
                    np.multiply(lr / (1 - beta1 ** t), m[i], out=update)
                    update /= denominator                                # lr m_hat / (...)
                else:                                          # initlib.SGD's (no momentum)
                    np.multiply(g, lr, out=update)
                if last_epoch and i % 2 == 0:                  # ||dW||_F / ||W||_F of a weight
                    step_ratios.append(np.sqrt(np.einsum("kij,kij->k", update, update)
                                               / np.einsum("kij,kij->k", theta, theta)))
                theta -= update
            if last_epoch:
                ratios.append(step_ratios)
    z = X                                                      # the cost on all of X, in place
    for l in range(L):                                         # (these arrays are the largest)
        z = np.matmul(z, params[2 * l])
        z += params[2 * l + 1]
        if l < L - 1:
            np.maximum(z, 0, out=z)
    z -= z.max(axis=-1, keepdims=True)                         # mean cross-entropy per copy
    J = np.mean(np.log(np.exp(z).sum(axis=-1)) - z[:, np.arange(len(X)), y], axis=1)
    finite = np.all([np.isfinite(p).all(axis=(1, 2)) for p in params], axis=0)
    return np.where(finite, J, np.inf), np.transpose(ratios, (2, 0, 1))


def lr_sweep(parametrization, widths, lrs, X, y, *, epochs=1, batch_size=64, n_hidden=2,
             seeds=(0,), max_loss=100.0, dtype=np.float64):
    r"""Train every width at every learning rate with the parametrization's optimizer.

    For each seed, width :math:`n` and base rate :math:`\eta` in ``lrs``: a fresh
    ``parametrization.mlp([n_in] + [n] * n_hidden + [n_out], rng=seed)`` trained for
    ``epochs`` epochs of mini-batches (shuffled by the same ``seed`` at every width and rate,
    so curves differ only by width and rate) with per-layer rates
    ``parametrization.learning_rates(net, eta)``; then the cost :math:`J` on all of ``X``.
    The runs of one seed and width, which differ only in the rate, are trained together as
    one stack of arrays (the same arithmetic, one product per layer for all rates).
    ``dtype=np.float32`` trains in single precision, as deep-learning frameworks do, about
    twice as fast (the initial parameters are drawn in float64 and rounded, as in
    :class:`initlib.MLP`).

    Returns
    -------
    LRSweep
    """
    widths, X, y, sizes, optimizer = _experiment(parametrization, widths, n_hidden, X, y, seeds)
    lrs = np.array([check_real(lr, "each lr", example="lrs=[0.001, 0.01]", positive=True)
                    for lr in lrs])
    epochs = check_int(epochs, "epochs", example="epochs=1")
    batch_size = check_int(batch_size, "batch_size", example="batch_size=64")
    max_loss = check_real(max_loss, "max_loss", example="max_loss=100.0", positive=True)
    loss = np.empty((len(seeds), len(widths), len(lrs)))
    ratio = np.full(loss.shape + (n_hidden + 1,), np.nan)
    with one_blas_thread(), np.errstate(all="ignore"):
        for i, seed in enumerate(seeds):
            orders = [np.random.default_rng([seed, e]).permutation(len(X)) for e in range(epochs)]
            for j, n in enumerate(widths):
                net = parametrization.mlp(sizes(n), rng=seed, dtype=dtype)
                factors = parametrization.learning_rates(net, 1.0)
                J, steps = _stacked_training(net, lrs, factors, optimizer, X.astype(net.weights[0].dtype),
                                             y, orders, batch_size)
                ok = np.isfinite(J) & (J <= max_loss)
                loss[i, j] = np.where(ok, J, np.inf)
                ratio[i, j][ok] = np.median(steps[ok], axis=1)
    return LRSweep(parametrization, widths, lrs, loss, ratio)

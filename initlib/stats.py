r"""Per-layer statistics of activations and gradients, and signal propagation over depth.

Two questions the chapters ask again and again:

1. *Inside a given network, on a given batch*, what do the activations
   :math:`a^{[l]}`, pre-activations :math:`z^{[l]}` and back-propagated
   gradients :math:`\partial J/\partial z^{[l]}` look like in each layer?
   → :func:`layer_stats`.
2. *In a deep random network* (no training) with a given initializer,
   activation and width, how does the spread of the forward signal and of the
   backward gradient change from layer to layer?  → :func:`signal_propagation`.

Both return a small record of numpy arrays, one entry per layer, ready to plot
(``plt.semilogy(s.layer, s.a_std)``) or print (``print(s.table())``). Nothing
here warns about overflow: a diverged network gives ``inf``/``nan`` entries.

Definitions used throughout
---------------------------
saturated
    Fraction of a layer's activation values in the flat part of the
    activation, where its slope is below about 2% of the maximum:
    :math:`|\tanh z| > 0.99` (:math:`|z| > 2.65`) for tanh;
    :math:`\sigma(z) < 0.01` or :math:`> 0.99` (:math:`|z| > 4.6`) for sigmoid.
    ``nan`` for activations that do not saturate (relu, linear, ...).
dead
    Fraction of a layer's *units* whose pre-activation is :math:`\le 0` for
    every example of the batch: a ReLU unit that is zero on the whole batch
    passes no gradient to its weights. For relu and leaky_relu (for leaky ReLU
    such a unit only runs at the small slope); ``nan`` for other activations.
zero_fraction
    Fraction of activation values exactly 0 (for ReLU about 1/2 at a good init).

References
----------
Glorot & Bengio (2010). Understanding the difficulty of training deep feedforward
neural networks. AISTATS (per-layer activation and gradient histograms; chapter 4).
He, Zhang, Ren & Sun (2015). Delving deep into rectifiers. ICCV (variance of ReLU
layers forward and backward; chapter 5).
Poole et al. (2016), Schoenholz et al. (2017): signal propagation in deep random
networks (mean-field theory).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _kernel as kernel
from . import activations
from ._blas import small_matrix_kernel
from ._records import Record, format_number, text_table
from ._validation import (check_dtype, check_int, check_numeric_array, check_real, check_rng,
                          check_layer_sizes)
from .mlp import MLP

__all__ = ["LayerStats", "layer_stats", "SignalPropagation", "signal_propagation",
           "saturated_fraction", "dead_fraction", "scientific", "SATURATION"]

#: Where an activation counts as saturated: tanh where |a| > SATURATION["tanh"],
#: sigmoid where a < SATURATION["sigmoid"] or a > 1 - SATURATION["sigmoid"].
SATURATION = {
    "tanh": 0.99,      # |a| > 0.99
    "sigmoid": 0.01,   # a < 0.01 or a > 0.99
}
_RECTIFIERS = ("relu", "leaky_relu")


def saturated_fraction(a, activation):
    """Fraction of the values ``a`` in the saturated range of ``activation``.

    tanh: :math:`|a| > 0.99`; sigmoid: :math:`a < 0.01` or :math:`a > 0.99`;
    ``nan`` for any other activation (it has no saturation).

    >>> import numpy as np
    >>> from initlib import saturated_fraction
    >>> saturated_fraction(np.tanh(np.array([0.0, 1.0, 3.0, -4.0])), "tanh")
    0.5
    """
    name = getattr(activation, "name", activation)
    a = np.asarray(a)
    with np.errstate(all="ignore"):
        if name == "tanh":
            return float(np.mean(np.abs(a) > 0.99))
        if name == "sigmoid":
            return float(np.mean((a < 0.01) | (a > 0.99)))
    return float("nan")


def dead_fraction(z, activation):
    """Fraction of units (columns of ``z``) with :math:`z \\le 0` for every example (rows).

    Defined for relu and leaky_relu; ``nan`` for other activations.

    >>> import numpy as np
    >>> from initlib import dead_fraction
    >>> dead_fraction(np.array([[-1.0, 2.0], [-3.0, -1.0]]), "relu")
    0.5
    """
    name = getattr(activation, "name", activation)
    if name not in _RECTIFIERS:
        return float("nan")
    z = np.asarray(z)
    with np.errstate(all="ignore"):
        return float(np.mean(np.all(z <= 0, axis=0)))


def _mean_std(x):
    """Mean and standard deviation of every entry, in float64, without warnings."""
    with np.errstate(all="ignore"):
        return float(np.mean(x, dtype=np.float64)), float(np.std(x, dtype=np.float64))


def _format_table(record, columns, digits):
    """Fixed-width text table: one row per layer, one column per statistic."""
    rows = [[str(int(layer))] + [format_number(getattr(record, name)[i], digits) for name in columns]
            for i, layer in enumerate(record.layer)]
    return text_table(["layer"] + columns, rows)


# ---------------------------------------------------------------------------
# Statistics of one network on one batch
# ---------------------------------------------------------------------------
@dataclass(eq=False)
class LayerStats(Record):
    r"""Per-layer statistics of a network on a batch; every array has one entry per layer 1..L.

    Attributes
    ----------
    layer : ndarray of int
        1, ..., L (layer L is the output layer).
    activation : list of str
        The activation of each layer (the output function for layer L).
    a_mean, a_std : ndarray
        Mean and std over the batch and the units of :math:`a^{[l]}`.
    z_mean, z_std : ndarray
        The same for the pre-activations :math:`z^{[l]}`.
    saturated, dead, zero_fraction : ndarray
        See the module docstring; ``nan`` where not defined (and for layer L's
        ``saturated`` and ``dead``).
    W_mean, W_std : ndarray
        Mean and std of the entries of :math:`W^{[l]}`.
    loss : float or None
        Mean loss on the batch (when ``y`` was given).
    grad_z_mean, grad_z_std : ndarray or None
        Mean and std of the deltas :math:`\delta^{[l]} = \partial J/\partial z^{[l]}`
        (when ``y`` was given).
    grad_a_std : ndarray or None
        Std of :math:`\partial J/\partial a^{[l]}`; ``nan`` for layer L.
    grad_W_mean, grad_W_std : ndarray or None
        Mean and std of the entries of :math:`\partial J/\partial W^{[l]}`.
    """

    layer: np.ndarray
    activation: list
    a_mean: np.ndarray
    a_std: np.ndarray
    z_mean: np.ndarray
    z_std: np.ndarray
    saturated: np.ndarray
    dead: np.ndarray
    zero_fraction: np.ndarray
    W_mean: np.ndarray
    W_std: np.ndarray
    loss: float | None = None
    grad_z_mean: np.ndarray | None = None
    grad_z_std: np.ndarray | None = None
    grad_a_std: np.ndarray | None = None
    grad_W_mean: np.ndarray | None = None
    grad_W_std: np.ndarray | None = None

    def table(self, digits=3):
        """A text table, one row per layer, numbers rounded to ``digits`` significant digits."""
        columns = ["a_mean", "a_std", "z_std", "saturated", "dead", "zero_fraction"]
        if self.grad_z_std is not None:
            columns += ["grad_z_std", "grad_W_std"]
        return _format_table(self, columns, digits)

    def __repr__(self):
        return f"LayerStats ({len(self.layer)} layers)\n" + self.table()


@small_matrix_kernel
def layer_stats(net, X, y=None):
    """Statistics of every layer of ``net`` on the batch ``X`` (and gradients if ``y`` is given).

    Parameters
    ----------
    net : MLP
    X : array_like, shape (batch, n0)
    y : array_like, optional
        Targets; with them the gradient statistics are filled in too.

    Returns
    -------
    LayerStats

    Examples
    --------
    >>> import numpy as np
    >>> from initlib import MLP, layer_stats
    >>> net = MLP([10, 50, 50, 2], activation="tanh", init="xavier_normal", rng=0)
    >>> X = np.random.default_rng(1).standard_normal((200, 10))
    >>> s = layer_stats(net, X, np.zeros(200, dtype=int))
    >>> s.a_std.round(2)
    array([0.45, 0.39, 0.17])
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be an initlib.MLP, got {type(net).__name__}.")
    if y is None:
        fp = net.forward_pass(X)
        a, z = fp.activations, fp.preactivations
    else:
        bp = net.backprop(X, y)
        a, z = bp.activations, bp.preactivations
    L = net.n_layers
    names = [act.name for act in net.hidden_activations] + [net.output]
    acts = list(net.hidden_activations) + [None]
    out = {k: np.full(L, np.nan) for k in
           ("a_mean", "a_std", "z_mean", "z_std", "saturated", "dead", "zero_fraction",
            "W_mean", "W_std")}
    for i in range(L):                                  # i = l - 1
        out["a_mean"][i], out["a_std"][i] = _mean_std(a[i + 1])
        out["z_mean"][i], out["z_std"][i] = _mean_std(z[i])
        out["W_mean"][i], out["W_std"][i] = _mean_std(net.weights[i])
        out["zero_fraction"][i] = float(np.mean(a[i + 1] == 0))
        if acts[i] is not None:
            out["saturated"][i] = saturated_fraction(a[i + 1], acts[i])
            out["dead"][i] = dead_fraction(z[i], acts[i])
    stats = LayerStats(layer=np.arange(1, L + 1), activation=names, **out)
    if y is not None:
        stats.loss = bp.loss
        grad = {k: np.full(L, np.nan) for k in
                ("grad_z_mean", "grad_z_std", "grad_a_std", "grad_W_mean", "grad_W_std")}
        for i in range(L):
            grad["grad_z_mean"][i], grad["grad_z_std"][i] = _mean_std(bp.deltas[i])
            grad["grad_W_mean"][i], grad["grad_W_std"][i] = _mean_std(bp.grads[i][0])
            if i + 1 < L:
                grad["grad_a_std"][i] = _mean_std(bp.grad_activations[i + 1])[1]
        for k, v in grad.items():
            setattr(stats, k, v)
    return stats


# ---------------------------------------------------------------------------
# Signal propagation through a deep random network
# ---------------------------------------------------------------------------
@dataclass(eq=False)
class SignalPropagation(Record):
    r"""How the forward signal and the backward gradient spread change with depth.

    Every array has ``depth + 1`` entries, for layers ``0, 1, ..., depth``;
    entry 0 is the input (``nan`` for quantities the input does not have).

    Attributes
    ----------
    layer : ndarray of int
        0, 1, ..., depth.
    width : ndarray of int
        Units per layer, :math:`n^{[l]}`.
    a_mean, a_std : ndarray
        Mean and std of the activations :math:`a^{[l]}` (entry 0: the input).
    z_mean, z_std : ndarray
        Mean and std of the pre-activations :math:`z^{[l]}`.
    grad_std : ndarray
        Std of the back-propagated gradient :math:`\partial J/\partial a^{[l]}`
        (entry ``depth`` is the unit-variance noise injected at the top,
        entry 0 the gradient that reaches the input).
    grad_z_std : ndarray
        Std of :math:`\partial J/\partial z^{[l]}`.
    saturated, zero_fraction : ndarray
        As in :class:`LayerStats`.
    init, activation : str
        What was propagated.
    """

    layer: np.ndarray
    width: np.ndarray
    a_mean: np.ndarray
    a_std: np.ndarray
    z_mean: np.ndarray
    z_std: np.ndarray
    grad_std: np.ndarray
    grad_z_std: np.ndarray
    saturated: np.ndarray
    zero_fraction: np.ndarray
    init: str = ""
    activation: str = ""

    @property
    def a_var(self):
        """Variance of the activations, ``a_std ** 2``."""
        return self.a_std ** 2

    @property
    def grad_var(self):
        """Variance of the back-propagated gradient, ``grad_std ** 2``."""
        return self.grad_std ** 2

    def table(self, digits=3, every=1):
        """A text table, one row per ``every`` layers (and the last), rounded."""
        columns = ["a_mean", "a_std", "z_std", "grad_std", "saturated", "zero_fraction"]
        keep = np.unique(np.r_[np.arange(0, len(self.layer), every), len(self.layer) - 1])
        sub = SignalPropagation(**{k: (v[keep] if isinstance(v, np.ndarray) else v)
                                   for k, v in self.as_dict().items()})
        return _format_table(sub, columns, digits)

    def __repr__(self):
        every = max(1, (len(self.layer) - 1) // 10)
        return (f"SignalPropagation(init={self.init!r}, activation={self.activation!r}, "
                f"depth={len(self.layer) - 1})\n" + self.table(every=every))


def _layer_widths(width, depth):
    """``[n0, ..., n_depth]`` from one width and a depth, or from a list of widths."""
    if isinstance(width, (list, tuple, np.ndarray)):
        widths = list(check_layer_sizes(width, "width"))
        if depth is not None and depth != len(widths) - 1:
            raise ValueError(
                f"width lists {len(widths)} layer sizes (depth {len(widths) - 1}) but "
                f"got depth={depth!r}; give depth=None or a list of depth + 1 sizes.")
        return widths
    if depth is None:
        raise ValueError("signal_propagation needs depth= (the number of layers), got none; "
                         "e.g. depth=50.")
    depth = check_int(depth, "depth", example="depth=50")
    return [check_int(width, "width", example="width=256")] * (depth + 1)


@small_matrix_kernel
def signal_propagation(init, activation, *, width, depth=None, n_samples=512, rng=0,
                       input_std=1.0, X=None, bias=0.0, dtype=np.float64):
    r"""Push a batch through a deep random network and a random gradient back; measure each layer.

    Forward: :math:`a^{[0]} = X \sim N(0, \mathrm{input\_std}^2)` of shape
    ``(n_samples, width)``, then for :math:`l = 1..\mathrm{depth}`:
    :math:`z^{[l]} = a^{[l-1]} W^{[l]\top} + b`, :math:`a^{[l]} = f(z^{[l]})`, with
    every :math:`W^{[l]}` drawn by ``init`` (no output layer, no training).

    Backward: the gradient a loss would send into the top layer is replaced
    by standard normal noise, :math:`g^{[\mathrm{depth}]} \sim N(0, 1)`, and
    pulled down with the chain rule,
    :math:`\partial J/\partial z^{[l]} = g^{[l]} \odot f'(z^{[l]})`,
    :math:`g^{[l-1]} = (\partial J/\partial z^{[l]})\, W^{[l]}`. So ``grad_std``
    shows only what the layers do to a gradient, whatever the loss.

    The weights come from the same per-layer random streams as in
    :class:`MLP` (``rng.spawn(depth)``), so the forward pass matches
    ``MLP([width] * (depth + 1), activation=activation, init=init, rng=rng)``
    up to its output layer.

    Parameters
    ----------
    init : str, callable, number or ndarray
        As ``init`` of :class:`MLP` (one spec for every layer, or a list).
    activation : str or Activation
        Applied in every layer.
    width : int or sequence of int
        Units per layer; a sequence ``[n0, n1, ..., n_depth]`` gives each
        layer's width (then ``depth`` may be omitted).
    depth : int
        Number of layers (weight matrices).
    n_samples : int
        Batch size of the random input (default 512). Memory is about
        ``depth * n_samples * width`` numbers.
    rng : None, int or Generator
        Seed for the weights, the input and the injected gradient (default 0).
    input_std : float
        Std of the Gaussian input (ignored when ``X`` is given).
    X : array_like, optional
        Use this input batch instead, shape ``(n_samples, n0)``.
    bias : float
        Every bias (default 0, as the initializers of the course assume).
    dtype : {np.float64, np.float32}

    Returns
    -------
    SignalPropagation

    Examples
    --------
    >>> from initlib import signal_propagation
    >>> s = signal_propagation("xavier_normal", "relu", width=256, depth=20)
    >>> round(float(s.a_std[20] / s.a_std[10]), 3) < 0.1   # Xavier + ReLU: the signal shrinks
    True
    >>> s = signal_propagation("he_normal", "relu", width=256, depth=20)
    >>> 0.5 < float(s.a_std[20] / s.a_std[1]) < 2           # He + ReLU: it does not
    True
    """
    act = activations.get_activation(activation)
    widths = _layer_widths(width, depth)
    depth = len(widths) - 1
    n_samples = check_int(n_samples, "n_samples", example="n_samples=512")
    input_std = check_real(input_std, "input_std", example="input_std=1.0", positive=True)
    bias = check_real(bias, "bias", example="bias=0.0")
    dtype = check_dtype(dtype)
    rng = check_rng(rng)
    streams = kernel.layer_streams(rng, depth)                # the weights: as in MLP
    data_rng, grad_rng = rng.spawn(2)                          # the input and the top gradient
    inits = kernel.per_layer(init, depth, "init")
    weights = [kernel.make_parameter(inits[l - 1], (widths[l], widths[l - 1]), streams[l - 1][0],
                                     dtype, f"init for layer {l}") for l in range(1, depth + 1)]
    if X is None:
        X = (input_std * data_rng.standard_normal((n_samples, widths[0]))).astype(dtype)
    else:
        X = check_numeric_array(X, "X").astype(dtype)
        if X.ndim != 2 or X.shape[1] != widths[0]:
            raise ValueError(f"X must have shape (n_samples, {widths[0]}), got {X.shape}.")
        n_samples = X.shape[0]

    nan = np.full(depth + 1, np.nan)
    a_mean, a_std, z_mean, z_std = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    grad_std, grad_z_std, saturated, zero_fraction = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    with np.errstate(all="ignore"):
        a, z = kernel.forward(X, weights, [bias or None] * depth, [act.forward] * depth)
        a_mean[0], a_std[0] = _mean_std(a[0])
        for l in range(1, depth + 1):
            a_mean[l], a_std[l] = _mean_std(a[l])
            z_mean[l], z_std[l] = _mean_std(z[l - 1])
            saturated[l] = saturated_fraction(a[l], act)
            zero_fraction[l] = float(np.mean(a[l] == 0))

        def slope(l):                                         # f'(z[l]); unknown where z overflowed
            fprime = act.derivative(z[l - 1], a[l])
            if not np.isfinite(z_std[l]):
                fprime = np.where(np.isfinite(z[l - 1]), fprime, np.nan)
            return fprime

        g = grad_rng.standard_normal((n_samples, widths[-1])).astype(dtype)  # dJ/da[depth]
        grad_std[depth] = _mean_std(g)[1]
        _, deltas, grad_activations = kernel.backward(g * slope(depth), weights, a, slope,
                                                      grads=False, keep=True)
        for l in range(1, depth + 1):
            grad_z_std[l] = _mean_std(deltas[l - 1])[1]           # delta[l] = dJ/dz[l]
            grad_std[l - 1] = _mean_std(grad_activations[l - 1])[1]   # dJ/da[l-1]
    return SignalPropagation(
        layer=np.arange(depth + 1), width=np.array(widths), a_mean=a_mean, a_std=a_std,
        z_mean=z_mean, z_std=z_std, grad_std=grad_std, grad_z_std=grad_z_std,
        saturated=saturated, zero_fraction=zero_fraction,
        init=init if isinstance(init, str) else "custom", activation=act.name,
    )


def fraction_label(activation):
    """What :func:`saturated_fraction` or :func:`dead_fraction` counts for ``activation``, in words.

    For table headers and legends (the explorer's table uses it), so that the thresholds are
    written down in this module only. ``None`` for an activation that has neither.

    >>> fraction_label("tanh"), fraction_label("relu")
    ('saturated (|a| > 0.99)', 'dead units (z ≤ 0 on every example)')
    """
    name = getattr(activation, "name", activation)
    if name == "tanh":
        return f"saturated (|a| > {SATURATION['tanh']:g})"
    if name == "sigmoid":
        low = SATURATION["sigmoid"]
        return f"saturated (a < {low:g} or a > {1 - low:g})"
    if name in _RECTIFIERS:
        return "dead units (z ≤ 0 on every example)"
    return None


_SUPERSCRIPT_DIGITS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific(x, digits=0):
    """``x`` as text in scientific notation for the prose, e.g. ``"2 × 10⁻⁵"``.

    The chapters glue very small or very large measured numbers into their text with it
    (``glue("name", initlib.scientific(value), display=False)``). ``digits`` is the number
    of digits after the mantissa's decimal point: only the digits an experiment determines.

    >>> scientific(2.18e-05), scientific(0.00318, digits=1), scientific(-4.0e7)
    ('2 × 10⁻⁵', '3.2 × 10⁻³', '-4 × 10⁷')
    """
    x = check_real(x, "x", example="scientific(2.18e-05)")
    digits = check_int(digits, "digits", minimum=0, example="digits=1")
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    return f"{mantissa} × 10" + str(int(exponent)).translate(_SUPERSCRIPT_DIGITS)


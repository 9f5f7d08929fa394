"""The course's recurring figures, with one colour per initializer.

Every chapter draws the same few kinds of figure; they live here so that they look the
same everywhere and the notebooks show the experiment, not the plotting code.

==========================  ============================================================
``color_for(name)``         the colour of an initializer, the same on every page
``layer_histograms``        one density per layer (Glorot & Bengio 2010, figures 3 to 7)
``std_over_depth``          std of each layer's values against depth, on a log scale
``loss_curves``             training cost per epoch; a diverged run ends with an ×
``decision_boundary``       class regions of a 2-D classifier, with the data on top
``heatmap``                 a grid of numbers, e.g. accuracy per initializer × activation
==========================  ============================================================

The functions draw on the ``ax`` (or ``axes``) they are given and return it; only
``layer_histograms`` makes its own figure when given none, and returns the ``Figure``.
None of them calls ``plt.show()``: the notebook does, at the end of its plot cell.

Colours
-------
The palette is Okabe & Ito's (2008), chosen to stay distinguishable for readers with the
common forms of colour blindness. Aliases share a colour: ``xavier_normal``,
``glorot_uniform`` and "Xavier" are all the same blue; ``he_normal`` and ``kaiming_uniform``
the same green. Labels the table does not know get a colour from a second, fixed list,
picked by a hash of the label, so they too are the same on every run.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import matplotlib.pyplot as plt
>>> from initlib import plots
>>> plots.color_for("glorot_uniform") == plots.color_for("Xavier (normal)")
True
>>> fig, ax = plt.subplots()
>>> ax = plots.std_over_depth(ax, {"xavier_normal": [1.0, 0.9, 0.8], "too small": [0.1, 0.01, 0.001]})
>>> plt.close(fig)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import colors as mcolors
from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.ticker import LogFormatterSciNotation, LogLocator, MaxNLocator

from ._validation import check_int

__all__ = [
    "OKABE_ITO",
    "INIT_COLORS",
    "CLASS_COLORS",
    "color_for",
    "canonical_init",
    "layer_histograms",
    "std_over_depth",
    "loss_curves",
    "decision_boundary",
    "heatmap",
]

#: Okabe & Ito (2008), "Color Universal Design": eight colours plus grey that stay
#: distinct under the common colour-vision deficiencies.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}

#: One colour per family of initializer, used by every figure of the book.
INIT_COLORS = {
    "zeros": OKABE_ITO["grey"],
    "constant": OKABE_ITO["black"],  # ones, constant(c): symmetric, like zeros
    "normal": OKABE_ITO["sky_blue"],  # a fixed small std: N(0, 0.01²), "too small"
    "too_large": OKABE_ITO["vermillion"],  # a fixed large std: "too large"
    "uniform": OKABE_ITO["yellow"],
    "lecun": OKABE_ITO["orange"],  # Var = 1/fan_in
    "xavier": OKABE_ITO["blue"],  # Var = 2/(fan_in + fan_out), a.k.a. Glorot
    "he": OKABE_ITO["bluish_green"],  # Var = 2/fan_in, a.k.a. Kaiming
    "orthogonal": OKABE_ITO["reddish_purple"],
    "lsuv": "#8C564B",  # brown: data-driven rescaling (Mishkin & Matas 2016)
}

#: Colours for labels outside the table (picked by a stable hash of the label). No greens or
#: blues, which would pass for He or Xavier; pass ``colors=`` where labels must differ.
_FALLBACK_COLORS = ("#7F3C8D", "#E73F74", "#6F4E7C", "#A0522D", "#B8860B")

#: Class colours for decision boundaries (class 0, 1, 2, ...).
CLASS_COLORS = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["orange"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
    OKABE_ITO["grey"],
    "#8C564B",
)

# Which words in a label name which family; checked in this order, first match wins,
# so "xavier_normal" is Xavier (not "normal") and "he_uniform" is He (not "uniform").
_FAMILY_WORDS = (
    ("xavier", ("xavier", "glorot")),
    ("he", ("he", "kaiming")),
    ("lecun", ("lecun",)),
    ("orthogonal", ("orthogonal", "orth")),
    ("lsuv", ("lsuv",)),
    ("zeros", ("zeros", "zero")),
    ("constant", ("ones", "one", "constant", "const")),
    ("too_large", ("large", "big", "huge")),
    ("normal", ("normal", "small", "gaussian", "randn")),
    ("uniform", ("uniform",)),
)


def canonical_init(name):
    """The initializer family a label belongs to, or ``None`` if it names none.

    Matching is by whole words, case-insensitive: ``"he_normal"``, ``"He (ReLU)"`` and
    ``"kaiming_uniform"`` are ``"he"``; ``"glorot_uniform"`` and ``"Xavier"`` are ``"xavier"``;
    ``"too small"`` and ``"normal"`` are ``"normal"``; ``"too large"`` is ``"too_large"``.

    Examples
    --------
    >>> canonical_init("Glorot uniform"), canonical_init("kaiming_normal"), canonical_init("mine")
    ('xavier', 'he', None)
    """
    if not isinstance(name, str):
        raise TypeError(
            f"an initializer label must be a str, got {name!r} of type {type(name).__name__}; "
            "pass the name used in the legend, e.g. 'he_normal'"
        )
    words = set(re.split(r"[^a-z0-9]+", name.lower()))
    for family, aliases in _FAMILY_WORDS:
        if words.intersection(aliases):
            return family
    return None


def color_for(name):
    """The colour of an initializer, the same in every figure of the book.

    Parameters
    ----------
    name : str
        A registry name (``"he_normal"``) or a legend label (``"Xavier (uniform)"``,
        ``"too small"``). Aliases share a colour (see ``INIT_COLORS`` and ``canonical_init``).

    Returns
    -------
    str
        A hex colour. Labels of no known family get one from a fixed fallback list,
        chosen by an MD5 hash of the label: the same label, the same colour, on every run.

    Examples
    --------
    >>> color_for("xavier_normal") == color_for("glorot_uniform") == INIT_COLORS["xavier"]
    True
    >>> color_for("my init") == color_for("my init")
    True
    """
    family = canonical_init(name)
    if family is not None:
        return INIT_COLORS[family]
    digest = hashlib.md5(name.encode("utf-8")).digest()
    return _FALLBACK_COLORS[digest[0] % len(_FALLBACK_COLORS)]


# --------------------------------------------------------------------------- helpers


def _check_ax(ax, function):
    if not isinstance(ax, Axes):
        raise TypeError(
            f"{function}() needs a matplotlib Axes as `ax`, got {type(ax).__name__}; "
            "make one with `fig, ax = plt.subplots()`"
        )


def _as_finite_1d(values, what, hint):
    try:
        arr = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be numbers, got {type(values).__name__}") from exc
    if arr.size == 0:
        raise ValueError(f"{what} is empty; expected at least one value")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(
            f"{what} has {int(bad.sum())} non-finite value(s) (nan or inf) out of {arr.size}; "
            f"{hint}"
        )
    return arr


def _shade(color, fraction):
    """``color`` mixed with white: ``fraction`` 1 is the colour itself, 0 is white."""
    rgb = np.array(mcolors.to_rgb(color))
    return tuple(1.0 - fraction * (1.0 - rgb))


def _check_mapping(series, function, example):
    if not isinstance(series, Mapping) or len(series) == 0:
        raise TypeError(
            f"{function}() needs a non-empty dict {{label: values}}, got "
            f"{type(series).__name__}; e.g. {example}"
        )


# --------------------------------------------------------------------------- figures


def layer_histograms(
    values_per_layer,
    *,
    axes=None,
    bins=50,
    range=None,
    labels=None,
    color=None,
    title=None,
    xlabel=r"activation value $a^{[l]}$",
):
    """One normalized histogram per layer, as in Glorot & Bengio (2010), figures 3 to 7.

    Each layer's values are binned into a density (area 1) drawn as a line, so that
    layers with different numbers of units compare directly. Use it for activations and
    for backpropagated gradients alike (set ``xlabel``).

    Parameters
    ----------
    values_per_layer : sequence of array_like, or dict {label: array_like}
        The values of each layer, in order from the input side; any shape, flattened.
    axes : Axes, sequence of Axes, or None
        One Axes: all layers overlaid on it (the paper's layout). A sequence with one
        Axes per layer: one layer per panel (stacked). None: a new figure with one Axes.
    bins : int
        Number of bins, shared by all layers.
    range : (float, float) or None
        Lower and upper edge of the bins; by default the smallest and largest value
        over all layers, so the layers share their bins.
    labels : sequence of str, optional
        Legend labels; default ``"layer 1"``, ``"layer 2"``, ... (or the dict's keys).
    color : colour, optional
        A base colour (e.g. ``color_for("xavier")``): layers are drawn from a light shade
        of it (layer 1) to the full colour (last layer). Default: the viridis colormap.
    title : str, optional
        Title of the figure (of the first panel when stacked).
    xlabel : str
        Label of the x axis, e.g. ``r"backpropagated gradient $\\partial L/\\partial z^{[l]}$"``.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (``axes``' figure when given).

    Raises
    ------
    ValueError
        If a layer is empty or has non-finite values (a diverged network), if ``labels``
        or ``axes`` do not have one entry per layer, or if ``bins``/``range`` are invalid.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> fig = layer_histograms([np.tanh(rng.normal(0, s, 1000)) for s in (2.0, 1.0, 0.5)],
    ...                        range=(-1, 1), title="tanh saturates in the first layer")
    """
    if isinstance(values_per_layer, Mapping):
        if labels is None:
            labels = [str(k) for k in values_per_layer]
        values_per_layer = list(values_per_layer.values())
    if isinstance(values_per_layer, np.ndarray) and values_per_layer.ndim >= 1:
        values_per_layer = list(values_per_layer)
    if not isinstance(values_per_layer, Sequence) or len(values_per_layer) == 0:
        raise ValueError(
            "layer_histograms() needs one array per layer, got "
            f"{type(values_per_layer).__name__} of length "
            f"{len(values_per_layer) if hasattr(values_per_layer, '__len__') else '?'}; "
            "pass e.g. net.activations(X)[1:]"
        )
    layers = [
        _as_finite_1d(
            v,
            f"layer {i + 1}",
            "the network has probably diverged: plot an earlier epoch or use a smaller scale",
        )
        for i, v in enumerate(values_per_layer)
    ]
    n = len(layers)
    if labels is None:
        labels = [f"layer {i + 1}" for i in np.arange(n)]
    labels = list(labels)
    if len(labels) != n:
        raise ValueError(f"got {len(labels)} labels for {n} layers; pass one label per layer")
    bins = check_int(bins, "bins", example="bins=50")
    if range is None:
        lo = min(float(v.min()) for v in layers)
        hi = max(float(v.max()) for v in layers)
        if hi - lo < 1e-12 * max(1.0, abs(lo), abs(hi)):  # all values equal, e.g. zero init
            lo, hi = lo - 0.5, hi + 0.5
        range = (lo, hi)
    else:
        try:
            lo, hi = (float(r) for r in range)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"range must be (low, high), got {range!r}") from exc
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"range must be finite with low < high, got {range!r}")
        range = (lo, hi)

    if axes is None:
        fig, ax_list = plt.subplots(figsize=(6, 3.5), layout="constrained")
        ax_list = [ax_list]
    elif isinstance(axes, Axes):
        ax_list = [axes]
    else:
        ax_list = list(np.ravel(axes))
        if len(ax_list) != n or not all(isinstance(a, Axes) for a in ax_list):
            raise ValueError(
                f"axes must be one Axes or one Axes per layer: got {len(ax_list)} for "
                f"{n} layers; e.g. fig, axes = plt.subplots({n}, 1, sharex=True)"
            )
    fig = ax_list[0].figure
    overlay = len(ax_list) == 1

    cmap = plt.get_cmap("viridis")
    for i, (values, label) in enumerate(zip(layers, labels)):
        t = 1.0 if n == 1 else i / (n - 1)
        c = cmap(0.9 * t) if color is None else _shade(color, 0.3 + 0.7 * t)
        density, edges = np.histogram(values, bins=bins, range=range, density=True)
        centers = 0.5 * (edges[:-1] + edges[1:])
        ax = ax_list[0] if overlay else ax_list[i]
        ax.plot(centers, density, color=c, label=label, lw=1.5)
        if not overlay:
            ax.set_ylabel("density")
            ax.legend(loc="upper right", fontsize="small", frameon=False)
    for ax in ax_list:
        ax.set_xlim(*range)
    ax_list[-1].set_xlabel(xlabel)
    if overlay:
        ax_list[0].set_ylabel("density")
        ax_list[0].legend(fontsize="small", frameon=False)
    if title is not None:
        ax_list[0].set_title(title)
    return fig


_SUPERSCRIPT = str.maketrans("0123456789-\N{MINUS SIGN}", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻")
_MATHTEXT_POWER = re.compile(r"\$\\mathdefault\{(-?)(?:([0-9.]+)\\times)?([0-9.]+)\^\{(-?[0-9]+)\}\}\$")


class _PlainLogFormatter(LogFormatterSciNotation):
    """matplotlib's log-axis tick labels as plain text: ``10⁻³``, ``2×10⁻¹``.

    The default formatter writes each label as mathtext (``$\\mathdefault{10^{-3}}$``),
    which matplotlib parses again for every new figure and renderer: about a quarter of
    the drawing time of a small log-scale plot. Unicode superscripts look the same and
    need no parsing. Labels of any other form are passed through unchanged.
    """

    def __call__(self, x, pos=None):
        label = super().__call__(x, pos)
        match = _MATHTEXT_POWER.fullmatch(label)
        if match is None:
            return label
        sign, coeff, base, exponent = match.groups()
        return f"{sign}{coeff + '×' if coeff else ''}{base}{exponent.translate(_SUPERSCRIPT)}"


class _FewDecadesMinorLocator(LogLocator):
    """matplotlib's minor log ticks (2, 3, ..., 9 times each power of 10), on axes that span
    at most ``max_decades`` decades; none on wider ones.

    On a short log axis the minor ticks carry the only labels between two powers of 10;
    on an axis spanning many decades they are dozens of unlabelled marks, and creating and
    placing them is the largest part of drawing such a plot (matplotlib itself drops them
    beyond 10 decades).
    """

    def __init__(self, max_decades=3):
        super().__init__(subs="auto")
        self.max_decades = max_decades

    def tick_values(self, vmin, vmax):
        if vmin > 0 and vmax > 0 and abs(np.log10(vmax / vmin)) > self.max_decades:
            return np.array([])
        return super().tick_values(vmin, vmax)


def _log_y(ax):
    """A log-scale y axis: plain-text tick labels, minor ticks only on short axes."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(_PlainLogFormatter())
    ax.yaxis.set_minor_locator(_FewDecadesMinorLocator())
    ax.yaxis.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False))


def _finish_axes(ax, *, logy, xlabel, ylabel):
    """Shared last touches of the line plots: log y if asked, integer x ticks, labels, legend."""
    if logy:
        _log_y(ax)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small", frameon=False)
    return ax


def std_over_depth(ax, stds, *, logy=True, expected=None, ylabel=r"std of $a^{[l]}$", colors=None):
    """Standard deviation of each layer's values against depth, one line per setting.

    Parameters
    ----------
    ax : matplotlib Axes
    stds : dict {label: sequence of float}
        For each setting (e.g. an initializer name), the std at layers 1, 2, ..., L.
        Lines take ``color_for(label)``.
    logy : bool
        Log-scale y axis (default): a constant factor per layer is then a straight line.
    expected : sequence of float, or dict {label: sequence of float}, optional
        A predicted curve, drawn dashed: one for all (black) or one per label (its colour).
    ylabel : str
        y-axis label; e.g. ``r"std of $\\partial L/\\partial z^{[l]}$"`` for gradients.
    colors : dict {label: colour}, optional
        Colours for labels that are not initializer names (e.g. ``"σ√n = 0.8"``);
        labels left out take ``color_for(label)``.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If a curve is empty, has non-finite values, or (with ``logy``) a zero or negative
        std, which a log axis cannot show.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> ax = std_over_depth(ax, {"he_normal": [1.0, 1.0, 1.0], "xavier_normal": [0.7, 0.5, 0.35]},
    ...                     expected={"xavier_normal": [0.71, 0.5, 0.35]})
    >>> plt.close(fig)
    """
    _check_ax(ax, "std_over_depth")
    _check_mapping(stds, "std_over_depth", "{'he_normal': [1.0, 0.98, 1.01]}")
    colors = {} if colors is None else dict(colors)

    def _color(label):
        return colors.get(label, color_for(str(label)))

    def _curve(label, values, what):
        arr = _as_finite_1d(
            values,
            f"{what} for {label!r}",
            "the signal overflowed: reduce the depth or the scale, or plot fewer layers",
        )
        if logy and (arr <= 0).any():
            k = int(np.argmax(arr <= 0)) + 1
            raise ValueError(
                f"{what} for {label!r} is {float(arr[k - 1])!r} at layer {k}, which a log axis cannot "
                "show; pass logy=False (e.g. for zero initialization)"
            )
        return arr

    for label, values in stds.items():
        arr = _curve(label, values, "std")
        depth = np.arange(1, arr.size + 1)
        ax.plot(depth, arr, "o-", ms=3, color=_color(label), label=str(label))
    if expected is not None:
        if isinstance(expected, Mapping):
            for label, values in expected.items():
                arr = _curve(label, values, "expected std")
                ax.plot(
                    np.arange(1, arr.size + 1), arr, "--", color=_color(label),
                    label=f"{label} (predicted)",
                )
        else:
            arr = _curve("all", expected, "expected std")
            ax.plot(np.arange(1, arr.size + 1), arr, "k--", label="predicted")
    return _finish_axes(ax, logy=logy, xlabel="layer $l$", ylabel=ylabel)


def _loss_series(label, run):
    """(epochs, loss, diverged_at or None) from a History-like object or an array.

    A History gives its own ``epoch`` list (``epoch[0] == 0`` is the loss at initialization);
    an array's entry ``i`` is the loss after epoch ``i`` (entry 0: before training).
    """
    if hasattr(run, "loss"):
        loss = np.asarray(run.loss, dtype=np.float64).ravel()
        at = getattr(run, "diverged_at", None) if getattr(run, "diverged", False) else None
        epochs = getattr(run, "epoch", None)
    else:
        try:
            loss = np.asarray(run, dtype=np.float64).ravel()
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"loss_curves(): {label!r} must be a History (with .loss) or an array of "
                f"losses, got {type(run).__name__}"
            ) from exc
        at, epochs = None, None
    if loss.size == 0:
        raise ValueError(f"loss_curves(): the run {label!r} has no epochs; train for at least one")
    epochs = np.arange(loss.size) if epochs is None or len(epochs) != loss.size else np.asarray(epochs)
    bad = ~np.isfinite(loss)
    if bad.any() and at is None:
        at = int(epochs[np.argmax(bad)])
    return epochs, loss, at


def loss_curves(ax, runs, *, logy=False, show_val=True, ylabel="training cost $J$"):
    """Training cost per epoch for several runs; a run that diverged ends with an ×.

    Parameters
    ----------
    ax : matplotlib Axes
    runs : dict {label: History or sequence of float}
        A ``History`` (uses ``.epoch``, ``.loss``, ``.diverged``, ``.diverged_at`` and, if
        present and ``show_val``, ``.val_loss`` drawn dashed) or a plain array of losses whose
        entry ``i`` is the loss after epoch ``i`` (entry 0: at initialization, as in a
        History); an array diverged where it first becomes nan or inf. Lines take
        ``color_for(label)``.
    logy : bool
        Log-scale y axis.
    show_val : bool
        Also draw the validation cost of a History, dashed, when it has one.
    ylabel : str

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> ax = loss_curves(ax, {"he_normal": [0.7, 0.4, 0.2], "too large": [0.7, 5.0, float("inf")]})
    >>> plt.close(fig)
    """
    _check_ax(ax, "loss_curves")
    _check_mapping(runs, "loss_curves", "{'he_normal': history}")
    any_diverged = False
    for label, run in runs.items():
        label = str(label)
        epochs, loss, at = _loss_series(label, run)
        c = color_for(label)
        finite = np.isfinite(loss)
        if logy:
            finite &= loss > 0
        ax.plot(epochs[finite], loss[finite], "-", color=c, label=label)
        if show_val and getattr(run, "val_loss", None) is not None and len(run.val_loss):
            val = np.asarray(run.val_loss, dtype=np.float64).ravel()
            ep = epochs if val.size == epochs.size else np.arange(val.size)
            ok = np.isfinite(val) & ((val > 0) if logy else True)
            if ok.any():
                ax.plot(ep[ok], val[ok], "--", color=c, label=f"{label} (validation)")
        if at is not None:
            any_diverged = True
            before = np.flatnonzero(finite & (epochs <= at))
            y = float(loss[before[-1]]) if before.size else 1.0
            # the × sits at the diverging epoch, at the height of the last finite cost
            ax.plot([at], [y], "x", color=c, ms=10, mew=2.5, zorder=5)
    if any_diverged:
        ax.plot([], [], "x", color="0.3", ms=8, mew=2, label="diverged")
    return _finish_axes(ax, logy=logy, xlabel="epoch", ylabel=ylabel)


def _class_of(net, points):
    """Predicted class index of each point, from ``net.predict`` or ``net.forward``."""
    if hasattr(net, "forward"):
        out = np.asarray(net.forward(points), dtype=np.float64)
        if not np.isfinite(out).all():
            raise ValueError(
                "the network outputs nan or inf on the plotted region (it has diverged); "
                "plot it at an earlier epoch or with a smaller initial scale"
            )
        if out.ndim == 2 and out.shape[1] > 1:
            return np.argmax(out, axis=1)
        return (out.ravel() > 0.5).astype(int)  # sigmoid output: P(class 1)
    if hasattr(net, "predict"):
        return np.asarray(net.predict(points)).ravel().astype(int)
    raise TypeError(
        f"decision_boundary() needs a network with .forward(X) or .predict(X), got "
        f"{type(net).__name__}"
    )


def decision_boundary(ax, net, X, y, *, resolution=200, padding=0.5, title=None):
    """Class regions of a classifier on 2-D data, with the data points on top.

    Works for softmax outputs (class = arg max of ``net.forward``), sigmoid outputs (class 1
    where the probability exceeds 1/2) and objects with only ``.predict``.

    Parameters
    ----------
    ax : matplotlib Axes
    net : object with ``.forward(X)`` (probabilities) or ``.predict(X)`` (labels)
    X : array_like, shape (n, 2)
    y : array_like of int, shape (n,)
        Class labels ``0 .. k-1`` (colours ``CLASS_COLORS``).
    resolution : int
        Grid points per axis (at least 2).
    padding : float
        Margin around the data, in the units of ``X``.
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> class Halfplane:
    ...     def forward(self, X):
    ...         return 1 / (1 + np.exp(-X[:, :1]))
    >>> X = np.array([[-1.0, 0.0], [1.0, 0.5]]); y = np.array([0, 1])
    >>> fig, ax = plt.subplots()
    >>> ax = decision_boundary(ax, Halfplane(), X, y, resolution=20)
    >>> plt.close(fig)
    """
    _check_ax(ax, "decision_boundary")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"decision_boundary() draws 2-D data: X must have shape (n, 2), got "
            f"{X.shape}; for more features plot a 2-D dataset such as 'moons'"
        )
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must have shape ({X.shape[0]},) to match X, got {y.shape}; "
            "pass integer class labels, one per row of X"
        )
    if not np.isfinite(X).all():
        raise ValueError("X has nan or inf values; clean the data before plotting")
    if y.size and (not np.all(np.equal(np.mod(y, 1), 0)) or y.min() < 0):
        raise ValueError(f"y must hold class labels 0, 1, ..., got values like {y[:3]}")
    resolution = check_int(resolution, "resolution", example="resolution=200", minimum=2)
    y = y.astype(int)
    x0 = np.linspace(X[:, 0].min() - padding, X[:, 0].max() + padding, resolution)
    x1 = np.linspace(X[:, 1].min() - padding, X[:, 1].max() + padding, resolution)
    g0, g1 = np.meshgrid(x0, x1)
    grid = np.column_stack([g0.ravel(), g1.ravel()])
    classes = _class_of(net, grid).reshape(g0.shape)
    k = max(int(classes.max()), int(y.max()) if y.size else 0) + 1
    if k > len(CLASS_COLORS):
        raise ValueError(f"decision_boundary() colours up to {len(CLASS_COLORS)} classes, got {k}")
    cmap = mcolors.ListedColormap(CLASS_COLORS[:k])
    norm = mcolors.BoundaryNorm(np.arange(k + 1) - 0.5, k)
    ax.pcolormesh(g0, g1, classes, cmap=cmap, norm=norm, alpha=0.25, shading="auto")
    if classes.max() > classes.min():  # a boundary exists on the plotted region
        ax.contour(g0, g1, classes, levels=np.arange(k - 1) + 0.5, colors="0.2", linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, norm=norm, s=12, edgecolors="white", linewidths=0.4)
    ax.set_xlim(x0[0], x0[-1])
    ax.set_ylim(x1[0], x1[-1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title is not None:
        ax.set_title(title)
    return ax


def heatmap(
    ax, values, row_labels, col_labels, *, fmt="{:.2f}", cmap="viridis", vmin=None, vmax=None,
    colorbar_label=None, title=None,
):
    """A grid of numbers as coloured cells with the value written in each.

    For experiment grids such as accuracy per (initializer, activation). A nan cell (e.g.
    a run that diverged) is left blank-grey and marked "—".

    Parameters
    ----------
    ax : matplotlib Axes
    values : array_like, shape (rows, cols)
    row_labels, col_labels : sequence of str
        One label per row and per column.
    fmt : str
        ``str.format`` pattern of the numbers written in the cells, e.g. ``"{:.0%}"``.
    cmap : str or Colormap
    vmin, vmax : float, optional
        Colour limits (default: the finite data's range).
    colorbar_label : str, optional
        If given, a colour bar with this label is added.
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> ax = heatmap(ax, [[0.5, 0.97], [0.5, 0.51]], ["zeros", "he_normal"], ["tanh", "relu"],
    ...              fmt="{:.0%}", colorbar_label="accuracy")
    >>> plt.close(fig)
    """
    _check_ax(ax, "heatmap")
    try:
        data = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"heatmap() values must be numbers, got {type(values).__name__}") from exc
    if data.ndim != 2 or data.size == 0:
        raise ValueError(
            f"heatmap() needs a 2-D grid of values (rows, cols), got shape {data.shape}"
        )
    row_labels, col_labels = list(row_labels), list(col_labels)
    if len(row_labels) != data.shape[0] or len(col_labels) != data.shape[1]:
        raise ValueError(
            f"got {len(row_labels)} row labels and {len(col_labels)} column labels for a "
            f"grid of shape {data.shape}; pass one label per row and per column"
        )
    try:
        fmt.format(0.5)
    except (ValueError, IndexError, KeyError, AttributeError) as exc:
        raise ValueError(f"fmt must be a str.format pattern such as '{{:.2f}}', got {fmt!r}") from exc
    masked = np.ma.masked_invalid(data)
    cm = plt.get_cmap(cmap).with_extremes(bad="0.85")
    image = ax.imshow(masked, cmap=cm, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(np.arange(data.shape[1]), labels=[str(c) for c in col_labels])
    ax.set_yticks(np.arange(data.shape[0]), labels=[str(r) for r in row_labels])
    lo, hi = image.norm.vmin, image.norm.vmax
    for (i, j), v in np.ndenumerate(data):
        if np.isfinite(v):
            frac = 0.5 if hi == lo else (v - lo) / (hi - lo)
            r, g, b, _ = cm(float(np.clip(frac, 0, 1)))
            text_color = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
            ax.text(j, i, fmt.format(v), ha="center", va="center", color=text_color, fontsize="small")
        else:
            ax.text(j, i, "—", ha="center", va="center", color="0.3")
    if colorbar_label is not None:
        ax.figure.colorbar(image, ax=ax, label=colorbar_label)
    if title is not None:
        ax.set_title(title)
    return ax

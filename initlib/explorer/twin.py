"""The kernel-free twin: the explorer's views precomputed for a grid of settings, as one HTML block.

:func:`precompute_twin` trains every setting of a small grid (initializer × activation ×
depth) once and keeps compact snapshots of the views; :func:`twin_html` packs them
(deflate-compressed JSON in base64) with the drawing script ``twin.js`` and the style sheet
``twin.css``, both shipped next to this module as package data and read with
:mod:`importlib.resources`. The page needs no kernel and no network.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import math
import multiprocessing
import os
import sys
import zlib
from concurrent.futures import ProcessPoolExecutor
from importlib import resources

import numpy as np

from .. import plots
from .._blas import one_blas_thread
from ..data import load_dataset
from ..stats import fraction_label
from .runs import Run, Settings, grid_points, histogram_range, histogram_values

__all__ = ["TWIN_INITS", "precompute_twin", "twin_html", "kernel_free_twin", "twin_outcomes",
           "twin_summary", "twin_table", "snapshot_epochs", "asset"]

#: The twin's initializers: (label, registry name, scale), with ``make_init``'s scale.
TWIN_INITS = (
    ("zeros", "zeros", 1.0),
    ("too small: N(0, 0.01²)", "normal", 0.01),
    ("xavier_normal", "xavier_normal", 1.0),
    ("he_normal", "he_normal", 1.0),
    ("too large: N(0, 1)", "normal", 1.0),
)


@functools.cache
def asset(name):
    """The text of a file shipped with this package: ``"twin.js"`` or ``"twin.css"``."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _r(v, digits=4):
    """``v`` rounded to ``digits`` significant digits; nan/inf become None (JSON null)."""
    v = float(v)
    return float(f"{v:.{digits}g}") if math.isfinite(v) else None


def _b64(values):
    return base64.b64encode(np.asarray(values, dtype=np.uint8).tobytes()).decode("ascii")


def _densities(layers, value_range, bins):
    """``np.histogram(v, bins, value_range, density=True)[0]`` of every layer, in one go.

    Values outside the range are left out, as ``np.histogram`` does. All layers are binned by
    one ``np.bincount`` (bin index + layer × bins): ``np.histogram`` per layer, then a bincount
    per layer, were the slowest steps of the precomputation.
    """
    lo, hi = value_range
    out = np.zeros((len(layers), bins))
    if not len(layers):
        return out
    v = np.concatenate([np.ravel(x) for x in layers])
    layer = np.repeat(np.arange(len(layers)), [np.size(x) for x in layers])
    inside = (v >= lo) & (v <= hi)
    v, layer = v[inside], layer[inside]
    idx = np.minimum(((v - lo) * (bins / (hi - lo))).astype(np.int64), bins - 1)
    counts = np.bincount(layer * bins + idx, minlength=len(layers) * bins).reshape(-1, bins)
    size = counts.sum(axis=1)
    some = size > 0
    out[some] = counts[some] / (size[some, None] * (hi - lo) / bins)
    return out


def _pack_hist(layers, value_range, bins):
    """Densities of each layer on shared bins, quantized to bytes relative to their maximum."""
    dens = _densities(layers, value_range, bins)
    top = float(dens.max()) if dens.size else 0.0
    q = np.zeros(dens.shape, dtype=np.uint8) if top == 0 else np.rint(255 * dens / top).astype(np.uint8)
    return {"q": _b64(q.ravel()), "max": _r(top if top > 0 else 1.0, 3),
            "range": [_r(value_range[0], 3), _r(value_range[1], 3)], "layers": len(layers)}


def _table_rows(run, bp):
    """The table of one snapshot (:meth:`Run.hidden_table`, ``layer_stats``' numbers), rounded.

    Columns: mean of a, std of a, saturated or dead fraction (whichever ``stats`` defines for
    the activation), std of the per-example gradient ``∂ℒ/∂z`` (``n × δ``), std of W.
    """
    return [[_r(v, 3) for v in row] for row in run.hidden_table(bp)]


def _snapshot(run, points, bins):
    """The views of ``run`` now, packed; None if the network's values are not finite."""
    bp = run.backprop()  # one pass for the histograms and the table
    acts, grads = run.inside(bp)
    p = run.probabilities(points) if acts is not None else None
    if p is None:
        return None
    a = run.settings.activation
    q = np.rint(np.clip(p, 0, 1) * 15).astype(np.uint8)
    q = np.append(q, 0) if q.size % 2 else q
    shown = histogram_values("act", a, acts)
    return {
        "b": _b64((q[0::2] << 4) | q[1::2]),
        "act": _pack_hist(shown, histogram_range("act", a, shown), bins),
        "grad": _pack_hist(grads, histogram_range("grad", a, grads), bins),
        "t": _table_rows(run, bp),
    }


def precompute_twin(*, dataset="moons", inits=TWIN_INITS, activations=("tanh", "sigmoid", "relu"),
                    depths=(2, 5, 10), width=32, lr=0.05, epochs=30, snapshots=8, batch_size=32,
                    seed=0, grid=24, bins=20, n_points=150, workers=None):
    """Train every setting of the grid and keep compact snapshots of the explorer's views.

    Each setting is trained once, in one call of :func:`initlib.train`; the views are taken
    after the epochs of the snapshots (a callback), and the cost curves keep every epoch.

    Parameters
    ----------
    dataset : str
        A 2-D, two-class dataset (``"moons"``, ``"circles"``, ``"xor"``).
    inits : sequence of (label, registry name, scale)
        The initializers offered; see ``TWIN_INITS``.
    activations, depths : sequences
        Hidden activations and numbers of hidden layers (each ``width`` units wide).
    lr, epochs, batch_size, seed : training settings (mini-batch SGD)
    snapshots : int
        Number of epochs at which the views are kept, from 0 to ``epochs``, closer together at
        the start, where the views change fastest (evenly spread in ``log(1 + epoch)``: for 30
        epochs and 8 snapshots, epochs 0, 1, 2, 3, 6, 11, 18 and 30).
    grid : int
        Decision-boundary resolution (``grid × grid`` cells, probability in 16 levels).
    bins : int
        Histogram bins (densities in 256 levels).
    n_points : int
        Training points drawn on the decision boundary.
    workers : int, optional
        Processes that train the settings side by side (default: up to two, the cores this
        process may use, on Linux; one elsewhere). The settings are independent and each one
        is computed exactly as alone, so the result does not depend on ``workers``.

    Returns
    -------
    dict
        Plain lists, strings and rounded numbers, ready for ``json.dumps``: the input to
        ``twin_html``. The same arguments give the same dict.
    """
    data = load_dataset(dataset, n_samples=300, rng=seed)
    if data.n_features != 2 or data.n_classes != 2:
        raise ValueError(f"the twin draws 2-D two-class data; {dataset!r} has "
                         f"{data.n_features} features and {data.n_classes} classes: use 'moons'")
    points, extent = grid_points(data.X_train, grid)
    marks = snapshot_epochs(epochs, snapshots)
    settings = {f"{label}|{act}|{depth}": Settings(
                    dataset=dataset, init=name, scale=scale, activation=act, depth=depth,
                    width=width, lr=lr, epochs=epochs, batch_size=batch_size, seed=seed)
                for label, name, scale in inits for act in activations for depth in depths}
    job = functools.partial(_train_and_snap, data=data, marks=marks, points=points, bins=bins)
    runs, pool = {}, {}  # pool: each distinct snapshot once (zero init repeats itself)
    for key, (run, snaps) in zip(settings, _map(job, settings.values(), workers)):
        run["snaps"] = [pool.setdefault(json.dumps(snap, sort_keys=True, separators=(",", ":")),
                                        len(pool)) for snap in snaps]
        runs[key] = run
    n = min(n_points, len(data.X_train))
    return {
        "inits": [label for label, _, _ in inits],
        "colors": {label: plots.color_for(label) for label, _, _ in inits},
        "activations": list(activations),
        "fraction_labels": {act: fraction_label(act) for act in activations},
        "depths": [int(d) for d in depths],
        "width": int(width), "lr": lr, "batch_size": int(batch_size), "dataset": dataset,
        "n_epochs": int(epochs), "epochs": marks, "grid": int(grid), "bins": int(bins),
        "extent": [_r(v, 3) for v in extent],
        "points": {"x": [_r(v, 3) for v in data.X_train[:n, 0]],
                   "y": [_r(v, 3) for v in data.X_train[:n, 1]],
                   "c": [int(v) for v in data.y_train[:n]]},
        "runs": runs,
        "snapshots": [json.loads(k) for k in sorted(pool, key=pool.get)],
    }


def snapshot_epochs(epochs, snapshots):
    """The epochs of the snapshots: ``snapshots`` of them, evenly spread in ``log(1 + epoch)``.

    >>> snapshot_epochs(30, 8)
    [0, 1, 2, 3, 6, 11, 18, 30]
    """
    spread = np.expm1(np.linspace(0.0, np.log1p(epochs), snapshots))
    return np.unique(np.rint(spread).astype(int)).tolist()


def _default_workers():
    """Two processes where forking is safe and two cores are free for this process, else one."""
    if sys.platform != "linux":
        return 1
    return max(1, min(2, len(os.sched_getaffinity(0))))


def _map(job, items, workers):
    """``[job(item) for item in items]``, in order, over ``workers`` forked processes."""
    items = list(items)
    workers = _default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be a whole number >= 1, received {workers!r}")
    if workers == 1 or len(items) < 2:
        with one_blas_thread():
            return [job(item) for item in items]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(items)), mp_context=context,
                             initializer=_worker_started) as executor:
        return list(executor.map(job, items))


def _worker_started():
    """Each worker keeps one BLAS thread for its whole life (the matrices are small)."""
    global _WORKER_LIMIT
    _WORKER_LIMIT = one_blas_thread()
    _WORKER_LIMIT.__enter__()


_WORKER_LIMIT = None


def _train_and_snap(settings, *, data, marks, points, bins):
    """Train one setting to the last mark in one go; its curves and a snapshot at every mark."""
    run = Run(settings, dataset=data)
    taken = {0: _snapshot(run, points, bins)}
    if taken[0] is None:
        raise ValueError(f"{settings.label()}: the network's values are not finite "
                         "at initialization; use a smaller scale")
    wanted = set(marks)

    def callback(epoch, net, history):
        if epoch in wanted:
            taken[epoch] = _snapshot(run, points, bins)

    if marks[-1] > 0:
        run.step(marks[-1], callback=callback)
    if run.diverged:  # the views keep the last finite state
        final = _snapshot(run, points, bins)
        taken.update({e: final for e in marks if e not in taken})
    snaps, last = [], None
    for e in marks:
        last = taken[e] or last
        snaps.append(last)
    loss, val_loss, val_acc = run.curves()
    pad = [None] * (marks[-1] + 1 - len(loss))
    return {
        "loss": [_r(v) for v in loss] + pad,
        "val_loss": [_r(v) for v in val_loss] + pad,
        "val_acc": [_r(v, 3) for v in val_acc] + pad,
        "diverged_at": run.history.diverged_at if run.diverged else None,
    }, snaps


def _select(name, label, options, selected):
    items = "".join(
        f'<option value="{html.escape(str(o))}"{" selected" if o == selected else ""}>'
        f"{html.escape(str(o))}</option>" for o in options)
    return f'<label>{label} <select data-initx="{name}">{items}</select></label>'


#: The four canvases: (name, width, height, label read by screen readers).
CANVASES = (
    ("c-loss", 390, 240, "cost per epoch, training and validation"),
    ("c-boundary", 270, 240, "decision boundary on the training data"),
    ("c-act", 330, 220, "histograms of the activations of each hidden layer"),
    ("c-grad", 330, 220, "histograms of the back-propagated gradients of each hidden layer"),
)


def twin_html(data, *, initial=None):
    """The kernel-free twin as one self-contained HTML string (no external files, no network).

    Parameters
    ----------
    data : dict
        From ``precompute_twin``.
    initial : (init label, activation, depth), optional
        The setting shown first (default: the first of each); the epoch slider starts at the end.

    Returns
    -------
    str
        Controls (three selects and an epoch slider), four canvases, a table, the numbers
        (deflate-compressed JSON in base64), ``twin.css`` and ``twin.js``. The same ``data``
        gives the same string, byte for byte.
    """
    init, act, depth = initial if initial is not None else (
        data["inits"][0], data["activations"][0], data["depths"][0])
    for value, options, what in ((init, data["inits"], "initializer"),
                                 (act, data["activations"], "activation"),
                                 (depth, data["depths"], "depth")):
        if value not in options:
            raise ValueError(f"initial {what} {value!r} is not in the twin's grid {options}")
    payload = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    packed = base64.b64encode(zlib.compress(payload.encode("utf-8"), 9)).decode("ascii")
    last = len(data["epochs"]) - 1
    controls = "".join([
        _select("init", "initializer", data["inits"], init),
        _select("act", "activation", data["activations"], act),
        _select("depth", "hidden layers", data["depths"], depth),
        f'<label>epoch <input type="range" data-initx="epoch" min="0" max="{last}" step="1" '
        f'value="{last}"> <output data-initx="epoch-label">{data["epochs"][last]}</output></label>',
    ])
    canvases = "".join(f'<canvas data-initx="{name}" width="{w}" height="{h}" role="img" '
                       f'aria-label="{label}"></canvas>' for name, w, h, label in CANVASES)
    return (
        '<div class="initx-twin">'
        f"<style>{asset('twin.css')}</style>"
        f'<div class="initx-controls">{controls}</div>'
        '<p class="initx-caption" data-initx="caption" aria-live="polite"></p>'
        '<p data-initx="status">(The explorer needs JavaScript to draw its figures.)</p>'
        f"{canvases}"
        '<table data-initx="table"></table>'
        f'<script type="application/octet-stream" class="initx-data">{packed}</script>'
        f"<script>{asset('twin.js')}</script>"
        "</div>"
    )


def kernel_free_twin(*, initial=("xavier_normal", "tanh", 5), **grid):
    """Precompute the twin (``precompute_twin(**grid)``) and return it as ``IPython.display.HTML``.

    Display it as a cell's last expression; ``len(result.data)`` is its size in bytes
    (characters, all ASCII).
    """
    from IPython.display import HTML

    return HTML(twin_html(precompute_twin(**grid), initial=initial))


def _check_in_grid(data, depth, epoch=None):
    if depth not in data["depths"]:
        raise ValueError(f"depth {depth!r} is not in the twin's grid {data['depths']}")
    if epoch is not None and epoch not in data["epochs"]:
        raise ValueError(f"epoch {epoch!r} is not a snapshot of the twin: {data['epochs']}")


def twin_outcomes(data, depth, what="val_acc"):
    """The last epoch's ``what`` for every (initializer, activation) of the twin at ``depth``.

    Parameters
    ----------
    data : dict from ``precompute_twin``
    depth : int, one of ``data["depths"]``
    what : {"loss", "val_loss", "val_acc"}

    Returns
    -------
    ndarray, shape (len(inits), len(activations))
        nan where the run diverged. Rows follow ``data["inits"]``, columns ``data["activations"]``
        (ready for ``plots.heatmap``).
    """
    _check_in_grid(data, depth)
    if what not in ("loss", "val_loss", "val_acc"):
        raise ValueError(f"what must be 'loss', 'val_loss' or 'val_acc', received {what!r}")
    out = np.full((len(data["inits"]), len(data["activations"])), np.nan)
    for i, init in enumerate(data["inits"]):
        for j, act in enumerate(data["activations"]):
            last = data["runs"][f"{init}|{act}|{depth}"][what][-1]
            out[i, j] = np.nan if last is None else last
    return out


def twin_table(data, init, activation, depth, epoch=0):
    """One snapshot's per-layer table as a dict of arrays (one entry per hidden layer).

    Keys are :class:`initlib.LayerStats`' names: ``a_mean``, ``a_std``, ``fraction`` (the
    ``saturated`` or ``dead`` fraction, whichever the activation has), ``grad_z_std`` (of the
    per-example gradient ``∂ℒ/∂z``) and ``W_std``; nan where the value was not finite.
    """
    _check_in_grid(data, depth, epoch)
    snap = data["runs"][f"{init}|{activation}|{depth}"]["snaps"][data["epochs"].index(epoch)]
    rows = np.array([[np.nan if v is None else v for v in r]
                     for r in data["snapshots"][snap]["t"]], dtype=float)
    return dict(zip(("a_mean", "a_std", "fraction", "grad_z_std", "W_std"), rows.T))


def twin_summary(data, depth, epoch=0):
    """A text table of the twin's per-layer statistics at one depth and epoch.

    For each (initializer, activation): the std of the activations ``a`` in the first, middle
    and last hidden layer, the saturated (tanh, sigmoid) or dead (ReLU) fraction in the last
    one, and the std of the per-example back-propagated gradient ``g = ∂ℒ/∂z`` in the first and
    last hidden layer. Numbers have two significant digits.
    """
    _check_in_grid(data, depth, epoch)
    mid = (depth + 1) // 2
    width = max(len(f"{i} + {a}") for i in data["inits"] for a in data["activations"]) + 2
    lines = [f"{depth} hidden layers, epoch {epoch}".ljust(width)
             + f"{'std a[1]':>10}{f'a[{mid}]':>8}{f'a[{depth}]':>8}{f'sat/dead[{depth}]':>14}"
             + f"{'std g[1]':>10}{f'g[{depth}]':>9}"]
    two = lambda v: "nan" if math.isnan(v) else f"{v:.2g}"  # noqa: E731
    for init in data["inits"]:
        for act in data["activations"]:
            t = twin_table(data, init, act, depth, epoch)
            frac = "—" if math.isnan(t["fraction"][-1]) else f"{t['fraction'][-1]:.0%}"
            lines.append(f"{init} + {act}".ljust(width)
                         + f"{two(t['a_std'][0]):>10}{two(t['a_std'][mid - 1]):>8}"
                         + f"{two(t['a_std'][-1]):>8}{frac:>14}{two(t['grad_z_std'][0]):>10}"
                         + f"{two(t['grad_z_std'][-1]):>9}")
    return "\n".join(lines)

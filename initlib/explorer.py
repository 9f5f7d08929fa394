"""The initialization explorer: pick an initializer, watch a network train.

Two faces of the same experiment:

``Explorer``
    The live playground (ipywidgets 8), for JupyterLab and Binder. Controls: dataset,
    initializer (every registry name, times a free scale), activation, depth, width,
    learning rate, epochs; buttons Train / Step / Reset. Views, redrawn together: the cost
    on the training and validation sets, the decision boundary (2-D data), histograms of
    each layer's activations and back-propagated gradients, and a table of per-layer
    statistics. Training runs in chunks of epochs, so the views move while it trains.
``kernel_free_twin``
    The same views precomputed for a small grid of settings (initializer × activation ×
    depth, with snapshots over training) and packed into one self-contained HTML block
    with its own few lines of JavaScript: it works in the static HTML book, with no kernel
    and no network.

Both run the same ``Run`` (a network, its data and its training history) and measure the
same things; ``Run`` is also handy on its own in tests and chapters.

Examples
--------
In a notebook::

    from initlib.explorer import Explorer
    Explorer(init="zeros", activation="tanh", depth=3)     # displays the widget

Driven from code (what the tests do)::

    ex = Explorer()
    ex.controls["init"].value = "he_normal"   # the views are redrawn
    ex.step()                                  # one more epoch
    ex.state["epoch"], ex.views["loss"][-1]
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import zlib
from dataclasses import asdict, dataclass
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np

from . import plots
from ._blas import one_blas_thread
from .activations import available_activations
from .data import available_datasets, load_dataset
from .initializers import available_initializers, get_initializer
from .mlp import MLP
from .stats import dead_fraction, saturated_fraction
from .train import train

__all__ = ["Settings", "Run", "Explorer", "make_init", "precompute_twin", "twin_html",
           "kernel_free_twin", "twin_outcomes", "twin_summary"]

#: Datasets the explorer offers: the classification sets of ``initlib.load_dataset``.
DATASETS = tuple(d for d in available_datasets() if d != "linear")

# --------------------------------------------------------------------------- settings


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
        if self.dataset not in DATASETS:
            out.append(f"dataset {self.dataset!r} is not one of {', '.join(DATASETS)}")
        if self.init not in available_initializers():
            out.append(f"initializer {self.init!r} is not one of {', '.join(available_initializers())}")
        if self.activation not in available_activations():
            out.append(f"activation {self.activation!r} is not one of {', '.join(available_activations())}")
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


# --------------------------------------------------------------------------- the model


def _saturated_fraction(activation, a):
    """The table's fourth column, with the definitions of ``initlib.stats``.

    tanh, sigmoid: fraction of values saturated (``saturated_fraction``); relu, leaky_relu:
    fraction of dead units, 0 on every example (``dead_fraction``; ``a <= 0`` exactly when
    ``z <= 0``); nan for the others.
    """
    if activation in ("relu", "leaky_relu"):
        return dead_fraction(a, activation)
    return saturated_fraction(a, activation)


class Run:
    """A network, its dataset and its training so far: what the explorer shows.

    Parameters
    ----------
    settings : Settings
        Must have no ``problems()`` (else ``ValueError`` listing them).
    dataset : initlib.Dataset, optional
        Reuse loaded data (the explorer caches it); default ``load_dataset(settings.dataset)``.

    Attributes
    ----------
    net : MLP
    data : Dataset
    history : History or None
        None before the first epoch.
    """

    def __init__(self, settings, dataset=None):
        problems = settings.problems()
        if problems:
            raise ValueError("Cannot build this network: " + "; ".join(problems) + ".")
        self.settings = settings
        self.data = dataset if dataset is not None else load_dataset(
            settings.dataset, n_samples=None if settings.dataset == "digits" else settings.n_samples,
            rng=settings.seed)
        s = settings
        sizes = [self.data.n_features] + [s.width] * s.depth + [self.data.n_classes]
        self.net = MLP(sizes, activation=s.activation, init=make_init(s.init, s.scale),
                       output="softmax", rng=s.seed)
        self.history = None
        self._rng = np.random.default_rng([s.seed, 1])
        X, y = self.data.X_train, self.data.y_train
        self._initial = (self.net.loss(X, y), self.net.loss(self.data.X_val, self.data.y_val),
                         self.net.accuracy(self.data.X_val, self.data.y_val))

    @property
    def epoch(self):
        """Epochs trained so far."""
        return 0 if self.history is None else self.history.epochs

    @property
    def diverged(self):
        return self.history is not None and self.history.diverged

    def step(self, epochs=1, lr=None):
        """Train ``epochs`` more epochs (mini-batch SGD); stops early if the run diverges."""
        if self.diverged:
            return self.history
        d = self.data
        self.history = train(
            self.net, d.X_train, d.y_train, lr=self.settings.lr if lr is None else lr,
            epochs=epochs, batch_size=self.settings.batch_size, rng=self._rng,
            X_val=d.X_val, y_val=d.y_val, history=self.history)
        return self.history

    def curves(self):
        """Per-epoch training cost, validation cost and validation accuracy, from epoch 0."""
        if self.history is None:
            loss, val_loss, val_acc = self._initial
            return [loss], [val_loss], [val_acc]
        h = self.history
        return list(h.loss), list(h.val_loss), list(h.val_accuracy)

    def inside(self, max_examples=300):
        """Each hidden layer's activations and per-example back-propagated gradients.

        Returns ``(activations, gradients)``: lists with one array ``(batch, width)`` per hidden
        layer; ``gradients[l]`` is the gradient of the example's own loss with respect to
        ``z[l+1]`` (the mean-loss delta times the batch size). ``None, None`` if non-finite.
        """
        X, y = self.data.X_train[:max_examples], self.data.y_train[:max_examples]
        bp = self.net.backprop(X, y)
        acts = [np.asarray(a) for a in bp.activations[1:-1]]
        grads = [len(X) * np.asarray(g) for g in bp.grad_preactivations[:-1]]
        if not all(np.isfinite(v).all() for v in acts + grads):
            return None, None
        return acts, grads

    def table(self, acts=None, grads=None):
        """Per hidden layer: std of ``W``, mean and std of ``a``, saturated/dead fraction, std of ∂L/∂z."""
        if acts is None:
            acts, grads = self.inside()
        if acts is None:
            return []
        return [
            {"layer": l + 1, "w_std": float(np.std(self.net.weights[l])),
             "mean": float(a.mean()), "std": float(a.std()),
             "saturated": _saturated_fraction(self.settings.activation, a),
             "grad_std": float(g.std())}
            for l, (a, g) in enumerate(zip(acts, grads))
        ]

    def probabilities(self, grid):
        """P(class 1) (two classes) or the predicted class (more) on ``grid``; None if non-finite."""
        p = self.net.forward(grid)
        if not np.isfinite(p).all():
            return None
        return p[:, 1] if p.shape[1] == 2 else np.argmax(p, axis=1)


# --------------------------------------------------------------------------- shared helpers


def _grid(X, n, padding=0.5):
    """An n × n grid over the data's extent (+ padding); rows from the top (largest x2) down."""
    x0 = np.linspace(X[:, 0].min() - padding, X[:, 0].max() + padding, n)
    x1 = np.linspace(X[:, 1].max() + padding, X[:, 1].min() - padding, n)
    g0, g1 = np.meshgrid(x0, x1)
    return np.column_stack([g0.ravel(), g1.ravel()]), (x0[0], x0[-1], x1[-1], x1[0])


def _hist_range(kind, activation, layers):
    """Shared bin range of all layers: the activation's own range, else the data's."""
    if kind == "act" and activation == "tanh":
        return -1.0, 1.0
    if kind == "act" and activation == "sigmoid":
        return 0.0, 1.0
    pooled = np.abs(np.concatenate([np.ravel(v) for v in layers]))
    # the 99.5th percentile: a few outliers would squeeze every layer into one bin
    m = float(np.percentile(pooled, 99.5)) if pooled.size else 0.0
    m = m if m > 0 else (float(pooled.max()) if pooled.size and pooled.max() > 0 else 1.0)
    return (0.0, m) if kind == "act" and activation == "relu" else (-m, m)


def _relu_positive(kind, activation, layers):
    """ReLU layers are histogrammed without their zeros (a spike at 0 that hides the rest)."""
    if kind == "act" and activation == "relu":
        return [v[v > 0] for v in layers]
    return layers


# --------------------------------------------------------------------------- the live explorer


def _canvas_png(canvas):
    """Draw a figure's Agg canvas and encode it as PNG (fast zlib level: 10× quicker)."""
    from PIL import Image

    canvas.draw()
    buf = io.BytesIO()
    Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buf, format="png", compress_level=1)
    return buf.getvalue()


def _wipe(ax):
    """Remove what an Axes shows but keep the Axes (rebuilding its ticks is the slow part)."""
    for artist in [*ax.lines, *ax.collections, *ax.images, *ax.texts, *ax.patches]:
        artist.remove()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    ax.set_axis_on()
    ax.set_yscale("linear")
    ax.autoscale(True)
    ax.relim()


def _table_html(rows, activation):
    """The per-layer statistics as a small HTML table."""
    if not rows:
        return "<p><i>No statistics: the network's values are not finite.</i></p>"
    what = {"relu": "dead units", "leaky_relu": "dead units", "tanh": "saturated |a| > 0.99",
            "sigmoid": "saturated (a < 0.01 or > 0.99)"}.get(activation, "saturated")
    head = ("<tr><th>layer l</th><th>std of W</th><th>mean of a</th><th>std of a</th>"
            f"<th>{what}</th><th>std of ∂L/∂z</th></tr>")
    body = "".join(
        f"<tr><td>{r['layer']}</td><td>{r['w_std']:.3g}</td><td>{r['mean']:.3g}</td>"
        f"<td>{r['std']:.3g}</td>"
        f"<td>{'—' if math.isnan(r['saturated']) else format(r['saturated'], '.0%')}</td>"
        f"<td>{r['grad_std']:.3g}</td></tr>" for r in rows)
    return ('<table style="border-collapse:collapse;font-size:12px" cellpadding="3">'
            f"{head}{body}</table>")


class Explorer:
    """The live initialization explorer (ipywidgets 8): controls, Train / Step / Reset, views.

    Display it as the last expression of a cell (or ``display(ex)``). Every attribute below can
    also be driven from code, which is what the tests do.

    Parameters
    ----------
    chunk : int
        Epochs trained between two redraws while Train runs.
    dpi : int
        Resolution of the figure (lower is faster).
    **settings
        Initial values of the controls, as in ``Settings`` (``dataset``, ``init``, ``scale``,
        ``activation``, ``depth``, ``width``, ``lr``, ``epochs``, ...).

    Attributes
    ----------
    controls : dict of widgets
        ``dataset``, ``init``, ``scale``, ``activation``, ``depth``, ``width``, ``lr``,
        ``epochs``. Changing any of them except ``lr`` and ``epochs`` builds a new network (at
        epoch 0) and redraws; ``lr`` and ``epochs`` apply to the next training.
    buttons : dict of widgets.Button
        ``train`` (``epochs`` more epochs, in chunks), ``step`` (one epoch), ``reset``.
    progress : widgets.IntProgress
    message : widgets.HTML
        What happened, or what is wrong with the settings (never a traceback).
    image : widgets.Image
        The figure (PNG): cost, decision boundary, activation and gradient histograms.
    table : widgets.HTML
        Per-layer mean, std, saturated (or dead) fraction and gradient std.
    widget : widgets.VBox
        Everything, laid out.
    state : dict
        Settings, epoch, diverged, the error (or None) and the number of redraws.
    views : dict
        The numbers behind the views: ``loss``, ``val_loss``, ``val_accuracy`` (from epoch 0),
        ``boundary`` (grid of P(class 1) or classes; None for digits), ``activations`` and
        ``gradients`` (one array per hidden layer), ``table``, ``image`` (PNG bytes).
    """

    def __init__(self, *, chunk=3, dpi=72, **settings):
        import ipywidgets as w

        s = Settings(**settings)
        unknown = [p for p in s.problems() if p.startswith(("dataset", "initializer", "activation"))]
        if unknown:  # the menus cannot show a name they do not offer
            raise ValueError("Explorer(): " + "; ".join(unknown) + ".")
        self.chunk, self.dpi = int(chunk), int(dpi)
        self._data_cache = {}
        self._run = None
        self._error = None
        self._redraws = 0
        self._busy = False
        self.views = {}
        layout = w.Layout(width="210px")
        style = {"description_width": "80px"}
        self.controls = {
            "dataset": w.Dropdown(options=DATASETS, value=s.dataset, description="dataset"),
            "init": w.Dropdown(options=available_initializers(), value=s.init, description="initializer"),
            "scale": w.FloatText(value=s.scale, description="scale", step=0.1,
                                 tooltip="multiplies the initializer's std; for normal it is "
                                         "the std, for uniform the limit, for constant the value"),
            "activation": w.Dropdown(options=available_activations(), value=s.activation,
                                     description="activation"),
            "depth": w.IntText(value=s.depth, description="hidden layers"),
            "width": w.IntText(value=s.width, description="width"),
            "lr": w.FloatText(value=s.lr, description="learning rate", step=0.01),
            "epochs": w.IntText(value=s.epochs, description="epochs"),
        }
        for c in self.controls.values():
            c.layout, c.style = layout, style
        self._fixed = {k: getattr(s, k) for k in ("batch_size", "seed", "n_samples")}
        self.buttons = {
            "train": w.Button(description="Train", button_style="primary", icon="play"),
            "step": w.Button(description="Step", icon="step-forward"),
            "reset": w.Button(description="Reset", icon="refresh"),
        }
        self.progress = w.IntProgress(value=0, min=0, max=s.epochs, description="epoch 0",
                                      style={"description_width": "80px"})
        self.message = w.HTML()
        self.image = w.Image(format="png")
        self.table = w.HTML()
        self.buttons["train"].on_click(lambda _: self.train())
        self.buttons["step"].on_click(lambda _: self.step())
        self.buttons["reset"].on_click(lambda _: self.reset())
        for name, c in self.controls.items():
            handler = self._settings_changed if name in ("lr", "epochs") else self._network_changed
            c.observe(lambda change, h=handler: self._safely(h), names="value")
        names = list(self.controls)
        self.widget = w.VBox([
            w.HBox([w.VBox([self.controls[n] for n in names[:4]]),
                    w.VBox([self.controls[n] for n in names[4:]]),
                    w.VBox([w.HBox(list(self.buttons.values())), self.progress, self.message],
                           layout=w.Layout(width="360px"))]),
            self.image,
            self.table,
        ])
        self._fig = None
        self.reset()

    # -- what the tests and the benchmark read ------------------------------------------
    @property
    def settings(self):
        """The controls' values as a ``Settings`` (which may have ``problems()``)."""
        c = self.controls
        return Settings(dataset=c["dataset"].value, init=c["init"].value, scale=c["scale"].value,
                        activation=c["activation"].value, depth=c["depth"].value,
                        width=c["width"].value, lr=c["lr"].value, epochs=c["epochs"].value,
                        **self._fixed)

    @property
    def state(self):
        run = self._run
        return {"settings": asdict(self.settings), "epoch": 0 if run is None else run.epoch,
                "diverged": bool(run is not None and run.diverged), "error": self._error,
                "message": self.message.value, "redraws": self._redraws}

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- actions ---------------------------------------------------------------------------
    def _safely(self, action):
        """Run a callback; any problem becomes a message in the widget, never a traceback."""
        try:
            with one_blas_thread():
                action()
        except Exception as exc:  # noqa: BLE001 - a widget callback must not raise
            self._fail(f"Something went wrong: {type(exc).__name__}: {exc}")

    def _fail(self, text):
        self._error = text
        self.message.value = f'<span style="color:#B00020">{html.escape(text)}</span>'
        for b in ("train", "step"):
            self.buttons[b].disabled = True

    def _say(self, text):
        self._error = None
        self.message.value = html.escape(text)
        for b in ("train", "step"):
            self.buttons[b].disabled = self._run is None or self._run.diverged

    def _check(self):
        problems = self.settings.problems()
        if problems:
            self._fail("Please fix: " + "; ".join(problems) + ".")
            return None
        return self.settings

    def _network_changed(self):
        if not self._busy:
            self._reset()

    def _settings_changed(self):
        s = self._check()
        if s is not None and self._run is not None:
            self.progress.max = max(self._run.epoch + s.epochs, 1)
            self._say(self._status())

    def reset(self):
        """Build a new network from the controls (epoch 0) and redraw (the Reset button)."""
        self._safely(self._reset)

    def step(self, epochs=1):
        """Train ``epochs`` more epochs with the current learning rate and redraw (Step)."""
        self._safely(lambda: self._step(epochs))

    def train(self):
        """Train ``epochs`` more epochs in chunks of ``chunk``, redrawing after each (Train)."""
        self._safely(self._train)

    def _reset(self):
        s = self._check()
        if s is None:
            return
        key = (s.dataset, s.seed, s.n_samples)
        if key not in self._data_cache:
            self._data_cache[key] = load_dataset(
                s.dataset, n_samples=None if s.dataset == "digits" else s.n_samples, rng=s.seed)
        self._run = Run(s, dataset=self._data_cache[key])
        self.progress.max = s.epochs
        self._progress()
        self.redraw()
        self._say(self._status())

    def _step(self, epochs=1):
        s = self._check()
        if s is None or self._run is None:
            return
        self._run.step(epochs, lr=s.lr)
        self.progress.max = max(self.progress.max, self._run.epoch)
        self._progress()
        self.redraw()
        self._say(self._status())

    def _train(self):
        s = self._check()
        if s is None or self._run is None:
            return
        start = self._run.epoch
        self.progress.max = start + s.epochs
        self._busy = True
        try:
            while self._run.epoch < start + s.epochs and not self._run.diverged:
                self._run.step(min(self.chunk, start + s.epochs - self._run.epoch), lr=s.lr)
                self._progress()
                self.redraw()
                self._say(f"training… {self._status()}")
        finally:
            self._busy = False
        self._say(self._status())

    def _progress(self):
        self.progress.value = self._run.epoch
        self.progress.description = f"epoch {self._run.epoch}"

    def _status(self):
        run = self._run
        if run.diverged:
            return run.history.message
        loss, val_loss, val_acc = run.curves()
        return (f"{run.settings.label()}: epoch {run.epoch}, training cost {loss[-1]:.3g}, "
                f"validation accuracy {val_acc[-1]:.0%}")

    # -- drawing ---------------------------------------------------------------------------
    def redraw(self):
        """Recompute the views from the current network and draw them."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, NullFormatter

        run = self._run
        if self._fig is None:  # made once; later redraws only replace what the axes show
            self._fig = Figure(figsize=(10, 6.4), dpi=self.dpi)
            self._canvas = FigureCanvasAgg(self._fig)
            # a fixed layout: constrained layout would double the drawing time
            self._fig.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.95,
                                      wspace=0.22, hspace=0.38)
            self._axes = self._fig.subplots(2, 2).ravel()
        ax_loss, ax_b, ax_a, ax_g = self._axes
        for ax in self._axes:
            _wipe(ax)
        s = run.settings
        label = s.label()
        loss, val_loss, val_acc = run.curves()
        color = plots.color_for(s.init)
        h = run.history
        curve = SimpleNamespace(epoch=list(range(len(loss))) if h is None else h.epoch,
                                loss=loss, val_loss=val_loss, diverged=run.diverged,
                                diverged_at=None if h is None else h.diverged_at)
        plots.loss_curves(ax_loss, {s.init: curve}, logy=True, ylabel="cost $J$")
        finite = [v for v in loss + val_loss if math.isfinite(v) and v > 0]
        for line in ax_loss.lines[:2]:  # a single point (epoch 0) needs a marker to be seen
            line.set_marker("o" if len(line.get_xdata()) == 1 else "")
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax_loss.yaxis.set_major_formatter(plain)
        ax_loss.yaxis.set_minor_formatter(plain if len(finite) and max(finite) < 10 * min(finite)
                                          else NullFormatter())
        if finite:
            ax_loss.set_ylim(10.0 ** math.floor(math.log10(min(finite))),
                             10.0 ** math.ceil(math.log10(max(finite)) + 1e-9))
        ax_loss.set_xlim(0, max(run.epoch, self.progress.max, 1))
        ax_loss.set_title(f"Cost: {label}")

        boundary = None
        d = run.data
        if d.n_features == 2:
            grid_points, extent = _grid(d.X_train, 60)
            boundary = run.probabilities(grid_points)
            if boundary is None:
                ax_b.text(0.5, 0.5, "the network outputs nan or inf (diverged)", ha="center",
                          va="center", transform=ax_b.transAxes)
            else:
                values = boundary.reshape(60, 60)
                cmap = plots.mcolors.ListedColormap(plots.CLASS_COLORS[:d.n_classes])
                if d.n_classes == 2:
                    cmap = plots.mcolors.LinearSegmentedColormap.from_list("p", plots.CLASS_COLORS[:2])
                ax_b.imshow(values, extent=extent, cmap=cmap, alpha=0.35, aspect="auto",
                            vmin=0, vmax=max(d.n_classes - 1, 1),
                            interpolation="bilinear" if d.n_classes == 2 else "nearest")
                ax_b.scatter(d.X_train[:, 0], d.X_train[:, 1], c=d.y_train, s=8,
                             cmap=plots.mcolors.ListedColormap(plots.CLASS_COLORS[:d.n_classes]),
                             vmin=-0.5, vmax=d.n_classes - 0.5, edgecolors="white", linewidths=0.3)
                if d.n_classes == 2:  # the boundary: where P(class 1) = 1/2
                    ax_b.contour(np.linspace(*extent[:2], 60), np.linspace(extent[3], extent[2], 60),
                                 values, levels=[0.5], colors="0.25", linewidths=1)
                ax_b.set(xlim=extent[:2], ylim=extent[2:], xlabel="$x_1$", ylabel="$x_2$")
            ax_b.set_title(f"Decision boundary (validation accuracy {val_acc[-1]:.0%})")
        else:
            ax_b.axis("off")
            ax_b.text(0.5, 0.5, f"{d.name}: {d.n_features} features, no 2-D boundary to draw\n"
                      f"validation accuracy {val_acc[-1]:.0%}", ha="center", va="center",
                      transform=ax_b.transAxes)

        acts, grads = run.inside()
        rows = run.table(acts, grads)
        if acts is None:
            for ax in (ax_a, ax_g):
                ax.axis("off")
                ax.text(0.5, 0.5, "values are not finite (diverged)", ha="center", va="center",
                        transform=ax.transAxes)
        else:
            a = s.activation
            shown = _relu_positive("act", a, acts)
            shown = [v if v.size else np.zeros(1) for v in shown]
            plots.layer_histograms(shown, axes=ax_a, bins=30, range=_hist_range("act", a, shown),
                                   color=color, title="Activations per layer",
                                   xlabel="activation $a^{[l]}$" + (" (zeros left out)" if a == "relu" else ""))
            plots.layer_histograms(grads, axes=ax_g, bins=30, range=_hist_range("grad", a, grads),
                                   color=color, title="Back-propagated gradients",
                                   xlabel=r"per-example $\partial L / \partial z^{[l]}$")
            ax_g.get_legend().remove()  # same layer colours as on the left: one legend is enough
            if len(acts) > 8:
                ax_a.get_legend().remove()
        png = _canvas_png(self._canvas)
        self.image.value = png
        self.table.value = _table_html(rows, s.activation)
        self.views = {"epoch": run.epoch, "loss": loss, "val_loss": val_loss,
                      "val_accuracy": val_acc, "boundary": boundary, "activations": acts,
                      "gradients": grads, "table": rows, "image": png}
        self._redraws += 1


# --------------------------------------------------------------------------- the kernel-free twin

#: The twin's initializers: (label, registry name, scale), with ``make_init``'s scale.
TWIN_INITS = (
    ("zeros", "zeros", 1.0),
    ("too small: N(0, 0.01²)", "normal", 0.01),
    ("xavier_normal", "xavier_normal", 1.0),
    ("he_normal", "he_normal", 1.0),
    ("too large: N(0, 1)", "normal", 1.0),
)


def _r(v, digits=4):
    """``v`` rounded to ``digits`` significant digits; nan/inf become None (JSON null)."""
    v = float(v)
    return float(f"{v:.{digits}g}") if math.isfinite(v) else None


def _b64(values):
    return base64.b64encode(bytes(bytearray(values))).decode("ascii")


def _densities(layers, value_range, bins):
    """``np.histogram(v, bins, value_range, density=True)[0]`` of every layer, in one go.

    Values outside the range are left out, as ``np.histogram`` does; the bin index is computed
    once for all layers (``np.histogram`` per layer was the slowest step of the precomputation).
    """
    lo, hi = value_range
    out = np.zeros((len(layers), bins))
    for l, v in enumerate(layers):
        v = np.ravel(v)
        v = v[(v >= lo) & (v <= hi)]
        if v.size:
            idx = np.minimum(((v - lo) * (bins / (hi - lo))).astype(np.int64), bins - 1)
            out[l] = np.bincount(idx, minlength=bins) / (v.size * (hi - lo) / bins)
    return out


def _pack_hist(layers, value_range, bins):
    """Densities of each layer on shared bins, quantized to bytes relative to their maximum."""
    dens = _densities(layers, value_range, bins)
    top = float(dens.max()) if dens.size else 0.0
    q = np.zeros(dens.shape, dtype=np.uint8) if top == 0 else np.rint(255 * dens / top).astype(np.uint8)
    return {"q": _b64(q.ravel()), "max": _r(top if top > 0 else 1.0, 3),
            "range": [_r(value_range[0], 3), _r(value_range[1], 3)], "layers": len(layers)}


def _twin_snapshot(run, grid_points, bins):
    acts, grads = run.inside()
    p = run.probabilities(grid_points)
    if acts is None or p is None:
        return None
    a = run.settings.activation
    q = np.rint(np.clip(p, 0, 1) * 15).astype(np.uint8)
    q = np.append(q, 0) if q.size % 2 else q
    rows = run.table(acts, grads)
    hist_acts = _relu_positive("act", a, acts)
    return {
        "b": _b64((q[0::2] << 4) | q[1::2]),
        "act": _pack_hist(hist_acts, _hist_range("act", a, hist_acts), bins),
        "grad": _pack_hist(grads, _hist_range("grad", a, grads), bins),
        "t": [[_r(r["mean"], 3), _r(r["std"], 3), _r(r["saturated"], 3), _r(r["grad_std"], 3),
               _r(r["w_std"], 3)]
              for r in rows],
    }


def precompute_twin(*, dataset="moons", inits=TWIN_INITS, activations=("tanh", "sigmoid", "relu"),
                    depths=(2, 5, 10), width=32, lr=0.05, epochs=30, snapshots=11, batch_size=32,
                    seed=0, grid=24, bins=20, n_points=150):
    """Train every setting of the grid and keep compact snapshots of the explorer's views.

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
        Number of epochs, evenly spread over ``0 .. epochs``, at which the views are kept.
    grid : int
        Decision-boundary resolution (``grid × grid`` cells, probability in 16 levels).
    bins : int
        Histogram bins (densities in 256 levels).
    n_points : int
        Training points drawn on the decision boundary.

    Returns
    -------
    dict
        Plain lists, strings and rounded numbers, ready for ``json.dumps``: the input to
        ``twin_html``. The same arguments give the same dict.
    """
    with one_blas_thread():
        return _precompute_twin(dataset, inits, activations, depths, width, lr, epochs, snapshots,
                                batch_size, seed, grid, bins, n_points)


def _precompute_twin(dataset, inits, activations, depths, width, lr, epochs, snapshots,
                     batch_size, seed, grid, bins, n_points):
    data = load_dataset(dataset, n_samples=300, rng=seed)
    if data.n_features != 2 or data.n_classes != 2:
        raise ValueError(f"the twin draws 2-D two-class data; {dataset!r} has "
                         f"{data.n_features} features and {data.n_classes} classes: use 'moons'")
    grid_points, extent = _grid(data.X_train, grid)
    marks = np.unique(np.rint(np.linspace(0, epochs, snapshots)).astype(int)).tolist()
    runs, pool = {}, {}  # pool: each distinct snapshot once (zero init repeats itself)
    for label, name, scale in inits:
        for act in activations:
            for depth in depths:
                s = Settings(dataset=dataset, init=name, scale=scale, activation=act, depth=depth,
                             width=width, lr=lr, epochs=epochs, batch_size=batch_size, seed=seed)
                run = Run(s, dataset=data)
                snaps, last = [], None
                for e in marks:
                    if e > run.epoch and not run.diverged:
                        run.step(e - run.epoch)
                    # after a divergence the views keep the last finite state
                    last = _twin_snapshot(run, grid_points, bins) or last
                    if last is None:
                        raise ValueError(f"{s.label()}: the network's values are not finite "
                                         "at initialization; use a smaller scale")
                    snaps.append(pool.setdefault(
                        json.dumps(last, sort_keys=True, separators=(",", ":")), len(pool)))
                loss, val_loss, val_acc = run.curves()
                pad = [None] * (epochs + 1 - len(loss))
                runs[f"{label}|{act}|{depth}"] = {
                    "loss": [_r(v) for v in loss] + pad,
                    "val_loss": [_r(v) for v in val_loss] + pad,
                    "val_acc": [_r(v, 3) for v in val_acc] + pad,
                    "diverged_at": run.history.diverged_at if run.diverged else None,
                    "snaps": snaps,
                }
    n = min(n_points, len(data.X_train))
    return {
        "inits": [label for label, _, _ in inits],
        "colors": {label: plots.color_for(label) for label, _, _ in inits},
        "activations": list(activations),
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
    if depth not in data["depths"]:
        raise ValueError(f"depth {depth!r} is not in the twin's grid {data['depths']}")
    if what not in ("loss", "val_loss", "val_acc"):
        raise ValueError(f"what must be 'loss', 'val_loss' or 'val_acc', received {what!r}")
    out = np.full((len(data["inits"]), len(data["activations"])), np.nan)
    for i, init in enumerate(data["inits"]):
        for j, act in enumerate(data["activations"]):
            last = data["runs"][f"{init}|{act}|{depth}"][what][-1]
            out[i, j] = np.nan if last is None else last
    return out


def twin_summary(data, depth, epoch=0):
    """A text table of the twin's per-layer statistics at one depth and epoch.

    For each (initializer, activation): the std of the activations ``a`` in the first, middle
    and last hidden layer, the saturated (tanh, sigmoid) or dead (ReLU) fraction in the last
    one, and the std of the per-example back-propagated gradient ``g = ∂L/∂z`` in the first and
    last hidden layer. Numbers have two significant digits.
    """
    if depth not in data["depths"]:
        raise ValueError(f"depth {depth!r} is not in the twin's grid {data['depths']}")
    if epoch not in data["epochs"]:
        raise ValueError(f"epoch {epoch!r} is not a snapshot of the twin: {data['epochs']}")
    k = data["epochs"].index(epoch)
    mid = (depth + 1) // 2
    width = max(len(f"{i} + {a}") for i in data["inits"] for a in data["activations"]) + 2
    lines = [f"{depth} hidden layers, epoch {epoch}".ljust(width)
             + f"{'std a[1]':>10}{f'a[{mid}]':>8}{f'a[{depth}]':>8}{f'sat/dead[{depth}]':>14}"
             + f"{'std g[1]':>10}{f'g[{depth}]':>9}"]
    two = lambda v: "nan" if v is None else f"{v:.2g}"  # noqa: E731
    for init in data["inits"]:
        for act in data["activations"]:
            t = data["snapshots"][data["runs"][f"{init}|{act}|{depth}"]["snaps"][k]]["t"]
            frac = "—" if t[-1][2] is None else f"{t[-1][2]:.0%}"
            lines.append(f"{init} + {act}".ljust(width)
                         + f"{two(t[0][1]):>10}{two(t[mid - 1][1]):>8}{two(t[-1][1]):>8}"
                         + f"{frac:>14}{two(t[0][3]):>10}{two(t[-1][3]):>9}")
    return "\n".join(lines)

_TWIN_CSS = """
.initx-twin{font:13px/1.4 sans-serif;color:#222;max-width:760px;margin:0.5em 0}
.initx-twin .initx-controls{display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center;margin:4px 0}
.initx-twin select,.initx-twin input{font:inherit}
.initx-twin canvas{display:inline-block;vertical-align:top;margin:2px 4px 2px 0}
.initx-twin table{border-collapse:collapse;font-size:12px;margin:4px 0}
.initx-twin td,.initx-twin th{padding:1px 9px;text-align:right;border-bottom:1px solid #ddd}
.initx-twin .initx-caption{margin:4px 0;font-weight:bold}
"""

_TWIN_JS = r"""(function () {
  "use strict";
  // The kernel-free twin of the initialization explorer. All numbers were computed in
  // Python when the page was built; this script only unpacks and draws them. No network.
  var root = document.currentScript ? document.currentScript.parentNode : null;
  if (!root || !root.querySelector(".initx-data")) root = document.querySelector(".initx-twin");
  var D = null;
  var $ = function (name) { return root.querySelector("[data-initx='" + name + "']"); };
  var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  function bytes(s) {  // base64 -> array of 0..255 (no atob: works the same everywhere)
    var out = [], buf = 0, bits = 0;
    for (var i = 0; i < s.length; i++) {
      var v = B64.indexOf(s.charAt(i));
      if (v < 0) continue;  // padding
      buf = (buf << 6) | v; bits += 6;
      if (bits >= 8) { bits -= 8; out.push((buf >> bits) & 255); }
    }
    return out;
  }

  function canvas(name) {  // a crisp canvas on high-density screens
    var c = $(name), dpr = window.devicePixelRatio || 1;
    var w = +c.getAttribute("width"), h = +c.getAttribute("height");
    if (!c.initxSized) {
      c.style.width = w + "px"; c.style.height = h + "px";
      c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
      c.initxSized = true;
    }
    var g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    g.font = "11px sans-serif";
    return { g: g, w: w, h: h };
  }

  function ok(v) { return typeof v === "number" && isFinite(v); }  // JSON null = nan/inf

  function fmt(v) {
    if (v === 0) return "0";
    var a = Math.abs(v);
    if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace("e+", "e");
    return String(+v.toPrecision(2));
  }

  function ticks(lo, hi, n) {  // "nice" linear ticks
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) out.push(+t.toPrecision(12));
    return out;
  }

  // Axes in box {x, y, w, h}; returns the data -> pixel maps.
  function axes(P, box, xr, yr, opt) {
    var g = P.g, logy = !!opt.logy;
    var ty = function (v) { return logy ? Math.log10(v) : v; };
    var y0 = ty(yr[0]), y1 = ty(yr[1]);
    var sx = function (v) { return box.x + (v - xr[0]) / (xr[1] - xr[0]) * box.w; };
    var sy = function (v) { return box.y + box.h - (ty(v) - y0) / (y1 - y0) * box.h; };
    g.strokeStyle = "#444"; g.lineWidth = 1; g.fillStyle = "#333";
    g.strokeRect(box.x, box.y, box.w, box.h);
    g.textAlign = "center"; g.textBaseline = "top";
    ticks(xr[0], xr[1], opt.nx || 5).forEach(function (t) {
      g.beginPath(); g.moveTo(sx(t), box.y + box.h); g.lineTo(sx(t), box.y + box.h + 3); g.stroke();
      g.fillText(fmt(t), sx(t), box.y + box.h + 4);
    });
    g.textAlign = "right"; g.textBaseline = "middle";
    var yt = logy ? ticks(Math.ceil(y0), Math.floor(y1), 4).filter(function (t) { return t === Math.round(t); })
                      .map(function (t) { return Math.pow(10, t); })
                  : ticks(yr[0], yr[1], 4);
    yt.forEach(function (t) {
      g.beginPath(); g.moveTo(box.x - 3, sy(t)); g.lineTo(box.x, sy(t)); g.stroke();
      g.fillText(fmt(t), box.x - 4, sy(t));
    });
    g.textAlign = "center"; g.textBaseline = "bottom";
    g.fillText(opt.xlabel, box.x + box.w / 2, P.h - 1);
    g.save(); g.translate(11, box.y + box.h / 2); g.rotate(-Math.PI / 2);
    g.textBaseline = "middle"; g.fillText(opt.ylabel, 0, 0); g.restore();
    g.font = "bold 12px sans-serif"; g.textBaseline = "bottom";
    g.fillText(opt.title, box.x + box.w / 2, box.y - 4);
    g.font = "11px sans-serif";
    return { sx: sx, sy: sy };
  }

  function polyline(g, xs, ys, color, width, dash) {
    g.strokeStyle = color; g.lineWidth = width; g.setLineDash(dash || []);
    g.beginPath();
    var pen = false;
    for (var i = 0; i < xs.length; i++) {
      if (!ok(ys[i])) { pen = false; continue; }
      if (pen) g.lineTo(xs[i], ys[i]); else g.moveTo(xs[i], ys[i]);
      pen = true;
    }
    g.stroke(); g.setLineDash([]);
  }

  function cross(g, x, y, color) {
    g.strokeStyle = color; g.lineWidth = 2.5; g.beginPath();
    g.moveTo(x - 5, y - 5); g.lineTo(x + 5, y + 5); g.moveTo(x + 5, y - 5); g.lineTo(x - 5, y + 5);
    g.stroke();
  }

  function shade(hex, t) {  // mix a colour with white: t = 1 the colour, 0 white
    var n = parseInt(hex.slice(1), 16), c = [n >> 16, (n >> 8) & 255, n & 255];
    return "rgb(" + c.map(function (v) { return Math.round(255 - t * (255 - v)); }).join(",") + ")";
  }

  function key(init, act, depth) { return init + "|" + act + "|" + depth; }

  function drawLoss(sel, k) {
    var P = canvas("c-loss"), run = D.runs[key(sel.init, sel.act, sel.depth)];
    var E = D.n_epochs, lo = 0.1, hi = 1;  // at least one decade; more if the run needs it
    run.loss.concat(run.val_loss).forEach(function (v) {
      if (ok(v) && v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    });
    lo = Math.pow(10, Math.floor(Math.log10(lo))); hi = Math.pow(10, Math.ceil(Math.log10(hi)));
    var A = axes(P, { x: 46, y: 20, w: P.w - 56, h: P.h - 56 }, [0, E], [lo, hi],
                 { logy: true, xlabel: "epoch", ylabel: "cost J", title: "Cost during training" });
    var g = P.g, ep = [];
    for (var e = 0; e <= E; e++) ep.push(A.sx(e));
    var clip = function (v) { return ok(v) && v > 0 ? A.sy(v) : NaN; };  // drawn clipped to the axes
    g.save(); g.beginPath(); g.rect(46, 20, P.w - 56, P.h - 56); g.clip();
    D.inits.forEach(function (init) {  // the other initializers, faint, for comparison
      if (init === sel.init) return;
      polyline(g, ep, D.runs[key(init, sel.act, sel.depth)].loss.map(clip), shade(D.colors[init], 0.35), 1);
    });
    var col = D.colors[sel.init];
    polyline(g, ep, run.loss.map(clip), col, 2.2);
    if (run.loss.filter(ok).length === 1) {  // a run that diverged at once: show its one point
      g.fillStyle = col; g.beginPath(); g.arc(ep[0], clip(run.loss[0]), 3.5, 0, 2 * Math.PI); g.fill();
    }
    polyline(g, ep, run.val_loss.map(clip), col, 1.5, [5, 3]);
    g.restore();
    if (run.diverged_at !== null) {
      var last = run.diverged_at - 1;
      while (last > 0 && !ok(run.loss[last])) last--;
      cross(g, A.sx(run.diverged_at), clip(run.loss[last]), col);
    }
    g.strokeStyle = "#888"; g.setLineDash([2, 3]); g.beginPath();
    g.moveTo(A.sx(k), 20); g.lineTo(A.sx(k), P.h - 36); g.stroke(); g.setLineDash([]);
    g.textAlign = "right"; g.textBaseline = "top"; g.fillStyle = "#333";
    g.fillText("— training   - - validation", P.w - 14, 24);
  }

  function drawBoundary(snap) {
    var P = canvas("c-boundary"), g = P.g, n = D.grid, ex = D.extent;
    var A = axes(P, { x: 40, y: 20, w: P.w - 50, h: P.h - 56 }, [ex[0], ex[1]], [ex[2], ex[3]],
                 { xlabel: "x₁", ylabel: "x₂", title: "Decision boundary", nx: 4 });
    var img = document.createElement("canvas");
    img.width = n; img.height = n;
    var ig = img.getContext("2d"), data = ig.createImageData(n, n), q = bytes(snap.b);
    var c0 = [0, 114, 178], c1 = [213, 94, 0];  // class colours, Okabe-Ito blue / vermillion
    for (var i = 0; i < n * n; i++) {
      var p = ((q[i >> 1] >> (i % 2 ? 0 : 4)) & 15) / 15;
      for (var ch = 0; ch < 3; ch++) {
        var v = c0[ch] + p * (c1[ch] - c0[ch]);
        data.data[4 * i + ch] = Math.round(255 - 0.45 * (255 - v));
      }
      data.data[4 * i + 3] = 255;
    }
    ig.putImageData(data, 0, 0);
    g.imageSmoothingEnabled = true;
    g.drawImage(img, 40, 20, P.w - 50, P.h - 56);
    g.strokeStyle = "#444"; g.strokeRect(40, 20, P.w - 50, P.h - 56);
    var pts = D.points;
    for (var j = 0; j < pts.c.length; j++) {
      g.beginPath(); g.arc(A.sx(pts.x[j]), A.sy(pts.y[j]), 2.6, 0, 2 * Math.PI);
      g.fillStyle = pts.c[j] ? "#D55E00" : "#0072B2"; g.fill();
      g.strokeStyle = "#fff"; g.lineWidth = 0.6; g.stroke();
    }
  }

  function drawHist(name, hist, color, xlabel, title) {
    var P = canvas(name), g = P.g, q = bytes(hist.q), L = hist.layers, nb = D.bins;
    var A = axes(P, { x: 46, y: 20, w: P.w - 56, h: P.h - 56 }, hist.range, [0, hist.max * 1.05],
                 { xlabel: xlabel, ylabel: "density", title: title });
    var step = (hist.range[1] - hist.range[0]) / nb;
    for (var l = 0; l < L; l++) {
      var xs = [], ys = [];
      for (var b = 0; b < nb; b++) {
        xs.push(A.sx(hist.range[0] + (b + 0.5) * step));
        ys.push(A.sy(q[l * nb + b] / 255 * hist.max));
      }
      polyline(g, xs, ys, shade(color, L === 1 ? 1 : 0.3 + 0.7 * l / (L - 1)), 1.6);
    }
    g.textAlign = "right"; g.textBaseline = "top";
    for (l = 0; l < L; l++) {
      g.fillStyle = shade(color, L === 1 ? 1 : 0.3 + 0.7 * l / (L - 1));
      g.fillText("layer " + (l + 1), P.w - 14, 24 + 12 * l);
    }
  }

  function drawTable(sel, snap) {
    var dead = sel.act === "relu" || sel.act === "leaky_relu";
    var head = "<tr><th>layer l</th><th>std of W</th><th>mean of a</th><th>std of a</th><th>" +
               (dead ? "dead units (a = 0 on every example)" : sel.act === "tanh" ?
                "saturated (|a| > 0.99)" : "saturated (a < 0.01 or a > 0.99)") +
               "</th><th>std of ∂L/∂z</th></tr>";
    var rows = snap.t.map(function (r, i) {
      return "<tr><td>" + (i + 1) + "</td><td>" + fmt(r[4]) + "</td><td>" + fmt(r[0]) + "</td><td>" +
             fmt(r[1]) + "</td><td>" +
             (ok(r[2]) ? Math.round(100 * r[2]) + "%" : "—") + "</td><td>" + fmt(r[3]) + "</td></tr>";
    });
    $("table").innerHTML = head + rows.join("");
  }

  function update() {
    var sel = { init: $("init").value, act: $("act").value, depth: $("depth").value };
    var k = +$("epoch").value, run = D.runs[key(sel.init, sel.act, sel.depth)];
    var snap = D.snapshots[run.snaps[k]], epoch = D.epochs[k];
    $("epoch-label").textContent = String(epoch);
    drawLoss(sel, epoch);
    drawBoundary(snap);
    drawHist("c-act", snap.act, D.colors[sel.init], "activation a", "Activations per layer");
    drawHist("c-grad", snap.grad, D.colors[sel.init], "per-example ∂L/∂z", "Back-propagated gradients");
    drawTable(sel, snap);
    var div = run.diverged_at !== null && epoch >= run.diverged_at;
    $("caption").textContent = sel.init + " + " + sel.act + ", " + sel.depth + " hidden layers of " +
      D.width + " units, epoch " + epoch + ": " +
      (div ? "diverged at epoch " + run.diverged_at + " (the views show the last finite state)"
           : "training cost " + fmt(run.loss[epoch]) + ", validation accuracy " +
             Math.round(100 * run.val_acc[epoch]) + "%");
    root.setAttribute("data-initx-shown", key(sel.init, sel.act, sel.depth) + "|" + epoch);
  }

  function start(data) {
    D = data;
    ["init", "act", "depth", "epoch"].forEach(function (name) {
      $(name).addEventListener("input", update);
      $(name).addEventListener("change", update);
    });
    $("status").textContent = "";
    update();
  }

  // The numbers travel deflate-compressed and base64-encoded (about 4x smaller).
  try {
    var packed = new Uint8Array(bytes(root.querySelector(".initx-data").textContent));
    var stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("deflate"));
    new Response(stream).text().then(function (text) { start(JSON.parse(text)); })
      .catch(function (err) { $("status").textContent = "Could not unpack the figures: " + err; });
  } catch (err) {
    $("status").textContent = "This browser cannot unpack the figures (it needs " +
      "DecompressionStream, in every browser since 2023): " + err;
  }
})();
"""


def _select(name, label, options, selected):
    items = "".join(
        f'<option value="{html.escape(str(o))}"{" selected" if o == selected else ""}>'
        f"{html.escape(str(o))}</option>" for o in options)
    return f'<label>{label} <select data-initx="{name}">{items}</select></label>'


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
        (deflate-compressed JSON in base64) and a short script that draws them. The same
        ``data`` gives the same string, byte for byte.
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
    return (
        '<div class="initx-twin">'
        f"<style>{_TWIN_CSS}</style>"
        f'<div class="initx-controls">{controls}</div>'
        '<p class="initx-caption" data-initx="caption" aria-live="polite"></p>'
        '<p data-initx="status">(The explorer needs JavaScript to draw its figures.)</p>'
        '<canvas data-initx="c-loss" width="390" height="240" role="img" aria-label="cost per epoch, training and validation"></canvas>'
        '<canvas data-initx="c-boundary" width="270" height="240" role="img" aria-label="decision boundary on the training data"></canvas>'
        '<canvas data-initx="c-act" width="330" height="220" role="img" aria-label="histograms of the activations of each hidden layer"></canvas>'
        '<canvas data-initx="c-grad" width="330" height="220" role="img" aria-label="histograms of the back-propagated gradients of each hidden layer"></canvas>'
        '<table data-initx="table"></table>'
        f'<script type="application/octet-stream" class="initx-data">{packed}</script>'
        f"<script>{_TWIN_JS}</script>"
        "</div>"
    )


def kernel_free_twin(*, initial=("xavier_normal", "tanh", 5), **grid):
    """Precompute the twin (``precompute_twin(**grid)``) and return it as ``IPython.display.HTML``.

    Display it as a cell's last expression; ``len(result.data)`` is its size in bytes
    (characters, all ASCII).
    """
    from IPython.display import HTML

    return HTML(twin_html(precompute_twin(**grid), initial=initial))

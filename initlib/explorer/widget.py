"""The live explorer (ipywidgets 8): controls, Train / Step / Reset, and the views, drawn with plots.

The numbers come from :class:`~initlib.explorer.runs.Run`; this module only lays out the
controls and draws: the cost with :func:`initlib.plots.loss_curves`, the decision boundary
with :func:`initlib.plots.decision_boundary`, the histograms with
:func:`initlib.plots.layer_histograms` and the table from :func:`initlib.layer_stats`.
"""

from __future__ import annotations

import html
import io
import math
from dataclasses import asdict
from types import SimpleNamespace

import numpy as np

from .. import plots
from .._blas import one_blas_thread
from ..activations import available_activations
from ..initializers import available_initializers
from ..stats import fraction_label
from .runs import DATASETS, Run, Settings, grid_points, histogram_range, histogram_values

__all__ = ["Explorer"]

#: Resolution of the decision boundary (points per axis).
BOUNDARY_RESOLUTION = 60


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


def _note(ax, text):
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)


def _table_html(stats, n_examples, activation):
    """The hidden layers of a :class:`initlib.LayerStats` as a small HTML table."""
    if stats is None:
        return "<p><i>No statistics: the network's values are not finite.</i></p>"
    fraction = np.where(np.isnan(stats.dead), stats.saturated, stats.dead)
    what = fraction_label(activation) or "saturated or dead"
    head = ("<tr><th>layer l</th><th>std of W</th><th>mean of a</th><th>std of a</th>"
            f"<th>{html.escape(what)}</th><th>std of ∂ℒ/∂z (per example)</th></tr>")
    body = "".join(
        f"<tr><td>{l}</td><td>{w:.3g}</td><td>{m:.3g}</td><td>{s:.3g}</td>"
        f"<td>{'—' if math.isnan(f) else format(f, '.0%')}</td><td>{n_examples * g:.3g}</td></tr>"
        for l, w, m, s, f, g in zip(stats.layer[:-1], stats.W_std, stats.a_mean, stats.a_std,
                                    fraction, stats.grad_z_std))
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
        Per hidden layer: std of W, mean and std of a, saturated (or dead) fraction, gradient std.
    widget : widgets.VBox
        Everything, laid out.
    state : dict
        Settings, epoch, diverged, the error (or None) and the number of redraws.
    views : dict
        The numbers behind the views: ``loss``, ``val_loss``, ``val_accuracy`` (from epoch 0),
        ``boundary`` (P(class 1) or the class on a 60 × 60 grid; None for digits or when not
        finite), ``activations`` and ``gradients`` (one array per hidden layer), ``stats``
        (the :class:`initlib.LayerStats` of the table, None when not finite), ``image`` (PNG).
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
            self._data_cache[key] = s.load_data()
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
    def _figure(self):
        """The figure, made once; later redraws only replace what its four axes show."""
        if self._fig is None:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure

            self._fig = Figure(figsize=(10, 6.4), dpi=self.dpi)
            self._canvas = FigureCanvasAgg(self._fig)
            # a fixed layout: constrained layout would double the drawing time
            self._fig.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.95,
                                      wspace=0.22, hspace=0.38)
            self._axes = self._fig.subplots(2, 2).ravel()
        for ax in self._axes:
            _wipe(ax)
        return self._axes

    def redraw(self):
        """Recompute the views from the current network and draw them."""
        run = self._run
        ax_loss, ax_b, ax_a, ax_g = self._figure()
        loss, val_loss, val_acc = run.curves()
        self._draw_loss(ax_loss, run, loss, val_loss)
        boundary = self._draw_boundary(ax_b, run, val_acc[-1])
        acts, grads = run.inside()
        self._draw_histograms(ax_a, ax_g, run.settings, acts, grads)
        stats = run.stats() if acts is not None else None
        png = _canvas_png(self._canvas)
        self.image.value = png
        self.table.value = _table_html(stats, len(run.batch()[0]), run.settings.activation)
        self.views = {"epoch": run.epoch, "loss": loss, "val_loss": val_loss,
                      "val_accuracy": val_acc, "boundary": boundary, "activations": acts,
                      "gradients": grads, "stats": stats, "image": png}
        self._redraws += 1

    def _draw_loss(self, ax, run, loss, val_loss):
        from matplotlib.ticker import FuncFormatter, NullFormatter

        s, h = run.settings, run.history
        curve = SimpleNamespace(epoch=list(range(len(loss))) if h is None else h.epoch, loss=loss,
                                val_loss=val_loss, diverged=run.diverged,
                                diverged_at=None if h is None else h.diverged_at)
        plots.loss_curves(ax, {s.init: curve}, logy=True, ylabel="cost $J$")
        for line in ax.lines[:2]:  # a single point (epoch 0) needs a marker to be seen
            line.set_marker("o" if len(line.get_xdata()) == 1 else "")
        finite = [v for v in loss + val_loss if math.isfinite(v) and v > 0]
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain if finite and max(finite) < 10 * min(finite)
                                     else NullFormatter())
        if finite:
            ax.set_ylim(10.0 ** math.floor(math.log10(min(finite))),
                        10.0 ** math.ceil(math.log10(max(finite)) + 1e-9))
        ax.set_xlim(0, max(run.epoch, self.progress.max, 1))
        ax.set_title(f"Cost: {s.label()}")

    def _draw_boundary(self, ax, run, accuracy):
        """``plots.decision_boundary`` for 2-D data; returns the probabilities behind it."""
        d = run.data
        if d.n_features != 2:
            _note(ax, f"{d.name}: {d.n_features} features, no 2-D boundary to draw\n"
                      f"validation accuracy {accuracy:.0%}")
            return None
        points, _ = grid_points(d.X_train, BOUNDARY_RESOLUTION)
        boundary = run.probabilities(points)
        title = f"Decision boundary (validation accuracy {accuracy:.0%})"
        if boundary is None:
            _note(ax, "the network outputs nan or inf (diverged)")
            ax.set_title(title)
            return None
        plots.decision_boundary(ax, run.net, d.X_train, d.y_train,
                                resolution=BOUNDARY_RESOLUTION, title=title)
        return boundary

    def _draw_histograms(self, ax_a, ax_g, s, acts, grads):
        if acts is None:
            for ax in (ax_a, ax_g):
                _note(ax, "values are not finite (diverged)")
            return
        color = plots.color_for(s.init)
        a = s.activation
        shown = [v if v.size else np.zeros(1) for v in histogram_values("act", a, acts)]
        plots.layer_histograms(shown, axes=ax_a, bins=30, range=histogram_range("act", a, shown),
                               color=color, title="Activations per layer",
                               xlabel="activation $a^{[l]}$" + (" (zeros left out)" if a == "relu" else ""))
        plots.layer_histograms(grads, axes=ax_g, bins=30, range=histogram_range("grad", a, grads),
                               color=color, title="Back-propagated gradients",
                               xlabel=r"per-example $\partial \mathcal{L} / \partial z^{[l]}$")
        ax_g.get_legend().remove()  # same layer colours as on the left: one legend is enough
        if len(acts) > 8:
            ax_a.get_legend().remove()

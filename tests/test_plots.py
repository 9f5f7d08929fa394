"""Tests of initlib.plots: figures build headless, colours are stable, inputs are checked,
and what is drawn equals what was passed (read back from the artists)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402

from initlib import plots  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


# ----------------------------------------------------------------------------- colours


@pytest.mark.parametrize(
    "aliases",
    [
        ["xavier_normal", "xavier_uniform", "glorot_normal", "glorot_uniform", "Xavier", "Glorot (uniform)"],
        ["he_normal", "he_uniform", "kaiming_normal", "kaiming_uniform", "He", "He (ReLU)"],
        ["lecun_normal", "lecun_uniform", "LeCun"],
        ["zeros", "zero", "Zeros"],
        ["ones", "constant", "constant 0.5"],
        ["normal", "too small", "N(0, 0.01) too small"],
        ["too large", "Too large"],
        ["uniform"],
        ["orthogonal", "Orthogonal (gain 1)"],
    ],
)
def test_aliases_share_a_colour(aliases):
    colours = {plots.color_for(a) for a in aliases}
    assert len(colours) == 1


def test_families_have_distinct_colours_from_the_okabe_ito_palette():
    values = list(plots.INIT_COLORS.values())
    assert len(set(values)) == len(values)
    # the nine fixed-formula families use the nine Okabe-Ito colours; LSUV (data-driven) is brown
    assert {c for f, c in plots.INIT_COLORS.items() if f != "lsuv"} == set(plots.OKABE_ITO.values())
    assert plots.color_for("LSUV") == plots.INIT_COLORS["lsuv"] != plots.color_for("he_normal")
    for name in ["zeros", "ones", "normal", "too large", "uniform", "lecun_normal",
                 "xavier_normal", "he_normal", "orthogonal"]:
        assert plots.canonical_init(name) is not None, name


def test_colours_are_the_documented_ones():
    # The book's figures rely on these staying put.
    assert plots.color_for("xavier_normal") == "#0072B2"
    assert plots.color_for("he_normal") == "#009E73"
    assert plots.color_for("lecun_normal") == "#E69F00"
    assert plots.color_for("zeros") == "#999999"


def test_unknown_labels_get_a_stable_fallback_colour():
    a = plots.color_for("my own init")
    assert a == plots.color_for("my own init")
    assert a not in plots.INIT_COLORS.values()
    assert mcolors.is_color_like(a)
    # no fallback may pass for He (green) or Xavier (blue): hue away from both
    for fallback in plots._FALLBACK_COLORS:
        hue = mcolors.rgb_to_hsv(mcolors.to_rgb(fallback))[0] * 360
        assert not 90 <= hue <= 230, (fallback, hue)
    # "he" must match as a word, not inside "the" or "sphere"
    assert plots.canonical_init("the sphere") is None


def test_color_for_rejects_non_strings():
    with pytest.raises(TypeError, match="must be a str, got 3 of type int"):
        plots.color_for(3)


# ----------------------------------------------------------------------------- layer_histograms


def test_layer_histograms_overlay_draws_the_densities():
    rng = np.random.default_rng(0)
    layers = [rng.normal(0, s, 500) for s in (1.0, 0.5, 0.25)]
    fig = plots.layer_histograms(layers, bins=20, range=(-2, 2), title="t")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 3
    for line, values in zip(lines, layers):
        density, edges = np.histogram(values, bins=20, range=(-2, 2), density=True)
        np.testing.assert_allclose(line.get_ydata(), density)
        np.testing.assert_allclose(line.get_xdata(), 0.5 * (edges[1:] + edges[:-1]))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["layer 1", "layer 2", "layer 3"]
    assert ax.get_title() == "t"
    plt.close(fig)


def test_layer_histograms_stacked_on_given_axes_with_dict_labels():
    fig, axes = plt.subplots(2, 1)
    out = plots.layer_histograms({"a1": [0.0, 1.0], "a2": [0.5, 0.5]}, axes=axes, bins=4,
                                 color=plots.color_for("he"))
    assert out is fig
    assert [len(a.get_lines()) for a in axes] == [1, 1]
    assert axes[0].get_lines()[0].get_label() == "a1"
    # the last layer has the full base colour
    assert mcolors.to_hex(axes[1].get_lines()[0].get_color()) == plots.color_for("he").lower()
    plt.close(fig)


def test_layer_histograms_of_constant_values_still_draws():
    fig = plots.layer_histograms([np.zeros(10), np.zeros(10)])
    assert fig.axes[0].get_xlim() == (-0.5, 0.5)
    plt.close(fig)


def test_layer_histograms_validates():
    with pytest.raises(ValueError, match="needs one array per layer"):
        plots.layer_histograms([])
    with pytest.raises(ValueError, match=r"layer 2 has 1 non-finite value.*diverged"):
        plots.layer_histograms([[1.0, 2.0], [1.0, np.inf]])
    with pytest.raises(ValueError, match="layer 1 is empty"):
        plots.layer_histograms([[]])
    with pytest.raises(ValueError, match="got 1 labels for 2 layers"):
        plots.layer_histograms([[1.0], [2.0]], labels=["x"])
    with pytest.raises(ValueError, match="bins must be >= 1, got 0; e.g. bins=50"):
        plots.layer_histograms([[1.0]], bins=0)
    with pytest.raises(ValueError, match="low < high"):
        plots.layer_histograms([[1.0]], range=(1, -1))
    fig, axes = plt.subplots(3, 1)
    with pytest.raises(ValueError, match="got 3 for 2 layers"):
        plots.layer_histograms([[1.0], [2.0]], axes=axes)
    plt.close("all")


# ----------------------------------------------------------------------------- std_over_depth


def test_std_over_depth_plots_the_values_with_init_colours(ax):
    stds = {"xavier_normal": [1.0, 0.8, 0.6], "he_normal": [1.0, 1.0, 1.0]}
    plots.std_over_depth(ax, stds, expected=[1.0, 0.9, 0.8])
    lines = ax.get_lines()
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[0].get_ydata(), stds["xavier_normal"])
    assert lines[0].get_color() == plots.color_for("xavier")
    assert lines[1].get_color() == plots.color_for("kaiming_uniform")
    assert lines[2].get_linestyle() == "--"
    np.testing.assert_array_equal(lines[2].get_ydata(), [1.0, 0.9, 0.8])
    assert ax.get_yscale() == "log"
    assert "$l$" in ax.get_xlabel()


def test_log_axes_label_powers_of_ten_as_plain_text(ax):
    # the same labels as matplotlib's default, without mathtext (no parsing at every draw)
    plots.std_over_depth(ax, {"too small": [1e-8, 1e-4, 2.0]})
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "10⁻⁴" in labels and "10⁰" in labels
    assert not any("$" in label for label in labels)
    formatter = plots._PlainLogFormatter(labelOnlyBase=False)
    formatter.set_axis(ax.yaxis)
    assert formatter(0.2) == "2×10⁻¹" and formatter(1000.0) == "10³"


def test_log_axes_have_minor_ticks_only_when_short():
    fig, (short, wide) = plt.subplots(1, 2)
    plots.loss_curves(short, {"he": [10.0, 2.0, 1.5]}, logy=True)
    plots.std_over_depth(wide, {"he": [1e-6, 1.0, 20.0]})
    fig.canvas.draw()
    # a short axis keeps matplotlib's minor ticks and their labels (2×10⁰, 3×10⁰, ...)
    assert len(short.yaxis.get_minorticklocs()) > 0
    assert "2×10⁰" in [t.get_text() for t in short.get_yticklabels(minor=True)]
    # beyond three decades, only the powers of ten
    assert len(wide.yaxis.get_minorticklocs()) == 0
    assert len(wide.yaxis.get_majorticklocs()) >= 4
    plt.close(fig)


def test_std_over_depth_expected_per_label(ax):
    plots.std_over_depth(ax, {"he": [1, 2]}, expected={"he": [1, 1]}, logy=False)
    dashed = ax.get_lines()[1]
    assert dashed.get_linestyle() == "--" and dashed.get_color() == plots.color_for("he")
    assert ax.get_yscale() == "linear"


def test_std_over_depth_takes_colours_for_other_labels(ax):
    plots.std_over_depth(ax, {"σ√n = 0.8": [1, 0.8], "he": [1, 1]}, colors={"σ√n = 0.8": "#123456"},
                         expected={"σ√n = 0.8": [1, 0.8]})
    solid, other, dashed = ax.get_lines()
    assert solid.get_color() == "#123456" and dashed.get_color() == "#123456"
    assert other.get_color() == plots.color_for("he")


def test_std_over_depth_validates(ax):
    with pytest.raises(TypeError, match="needs a matplotlib Axes"):
        plots.std_over_depth({"he": [1]}, {"he": [1]})
    with pytest.raises(TypeError, match="non-empty dict"):
        plots.std_over_depth(ax, [1, 2])
    with pytest.raises(ValueError, match=r"std for 'zeros' is 0.0 at layer 2.*logy=False"):
        plots.std_over_depth(ax, {"zeros": [1.0, 0.0]})
    with pytest.raises(ValueError, match=r"non-finite.*overflowed"):
        plots.std_over_depth(ax, {"too large": [1.0, np.inf]})


# ----------------------------------------------------------------------------- loss_curves


class FakeHistory:
    def __init__(self, loss, diverged=False, diverged_at=None, val_loss=None, epoch=None):
        self.loss, self.diverged, self.diverged_at = loss, diverged, diverged_at
        self.val_loss = [] if val_loss is None else val_loss
        self.epoch = list(range(len(loss))) if epoch is None else epoch


def test_loss_curves_draws_losses_and_marks_divergence(ax):
    runs = {
        "he_normal": FakeHistory([0.7, 0.5, 0.3], val_loss=[0.8, 0.6, 0.4]),
        "too large": FakeHistory([0.7, 9.0, np.nan], diverged=True, diverged_at=2),
        "array": np.array([1.0, 2.0, np.nan]),
    }
    plots.loss_curves(ax, runs)
    he, he_val, large, large_x, arr, arr_x, legend_x = ax.get_lines()
    np.testing.assert_array_equal(he.get_ydata(), [0.7, 0.5, 0.3])
    np.testing.assert_array_equal(he.get_xdata(), [0, 1, 2])  # epoch 0 = at initialization
    np.testing.assert_array_equal(he_val.get_ydata(), [0.8, 0.6, 0.4])
    assert he_val.get_linestyle() == "--"
    np.testing.assert_array_equal(large.get_ydata(), [0.7, 9.0])
    assert large_x.get_marker() == "x"
    assert (large_x.get_xdata()[0], large_x.get_ydata()[0]) == (2, 9.0)
    assert large_x.get_color() == plots.color_for("too large")
    np.testing.assert_array_equal(arr.get_ydata(), [1.0, 2.0])
    assert (arr_x.get_xdata()[0], arr_x.get_ydata()[0]) == (2, 2.0)
    assert legend_x.get_label() == "diverged"


def test_loss_curves_uses_the_history_epochs(ax):
    plots.loss_curves(ax, {"he": FakeHistory([0.5, 0.4], epoch=[0, 10])}, logy=True)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [0, 10])
    assert ax.get_yscale() == "log"


def test_loss_curves_validates(ax):
    with pytest.raises(ValueError, match="has no epochs"):
        plots.loss_curves(ax, {"he": []})
    with pytest.raises(TypeError, match="must be a History"):
        plots.loss_curves(ax, {"he": object()})
    with pytest.raises(TypeError, match="non-empty dict"):
        plots.loss_curves(ax, {})


# ----------------------------------------------------------------------------- decision_boundary


class Softmax2:
    """Class 1 where x1 > 0 (softmax output of two columns)."""

    def forward(self, X):
        p1 = 1.0 / (1.0 + np.exp(-10 * X[:, 0]))
        return np.column_stack([1 - p1, p1])


class Sigmoid1:
    def forward(self, X):
        return 1.0 / (1.0 + np.exp(-10 * X[:, 1:2]))


class PredictOnly:
    def predict(self, X):
        return (X[:, 0] > 0).astype(int)


@pytest.mark.parametrize("net, axis", [(Softmax2(), 0), (Sigmoid1(), 1), (PredictOnly(), 0)])
def test_decision_boundary_regions_follow_the_network(ax, net, axis):
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [0.5, -0.5]])
    y = np.array([0, 1, 1])
    plots.decision_boundary(ax, net, X, y, resolution=11)
    mesh = ax.collections[0]
    classes = np.asarray(mesh.get_array()).reshape(11, 11)
    grid = np.linspace(-1.5, 1.5, 11)
    expected = (grid > 0).astype(int)
    if axis == 0:
        np.testing.assert_array_equal(classes, np.tile(expected, (11, 1)))
    else:
        np.testing.assert_array_equal(classes, np.tile(expected[:, None], (1, 11)))
    points = ax.collections[-1]
    np.testing.assert_array_equal(points.get_offsets(), X)
    np.testing.assert_array_equal(points.get_array(), y)


def test_decision_boundary_validates(ax):
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"shape \(n, 2\), got \(3, 3\)"):
        plots.decision_boundary(ax, Softmax2(), np.zeros((3, 3)), [0, 1, 0])
    with pytest.raises(ValueError, match=r"y must have shape \(3,\)"):
        plots.decision_boundary(ax, Softmax2(), X, [0, 1])
    with pytest.raises(ValueError, match="class labels"):
        plots.decision_boundary(ax, Softmax2(), X, [0.5, 1, 0])
    with pytest.raises(ValueError, match="resolution must be >= 2, got 1"):
        plots.decision_boundary(ax, Softmax2(), X, [0, 1, 0], resolution=1)
    with pytest.raises(TypeError, match=r"needs a network with \.forward"):
        plots.decision_boundary(ax, object(), X, [0, 1, 0])

    class Diverged:
        def forward(self, X):
            return np.full((len(X), 2), np.nan)

    with pytest.raises(ValueError, match="has diverged"):
        plots.decision_boundary(ax, Diverged(), X, [0, 1, 0])


# ----------------------------------------------------------------------------- heatmap


def test_heatmap_shows_values_and_marks_nan(ax):
    values = np.array([[0.5, 0.97], [np.nan, 0.51]])
    plots.heatmap(ax, values, ["zeros", "he"], ["tanh", "relu"], fmt="{:.0%}", colorbar_label="acc")
    image = ax.get_images()[0]
    np.testing.assert_array_equal(np.ma.filled(image.get_array(), -1), [[0.5, 0.97], [-1, 0.51]])
    assert [t.get_text() for t in ax.texts] == ["50%", "97%", "—", "51%"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["tanh", "relu"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["zeros", "he"]
    assert len(ax.figure.axes) == 2  # the colour bar


def test_heatmap_validates(ax):
    with pytest.raises(ValueError, match=r"2-D grid.*shape \(3,\)"):
        plots.heatmap(ax, [1, 2, 3], ["a"], ["b"])
    with pytest.raises(ValueError, match="1 row labels and 1 column labels for a grid of shape"):
        plots.heatmap(ax, [[1, 2]], ["a"], ["b"])
    with pytest.raises(ValueError, match="fmt must be a str.format pattern"):
        plots.heatmap(ax, [[1]], ["a"], ["b"], fmt="{:q}")


def test_no_function_calls_show(monkeypatch, ax):
    def fail():
        raise AssertionError("plots must not call plt.show()")

    monkeypatch.setattr(plt, "show", fail)
    plots.std_over_depth(ax, {"he": [1.0]})
    plots.loss_curves(ax, {"he": [1.0]})
    plt.close(plots.layer_histograms([[1.0, 2.0]]))


def test_with_a_real_network_and_history(ax):
    import initlib

    ds = initlib.load_dataset("moons", n_samples=100, rng=0)
    net = initlib.MLP([2, 8, 2], activation="tanh", init="xavier_normal", rng=0)
    h = initlib.train(net, ds.X_train, ds.y_train, lr=0.1, epochs=3, rng=0,
                      X_val=ds.X_val, y_val=ds.y_val)
    plots.loss_curves(ax, {"xavier_normal": h})
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), h.epoch)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), h.loss)
    fig, ax2 = plt.subplots()
    plots.decision_boundary(ax2, net, ds.X_train, ds.y_train, resolution=10)
    expected = net.predict(np.column_stack([g.ravel() for g in np.meshgrid(
        np.linspace(ds.X_train[:, 0].min() - 0.5, ds.X_train[:, 0].max() + 0.5, 10),
        np.linspace(ds.X_train[:, 1].min() - 0.5, ds.X_train[:, 1].max() + 0.5, 10))]))
    np.testing.assert_array_equal(np.asarray(ax2.collections[0].get_array()).ravel(), expected)
    plt.close(fig)

"""Tests of initlib.explorer: the live widget driven from code, and the kernel-free twin."""

import base64
import importlib.resources
import json
import math
import pathlib
import re
import shutil
import subprocess
import tomllib
import zlib

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from initlib import available_initializers, dead_fraction, layer_stats, plots, saturated_fraction  # noqa: E402
from initlib import explorer  # noqa: E402
from initlib.explorer import Explorer, Run, Settings, make_init  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def ex():
    return Explorer(epochs=4, chunk=2, depth=2, width=8, n_samples=120)


# ----------------------------------------------------------------------------- settings, Run


def test_settings_problems_say_what_is_wrong():
    assert Settings().problems() == []
    problems = Settings(width=0, lr=float("nan"), init="xavier", scale=-1.0).problems()
    text = "; ".join(problems)
    assert "initializer 'xavier' is not one of zeros" in text
    assert "width must be a whole number from 1 to 512, received 0" in text
    assert "learning rate must be a finite number > 0 (e.g. 0.1), received nan" in text
    assert "scale must be a finite number >= 0" in text
    with pytest.raises(ValueError, match=r"Cannot build this network: depth must be a whole number"):
        Run(Settings(depth=0))


def test_make_init_scales_the_registry_initializer():
    W1 = make_init("he_normal")((64, 32), rng=3)
    W3 = make_init("he_normal", 3.0)((64, 32), rng=3)
    np.testing.assert_allclose(W3, 3.0 * W1)
    np.testing.assert_array_equal(make_init("constant", 0.5)((2, 2)), np.full((2, 2), 0.5))
    # normal and uniform are drawn in unit form: scale is the std / the limit
    W = make_init("normal", 0.01)((500, 400), rng=0)
    assert W.std() == pytest.approx(0.01, rel=3 / np.sqrt(W.size))
    U = make_init("uniform", 0.5)((500, 400), rng=0)
    assert U.min() >= -0.5 and U.max() <= 0.5 and U.max() > 0.49


def test_settings_label_names_the_distribution():
    assert Settings(init="normal", scale=0.01, depth=5).label() == "N(0, 0.01²) + tanh, 5 × 32"
    assert Settings(init="he_normal", scale=2.0, activation="relu").label() == "he_normal ×2 + relu, 3 × 32"
    assert Settings(init="uniform", scale=0.5).label().startswith("U(±0.5)")


def test_run_trains_in_chunks_like_one_call():
    s = Settings(depth=2, width=8, n_samples=120, epochs=4)
    a, b = Run(s), Run(s)
    a.step(4)
    b.step(1), b.step(3)
    assert a.epoch == b.epoch == 4
    assert a.curves() == b.curves()
    for Wa, Wb in zip(a.net.weights, b.net.weights):
        np.testing.assert_array_equal(Wa, Wb)


def test_run_views_are_the_networks_values():
    run = Run(Settings(depth=2, width=8, n_samples=120))
    acts, grads = run.inside()
    X, y = run.data.X_train[:300], run.data.y_train[:300]
    bp = run.net.backprop(X, y)
    np.testing.assert_array_equal(acts[1], bp.activations[2])
    np.testing.assert_allclose(grads[0], len(X) * bp.grad_preactivations[0])


def test_run_statistics_are_layer_stats():
    """The table is initlib.layer_stats on the views' batch: its names, its definitions."""
    run = Run(Settings(depth=2, width=8, n_samples=120, activation="relu"))
    run.step(2)
    s = run.stats()
    expected = layer_stats(run.net, run.data.X_train[:300], run.data.y_train[:300])
    for key, value in expected.as_dict().items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(s, key), value)
    assert run.table() == s.table()
    assert list(s.layer) == [1, 2, 3]  # two hidden layers and the output layer


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu", "linear"])
def test_hidden_table_is_layer_stats_from_one_pass(activation):
    """The twin's table (one backprop shared with the histograms) is layer_stats' numbers, exactly."""
    run = Run(Settings(depth=3, width=8, n_samples=120, activation=activation, lr=0.5))
    run.step(2)
    s = run.stats()
    fraction = s.saturated if activation in ("tanh", "sigmoid") else s.dead
    expected = np.column_stack([s.a_mean, s.a_std, fraction, len(run.batch()[0]) * s.grad_z_std,
                                s.W_std])[:3]
    bp = run.backprop()
    np.testing.assert_array_equal(run.hidden_table(bp), expected)
    np.testing.assert_array_equal(run.hidden_table(), expected)
    acts, grads = run.inside(bp)
    assert [a.shape for a in acts] == [g.shape for g in grads] == [(len(run.batch()[0]), 8)] * 3


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu", "linear"])
def test_twin_table_fraction_is_the_stats_definition(activation):
    """The twin's fourth column: stats' saturated fraction, or dead fraction for rectifiers."""
    data = explorer.precompute_twin(inits=(("xavier_normal", "xavier_normal", 1.0),),
                                    activations=(activation,), depths=(3,), epochs=1,
                                    snapshots=2, grid=4, bins=4, workers=1)
    run = Run(Settings(init="xavier_normal", activation=activation, depth=3, lr=0.05))
    X, y = run.data.X_train[:300], run.data.y_train[:300]
    bp = run.net.backprop(X, y)
    table = explorer.twin_table(data, "xavier_normal", activation, 3, epoch=0)
    for l in range(3):
        a, z = bp.activations[l + 1], bp.preactivations[l]
        fraction = (dead_fraction(z, activation) if activation in ("relu", "leaky_relu")
                    else saturated_fraction(a, activation))
        if math.isnan(fraction):
            assert math.isnan(table["fraction"][l])
        else:
            assert table["fraction"][l] == pytest.approx(fraction, abs=5e-3)
        assert table["a_std"][l] == pytest.approx(float(np.std(a)), rel=5e-3)
        assert table["grad_z_std"][l] == pytest.approx(len(X) * float(np.std(bp.grad_preactivations[l])), rel=5e-3)
    label = data["fraction_labels"][activation]
    assert label == explorer.twin.fraction_label(activation)


def test_no_copy_of_the_saturation_thresholds():
    """The thresholds live in initlib.stats only: not in the explorer's Python nor its JavaScript."""
    folder = importlib.resources.files("initlib.explorer")
    for name in ("__init__.py", "runs.py", "widget.py", "twin.py", "twin.js"):
        text = folder.joinpath(name).read_text(encoding="utf-8")
        assert not re.search(r"[<>]=?\s*0?\.(99|01)\b|_SATURATION", text), name


# ----------------------------------------------------------------------------- live widget


def test_explorer_builds_headless_with_all_controls(ex):
    assert set(ex.controls) == {"dataset", "init", "scale", "activation", "depth", "width", "lr", "epochs"}
    assert set(ex.buttons) == {"train", "step", "reset"}
    assert list(ex.controls["init"].options) == available_initializers()
    assert "digits" in ex.controls["dataset"].options
    assert ex.views["image"].startswith(PNG) and ex.image.value == ex.views["image"]
    assert ex.state["epoch"] == 0 and ex.state["error"] is None
    assert len(ex.views["activations"]) == 2
    assert "<table" in ex.table.value and "std of ∂ℒ/∂z" in ex.table.value
    assert list(ex.views["stats"].layer) == [1, 2, 3]
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_changing_a_control_redraws_a_new_network(ex):
    before = dict(ex.views)
    redraws = ex.state["redraws"]
    ex.controls["init"].value = "he_normal"
    assert ex.state["redraws"] == redraws + 1
    assert ex.state["settings"]["init"] == "he_normal"
    assert ex.views["image"] != before["image"]
    assert not np.array_equal(ex.views["activations"][0], before["activations"][0])
    ex.controls["init"].value = "zeros"
    assert all(np.all(a == 0) for a in ex.views["activations"])  # zero init: every unit is 0
    assert "zeros" in ex.message.value


def test_step_train_and_reset(ex):
    ex.buttons["step"].click()
    assert ex.state["epoch"] == 1 and len(ex.views["loss"]) == 2
    redraws = ex.state["redraws"]
    ex.buttons["train"].click()  # 4 more epochs, in chunks of 2: two redraws
    assert ex.state["epoch"] == 5
    assert ex.state["redraws"] == redraws + 2
    assert ex.progress.value == ex.progress.max == 5 and ex.progress.description == "epoch 5"
    assert len(ex.views["loss"]) == len(ex.views["val_loss"]) == 6
    assert ex.views["loss"][-1] < ex.views["loss"][0]
    ex.controls["lr"].value = 0.05  # lr and epochs keep the network
    assert ex.state["epoch"] == 5
    ex.buttons["reset"].click()
    assert ex.state["epoch"] == 0 and len(ex.views["loss"]) == 1


def test_boundary_view_for_2d_data_and_not_for_digits(ex):
    assert ex.views["boundary"].shape == (60 * 60,)
    assert ((0 <= ex.views["boundary"]) & (ex.views["boundary"] <= 1)).all()
    ex.controls["dataset"].value = "digits"
    assert ex.views["boundary"] is None
    assert ex.state["error"] is None and ex.views["image"].startswith(PNG)


@pytest.mark.parametrize(
    "control, value, match",
    [
        ("width", 0, "width must be a whole number from 1 to 512, received 0"),
        ("depth", -1, "depth must be a whole number from 1 to 50, received -1"),
        ("lr", float("nan"), "learning rate must be a finite number > 0 .* received nan"),
        ("lr", float("inf"), "learning rate must be a finite number > 0 .* received inf"),
        ("lr", 0.0, "learning rate must be a finite number > 0"),
        ("scale", float("inf"), "scale must be a finite number >= 0"),
        ("epochs", 0, "epochs must be a whole number from 1 to 2000, received 0"),
    ],
)
def test_bad_settings_give_a_message_in_the_widget(ex, control, value, match):
    image = ex.views["image"]
    ex.controls[control].value = value  # must not raise
    assert re.search(match, ex.state["error"])
    assert "Please fix" in ex.message.value and "B00020" in ex.message.value
    assert ex.buttons["train"].disabled and ex.buttons["step"].disabled
    ex.buttons["train"].click()  # ignored, no traceback
    assert ex.views["image"] == image
    ex.controls[control].value = {"width": 8, "depth": 2, "lr": 0.1, "scale": 1.0, "epochs": 4}[control]
    assert ex.state["error"] is None and not ex.buttons["train"].disabled


def test_divergence_is_reported_not_raised():
    ex = Explorer(init="normal", scale=2.5, activation="relu", depth=6, width=16, epochs=6,
                  n_samples=120, lr=0.1)
    ex.buttons["train"].click()
    assert ex.state["diverged"]
    assert "Diverged at epoch" in ex.message.value
    assert ex.buttons["train"].disabled
    assert ex.views["image"].startswith(PNG)


def test_unknown_names_at_construction_raise():
    with pytest.raises(ValueError, match=r"Explorer\(\): initializer 'glorot' is not one of zeros"):
        Explorer(init="glorot")
    ex = Explorer(width=0, n_samples=120)  # a bad number is a message, as in the widget
    assert "width must be a whole number" in ex.state["error"]


def test_an_unexpected_error_becomes_a_message(ex, monkeypatch):
    def broken(self, epochs=1, lr=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(Run, "step", broken)
    ex.buttons["step"].click()
    assert ex.state["error"] == "Something went wrong: RuntimeError: boom"


# ----------------------------------------------------------------------------- kernel-free twin

SMALL = dict(inits=(("zeros", "zeros", 1.0), ("he_normal", "he_normal", 1.0)),
             activations=("tanh", "relu"), depths=(2,), epochs=4, snapshots=3, grid=8, bins=6,
             n_points=20)


@pytest.fixture(scope="module")
def twin_data():
    return explorer.precompute_twin(workers=1, **SMALL)


def test_twin_is_the_same_computed_in_two_processes(twin_data):
    assert explorer.precompute_twin(workers=2, **SMALL) == twin_data
    with pytest.raises(ValueError, match="workers must be a whole number >= 1, received 0"):
        explorer.precompute_twin(workers=0, **SMALL)


def _payload(page):
    packed = re.search(r'<script type="application/octet-stream" class="initx-data">([^<]*)</script>',
                       page).group(1)
    return json.loads(zlib.decompress(base64.b64decode(packed)))


def test_twin_data_holds_every_setting_and_snapshot(twin_data):
    d = twin_data
    assert d["epochs"] == [0, 1, 4] == explorer.twin.snapshot_epochs(4, 3)
    assert sorted(d["runs"]) == ["he_normal|relu|2", "he_normal|tanh|2", "zeros|relu|2", "zeros|tanh|2"]
    run = d["runs"]["he_normal|tanh|2"]
    assert len(run["loss"]) == len(run["val_loss"]) == 5 and len(run["snaps"]) == 3
    snap = d["snapshots"][run["snaps"][-1]]
    assert len(base64.b64decode(snap["b"])) == 8 * 8 // 2  # 4-bit probabilities
    assert len(base64.b64decode(snap["act"]["q"])) == 2 * 6  # 2 layers × 6 bins
    assert len(snap["t"]) == 2 and len(snap["t"][0]) == 5  # mean, std, sat., grad std, W std
    # zero init + tanh: the hidden layers never change, so snapshots repeat and are shared
    assert len(set(d["runs"]["zeros|tanh|2"]["snaps"])) < 3
    assert d["colors"]["he_normal"] == plots.color_for("he_normal")
    assert d["fraction_labels"] == {"tanh": "saturated (|a| > 0.99)",
                                    "relu": "dead units (z ≤ 0 on every example)"}
    json.dumps(d, allow_nan=False)  # plain JSON, no nan


def test_twin_numbers_match_a_fresh_run(twin_data):
    run = Run(Settings(init="he_normal", activation="tanh", depth=2, width=32, lr=0.05, epochs=4))
    run.step(4)
    loss, _, _ = run.curves()
    assert twin_data["runs"]["he_normal|tanh|2"]["loss"] == [float(f"{v:.4g}") for v in loss]


def test_twin_html_is_deterministic_and_self_contained(twin_data):
    page = explorer.twin_html(twin_data, initial=("he_normal", "relu", 2))
    assert page == explorer.twin_html(explorer.precompute_twin(**SMALL), initial=("he_normal", "relu", 2))
    assert _payload(page) == twin_data
    assert not re.search(r"https?:|//cdn|<link|\bsrc=|@import|require\(|fetch\(|XMLHttpRequest", page)
    assert '<option value="he_normal" selected>' in page
    assert '<option value="relu" selected>' in page
    for name in ("init", "act", "depth", "epoch", "c-loss", "c-boundary", "c-act", "c-grad", "table"):
        assert f'data-initx="{name}"' in page
    assert page.count("<script") == 2 and "id=" not in page  # no ids: two twins may share a page


def test_twin_validates(twin_data):
    with pytest.raises(ValueError, match=r"initial initializer 'xavier' is not in the twin's grid"):
        explorer.twin_html(twin_data, initial=("xavier", "tanh", 2))
    with pytest.raises(ValueError, match="the twin draws 2-D two-class data; 'digits' has 64 features"):
        explorer.precompute_twin(dataset="digits", **SMALL)


def test_kernel_free_twin_returns_html():
    from IPython.display import HTML

    h = explorer.kernel_free_twin(initial=("zeros", "tanh", 2), **SMALL)
    assert isinstance(h, HTML) and h.data.startswith('<div class="initx-twin">')


def test_fast_densities_equal_numpy_histogram():
    rng = np.random.default_rng(0)
    layers = ([rng.normal(0, s, 500) for s in (0.1, 1.0, 3.0)] + [np.array([])]
              + [rng.normal(0, 1, (40, 8)), np.full(7, 9.0)])  # a 2-D layer; one all out of range
    got = explorer.twin._densities(layers, (-2.0, 2.0), 20)
    assert got.shape == (6, 20)
    for l in (0, 1, 2, 4):
        expected = np.histogram(layers[l], bins=20, range=(-2, 2), density=True)[0]
        np.testing.assert_allclose(got[l], expected, rtol=1e-13)
    assert not got[3].any() and not got[5].any()


# ----------------------------------------------------------------------------- package data


def test_javascript_and_css_ship_with_the_package():
    """twin.js and twin.css are files of the installed package, declared in pyproject.toml."""
    folder = importlib.resources.files("initlib.explorer")
    for name in ("twin.js", "twin.css"):
        assert folder.joinpath(name).is_file(), name
        text = folder.joinpath(name).read_text(encoding="utf-8")
        assert explorer.twin.asset(name) == text
        assert text.strip() in explorer.twin_html(explorer.precompute_twin(workers=1, **SMALL))
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "initlib.explorer" in config["packages"]
    assert {"twin.js", "twin.css"} <= set(config["package-data"]["initlib.explorer"])


def test_the_built_wheel_holds_the_javascript_and_css(tmp_path):
    """Building the package (as pip install does) puts twin.js and twin.css next to twin.py."""
    import sys
    import zipfile

    pytest.importorskip("setuptools")
    source = tmp_path / "source"
    shutil.copytree(ROOT / "initlib", source / "initlib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", str(tmp_path / "wheel"), str(source)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (wheel,) = (tmp_path / "wheel").glob("initlib-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"initlib/explorer/twin.js", "initlib/explorer/twin.css",
            "initlib/explorer/twin.py"} <= names


def test_javascript_parses():
    """``node --check`` parses twin.js (a syntax error would leave the twin blank)."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("Node.js is not installed: twin.js was not parsed (apt-get install nodejs)")
    path = importlib.resources.files("initlib.explorer").joinpath("twin.js")
    with importlib.resources.as_file(path) as file:
        result = subprocess.run([node, "--check", str(file)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.kernel
def test_live_explorer_runs_in_a_jupyter_kernel():
    """Displayed and driven in a real kernel, as in JupyterLab: the widgets and their state."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[
        new_code_cell("from initlib.explorer import Explorer\n"
                      "ex = Explorer(depth=2, width=8, n_samples=120, epochs=2)\nex"),
        new_code_cell("ex.buttons['train'].click()\nprint(ex.state['epoch'], ex.state['error'])"),
    ])
    nbclient.NotebookClient(nb, timeout=120, store_widget_state=True).execute()
    assert "application/vnd.jupyter.widget-view+json" in nb.cells[0].outputs[0]["data"]
    assert nb.cells[1].outputs[0]["text"] == "2 None\n"
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    by_model = {}
    for model in state.values():
        by_model.setdefault(model["model_name"], []).append(model["state"])
    assert {"VBoxModel", "DropdownModel", "FloatTextModel", "IntTextModel", "ButtonModel",
            "IntProgressModel", "ImageModel", "HTMLModel"} <= set(by_model)
    assert [p["value"] for p in by_model["IntProgressModel"]] == [2]
    assert any("<table" in h["value"] for h in by_model["HTMLModel"])

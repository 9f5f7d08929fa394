"""Tests of initlib.data: shapes, standardization with training statistics, seeds, errors."""

import numpy as np
import pytest

from initlib import Dataset, available_datasets, load_dataset, standardize

CLASSIFICATION = ["moons", "circles", "blobs", "spirals", "xor", "digits"]


def test_available_datasets():
    assert available_datasets() == ["moons", "circles", "blobs", "spirals", "xor", "digits", "linear"]


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_sets(name):
    ds = load_dataset(name)
    assert isinstance(ds, Dataset) and ds.name == name and ds.task == "classification"
    assert ds.X_train.ndim == 2 and ds.X_train.shape[1] == ds.n_features == len(ds.feature_names)
    assert ds.X_val.shape[1] == ds.n_features
    assert ds.y_train.dtype == np.int64 and ds.y_train.shape == (len(ds.X_train),)
    assert set(np.unique(ds.y_train)) == set(range(ds.n_classes)) == set(np.unique(ds.y_val))
    # standardized with the training statistics: exactly mean 0, std 1 on the training set
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0, atol=1e-12)
    std = ds.X_train.std(axis=0)
    np.testing.assert_allclose(std[std > 0], 1, rtol=1e-12)
    # about a quarter held out, stratified
    n = len(ds.X_train) + len(ds.X_val)
    assert abs(len(ds.X_val) - 0.25 * n) <= ds.n_classes
    for c in range(ds.n_classes):
        share_train = np.mean(ds.y_train == c)
        share_val = np.mean(ds.y_val == c)
        assert abs(share_train - share_val) < 2 / np.sum(ds.y_val == c) ** 0.5


def test_digits_is_the_real_data():
    ds = load_dataset("digits")
    assert len(ds.X_train) + len(ds.X_val) == 1797 and ds.n_features == 64 and ds.n_classes == 10
    # undo the standardization: pixel values are integers 0..16
    raw = ds.X_train * ds.scale + ds.mean
    np.testing.assert_allclose(raw, np.round(raw), atol=1e-9)
    assert raw.min() == pytest.approx(0) and raw.max() == pytest.approx(16)
    # border pixels that are always 0 get scale 1 and stay 0 (no NaN)
    assert np.all(np.isfinite(ds.X_train)) and np.any(ds.scale == 1.0)
    assert ds.feature_names[9] == "pixel_1_1"
    assert len(load_dataset("digits", n_samples=300).X_train) == 225


def test_validation_uses_training_statistics():
    ds = load_dataset("moons", rng=3)
    raw = load_dataset("moons", rng=3, standardize_features=False)
    np.testing.assert_allclose(ds.X_val, (raw.X_val - ds.mean) / ds.scale)
    np.testing.assert_allclose(ds.mean, raw.X_train.mean(axis=0))
    assert np.all(raw.mean == 0) and np.all(raw.scale == 1)
    assert abs(ds.X_val.mean()) > 1e-6               # the validation set is not re-centred


def test_seeds():
    a, b = load_dataset("spirals", rng=1), load_dataset("spirals", rng=1)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    c = load_dataset("spirals", rng=2)
    assert not np.array_equal(a.X_train, c.X_train)


def test_options_noise_and_sizes():
    ds = load_dataset("spirals", n_samples=200, n_classes=2, turns=1.5, noise=0.0)
    assert ds.n_classes == 2 and len(ds.X_train) + len(ds.X_val) == 200
    assert "1.5 turn(s)" in ds.description
    assert load_dataset("blobs", n_classes=5).n_classes == 5
    quiet, noisy = load_dataset("xor", noise=0.01), load_dataset("xor", noise=0.5)
    # with tiny noise the points sit on the four corners: |x| is nearly constant per feature
    assert np.std(np.abs(quiet.X_train)) < 0.05 < np.std(np.abs(noisy.X_train))
    ds = load_dataset("moons", val_fraction=0)
    assert ds.X_val.shape == (0, 2) and len(ds.X_train) == 500


def test_linear_regression_toy():
    ds = load_dataset("linear", n_features=3, n_outputs=2, noise=0.0)
    assert ds.task == "regression" and ds.n_classes is None and ds.n_outputs == 2
    assert ds.y_train.shape == (len(ds.X_train), 2) and ds.y_train.dtype == np.float64
    # noise 0: y is exactly linear in x (least squares residual ~ 0)
    A = np.c_[ds.X_train, np.ones(len(ds.X_train))]
    coef, res, *_ = np.linalg.lstsq(A, ds.y_train, rcond=None)
    assert np.max(np.abs(A @ coef - ds.y_train)) < 1e-10
    assert "regression" in repr(ds)


def test_arrays_are_read_only_and_unpack():
    ds = load_dataset("xor")
    with pytest.raises(ValueError, match="read-only"):
        ds.X_train[0, 0] = 1.0
    X_train, y_train, X_val, y_val = ds
    assert X_train is ds.X_train and y_val is ds.y_val
    assert repr(ds) == "Dataset('xor': 300 train / 100 val, 2 features, 2 classes)"


def test_standardize_constant_feature():
    Xt, Xv, mean, scale = standardize([[1.0, 5.0], [3.0, 5.0]], [[5.0, 6.0]])
    np.testing.assert_array_equal(Xt, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(Xv, [[3.0, 1.0]])
    np.testing.assert_array_equal(scale, [1.0, 1.0])


def test_errors():
    with pytest.raises(ValueError, match=r"Unknown dataset 'moon'. Did you mean 'moons'\? Valid names: moons, circles"):
        load_dataset("moon")
    with pytest.raises(ValueError, match=r"Unknown dataset 'cifar10'\. Valid names"):
        load_dataset("cifar10")
    with pytest.raises(ValueError, match="n_samples must be >= 4, got 2; e.g. n_samples=500"):
        load_dataset("moons", n_samples=2)
    with pytest.raises(TypeError, match="n_samples must be an int, got 10.5 of type float"):
        load_dataset("moons", n_samples=10.5)
    with pytest.raises(ValueError, match="digits has 1797 images, got n_samples=2000"):
        load_dataset("digits", n_samples=2000)
    with pytest.raises(ValueError, match="noise must be >= 0.0, got -0.1; e.g. noise=0.2"):
        load_dataset("moons", noise=-0.1)
    with pytest.raises(ValueError, match="Dataset 'digits' is real data and takes no noise, got noise=0.1"):
        load_dataset("digits", noise=0.1)
    with pytest.raises(ValueError, match=r"val_fraction must be < 1.0, got 1.0"):
        load_dataset("moons", val_fraction=1)
    with pytest.raises(ValueError, match="Dataset 'moons' takes no option 'n_classes'; its options are: none"):
        load_dataset("moons", n_classes=3)
    with pytest.raises(ValueError, match="n_classes must be >= 2, got 1"):
        load_dataset("spirals", n_classes=1)
    with pytest.raises(ValueError, match="n_features must be >= 1, got 0"):
        load_dataset("linear", n_features=0)


def test_docstring_examples_run():
    import doctest

    import initlib.data

    result = doctest.testmod(initlib.data, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_digits_read_without_sklearn_are_load_digits_exactly():
    """The fast path reads scikit-learn's own file; it must give load_digits' arrays bit for bit."""
    from sklearn.datasets import load_digits

    from initlib.data import _load_digits

    X_fast, y_fast = _load_digits()
    X_ref, y_ref = load_digits(return_X_y=True)
    assert X_fast.dtype == X_ref.dtype and y_fast.dtype == y_ref.dtype
    np.testing.assert_array_equal(X_fast, X_ref)
    np.testing.assert_array_equal(y_fast, y_ref)


def test_loading_digits_does_not_import_sklearn():
    """load_dataset('digits') in a fresh interpreter leaves scikit-learn unimported (it costs ~1 s)."""
    import subprocess
    import sys

    code = ("import sys, initlib; initlib.load_dataset('digits', n_samples=100, rng=0); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr

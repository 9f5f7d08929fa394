"""Datasets for the chapters: small 2-D toy problems, real handwritten digits, a regression toy.

Every dataset comes back as a :class:`Dataset`: a seeded train/validation split
whose features are standardized with the *training* mean and standard
deviation only (the validation set is transformed with the same numbers, as a
test set would be). Nothing is downloaded: the 2-D sets are generated here or
by scikit-learn, and ``load_digits`` is real data that ships inside
scikit-learn.

>>> from initlib import load_dataset
>>> ds = load_dataset("moons", n_samples=400, rng=0)
>>> ds.X_train.shape, ds.X_val.shape, ds.n_classes
((300, 2), (100, 2), 2)

=========  ==========================================================  ==========
name       what                                                        classes
=========  ==========================================================  ==========
moons      two interleaving half circles (``sklearn.make_moons``)      2
circles    a circle inside a circle (``sklearn.make_circles``)         2
blobs      isotropic Gaussian clusters (``sklearn.make_blobs``)        3 (option)
spirals    interleaved spiral arms, as in CS231n's classic toy         3 (option)
xor        four Gaussian clusters at (±1, ±1), label = XOR of signs    2
digits     8x8 handwritten digits, 1797 images (``load_digits``)       10
linear     regression: y = A x + noise, a random linear "teacher"      regression
=========  ==========================================================  ==========
"""

from __future__ import annotations

import gzip
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._validation import check_int, check_name, check_real, check_rng

__all__ = ["Dataset", "load_dataset", "available_datasets", "standardize"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """A seeded, standardized train/validation split.

    The arrays are read-only: copy them (``ds.X_train.copy()``) to modify.

    Attributes
    ----------
    X_train, y_train : ndarray
        Training features ``(n_train, n_features)`` (float64, standardized) and
        targets: integer class labels ``(n_train,)`` for classification, floats
        ``(n_train, n_outputs)`` for regression.
    X_val, y_val : ndarray
        Validation features and targets, standardized with the *training*
        statistics.
    name : str
        The dataset's registry name.
    n_classes : int or None
        Number of classes; ``None`` for regression.
    feature_names : tuple of str
        One name per feature, e.g. ``("x1", "x2")`` or ``("pixel_0_0", ...)``.
    mean, scale : ndarray
        The training statistics used to standardize: ``X = (X_raw - mean) / scale``.
        Features that are constant in the training set (the digits' border
        pixels) get ``scale = 1`` so they stay 0 instead of becoming NaN.
    description : str
        One line: what the data is and how it was made.

    Examples
    --------
    >>> from initlib import load_dataset
    >>> X_train, y_train, X_val, y_val = load_dataset("xor", n_samples=200)
    >>> X_train.shape
    (150, 2)
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    name: str
    n_classes: int | None
    feature_names: tuple = ()
    mean: np.ndarray = field(default=None, repr=False)
    scale: np.ndarray = field(default=None, repr=False)
    description: str = ""

    @property
    def n_features(self):
        """Number of input features (columns of ``X_train``)."""
        return self.X_train.shape[1]

    @property
    def n_outputs(self):
        """Output units a network needs: ``n_classes`` (or 1 for a binary
        sigmoid output, your choice) for classification, the target width for
        regression."""
        return self.n_classes if self.n_classes is not None else self.y_train.shape[1]

    @property
    def task(self):
        """``"classification"`` or ``"regression"``."""
        return "regression" if self.n_classes is None else "classification"

    def __iter__(self):
        """Unpack as ``X_train, y_train, X_val, y_val``."""
        return iter((self.X_train, self.y_train, self.X_val, self.y_val))

    def __repr__(self):
        kind = (
            f"{self.n_classes} classes" if self.n_classes is not None
            else f"regression, {self.y_train.shape[1]} output(s)"
        )
        return (
            f"Dataset({self.name!r}: {len(self.X_train)} train / {len(self.X_val)} val, "
            f"{self.n_features} features, {kind})"
        )


# ---------------------------------------------------------------------------
# Standardization
# ---------------------------------------------------------------------------
def standardize(X_train, *others):
    r"""Standardize with the training statistics: :math:`x' = (x - \mu) / s`.

    :math:`\mu` and :math:`s` are the per-feature mean and standard deviation
    of ``X_train`` only; the other arrays (validation, test) are transformed
    with the same numbers, so no information leaks from them. A feature that
    is constant in ``X_train`` gets :math:`s = 1`.

    Parameters
    ----------
    X_train : array_like, shape (n, d)
    *others : array_like, shape (m, d)

    Returns
    -------
    arrays : tuple of ndarray
        ``(X_train', *others', mean, scale)``.

    Examples
    --------
    >>> import numpy as np
    >>> from initlib import standardize
    >>> Xt, Xv, mean, scale = standardize(np.array([[0.0], [2.0]]), np.array([[4.0]]))
    >>> Xt.ravel(), Xv.ravel()
    (array([-1.,  1.]), array([3.]))
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    mean = X_train.mean(axis=0)
    scale = X_train.std(axis=0)
    scale[scale == 0] = 1.0
    out = [(np.asarray(X, dtype=np.float64) - mean) / scale for X in (X_train, *others)]
    return (*out, mean, scale)


# ---------------------------------------------------------------------------
# Generators. Each takes (n_samples, noise, rng, **options) and returns the
# raw (X, y, n_classes, description): four values.
# ---------------------------------------------------------------------------
def _sklearn_seed(rng):
    """scikit-learn wants an int or a RandomState: draw the int from our Generator."""
    return int(rng.integers(2**31 - 1))


def _moons(n_samples, noise, rng):
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=_sklearn_seed(rng))
    return X, y, 2, f"two interleaving half circles, Gaussian noise std {noise}"


def _circles(n_samples, noise, rng, factor=0.5):
    from sklearn.datasets import make_circles

    X, y = make_circles(
        n_samples=n_samples, noise=noise, factor=factor, random_state=_sklearn_seed(rng)
    )
    return X, y, 2, f"a circle inside a circle (radius ratio {factor}), noise std {noise}"


def _blobs(n_samples, noise, rng, n_classes=3):
    from sklearn.datasets import make_blobs

    X, y = make_blobs(
        n_samples=n_samples, centers=n_classes, n_features=2, cluster_std=noise,
        random_state=_sklearn_seed(rng),
    )
    return X, y, n_classes, f"{n_classes} Gaussian blobs with std {noise}"


def _spirals(n_samples, noise, rng, n_classes=3, turns=1.0):
    # Arm k: radius r in [0, 1], angle t = 2*pi*turns*r + 2*pi*k/K (+ noise).
    y = np.arange(n_samples) % n_classes
    r = rng.uniform(0.0, 1.0, n_samples)
    t = 2 * np.pi * turns * r + 2 * np.pi * y / n_classes + noise * rng.standard_normal(n_samples)
    X = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return X, y, n_classes, f"{n_classes} spiral arms, {turns} turn(s), angular noise std {noise}"


def _xor(n_samples, noise, rng):
    centers = rng.choice([-1.0, 1.0], size=(n_samples, 2))
    X = centers + noise * rng.standard_normal((n_samples, 2))
    y = (centers[:, 0] != centers[:, 1]).astype(np.int64)
    return X, y, 2, f"XOR: clusters at (±1, ±1) with std {noise}, label 1 where the signs differ"


def _digits_file():
    """Path of the CSV that ``sklearn.datasets.load_digits`` reads, found without importing sklearn.

    Importing scikit-learn costs about a second (scipy, joblib, ...), in every chapter that
    loads the digits. ``importlib.util.find_spec`` locates the installed package without
    running it; None if the file is not where scikit-learn keeps it.
    """
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    return path if path.is_file() else None


def _load_digits():
    """``(X, y)`` of scikit-learn's digits, exactly as ``load_digits(return_X_y=True)`` gives them.

    Reads scikit-learn's own data file the way ``load_digits`` does (``np.loadtxt`` of the
    gzipped CSV, the label in the last column); falls back to ``load_digits`` itself if
    that file is not found. ``tests/test_data.py`` checks the two are identical.
    """
    path = _digits_file()
    if path is None:  # pragma: no cover - a scikit-learn that keeps its data elsewhere
        from sklearn.datasets import load_digits

        return load_digits(return_X_y=True)
    with gzip.open(path, "rt") as f:
        data = np.loadtxt(f, delimiter=",")
    return data[:, :-1], data[:, -1].astype(int, copy=False)


def _digits(n_samples, noise, rng):
    X, y = _load_digits()
    if n_samples is not None and n_samples > len(X):
        raise ValueError(
            f"digits has {len(X)} images, got n_samples={n_samples}; pass n_samples <= "
            f"{len(X)} or leave it out for all of them."
        )
    if n_samples is not None and n_samples < len(X):
        keep = np.sort(rng.permutation(len(X))[:n_samples])
        X, y = X[keep], y[keep]
    return X, y, 10, "8x8 handwritten digits 0-9 (scikit-learn's load_digits, UCI), pixel values 0-16"


def _linear(n_samples, noise, rng, n_features=2, n_outputs=None):
    n_outputs = n_features if n_outputs is None else n_outputs
    X = rng.standard_normal((n_samples, n_features))
    A = rng.standard_normal((n_outputs, n_features)) / np.sqrt(n_features)
    y = X @ A.T + noise * rng.standard_normal((n_samples, n_outputs))
    return X, y, None, (
        f"regression y = A x + noise: A ~ N(0, 1/{n_features}) of shape "
        f"({n_outputs}, {n_features}), noise std {noise}"
    )


# name -> (generator, default n_samples, default noise or None if it takes none)
_DATASETS = {
    "moons": (_moons, 500, 0.2),
    "circles": (_circles, 500, 0.1),
    "blobs": (_blobs, 500, 1.0),
    "spirals": (_spirals, 600, 0.2),
    "xor": (_xor, 400, 0.3),
    "digits": (_digits, None, None),
    "linear": (_linear, 500, 0.0),
}


def available_datasets():
    """Names accepted by :func:`load_dataset`, in a fixed order.

    Examples
    --------
    >>> from initlib import available_datasets
    >>> available_datasets()
    ['moons', 'circles', 'blobs', 'spirals', 'xor', 'digits', 'linear']
    """
    return list(_DATASETS)


def _split(n, val_fraction, y, stratify, rng):
    """Indices (train, val), stratified by class when ``stratify``."""
    if not stratify:
        perm = rng.permutation(n)
        n_val = int(round(val_fraction * n))
        return np.sort(perm[n_val:]), np.sort(perm[:n_val])
    train, val = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_val = int(round(val_fraction * len(idx)))
        val.append(idx[:n_val])
        train.append(idx[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def _frozen(a):
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def load_dataset(name, *, n_samples=None, noise=None, val_fraction=0.25, rng=0,
                 standardize_features=True, **options):
    """Load a seeded, standardized dataset split into training and validation sets.

    Features are standardized with the training statistics only (see
    :func:`standardize`). Classification splits are stratified: each class
    contributes ``val_fraction`` of its examples to the validation set.

    Parameters
    ----------
    name : str
        One of :func:`available_datasets`: ``moons``, ``circles``, ``blobs``,
        ``spirals``, ``xor``, ``digits``, ``linear``.
    n_samples : int, optional
        Total number of examples before the split. Defaults: moons/circles/blobs
        500, spirals 600, xor 400, linear 500, digits all 1797 (a smaller value
        draws a seeded subset).
    noise : float, optional
        Noise level, in the raw (unstandardized) units: Gaussian std for moons
        (default 0.2), circles (0.1), xor (0.3), the regression targets of
        linear (0.0); the cluster std for blobs (1.0); angular std in radians
        for spirals (0.2). ``digits`` is real data and takes no noise.
    val_fraction : float
        Fraction of the examples held out for validation, in [0, 1).
    rng : int, Generator or None
        Seed for everything random (generation, subset, split). Default 0,
        so a chapter gets the same data every time.
    standardize_features : bool
        Standardize with training statistics (default). ``False`` keeps raw
        features (``mean`` = 0, ``scale`` = 1).
    **options
        Dataset-specific: ``n_classes`` (blobs, spirals), ``turns`` (spirals,
        default 1.0), ``factor`` (circles, default 0.5), ``n_features`` and
        ``n_outputs`` (linear; default 2 and ``n_features``).

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        Unknown name (with the valid names and the closest match), bad
        ``n_samples``/``noise``/``val_fraction``, or an option the dataset
        does not take.

    Examples
    --------
    >>> from initlib import load_dataset
    >>> ds = load_dataset("digits")
    >>> ds
    Dataset('digits': 1347 train / 450 val, 64 features, 10 classes)
    >>> ds = load_dataset("spirals", n_samples=300, n_classes=2, rng=1)
    >>> sorted(set(ds.y_train.tolist()))
    [0, 1]
    """
    check_name(name, "dataset", _DATASETS, "Use e.g. load_dataset('moons').")
    make, default_n, default_noise = _DATASETS[name]
    if n_samples is None:
        n_samples = default_n
    else:
        n_samples = check_int(n_samples, "n_samples", example="n_samples=500", minimum=4)
    if default_noise is None:
        if noise is not None:
            raise ValueError(
                f"Dataset {name!r} is real data and takes no noise, got noise={noise!r}; "
                f"drop noise=."
            )
    elif noise is None:
        noise = default_noise
    else:
        noise = check_real(noise, "noise", example="noise=0.2", minimum=0.0)
    val_fraction = check_real(val_fraction, "val_fraction", minimum=0.0, below=1.0,
                              example="val_fraction=0.25 (0 for no validation set)")
    import inspect

    allowed = [p for p in inspect.signature(make).parameters if p not in ("n_samples", "noise", "rng")]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(
            f"Dataset {name!r} takes no option {', '.join(map(repr, unknown))}; "
            f"its options are: {', '.join(allowed) if allowed else 'none'}."
        )
    for key, minimum in (("n_classes", 2), ("n_features", 1), ("n_outputs", 1)):
        if options.get(key) is not None:
            options[key] = check_int(options[key], key, minimum=minimum)

    rng = check_rng(rng)
    gen_rng, split_rng = rng.spawn(2)
    X, y, n_classes, description = make(n_samples, noise, gen_rng, **options)
    is_classification = n_classes is not None
    if is_classification:
        y = np.asarray(y, dtype=np.int64)
    train, val = _split(len(X), val_fraction, y, is_classification, split_rng)
    if standardize_features:
        X_train, X_val, mean, scale = standardize(X[train], X[val])
    else:
        X_train, X_val = X[train].astype(np.float64), X[val].astype(np.float64)
        mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
    if name == "digits":
        feature_names = tuple(f"pixel_{i}_{j}" for i in range(8) for j in range(8))
    else:
        feature_names = tuple(f"x{i + 1}" for i in range(X.shape[1]))
    return Dataset(
        X_train=_frozen(X_train),
        y_train=_frozen(y[train]),
        X_val=_frozen(X_val),
        y_val=_frozen(y[val]),
        name=name,
        n_classes=n_classes,
        feature_names=feature_names,
        mean=_frozen(mean),
        scale=_frozen(scale),
        description=description,
    )

"""Input checks at initlib's public boundary: one module, one policy, one wording.

Every public function checks its arguments with these helpers (as scikit-learn's
estimators all call ``check_array``), so the same mistake gives the same message
everywhere:

- the wrong *type* (a float where a size is needed, a string for a number) raises
  ``TypeError``; a value of the right type that is not allowed (negative, not
  finite, an unknown name, the wrong shape) raises ``ValueError``;
- every message says what was expected, what was received ("got ..."), and how to
  fix it ("e.g. lr=0.1").

Inside initlib, code trusts data that has passed these checks.
"""

from __future__ import annotations

import difflib
import math
from numbers import Integral, Real

import numpy as np

__all__ = [
    "unknown_name", "is_number", "check_real", "check_int", "check_bool", "check_choice",
    "check_name", "check_rng", "check_shape", "check_layer_sizes", "check_dtype", "check_finite",
    "check_numeric_array", "check_sequence_length", "check_callable",
]


def _got(value):
    """``'x' of type T`` for messages about types."""
    return f"{value!r} of type {type(value).__name__}"


def _hint(example):
    return f"; e.g. {example}." if example else "."


def unknown_name(kind, name, valid, how="", *, noun="names"):
    """A ValueError naming what was received, the closest valid name and all of them.

    >>> print(unknown_name("activation", "relu6", ["relu", "tanh"], "Pass one of them."))
    Unknown activation 'relu6'. Did you mean 'relu'? Valid names: relu, tanh. Pass one of them.
    """
    valid = [str(v) for v in valid]
    close = difflib.get_close_matches(str(name), valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    message = f"Unknown {kind} {name!r}.{hint} Valid {noun}: {', '.join(valid)}."
    return ValueError(f"{message} {how}" if how else message)


def is_number(x):
    """A real number that is not a bool."""
    return isinstance(x, Real) and not isinstance(x, (bool, np.bool_))


def check_real(value, name, *, example=None, minimum=None, below=None, positive=False,
               allow_none=False):
    """``value`` as a finite float, or TypeError (not a number) / ValueError (out of range).

    ``minimum`` is inclusive, ``below`` exclusive, ``positive`` means > 0.

    >>> check_real(0.5, "momentum", minimum=0.0, below=1.0)
    0.5
    """
    if value is None and allow_none:
        return None
    if not is_number(value):
        raise TypeError(f"{name} must be a real number{' or None' if allow_none else ''}, "
                        f"got {_got(value)}{_hint(example)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}{_hint(example)}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}{_hint(example)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum!r}, got {value!r}{_hint(example)}")
    if below is not None and not value < below:
        raise ValueError(f"{name} must be < {below!r}, got {value!r}{_hint(example)}")
    return value


def check_int(value, name, *, example=None, minimum=1, allow_none=False):
    """``value`` as an int >= ``minimum``; TypeError for non-ints (2.5, True), ValueError below.

    >>> check_int(3, "epochs")
    3
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int{' or None' if allow_none else ''}, "
                        f"got {_got(value)}{_hint(example)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}{_hint(example)}")
    return int(value)


def check_bool(value, name):
    """True or False (numpy bools too), else TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_got(value)}.")
    return bool(value)


def check_choice(value, name, choices, how="", *, noun="values"):
    """``value`` if it is one of ``choices``, else the :func:`unknown_name` ValueError."""
    try:
        known = value in choices
    except TypeError:           # unhashable
        known = False
    if not known:
        raise unknown_name(name, value, choices, how, noun=noun)
    return value


def check_name(name, kind, valid, how="", *, alternative=None):
    """``name`` if it is one of ``valid``: TypeError if it is not a str, else :func:`unknown_name`.

    ``alternative`` names what else the caller accepts instead of a name (e.g. "an
    Activation"); ``how`` ends the unknown-name message.
    """
    if not isinstance(name, str):
        other = f" or {alternative}" if alternative else ""
        raise TypeError(f"{kind} must be a name (str){other}, got {_got(name)}.")
    if name not in valid:
        raise unknown_name(kind, name, valid, how)
    return name


def check_callable(value, name, example):
    """``value`` if callable, else TypeError."""
    if not callable(value):
        raise TypeError(f"{name} must be a function, got {_got(value)}{_hint(example)}")
    return value


def check_rng(rng):
    """``np.random.default_rng(rng)`` for None, an int seed or a Generator (SPEC 7)."""
    example = "rng=0 or rng=np.random.default_rng(0)"
    if isinstance(rng, np.random.RandomState):
        raise TypeError(
            "rng must be None, an int seed or a np.random.Generator, got a legacy "
            "np.random.RandomState; use rng=np.random.default_rng(seed) instead."
        )
    if isinstance(rng, (bool, np.bool_)) or not (
        rng is None
        or isinstance(rng, (Integral, np.random.Generator, np.random.BitGenerator,
                            np.random.SeedSequence))
    ):
        raise TypeError(f"rng must be None, an int seed or a np.random.Generator, "
                        f"got {_got(rng)}{_hint(example)}")
    if isinstance(rng, Integral) and rng < 0:
        raise ValueError(f"an int seed for rng must be >= 0, got {rng!r}{_hint(example)}")
    return np.random.default_rng(rng)


def check_shape(shape, *, min_dims=0, name="shape"):
    """``shape`` as a tuple of positive Python ints (an int is a 1-D shape)."""
    if isinstance(shape, np.ndarray) and shape.ndim != 1:
        raise TypeError(
            f"{name} must be a tuple of ints such as (fan_out, fan_in), got an array "
            f"with shape {shape.shape}; did you mean to pass `array.shape`?"
        )
    if isinstance(shape, Integral) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    if not isinstance(shape, (tuple, list, np.ndarray)):
        raise TypeError(f"{name} must be a tuple or list of ints such as (fan_out, fan_in), "
                        f"got {_got(shape)}.")
    dims = tuple(shape.tolist() if isinstance(shape, np.ndarray) else shape)
    for d in dims:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, Integral):
            raise TypeError(
                f"{name} must contain ints, got {dims!r} with {_got(d)}; write sizes as "
                f"ints, e.g. (64, 32), not (64.0, 32.0)."
            )
    dims = tuple(int(d) for d in dims)
    if any(d <= 0 for d in dims):
        raise ValueError(
            f"{name} must contain positive sizes, got {dims!r}; every dimension must be >= 1."
        )
    if len(dims) < min_dims:
        raise ValueError(
            f"{name} must have at least {min_dims} dimensions (fan_out, fan_in, *kernel) "
            f"to define fan_in and fan_out, got {dims!r} with {len(dims)}. Weight "
            f"matrices are (fan_out, fan_in); for a bias vector use zeros, constant, "
            f"normal or uniform, which accept any shape."
        )
    return dims


def check_layer_sizes(layer_sizes, name="layer_sizes", *, min_length=2):
    """A list of positive ints with at least ``min_length`` entries, as a tuple."""
    example = "[2, 16, 1] for 2 inputs, one hidden layer of 16 units and 1 output"
    try:
        sizes = list(layer_sizes)
    except TypeError:
        raise TypeError(f"{name} must be a list of ints such as [2, 16, 16, 2], "
                        f"got {_got(layer_sizes)}.") from None
    if len(sizes) < min_length:
        raise ValueError(f"{name} needs at least {min_length} entries (inputs and outputs), "
                         f"got {sizes!r}; e.g. {example}.")
    for n in sizes:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, Integral):
            raise TypeError(f"{name} must contain ints, got {sizes!r} with {_got(n)}.")
    if any(n < 1 for n in sizes):
        raise ValueError(f"{name} must be positive, got {sizes!r}: a layer of width "
                         f"{min(sizes)} has no units. Every entry must be >= 1.")
    return tuple(int(n) for n in sizes)


def check_dtype(dtype):
    """float32 or float64 as a numpy dtype."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be np.float32 or np.float64, got {_got(dtype)}.") from None
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}; e.g. dtype=np.float32.")
    return dtype


def check_finite(a, name):
    """ValueError counting the NaN/inf entries of ``a``, if any."""
    if not np.all(np.isfinite(a)):
        bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
        raise ValueError(
            f"{name} contains {bad} NaN or inf value(s); clean the data first, e.g. "
            f"drop those rows with {name}[np.isfinite({name}).all(axis=1)]."
        )


def check_numeric_array(a, name):
    """``np.asarray(a)`` if its dtype is numeric (or bool), else TypeError."""
    a = np.asarray(a)
    if a.dtype.kind not in "biufc":                 # bool, ints, floats, complex
        raise TypeError(f"{name} must be a numeric array, got dtype {a.dtype}.")
    return a


def check_sequence_length(seq, n, name, what):
    """``seq`` as a list of ``n`` entries, else TypeError (not a sequence) / ValueError."""
    if not isinstance(seq, (list, tuple)):
        raise TypeError(f"{name} must be a list of {n} entries ({what}), got {_got(seq)}.")
    if len(seq) != n:
        raise ValueError(f"{name} must have {n} entries ({what}), got {len(seq)}.")
    return list(seq)

r"""The ``INITLIB_PERTURB_ULP`` switch: nudge every initial parameter by a few ulps.

A chapter's printed numbers must not change when the last bits of arithmetic
change (another BLAS kernel, another thread count). To check that by hand, set
the environment variable ``INITLIB_PERTURB_ULP`` to an integer ``k`` (it may be
negative; unset, empty or ``0`` means off) and run the notebook again: every
initial parameter array that initlib creates is then multiplied elementwise by

.. math:: 1 + k \cdot 2^{-52},

a relative change of ``k`` units in the last place of float64 (between ``|k|``
and ``2|k|`` ulps of each entry; zeros stay zeros). An output that changes under
``k = 4`` and ``k = -4`` depends on rounding, not on the experiment.

What is perturbed, exactly once per array:

- the result of every public initializer (:func:`initlib.variance_scaling` and
  its presets, ``orthogonal``, ``normal``, ``uniform``, ``constant``, ``ones``,
  ``zeros``);
- every parameter of a network made from a spec (a name, a callable, a number
  or an array), e.g. by :class:`initlib.MLP`, ``signal_propagation`` and the
  chapter networks built on them. A spec that calls an initlib initializer
  inside is still perturbed once: nested creations are not perturbed again.

The product is taken in float64; a network that casts its parameters to float32 (a
``dtype=np.float32`` :class:`initlib.MLP`, through :func:`cast_initial`) then nudges
them again by ``k`` units of float32's last place, :math:`1 + k \cdot 2^{-23}`, since
the float64 nudge would round away. The variable is read
at every call (not cached at import), so ``os.environ["INITLIB_PERTURB_ULP"] = "4"``
in a running kernel takes effect at the next initialization.
"""

import contextvars
import functools
import os

import numpy as np

ENV_VAR = "INITLIB_PERTURB_ULP"

#: Largest accepted |k|: a relative change of 2**-26, far beyond rounding noise.
MAX_ULP = 2 ** 26

_creating = contextvars.ContextVar("initlib_creating_parameters", default=False)


def perturb_ulp():
    """The integer ``k`` of ``INITLIB_PERTURB_ULP`` (0 when unset or empty).

    Raises
    ------
    ValueError
        The variable is not an integer, or ``|k| > MAX_ULP``.
    """
    raw = os.environ.get(ENV_VAR, "").strip()
    if raw == "":
        return 0
    try:
        k = int(raw)
    except ValueError:
        raise ValueError(
            f"The environment variable {ENV_VAR} must be an integer number of ulps such as "
            f"4 or -4, got {raw!r}; unset it (or set it to 0) to leave parameters unchanged."
        ) from None
    if abs(k) > MAX_ULP:
        raise ValueError(
            f"The environment variable {ENV_VAR} must be between -{MAX_ULP} and {MAX_ULP}, "
            f"got {k}; a few ulps (e.g. 4 or -4) are enough to expose rounding-dependent output."
        )
    return k


def perturb(array):
    """``array * (1 + k * 2**-52)`` with ``k`` from ``INITLIB_PERTURB_ULP``; ``array`` itself if k is 0."""
    k = perturb_ulp()
    if k == 0:
        return array
    return array * (1.0 + k * 2.0 ** -52)


def creates_initial_parameters(function):
    """Decorator: ``function``'s result is a new initial parameter; :func:`perturb` it once.

    Only the outermost decorated call perturbs, so a network's parameter helper that
    calls an initializer (or a preset that calls ``variance_scaling``) is nudged once.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if _creating.get():
            return function(*args, **kwargs)
        token = _creating.set(True)
        try:
            result = function(*args, **kwargs)
        finally:
            _creating.reset(token)
        return perturb(result)

    return wrapper


def cast_initial(array, dtype):
    """``array`` (initial parameters, already nudged in float64) cast to ``dtype``.

    For float32 the nudge is applied again at float32's precision, ``1 + k * 2**-23``,
    so that a float32 network's initial parameters really change by about ``k`` ulps.
    """
    out = np.asarray(array).astype(dtype)
    k = perturb_ulp()
    if k and out.dtype == np.float32:
        out *= np.float32(1.0 + k * 2.0 ** -23)
    return out


__all__ = ["ENV_VAR", "MAX_ULP", "perturb_ulp", "perturb", "cast_initial",
           "creates_initial_parameters"]
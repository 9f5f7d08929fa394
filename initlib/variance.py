r"""Variance propagation: what the theory predicts, and Monte Carlo estimates to check it.

The derivation of Xavier/LeCun initialization (chapter "Deriving Xavier
initialization") rests on three facts, each a function here:

==================================  =================================================
``product_variance``                Var(XY) of independent X, Y, with their means
``linear_variance_prediction``      the linear theory, layer by layer, forward
                                    (Var a[l]) or backward (Var of dL/da[l])
``mean_field_moments``              the same recursion with the nonlinearity kept,
                                    assuming each pre-activation is Gaussian
``sample_variance``                 a sample variance with its standard error, so a
                                    prediction can be checked with a tolerance
==================================  =================================================

Notation (the source text's): layer ``l`` has ``n[l]`` units, ``W[l]`` has shape
``(n[l], n[l-1])``, ``z[l] = W[l] a[l-1] + b[l]`` and ``a[l] = g(z[l])``; ``a[0] = x``.
The linear theory says

.. math:: \mathrm{Var}(a^{[L]}) = \Big[\prod_{l=1}^{L} n^{[l-1]}\,\mathrm{Var}(W^{[l]})\Big]\,
          \mathrm{Var}(x),

and, backward, :math:`\mathrm{Var}(\delta^{[l-1]}) = n^{[l]}\,\mathrm{Var}(W^{[l]})\,
\mathrm{Var}(\delta^{[l]})` with :math:`\delta^{[l]} = \partial L/\partial a^{[l]}`.

>>> from initlib.variance import linear_variance_prediction
>>> linear_variance_prediction([100, 100, 100], 1 / 100).tolist()
[1.0, 1.0]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import check_layer_sizes, check_real, unknown_name

__all__ = [
    "Estimate",
    "Moments",
    "sample_variance",
    "product_variance",
    "linear_variance_prediction",
    "mean_field_moments",
]


class Estimate(NamedTuple):
    """A Monte Carlo estimate and its standard error (the std of the estimate itself)."""

    value: float
    se: float

    def agrees_with(self, prediction, k=3.0):
        """True if ``prediction`` is within ``k`` standard errors of the estimate."""
        return bool(abs(float(prediction) - self.value) <= k * self.se)


class Moments(NamedTuple):
    """Per-layer moments, layers 1..L, from :func:`mean_field_moments`."""

    var_z: np.ndarray
    mean_a: np.ndarray
    var_a: np.ndarray
    second_moment_a: np.ndarray


def sample_variance(x):
    r"""Sample variance of all values of ``x`` and its standard error.

    The standard error of the sample variance :math:`s^2` of :math:`N` independent
    values is :math:`\sqrt{(\mu_4 - \sigma^4)/N}` to leading order, with
    :math:`\mu_4` the fourth central moment; both are estimated from the sample.
    Use it to say how close a measured variance must be to a prediction.

    Parameters
    ----------
    x : array_like
        Independent draws (any shape; flattened). At least 2 finite values.

    Returns
    -------
    Estimate
        ``(value, se)``; ``Estimate.agrees_with(prediction, k=3)`` tests
        ``|prediction - value| <= k se``.

    Examples
    --------
    >>> import numpy as np
    >>> est = sample_variance(np.random.default_rng(0).normal(0, 2, 100_000))
    >>> est.agrees_with(4.0)
    True
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    if x.size < 2:
        raise ValueError(f"sample_variance() needs at least 2 values, got {x.size}.")
    if not np.isfinite(x).all():
        raise ValueError(
            "sample_variance() needs finite values, got nan or inf: the simulation "
            "overflowed; use a smaller scale or fewer layers."
        )
    d2 = (x - x.mean()) ** 2
    value = d2.sum() / (x.size - 1)
    se = np.sqrt(max(d2.var(), 0.0) / x.size)
    return Estimate(float(value), float(se))


def _check_number(value, name):
    return check_real(value, name, minimum=0.0, example=f"{name}=1.0")


def product_variance(var_x, var_y, mean_x=0.0, mean_y=0.0):
    r"""Variance of the product of two independent random variables.

    .. math:: \mathrm{Var}(XY) = \mathrm{Var}X\,\mathrm{Var}Y
              + \mathrm{Var}X\,(\mathrm{E}Y)^2 + \mathrm{Var}Y\,(\mathrm{E}X)^2

    which reduces to :math:`\mathrm{Var}X\,\mathrm{Var}Y` only when both means are 0
    (the source text's step). It follows from
    :math:`\mathrm{Var}(XY) = \mathrm{E}[X^2]\mathrm{E}[Y^2] - (\mathrm{E}X\,\mathrm{E}Y)^2`.

    Examples
    --------
    >>> product_variance(2.0, 3.0)
    6.0
    >>> product_variance(2.0, 3.0, mean_x=1.0, mean_y=0.0)   # E[Y] = 0: Var X (EY)^2 vanishes
    9.0
    """
    var_x = _check_number(var_x, "var_x")
    var_y = _check_number(var_y, "var_y")
    mean_x = float(mean_x)
    mean_y = float(mean_y)
    return var_x * var_y + var_x * mean_y**2 + var_y * mean_x**2


def _layer_sizes(layer_sizes):
    return list(check_layer_sizes(layer_sizes))


def _weight_vars(weight_vars, n_layers):
    v = np.asarray(weight_vars, dtype=np.float64)
    if v.ndim == 0:
        v = np.full(n_layers, float(v))
    if v.shape != (n_layers,):
        raise ValueError(
            f"weight_vars must be one number or one per layer ({n_layers}), got "
            f"shape {v.shape}; e.g. weight_vars=1/100 or [1/64, 1/100, 1/100]."
        )
    if not np.isfinite(v).all() or (v < 0).any():
        raise ValueError(f"weight_vars must be finite and >= 0, got {v.tolist()}.")
    return v


def linear_variance_prediction(layer_sizes, weight_vars, var_x=1.0, *, direction="forward"):
    r"""Per-layer variance predicted by the linear theory (zero means, independence).

    Forward, with :math:`a^{[0]} = x`:

    .. math:: \mathrm{Var}(a^{[l]}) = n^{[l-1]}\,\mathrm{Var}(W^{[l]})\,\mathrm{Var}(a^{[l-1]}),
              \quad l = 1, \dots, L.

    Backward, for the gradient :math:`\delta^{[l]} = \partial L/\partial a^{[l]}` starting
    from :math:`\mathrm{Var}(\delta^{[L]}) =` ``var_x``:

    .. math:: \mathrm{Var}(\delta^{[l-1]}) = n^{[l]}\,\mathrm{Var}(W^{[l]})\,\mathrm{Var}(\delta^{[l]}),
              \quad l = L, \dots, 1.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n0, n1, ..., nL]``, input size first.
    weight_vars : float or sequence of float
        :math:`\mathrm{Var}(W^{[l]})`, one for all layers or one per layer (length L).
    var_x : float
        Forward: the input variance :math:`\mathrm{Var}(x)`. Backward: the variance of
        the gradient arriving at the output, :math:`\mathrm{Var}(\delta^{[L]})`.
    direction : {"forward", "backward"}

    Returns
    -------
    ndarray of shape (L,)
        Forward: :math:`\mathrm{Var}(a^{[1]}), \dots, \mathrm{Var}(a^{[L]})`.
        Backward: :math:`\mathrm{Var}(\delta^{[0]}), \dots, \mathrm{Var}(\delta^{[L-1]})`,
        ordered from the input side like the forward values.

    Examples
    --------
    >>> linear_variance_prediction([10, 20, 40], 1 / 20).tolist()   # fan_in 10 then 20
    [0.5, 0.5]
    >>> linear_variance_prediction([10, 20, 40], 1 / 20, direction="backward").tolist()
    [2.0, 2.0]
    """
    sizes = _layer_sizes(layer_sizes)
    v = _weight_vars(weight_vars, len(sizes) - 1)
    var_x = _check_number(var_x, "var_x")
    if direction == "forward":
        factors = np.asarray(sizes[:-1], dtype=np.float64) * v  # n[l-1] Var(W[l])
        return var_x * np.cumprod(factors)
    if direction == "backward":
        factors = np.asarray(sizes[1:], dtype=np.float64) * v  # n[l] Var(W[l])
        return var_x * np.cumprod(factors[::-1])[::-1]
    raise unknown_name("direction", direction, ("forward", "backward"), noun="values")


# Standard normal grid for E[f(sqrt(q) xi)], xi ~ N(0, 1): a fine trapezoid rule is
# accurate enough (relative error < 1e-6 for the activations here) and, unlike Gauss-Hermite,
# does not lose accuracy at ReLU's kink.
_XI = np.linspace(-12.0, 12.0, 24001)
_PHI = np.exp(-0.5 * _XI**2) / np.sqrt(2 * np.pi) * (_XI[1] - _XI[0])


def mean_field_moments(activation, layer_sizes, weight_vars, second_moment_x=1.0):
    r"""Per-layer moments of a random network, keeping the nonlinearity (mean-field theory).

    With zero-mean weights independent of the inputs and zero biases, each
    pre-activation has mean 0 and

    .. math:: \mathrm{Var}(z^{[l]}) = n^{[l-1]}\,\mathrm{Var}(W^{[l]})\,
              \mathrm{E}\big[(a^{[l-1]})^2\big]

    exactly: the *second moment* of the inputs, not their variance (the two differ
    when the inputs' mean is not 0, e.g. after a sigmoid or a ReLU). Assuming further
    that :math:`z^{[l]}` is Gaussian (a sum of many independent terms: the central
    limit theorem, exact as the width grows), the moments of
    :math:`a^{[l]} = g(z^{[l]})` are one-dimensional Gaussian integrals, computed here
    numerically.

    Parameters
    ----------
    activation : str or Activation
        A name for :func:`initlib.get_activation` (``"tanh"``, ``"sigmoid"``,
        ``"relu"``, ...) or an object with ``.forward``.
    layer_sizes : sequence of int
        ``[n0, n1, ..., nL]``; the activation is applied at every layer 1..L.
    weight_vars : float or sequence of float
        :math:`\mathrm{Var}(W^{[l]})`, one for all layers or one per layer.
    second_moment_x : float
        :math:`\mathrm{E}[x_j^2]` averaged over the input features (1 for
        standardized inputs).

    Returns
    -------
    Moments
        Arrays of length L: ``var_z``, ``mean_a``, ``var_a``, ``second_moment_a``.

    Examples
    --------
    >>> m = mean_field_moments("tanh", [100, 100], 1 / 100)
    >>> round(float(m.var_a[0]), 4)    # E[tanh(z)^2] for z ~ N(0, 1)
    0.3943
    >>> import numpy as np
    >>> m = mean_field_moments("relu", [100, 100, 100], 2 / 100)   # He: E[a^2] kept
    >>> np.round(m.second_moment_a, 4).tolist()
    [1.0, 1.0]
    """
    if isinstance(activation, str):
        from .activations import get_activation

        activation = get_activation(activation)
    forward = getattr(activation, "forward", None)
    if not callable(forward):
        raise TypeError(
            f"activation must be a name like 'tanh' or an Activation, got "
            f"{activation!r} of type {type(activation).__name__}."
        )
    sizes = _layer_sizes(layer_sizes)
    v = _weight_vars(weight_vars, len(sizes) - 1)
    m2 = _check_number(second_moment_x, "second_moment_x")
    out = np.zeros((4, len(v)))
    for l, (n_prev, var_w) in enumerate(zip(sizes[:-1], v)):
        var_z = n_prev * var_w * m2
        a = forward(np.sqrt(var_z) * _XI)
        mean = float(np.sum(_PHI * a))
        m2 = float(np.sum(_PHI * a * a))
        out[:, l] = var_z, mean, max(m2 - mean**2, 0.0), m2
    return Moments(*out)

"""Activation functions, their derivatives and their initialization gains.

Each activation is an :class:`Activation`: a name, a ``forward`` function, its
``derivative`` with respect to the pre-activation ``z``, and the ``gain`` that
PyTorch's ``torch.nn.init.calculate_gain`` recommends for it. Forward and
derivative are written side by side below, one pair per activation.

>>> import numpy as np
>>> from initlib import get_activation
>>> act = get_activation("tanh")
>>> z = np.array([-1.0, 0.0, 2.0])
>>> a = act.forward(z)
>>> np.allclose(act.derivative(z, a), 1 - np.tanh(z) ** 2)
True

All functions keep the floating dtype of their input (``float32`` in,
``float32`` out); integer or boolean input is computed in ``float64``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._validation import check_name, check_real

__all__ = [
    "Activation",
    "get_activation",
    "available_activations",
    "gain",
    "linear",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
    "DEFAULT_LEAKY_RELU_SLOPE",
    "SELU_ALPHA",
    "SELU_LAMBDA",
]

#: Default negative slope of leaky ReLU (Maas et al. 2013; PyTorch's default).
DEFAULT_LEAKY_RELU_SLOPE = 0.01

#: SELU's constants (Klambauer et al. 2017). They are chosen so that for
#: z ~ N(0, 1), selu(z) has mean 0 and variance 1; with weights of variance
#: 1/fan_in the next layer's pre-activations again have mean 0 and variance 1: a fixed point
#: of the layer-to-layer map (the tests check it). Values as in PyTorch and Keras.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946


@dataclass(frozen=True)
class Activation:
    """An activation function with its derivative and initialization gain.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"tanh"``.
    forward : callable
        ``forward(z) -> a``, applied elementwise to the pre-activation ``z``.
    derivative : callable
        ``derivative(z, a=None) -> da/dz``, elementwise. Pass ``a``, the output
        of ``forward(z)``, to reuse it where the derivative is cheaper in terms
        of ``a`` (sigmoid: ``a(1-a)``; tanh: ``1-a**2``; selu for ``z<=0``).
    gain : float
        The factor an initializer multiplies its standard deviation by for this
        activation: ``gain(name, param)``, PyTorch's ``calculate_gain`` table.
    param : float or None
        The activation's parameter (leaky ReLU's negative slope), else ``None``.
    forward_into, derivative_into : callable or None
        Optional fast paths, ``forward_into(z, out)`` and ``derivative_into(z, a, out)``:
        the same values as ``forward``/``derivative``, bit for bit, written into a
        preallocated array ``out`` of ``z``'s shape and dtype, which they return.
        :func:`initlib.train` uses them to reuse arrays from one step to the next; an
        activation without them is simply called the ordinary way.

    Calling the object applies ``forward``: ``act(z) == act.forward(z)``.
    """

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[..., np.ndarray]
    gain: float
    param: float | None = None
    forward_into: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    derivative_into: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None = None

    def __call__(self, z):
        return self.forward(z)

    def __repr__(self):
        param = "" if self.param is None else f", param={self.param!r}"
        return f"Activation({self.name!r}{param}, gain={self.gain:.6g})"


def _as_float_array(z):
    """``z`` as an ndarray of a floating dtype: float32/float64 kept, others -> float64."""
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return z


# ---------------------------------------------------------------------------
# linear (identity):  a = z,  da/dz = 1
# ---------------------------------------------------------------------------
def _linear_forward(z):
    return _as_float_array(z).copy()


def _linear_derivative(z, a=None):
    return np.ones_like(_as_float_array(z))


def _linear_forward_into(z, out):
    np.copyto(out, z)
    return out


def _linear_derivative_into(z, a, out):
    out.fill(1)
    return out


# ---------------------------------------------------------------------------
# sigmoid (logistic):  a = 1 / (1 + exp(-z)),  da/dz = a (1 - a)
# Stable form: with e = exp(-|z|) <= 1 nothing overflows;
# a = 1/(1+e) for z >= 0 and e/(1+e) for z < 0. For z < -745 e underflows to 0,
# which is the correctly rounded answer, so that underflow is not reported.
# ---------------------------------------------------------------------------
def _sigmoid_forward(z):
    z = _as_float_array(z)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_derivative(z, a=None):
    if a is None:
        a = _sigmoid_forward(z)
    a = _as_float_array(a)
    with np.errstate(under="ignore"):
        return a * (1 - a)


# ---------------------------------------------------------------------------
# tanh:  a = tanh(z),  da/dz = 1 - a^2
# ---------------------------------------------------------------------------
def _tanh_forward(z):
    return np.tanh(_as_float_array(z))


def _tanh_derivative(z, a=None):
    if a is None:
        a = _tanh_forward(z)
    a = _as_float_array(a)
    return 1 - a * a


def _tanh_forward_into(z, out):
    return np.tanh(z, out=out)


def _tanh_derivative_into(z, a, out):
    np.multiply(a, a, out=out)
    return np.subtract(1, out, out=out)                           # 1 - a^2


# ---------------------------------------------------------------------------
# relu:  a = max(0, z),  da/dz = 1 if z > 0 else 0
# ReLU has no derivative at z = 0; we use 0 there (as PyTorch and JAX do):
# any value in [0, 1] is a valid subgradient.
# ---------------------------------------------------------------------------
def _relu_forward(z):
    z = _as_float_array(z)
    return np.maximum(z, 0).astype(z.dtype, copy=False)


def _relu_derivative(z, a=None):
    z = _as_float_array(z)
    return (z > 0).astype(z.dtype)


def _relu_forward_into(z, out):
    return np.maximum(z, 0, out=out)


def _relu_derivative_into(z, a, out):
    return np.greater(z, 0, out=out)                              # 1.0 where z > 0, else 0.0


# ---------------------------------------------------------------------------
# leaky relu (slope s):  a = z if z > 0 else s z,  da/dz = 1 if z > 0 else s
# (derivative at z = 0 := s, consistent with relu's choice when s = 0)
# ---------------------------------------------------------------------------
def _make_leaky_relu(slope):
    def forward(z):
        z = _as_float_array(z)
        return np.where(z > 0, z, z * z.dtype.type(slope))

    def derivative(z, a=None):
        z = _as_float_array(z)
        return np.where(z > 0, 1, slope).astype(z.dtype)

    return forward, derivative


# ---------------------------------------------------------------------------
# selu:  a = lambda z if z > 0 else lambda alpha (exp(z) - 1)
#        da/dz = lambda if z > 0 else lambda alpha exp(z)  (= a + lambda alpha)
# exp/expm1 are evaluated at min(z, 0) so large positive z cannot overflow.
# At z = 0 the derivative is the left one, lambda alpha (~1.76): SELU has a kink.
# ---------------------------------------------------------------------------
def _selu_forward(z):
    z = _as_float_array(z)
    lam, alpha = z.dtype.type(SELU_LAMBDA), z.dtype.type(SELU_ALPHA)
    with np.errstate(under="ignore"):
        negative = lam * alpha * np.expm1(np.minimum(z, 0))
    return np.where(z > 0, lam * z, negative)


def _selu_derivative(z, a=None):
    z = _as_float_array(z)
    lam, alpha = z.dtype.type(SELU_LAMBDA), z.dtype.type(SELU_ALPHA)
    if a is not None:
        negative = _as_float_array(a).astype(z.dtype, copy=False) + lam * alpha
    else:
        with np.errstate(under="ignore"):
            negative = lam * alpha * np.exp(np.minimum(z, 0))
    return np.where(z > 0, lam, negative).astype(z.dtype, copy=False)


# ---------------------------------------------------------------------------
# Gains
# ---------------------------------------------------------------------------
_GAIN_ONE = (
    "linear",
    "identity",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)
_GAIN_NAMES = _GAIN_ONE + ("tanh", "relu", "leaky_relu", "selu")


def _check_slope(param):
    if param is None:
        return DEFAULT_LEAKY_RELU_SLOPE
    return check_real(param, "leaky_relu's param (the negative slope)",
                      example=f"param=0.01, or param=None for the default "
                              f"{DEFAULT_LEAKY_RELU_SLOPE}")


def gain(nonlinearity, param=None):
    r"""Recommended gain for an activation: the factor applied to an initializer's std.

    The same table as PyTorch's ``torch.nn.init.calculate_gain``:

    ================================  =====================================
    nonlinearity                      gain
    ================================  =====================================
    linear, identity, conv*, sigmoid  :math:`1`
    tanh                              :math:`5/3`
    relu                              :math:`\sqrt{2}`
    leaky_relu (negative slope s)     :math:`\sqrt{2 / (1 + s^2)}`
    selu                              :math:`3/4`
    ================================  =====================================

    Where the numbers come from:

    - **relu** (He et al. 2015): ReLU zeroes half of a symmetric input, so
      :math:`E[\mathrm{relu}(z)^2] = \mathrm{Var}(z)/2`; a gain of
      :math:`\sqrt 2` (weight variance :math:`2/\mathrm{fan\_in}`) restores it.
      Leaky ReLU keeps :math:`(1+s^2)/2` of the second moment, hence its gain.
    - **tanh**: 5/3 is an empirical choice, not a derivation. It arrived with
      the pull request that added ``calculate_gain`` to PyTorch (2017,
      pytorch/pytorch#1172) without a stated reason, and PyTorch's issue
      #24991 asks how the table's values were obtained. What is true: for
      :math:`z \sim N(0, 1)`, :math:`E[\tanh(z)^2] \approx 0.3943`, so the
      gain that makes unit-variance pre-activations a fixed point of the
      layer-to-layer variance map is :math:`1/\sqrt{0.3943} \approx 1.593`.
      5/3 is a little larger: with it the pre-activation variance settles at
      :math:`q^* \approx 1.18` (a stable fixed point of
      :math:`q \mapsto (5/3)^2 E[\tanh(\sqrt{q}\,z)^2]`), so tanh units work
      slightly into their nonlinear range. Since :math:`\tanh'(0) = 1`, any
      gain :math:`\le 1` lets the variance shrink toward 0 with depth, and
      any gain :math:`> 1` gives a non-zero fixed point. (The tests check
      these numbers.)
    - **sigmoid**: 1, although its slope at 0 is 1/4; PyTorch keeps 1.
    - **selu**: 3/4 is PyTorch's choice, not Klambauer et al.'s; for
      self-normalizing networks use ``gain("linear")`` (Var(w) = 1/fan_in),
      as PyTorch's documentation also advises.

    Parameters
    ----------
    nonlinearity : str or Activation
        One of ``linear, identity, conv1d, conv2d, conv3d, conv_transpose1d,
        conv_transpose2d, conv_transpose3d, sigmoid, tanh, relu, leaky_relu,
        selu``; an :class:`Activation` returns its ``.gain``.
    param : float, optional
        Negative slope of leaky ReLU (default 0.01). Only ``leaky_relu``
        takes a parameter.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Unknown nonlinearity, a non-finite slope, or ``param`` given for an
        activation without a parameter.
    TypeError
        ``param`` is not a real number.

    References
    ----------
    He, Zhang, Ren & Sun (2015). Delving deep into rectifiers. ICCV.
    Glorot & Bengio (2010). Understanding the difficulty of training deep
    feedforward neural networks. AISTATS.

    Examples
    --------
    >>> from initlib import gain
    >>> gain("relu")
    1.4142135623730951
    >>> round(gain("leaky_relu", 0.2), 4)
    1.3868
    """
    if isinstance(nonlinearity, Activation):
        if param is not None and param != nonlinearity.param:
            raise ValueError(
                f"gain() got an Activation ({nonlinearity!r}) and param={param!r}; "
                f"the Activation already carries its param. Drop param=, or use "
                f"gain({nonlinearity.name!r}, {param!r})."
            )
        return nonlinearity.gain
    name = check_name(nonlinearity, "nonlinearity", _GAIN_NAMES,
                      "Pass one of them, e.g. gain('tanh').", alternative="an Activation")
    if name == "leaky_relu":
        slope = _check_slope(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if param is not None:
        raise ValueError(
            f"{name!r} takes no parameter, got param={param!r}. Only 'leaky_relu' "
            f"has one (its negative slope); drop param= or use gain('leaky_relu', {param!r})."
        )
    if name in _GAIN_ONE:
        return 1.0
    if name == "tanh":
        return 5.0 / 3.0
    if name == "relu":
        return math.sqrt(2.0)
    return 3.0 / 4.0  # selu


# ---------------------------------------------------------------------------
# The activations and their registry
# ---------------------------------------------------------------------------
linear = Activation("linear", _linear_forward, _linear_derivative, gain("linear"),
                    forward_into=_linear_forward_into, derivative_into=_linear_derivative_into)
sigmoid = Activation("sigmoid", _sigmoid_forward, _sigmoid_derivative, gain("sigmoid"))
tanh = Activation("tanh", _tanh_forward, _tanh_derivative, gain("tanh"),
                  forward_into=_tanh_forward_into, derivative_into=_tanh_derivative_into)
relu = Activation("relu", _relu_forward, _relu_derivative, gain("relu"),
                  forward_into=_relu_forward_into, derivative_into=_relu_derivative_into)
leaky_relu = Activation(
    "leaky_relu",
    *_make_leaky_relu(DEFAULT_LEAKY_RELU_SLOPE),
    gain("leaky_relu"),
    DEFAULT_LEAKY_RELU_SLOPE,
)
selu = Activation("selu", _selu_forward, _selu_derivative, gain("selu"))

_ACTIVATIONS = {
    act.name: act for act in (linear, sigmoid, tanh, relu, leaky_relu, selu)
}


def available_activations():
    """Names accepted by :func:`get_activation`, in a fixed order.

    Examples
    --------
    >>> from initlib import available_activations
    >>> available_activations()
    ['linear', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu']
    """
    return list(_ACTIVATIONS)


def get_activation(name, param=None):
    r"""Look up an activation by name.

    ==========  ==========================================  ============================  ======
    name        forward :math:`a = f(z)`                    :math:`f'(z)`                 gain
    ==========  ==========================================  ============================  ======
    linear      :math:`z`                                   :math:`1`                     1
    sigmoid     :math:`1/(1+e^{-z})` (logistic)             :math:`a(1-a)`                1
    tanh        :math:`\tanh z`                             :math:`1-a^2`                 5/3
    relu        :math:`\max(0, z)`                          :math:`1[z>0]` (0 at z = 0)   √2
    leaky_relu  :math:`z` if :math:`z>0` else :math:`sz`    1 if :math:`z>0` else s       √(2/(1+s²))
    selu        :math:`\lambda z` or
                :math:`\lambda\alpha(e^z-1)`                :math:`\lambda` or
                                                            :math:`\lambda\alpha e^z`     3/4
    ==========  ==========================================  ============================  ======

    Sigmoid is computed in a form that neither overflows nor warns for
    :math:`|z|` in the thousands. SELU's constants :math:`\alpha, \lambda` are
    :data:`SELU_ALPHA`, :data:`SELU_LAMBDA` (Klambauer et al. 2017).

    Parameters
    ----------
    name : str or Activation
        One of :func:`available_activations`; an :class:`Activation` is
        returned unchanged.
    param : float, optional
        Negative slope ``s`` of ``leaky_relu`` (default 0.01). Other
        activations take no parameter.

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        Unknown name (the message lists valid names and the closest match), or
        ``param`` given for an activation without one.
    TypeError
        ``name`` is neither a string nor an Activation.

    References
    ----------
    LeCun, Bottou, Orr & Müller (1998). Efficient BackProp.
    Maas, Hannun & Ng (2013). Rectifier nonlinearities improve neural network
    acoustic models (leaky ReLU).
    Klambauer, Unterthiner, Mayr & Hochreiter (2017). Self-normalizing neural
    networks. NeurIPS (SELU).

    Examples
    --------
    >>> import numpy as np
    >>> from initlib import get_activation
    >>> act = get_activation("leaky_relu", param=0.2)
    >>> act.forward(np.array([-1.0, 2.0]))
    array([-0.2,  2. ])
    >>> act.derivative(np.array([-1.0, 2.0]))
    array([0.2, 1. ])
    """
    if isinstance(name, Activation):
        if param is not None and param != name.param:
            raise ValueError(
                f"get_activation() got an Activation ({name!r}) and param={param!r}; "
                f"drop param=, or pass the name: get_activation({name.name!r}, {param!r})."
            )
        return name
    check_name(name, "activation", list(_ACTIVATIONS),
               "Pass one of them, e.g. get_activation('relu').", alternative="an Activation")
    if name == "leaky_relu":
        if param is None:
            return leaky_relu
        slope = _check_slope(param)
        return Activation(
            "leaky_relu", *_make_leaky_relu(slope), gain("leaky_relu", slope), slope
        )
    if param is not None:
        raise ValueError(
            f"activation {name!r} takes no parameter, got param={param!r}. Only "
            f"'leaky_relu' has one (its negative slope); drop param=."
        )
    return _ACTIVATIONS[name]

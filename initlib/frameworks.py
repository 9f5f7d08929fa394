r"""The same initializers as Keras, PyTorch and Caffe name them, lay them out and draw them.

Frameworks agree on the formulas and disagree on almost everything around them:

- **Layout.** PyTorch, Caffe and initlib store a dense weight as ``(fan_out, fan_in)``
  and a convolution kernel as ``(out, in, *kernel)``; Keras stores a dense kernel as
  ``(fan_in, fan_out)`` and a convolution kernel as ``(*kernel, in, out)``. Each
  framework's fan rule reads its own layout; give it the other layout and fan-in
  and fan-out swap (:func:`keras_fans` versus :func:`initlib.fans`).
- **Distribution.** Keras's ``*_normal`` initializers draw a normal *truncated* at
  two of its standard deviations and enlarged by 1/0.8796 so that the variance is
  still ``scale / n`` (:data:`initlib.TRUNCATED_NORMAL_STD`); PyTorch's and
  initlib's ``*_normal`` draw an untruncated normal with the same variance.
- **Names.** "Xavier" is Glorot & Bengio's ``2 / (fan_in + fan_out)`` in the paper,
  Keras and PyTorch, but Caffe's ``xavier`` filler is ``U(±sqrt(3 / fan_in))``:
  variance ``1 / fan_in``, LeCun's rule, which is also what some courses call
  Xavier.

Every rule below is ``Var(W) = scale / n`` with ``n`` one of the fans (see
:func:`initlib.variance_scaling`); a :class:`Spec` records which, for one weight
shape in one framework's layout.

=========  ============================  =====  ========  ====================
framework  name                          scale  n         distribution
=========  ============================  =====  ========  ====================
keras      ``glorot_uniform`` (default)  1      fan_avg   uniform
keras      ``glorot_normal``             1      fan_avg   truncated_normal
keras      ``he_normal``                 2      fan_in    truncated_normal
keras      ``he_uniform``                2      fan_in    uniform
keras      ``lecun_normal``              1      fan_in    truncated_normal
keras      ``lecun_uniform``             1      fan_in    uniform
pytorch    ``xavier_uniform_``           1      fan_avg   uniform
pytorch    ``xavier_normal_``            1      fan_avg   normal
pytorch    ``kaiming_normal_``           2      fan_in    normal
pytorch    ``kaiming_uniform_``          2      fan_in    uniform
pytorch    ``nn_default`` (nn.Linear,    1/3    fan_in    uniform
           nn.Conv*d default)
caffe      ``xavier``                    1      fan_in    uniform
caffe      ``msra``                      2      fan_in    normal
=========  ============================  =====  ========  ====================

PyTorch's ``kaiming_*_`` are shown with ``nonlinearity="relu"``; ``nn.Linear`` and
``nn.Conv*d`` call ``kaiming_uniform_(w, a=math.sqrt(5))``, whose leaky-ReLU gain
``sqrt(2 / (1 + 5)) = sqrt(1/3)`` makes the bound ``sqrt(3) * gain / sqrt(fan_in)
= 1 / sqrt(fan_in)``: ``U(±1/sqrt(fan_in))``, variance ``1 / (3 fan_in)``.
PyTorch draws these layers' *biases* from the same ``U(±1/sqrt(fan_in))``; Keras's
``Dense`` starts its bias at zero. Caffe's fillers are shown with their default
``variance_norm: FAN_IN``.

>>> from initlib import frameworks
>>> s = frameworks.spec("keras", "he_normal", (784, 256))      # Keras layout (in, out)
>>> s.fan_in, s.fan_out, round(s.std, 5), round(s.bound, 5)
(784, 256, 0.05051, 0.11484)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._validation import check_shape, unknown_name
from .initializers import TRUNCATED_NORMAL_STD, TRUNCATION_BOUND, fans, variance_scaling

__all__ = [
    "Spec",
    "RULES",
    "LAYOUTS",
    "keras_fans",
    "to_keras_layout",
    "spec",
    "sample",
    "conventions_table",
]

#: framework -> name -> (scale, mode, distribution): ``Var(W) = scale / n``.
RULES = {
    "keras": {
        "glorot_uniform": (1.0, "fan_avg", "uniform"),
        "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
        "he_normal": (2.0, "fan_in", "truncated_normal"),
        "he_uniform": (2.0, "fan_in", "uniform"),
        "lecun_normal": (1.0, "fan_in", "truncated_normal"),
        "lecun_uniform": (1.0, "fan_in", "uniform"),
    },
    "pytorch": {
        "xavier_uniform_": (1.0, "fan_avg", "uniform"),
        "xavier_normal_": (1.0, "fan_avg", "normal"),
        "kaiming_normal_": (2.0, "fan_in", "normal"),
        "kaiming_uniform_": (2.0, "fan_in", "uniform"),
        "nn_default": (1.0 / 3.0, "fan_in", "uniform"),
    },
    "caffe": {
        "xavier": (1.0, "fan_in", "uniform"),
        "msra": (2.0, "fan_in", "normal"),
    },
}

#: How each framework lays out a weight tensor.
LAYOUTS = {
    "keras": "(fan_in, fan_out) dense; (*kernel, in, out) convolution",
    "pytorch": "(fan_out, fan_in) dense; (out, in, *kernel) convolution",
    "caffe": "(fan_out, fan_in) dense; (out, in, *kernel) convolution",
}


class Spec(NamedTuple):
    """What one framework's initializer draws for one weight shape (in its own layout).

    ``std`` is the standard deviation of the draws, ``bound`` the largest possible
    ``|w|`` (``inf`` for an untruncated normal), ``var = std**2 = scale / n``.
    """

    framework: str
    name: str
    shape: tuple
    fan_in: int
    fan_out: int
    scale: float
    mode: str
    distribution: str
    std: float
    bound: float

    @property
    def var(self):
        return self.std**2


def _check_shape(shape):
    """A weight matrix or kernel shape: at least 2 positive ints."""
    return check_shape(shape, min_dims=2)


def keras_fans(shape):
    r"""Fan-in and fan-out by Keras's rule (``compute_fans``), for a Keras-layout shape.

    A dense kernel is ``(fan_in, fan_out)``; a convolution kernel is
    ``(*kernel_size, in_channels, out_channels)``, and both fans are multiplied by
    the receptive field ``prod(kernel_size)``. This is :func:`initlib.fans` read
    from the other end.

    >>> keras_fans((784, 256))
    (784, 256)
    >>> keras_fans((3, 3, 3, 64))       # a 3x3 convolution from 3 to 64 channels
    (27, 576)
    """
    shape = _check_shape(shape)
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def to_keras_layout(shape):
    """A PyTorch/initlib-layout shape ``(out, in, *kernel)`` in Keras layout ``(*kernel, in, out)``.

    >>> to_keras_layout((256, 784)), to_keras_layout((64, 3, 5, 5))
    ((784, 256), (5, 5, 3, 64))
    """
    shape = _check_shape(shape)
    return (*shape[2:], shape[1], shape[0])


def _rule(framework, name):
    if framework not in RULES:
        raise unknown_name("framework", framework, RULES)
    rules = RULES[framework]
    if name not in rules:
        raise ValueError(
            f"{framework} has no initializer {name!r} here; valid names: "
            f"{', '.join(rules)}."
        )
    return rules[name]


def spec(framework, name, shape):
    """What ``framework``'s initializer ``name`` draws for a weight of ``shape``.

    Parameters
    ----------
    framework : {"keras", "pytorch", "caffe"}
    name : str
        A name in ``RULES[framework]``, e.g. ``"he_normal"`` (Keras) or
        ``"kaiming_normal_"`` (PyTorch).
    shape : tuple of int
        The weight's shape **in that framework's layout** (see :data:`LAYOUTS`).

    Returns
    -------
    Spec

    Examples
    --------
    >>> s = spec("pytorch", "nn_default", (256, 784))
    >>> round(s.bound * 784 ** 0.5, 6)      # U(±1/sqrt(fan_in))
    1.0
    """
    scale, mode, distribution = _rule(framework, name)
    fan_in, fan_out = keras_fans(shape) if framework == "keras" else fans(_check_shape(shape))
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = math.sqrt(scale / n)
    bound = {
        "uniform": math.sqrt(3.0) * std,
        "truncated_normal": TRUNCATION_BOUND * std / TRUNCATED_NORMAL_STD,
        "normal": math.inf,
    }[distribution]
    return Spec(framework, name, tuple(shape), fan_in, fan_out, scale, mode,
                distribution, std, bound)


def sample(framework, name, shape, *, rng=None):
    """Draw a weight as ``framework``'s ``name`` would, in that framework's layout (numpy).

    Uses :func:`initlib.variance_scaling` with the rule's scale, fan and
    distribution, so the draws have exactly the framework's distribution (not its
    random stream).

    >>> W = sample("keras", "he_normal", (784, 256), rng=0)
    >>> W.shape, round(float(W.std()), 3)
    ((784, 256), 0.051)
    """
    s = spec(framework, name, shape)
    # variance_scaling reads (fan_out, fan_in, *kernel); build that shape, then go back.
    if framework == "keras":
        torch_shape = (shape[-1], shape[-2], *shape[:-2])
        W = variance_scaling(torch_shape, scale=s.scale, mode=s.mode,
                             distribution=s.distribution, rng=rng)
        return np.moveaxis(W, (0, 1), (-1, -2))
    return variance_scaling(tuple(shape), scale=s.scale, mode=s.mode,
                            distribution=s.distribution, rng=rng)


def conventions_table(shapes, names=None):
    """One :class:`Spec` per (shape, framework initializer), shapes given in PyTorch layout.

    Keras entries are computed on the Keras layout of the same weight
    (:func:`to_keras_layout`), so a row compares like with like.

    Parameters
    ----------
    shapes : sequence of tuple
        Weight shapes in PyTorch/initlib layout ``(out, in, *kernel)``.
    names : sequence of (framework, name), optional
        Which initializers; default: every entry of :data:`RULES`.

    Returns
    -------
    list of Spec

    Examples
    --------
    >>> rows = conventions_table([(10, 256)], [("keras", "glorot_uniform"),
    ...                                       ("pytorch", "xavier_uniform_")])
    >>> [round(r.bound, 4) for r in rows]
    [0.1502, 0.1502]
    """
    if names is None:
        names = [(fw, nm) for fw, rules in RULES.items() for nm in rules]
    rows = []
    for shape in shapes:
        shape = _check_shape(shape)
        for framework, name in names:
            layout = to_keras_layout(shape) if framework == "keras" else shape
            rows.append(spec(framework, name, layout))
    return rows

r"""Weight initializers: fans, one general ``variance_scaling``, presets, a registry.

Shape convention (the source text's math and PyTorch): a dense layer's weight
matrix has shape ``(fan_out, fan_in)`` and computes ``Z = A @ W.T + b``; a
convolution kernel has shape ``(out_channels, in_channels, *kernel_size)``.
Keras stores a dense kernel as the transpose, ``(fan_in, fan_out)``.

Every initializer is a function ``f(shape, *, rng=None, **options)`` that returns
a new float64 array. ``rng`` may be ``None``, an int seed or a
``np.random.Generator`` (SPEC 7); the same seed always gives the same array.

All the variance-based rules are one function,

.. math:: \mathrm{Var}(W_{ij}) = \frac{\mathrm{scale}}{n}, \qquad
          n \in \{\mathrm{fan\_in},\ \mathrm{fan\_out},\
                  (\mathrm{fan\_in} + \mathrm{fan\_out})/2\},

(:func:`variance_scaling`), and the named rules are one-liners on it:

=================================  =====  =======  =====================================
initializer                        scale  n        paper
=================================  =====  =======  =====================================
``lecun_normal/uniform``           1      fan_in   LeCun, Bottou, Orr & Müller (1998)
``xavier_*`` = ``glorot_*``        1      fan_avg  Glorot & Bengio (2010)
``he_*`` = ``kaiming_*``           2      fan_in   He, Zhang, Ren & Sun (2015)
=================================  =====  =======  =====================================

The presets take ``gain=``: the standard deviation is ``gain / sqrt(n)``, so
``scale = gain**2``. Xavier and LeCun default to ``gain=1``, He to
``gain=sqrt(2)`` (the ReLU gain), exactly as in PyTorch's ``xavier_*_`` and
``kaiming_*_``.

>>> import initlib
>>> W = initlib.he_normal((256, 784), rng=0)   # (fan_out, fan_in)
>>> round(float(W.std() * (784 / 2) ** 0.5), 2)
1.0
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_choice, check_name, check_real, check_rng, check_shape
from ._reproducibility import creates_initial_parameters

__all__ = [
    "fans",
    "variance_scaling",
    "lecun_normal",
    "lecun_uniform",
    "xavier_normal",
    "xavier_uniform",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "orthogonal",
    "zeros",
    "ones",
    "constant",
    "normal",
    "uniform",
    "get_initializer",
    "available_initializers",
    "TRUNCATION_BOUND",
    "TRUNCATED_NORMAL_STD",
]

MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("normal", "truncated_normal", "uniform")

#: ``truncated_normal`` draws from a normal cut at this many of its own std.
TRUNCATION_BOUND = 2.0


def _truncated_standard_normal_std(b):
    r"""Std of N(0, 1) truncated to [-b, b]: sqrt(1 - 2 b φ(b) / (2 Φ(b) - 1)).

    With :math:`\varphi` the standard normal density and
    :math:`2\Phi(b) - 1 = \mathrm{erf}(b/\sqrt 2)` the mass kept.
    """
    density = math.exp(-b * b / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(b / math.sqrt(2))
    return math.sqrt(1 - 2 * b * density / mass)


#: Std of a standard normal truncated at ±2: 0.8796256610342398. Cutting off the
#: tails shrinks the spread, so ``truncated_normal`` divides the target std by this
#: number before cutting, which makes the variance of the draws exactly scale/n.
#: (This is Keras's unexplained ``0.87962566103423978``.)
TRUNCATED_NORMAL_STD = _truncated_standard_normal_std(TRUNCATION_BOUND)


def _scaled_normal(rng, mean, std, dims):
    """``rng.normal(mean, std, dims)``, bit for bit (numpy computes it as mean + std z), faster.

    Generator.normal broadcasts its arguments for every draw; one scalar product of the
    standard normal draws is about a quarter cheaper (tests/test_initializers.py checks
    the two are identical).
    """
    z = rng.standard_normal(dims)
    z *= std
    z += mean                                   # also when 0: -0.0 becomes 0.0, as in numpy
    return z


_EXAMPLE_VALUES = {
    "scale": "scale=1.0 (scale = gain**2; 2.0 for ReLU)",
    "gain": "gain=1.0 or gain=initlib.gain('relu')",
    "value": "value=0.1",
    "mean": "mean=0.0",
    "std": "std=0.01",
    "low": "low=-0.05",
    "high": "high=0.05",
}


def _real(value, name, minimum=None):
    """``check_real`` with this module's example for ``name``."""
    return check_real(value, name, example=_EXAMPLE_VALUES[name], minimum=minimum)


# ---------------------------------------------------------------------------
# Fans
# ---------------------------------------------------------------------------
def fans(shape):
    r"""Fan-in and fan-out of a weight tensor, by PyTorch's rule.

    For ``shape = (fan_out, fan_in)`` (a dense layer) this returns
    ``(shape[1], shape[0])``. For a convolution kernel
    ``(out_channels, in_channels, *kernel_size)`` each output sees
    ``in_channels * prod(kernel_size)`` inputs:

    .. math:: \mathrm{fan\_in} = s_1 \prod_{k \ge 2} s_k, \qquad
              \mathrm{fan\_out} = s_0 \prod_{k \ge 2} s_k.

    Keras lays a dense kernel out as ``(fan_in, fan_out)``, the transpose:
    pass ``W.T.shape`` for a Keras-style array.

    Parameters
    ----------
    shape : tuple of int
        At least 2 positive sizes.

    Returns
    -------
    (int, int)
        ``(fan_in, fan_out)``.

    Raises
    ------
    ValueError
        Fewer than 2 dimensions, or a size < 1.
    TypeError
        Sizes that are not ints.

    Examples
    --------
    >>> from initlib import fans
    >>> fans((256, 784))        # W[l] is n[l] x n[l-1]
    (784, 256)
    >>> fans((64, 3, 5, 5))     # conv kernel: 3 channels x 5x5 window
    (75, 1600)
    """
    dims = check_shape(shape, min_dims=2)
    receptive_field = math.prod(dims[2:])
    return dims[1] * receptive_field, dims[0] * receptive_field


# ---------------------------------------------------------------------------
# The one general rule
# ---------------------------------------------------------------------------
def _truncated_normal(rng, shape, std):
    """Normal with std ``std / TRUNCATED_NORMAL_STD`` cut at ±TRUNCATION_BOUND of it.

    Redraws values outside the bound (rejection sampling: ~4.6 % of draws), so the
    result has exactly the truncated distribution and variance ``std**2``.
    """
    z = rng.standard_normal(shape)
    outside = np.abs(z) > TRUNCATION_BOUND
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > TRUNCATION_BOUND
    return z * (std / TRUNCATED_NORMAL_STD)


@creates_initial_parameters
def variance_scaling(shape, *, scale=1.0, mode="fan_in", distribution="normal", rng=None):
    r"""Random weights with variance ``scale / n``: the rule behind every preset.

    .. math:: \mathrm{Var}(W_{ij}) = \frac{\mathrm{scale}}{n}, \quad
              n = \mathrm{fan\_in},\ \mathrm{fan\_out} \text{ or }
              \tfrac12(\mathrm{fan\_in} + \mathrm{fan\_out})

    ====================  ==========================================================
    distribution          draws
    ====================  ==========================================================
    ``normal``            :math:`N(0, \mathrm{std}^2)`, std = :math:`\sqrt{\mathrm{scale}/n}`
    ``uniform``           :math:`U(-\mathrm{limit}, \mathrm{limit})`,
                          limit = :math:`\sqrt{3\,\mathrm{scale}/n}`
                          (because Var U(-L, L) = L²/3)
    ``truncated_normal``  normal with std :math:`\mathrm{std}/0.8796`, values beyond
                          2 of *its* std redrawn; the cut removes spread and the
                          division by :data:`TRUNCATED_NORMAL_STD` puts it back,
                          so the variance is exactly scale/n and
                          :math:`|W_{ij}| \le 2\,\mathrm{std}/0.8796 \approx 2.27\,\mathrm{std}`.
    ====================  ==========================================================

    Also known as Keras's ``VarianceScaling`` (Keras's kernel layout is the
    transpose of ours, and its default distribution is ``truncated_normal``;
    here ``"normal"`` means a plain normal, as in PyTorch's ``*_normal_``). ``fan_avg`` with scale 1 is Glorot & Bengio (2010);
    ``fan_in`` with scale 1 is LeCun et al. (1998), with scale 2 He et al. (2015).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)`` or ``(out_channels, in_channels, *kernel_size)``.
    scale : float, default 1.0
        Variance numerator, finite and >= 0. ``scale = gain**2``.
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
        Which fan is ``n`` (see :func:`fans`). ``fan_in`` preserves the
        forward signal's variance, ``fan_out`` the backward gradient's.
    distribution : {"normal", "truncated_normal", "uniform"}, default "normal"
    rng : None, int or numpy.random.Generator
        Source of randomness, normalized by ``np.random.default_rng(rng)``.

    Returns
    -------
    numpy.ndarray
        float64 array of the given shape.

    Raises
    ------
    ValueError
        Unknown ``mode``/``distribution``, ``scale`` negative or not finite,
        ``shape`` with fewer than 2 dims or a size < 1.
    TypeError
        Non-int sizes, a non-numeric ``scale``, an unsupported ``rng``.

    References
    ----------
    Glorot & Bengio (2010). Understanding the difficulty of training deep
    feedforward neural networks. AISTATS.
    He, Zhang, Ren & Sun (2015). Delving deep into rectifiers. ICCV.

    Examples
    --------
    >>> from initlib import variance_scaling
    >>> W = variance_scaling((100, 400), scale=2.0, mode="fan_in",
    ...                      distribution="uniform", rng=0)
    >>> bool(abs(W).max() <= (3 * 2.0 / 400) ** 0.5)
    True
    """
    dims = check_shape(shape, min_dims=2)
    scale = _real(scale, "scale", minimum=0.0)
    check_choice(mode, "mode", MODES)
    check_choice(distribution, "distribution", DISTRIBUTIONS)
    rng = check_rng(rng)

    fan_in, fan_out = fans(dims)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = math.sqrt(scale / n)
    if distribution == "normal":
        return _scaled_normal(rng, 0.0, std, dims)
    if distribution == "uniform":
        limit = math.sqrt(3.0) * std  # Var U(-limit, limit) = limit**2 / 3 = std**2
        return rng.uniform(-limit, limit, size=dims)
    return _truncated_normal(rng, dims, std)


# ---------------------------------------------------------------------------
# Presets: std = gain / sqrt(n), i.e. scale = gain**2
# ---------------------------------------------------------------------------
_REFERENCES = {
    "lecun": "LeCun, Bottou, Orr & Müller (1998). Efficient BackProp. In *Neural\n"
             "    Networks: Tricks of the Trade*.",
    "glorot": "Glorot & Bengio (2010). Understanding the difficulty of training deep\n"
              "    feedforward neural networks. AISTATS.",
    "he": "He, Zhang, Ren & Sun (2015). Delving deep into rectifiers: surpassing\n"
          "    human-level performance on ImageNet classification. ICCV.",
}

# The sections every preset shares, written once and filled in by ``_preset``.
_PRESET_SECTIONS = """
    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)`` or ``(out_channels, in_channels, *kernel_size)``.
    gain : float, default {gain}
        The std is ``gain / sqrt(n)`` (finite, >= 0), e.g. ``initlib.gain("tanh")``.{mode_doc}
    rng : None, int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        float64 array of the given shape; the same as
        ``variance_scaling(shape, scale=gain**2, mode={mode}, distribution="{distribution}")``.

    References
    ----------
    {reference}

    Examples
    --------"""

_MODE_DOC = """
    mode : {"fan_in", "fan_out"}, default "fan_in"
        Which fan is ``n`` (``"fan_avg"`` is accepted too); ``fan_out`` preserves the
        backward pass instead of the forward one."""


def _preset(mode, distribution, reference, gain="1.0"):
    """Give a preset the shared Parameters/Returns/References sections (before its Examples)."""

    def document(function):
        sections = _PRESET_SECTIONS.format(
            gain=gain, mode_doc=_MODE_DOC if mode == "mode" else "",
            mode=mode if mode == "mode" else f'"{mode}"', distribution=distribution,
            reference=_REFERENCES[reference])
        function.__doc__ = function.__doc__.replace("\n    Examples\n    --------", sections, 1)
        return function

    return document


def _scale(gain):
    return _real(gain, "gain", minimum=0.0) ** 2


@_preset("fan_in", "normal", "lecun")
def lecun_normal(shape, *, gain=1.0, rng=None):
    r"""LeCun normal: :math:`W_{ij} \sim N(0,\ \mathrm{gain}^2/\mathrm{fan\_in})`.

    Keeps the variance of the forward signal through a linear layer (and
    through tanh near 0). This is the :math:`\mathrm{Var} = 1/n^{[l-1]}` rule
    that the source text, like many tutorials, calls "Xavier".

    Also known as Keras's ``lecun_normal`` (which truncates; this one does not:
    use ``variance_scaling(..., distribution="truncated_normal")`` for that).

    Examples
    --------
    >>> from initlib import lecun_normal
    >>> lecun_normal((3, 4), rng=0).shape
    (3, 4)
    """
    return variance_scaling(shape, scale=_scale(gain), mode="fan_in", rng=rng)


@_preset("fan_in", "uniform", "lecun")
def lecun_uniform(shape, *, gain=1.0, rng=None):
    r"""LeCun uniform: :math:`W_{ij} \sim U(\pm\,\mathrm{gain}\sqrt{3/\mathrm{fan\_in}})`.

    Same variance as :func:`lecun_normal`.

    Examples
    --------
    >>> from initlib import lecun_uniform
    >>> bool(abs(lecun_uniform((3, 12), rng=0)).max() <= 0.5)   # sqrt(3/12)
    True
    """
    return variance_scaling(
        shape, scale=_scale(gain), mode="fan_in", distribution="uniform", rng=rng
    )


@_preset("fan_avg", "normal", "glorot")
def xavier_normal(shape, *, gain=1.0, rng=None):
    r"""Xavier/Glorot normal: :math:`W_{ij} \sim N\big(0,\ \mathrm{gain}^2\,\tfrac{2}{\mathrm{fan\_in}+\mathrm{fan\_out}}\big)`.

    Glorot & Bengio's compromise between keeping the forward variance
    (:math:`1/\mathrm{fan\_in}`) and the backward variance
    (:math:`1/\mathrm{fan\_out}`): the harmonic-mean-like
    :math:`2/(\mathrm{fan\_in}+\mathrm{fan\_out})`.

    Also known as ``glorot_normal`` (Keras; Keras truncates the normal) and
    ``torch.nn.init.xavier_normal_`` (same ``gain``).

    Examples
    --------
    >>> from initlib import xavier_normal, gain
    >>> W = xavier_normal((64, 32), gain=gain("tanh"), rng=0)
    >>> W.shape
    (64, 32)
    """
    return variance_scaling(shape, scale=_scale(gain), mode="fan_avg", rng=rng)


@_preset("fan_avg", "uniform", "glorot")
def xavier_uniform(shape, *, gain=1.0, rng=None):
    r"""Xavier/Glorot uniform: :math:`W_{ij} \sim U\big(\pm\,\mathrm{gain}\sqrt{6/(\mathrm{fan\_in}+\mathrm{fan\_out})}\big)`.

    Glorot & Bengio's "normalized initialization"; Keras's default kernel
    initializer for ``Dense`` (``glorot_uniform``); PyTorch's
    ``xavier_uniform_``. Same variance as :func:`xavier_normal`.

    Examples
    --------
    >>> from initlib import xavier_uniform
    >>> bool(abs(xavier_uniform((10, 14), rng=0)).max() <= 0.5)   # sqrt(6/24)
    True
    """
    return variance_scaling(
        shape, scale=_scale(gain), mode="fan_avg", distribution="uniform", rng=rng
    )


@_preset("mode", "normal", "he", gain="sqrt(2)")
def he_normal(shape, *, gain=math.sqrt(2.0), mode="fan_in", rng=None):
    r"""He/Kaiming normal: :math:`W_{ij} \sim N(0,\ \mathrm{gain}^2/n)`; by default :math:`2/\mathrm{fan\_in}`.

    ReLU zeroes half of a symmetric input, halving its second moment;
    doubling the weight variance restores it, so the signal keeps its scale
    through any depth.

    ``gain`` is the whole factor on :math:`1/\sqrt{n}`, as in PyTorch, and
    defaults to the ReLU gain :math:`\sqrt 2`.
    ``torch.nn.init.kaiming_normal_(w, a=s, mode=m, nonlinearity=f)`` is
    ``he_normal(w.shape, gain=initlib.gain(f, s), mode=m)``; e.g. leaky ReLU
    with slope 0.2 is ``gain=initlib.gain("leaky_relu", 0.2)``.

    Also known as ``kaiming_normal`` (PyTorch) and ``he_normal`` (Keras, which
    truncates the normal).

    Examples
    --------
    >>> from initlib import he_normal, gain
    >>> W = he_normal((64, 32), gain=gain("leaky_relu", 0.2), rng=0)
    >>> W.shape
    (64, 32)
    """
    return variance_scaling(shape, scale=_scale(gain), mode=mode, rng=rng)


@_preset("mode", "uniform", "he", gain="sqrt(2)")
def he_uniform(shape, *, gain=math.sqrt(2.0), mode="fan_in", rng=None):
    r"""He/Kaiming uniform: :math:`W_{ij} \sim U(\pm\,\mathrm{gain}\sqrt{3/n})`; by default :math:`U(\pm\sqrt{6/\mathrm{fan\_in}})`.

    Same variance as :func:`he_normal`; PyTorch's ``kaiming_uniform_`` with the
    same correspondence for ``gain``.

    Examples
    --------
    >>> from initlib import he_uniform
    >>> bool(abs(he_uniform((10, 24), rng=0)).max() <= 0.5)   # sqrt(6/24)
    True
    """
    return variance_scaling(
        shape, scale=_scale(gain), mode=mode, distribution="uniform", rng=rng
    )


# The field uses both names; they are the same functions.
glorot_normal = xavier_normal
glorot_uniform = xavier_uniform
kaiming_normal = he_normal
kaiming_uniform = he_uniform


# ---------------------------------------------------------------------------
# Orthogonal
# ---------------------------------------------------------------------------
@creates_initial_parameters
def orthogonal(shape, *, gain=1.0, rng=None):
    r"""A random (semi-)orthogonal matrix times ``gain``, from the QR of a Gaussian matrix.

    The array is treated as a matrix of shape ``(shape[0], prod(shape[1:]))``
    (as PyTorch does for kernels). A standard Gaussian matrix ``A`` of the tall
    orientation is factored ``A = QR``, and ``Q``'s columns are multiplied by
    ``sign(diag(R))``. Without that sign fix the result depends on the QR
    routine's sign convention and is not uniformly (Haar) distributed
    (Mezzadri 2007). Then

    - wide or square (``rows <= cols``): orthonormal rows, :math:`W W^\top = \mathrm{gain}^2 I`;
    - tall (``rows > cols``): orthonormal columns, :math:`W^\top W = \mathrm{gain}^2 I`.

    Every singular value equals ``gain``. With square layers and ``gain=1``, a
    deep *linear* network keeps the norm of every input exactly, which gives
    depth-independent learning dynamics (Saxe et al. 2014).

    Also known as ``torch.nn.init.orthogonal_`` and Keras's ``Orthogonal``.

    Parameters
    ----------
    shape : tuple of int
        At least 2 dims, e.g. ``(fan_out, fan_in)``.
    gain : float, default 1.0
        Multiplies the matrix (finite, >= 0).
    rng : None, int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        float64 array of the given shape.

    References
    ----------
    Saxe, McClelland & Ganguli (2014). Exact solutions to the nonlinear
    dynamics of learning in deep linear neural networks. ICLR.
    Mezzadri (2007). How to generate random matrices from the classical
    compact groups. Notices of the AMS 54(5).

    Examples
    --------
    >>> import numpy as np
    >>> from initlib import orthogonal
    >>> W = orthogonal((3, 5), rng=0)
    >>> np.allclose(W @ W.T, np.eye(3))
    True
    """
    dims = check_shape(shape, min_dims=2)
    gain = _real(gain, "gain", minimum=0.0)
    rng = check_rng(rng)
    rows, cols = dims[0], math.prod(dims[1:])
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))  # tall
    q, r = np.linalg.qr(a)  # q: (max, min), orthonormal columns
    q = q * np.sign(np.diag(r))  # sign fix: now q is Haar-distributed
    if rows < cols:
        q = q.T
    return gain * q.reshape(dims)


# ---------------------------------------------------------------------------
# Fixed values and fan-free distributions (any shape, e.g. biases)
# ---------------------------------------------------------------------------
@creates_initial_parameters
def zeros(shape, *, rng=None):
    """All zeros, any shape.

    The usual bias initialization. For weights it is the failure that
    chapter 1 shows: every hidden unit computes the same thing and gets the
    same update, so they stay identical (the symmetry problem).

    Parameters
    ----------
    shape : int or tuple of int
        Any number of dims, including 1-D (biases).
    rng : ignored
        Accepted so that every initializer has the same signature.

    Returns
    -------
    numpy.ndarray
        float64 zeros.

    Examples
    --------
    >>> from initlib import zeros
    >>> zeros((2, 3))
    array([[0., 0., 0.],
           [0., 0., 0.]])
    """
    return np.zeros(check_shape(shape))


@creates_initial_parameters
def ones(shape, *, rng=None):
    """All ones, any shape (``rng`` ignored). See :func:`zeros`.

    Examples
    --------
    >>> from initlib import ones
    >>> ones(3)
    array([1., 1., 1.])
    """
    return np.ones(check_shape(shape))


@creates_initial_parameters
def constant(shape, *, value, rng=None):
    """Every entry equal to ``value``, any shape (``rng`` ignored).

    A non-zero constant does not break the symmetry either: all units of a
    layer still compute the same function.

    Parameters
    ----------
    shape : int or tuple of int
    value : float
        Finite.

    Examples
    --------
    >>> from initlib import constant
    >>> constant((2, 2), value=0.5)
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    return np.full(check_shape(shape), _real(value, "value"))


@creates_initial_parameters
def normal(shape, *, mean=0.0, std=0.05, rng=None):
    r"""Normal draws :math:`N(\mathrm{mean}, \mathrm{std}^2)` with a fixed ``std``, any shape.

    The "small random numbers" of the source text (e.g. ``std=0.01``): the
    std ignores the layer's fans, which is why it vanishes or explodes in
    deep networks (chapter 2). Also known as Keras's ``RandomNormal`` (same
    default std 0.05) and ``torch.nn.init.normal_``.

    Parameters
    ----------
    shape : int or tuple of int
    mean : float, default 0.0
    std : float, default 0.05
        Finite, >= 0.
    rng : None, int or numpy.random.Generator

    Examples
    --------
    >>> from initlib import normal
    >>> normal((2, 3), std=0.01, rng=0).shape
    (2, 3)
    """
    dims = check_shape(shape)
    mean = _real(mean, "mean")
    std = _real(std, "std", minimum=0.0)
    return _scaled_normal(check_rng(rng), mean, std, dims)


@creates_initial_parameters
def uniform(shape, *, low=-0.05, high=0.05, rng=None):
    r"""Uniform draws :math:`U(\mathrm{low}, \mathrm{high})` with fixed limits, any shape.

    Also known as Keras's ``RandomUniform`` (same defaults) and
    ``torch.nn.init.uniform_``. PyTorch's ``nn.Linear`` default weights are
    ``uniform(shape, low=-1/sqrt(fan_in), high=1/sqrt(fan_in))``, i.e.
    Var = 1/(3 fan_in) (its ``a=sqrt(5)`` argument is a roundabout way of
    writing that).

    Parameters
    ----------
    shape : int or tuple of int
    low, high : float, default -0.05, 0.05
        Finite, ``low < high``.
    rng : None, int or numpy.random.Generator

    Examples
    --------
    >>> from initlib import uniform
    >>> bool((uniform(100, low=0, high=1, rng=0) < 1).all())
    True
    """
    dims = check_shape(shape)
    low = _real(low, "low")
    high = _real(high, "high")
    if not low < high:
        raise ValueError(
            f"uniform needs low < high, got low={low!r}, high={high!r}; "
            f"e.g. low=-0.05, high=0.05."
        )
    return check_rng(rng).uniform(low, high, size=dims)


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------
_INITIALIZERS = {
    "zeros": zeros,
    "ones": ones,
    "constant": constant,
    "normal": normal,
    "uniform": uniform,
    "variance_scaling": variance_scaling,
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "kaiming_normal": kaiming_normal,
    "kaiming_uniform": kaiming_uniform,
    "orthogonal": orthogonal,
}


def available_initializers():
    """Names accepted by :func:`get_initializer`, in a fixed order.

    Examples
    --------
    >>> from initlib import available_initializers
    >>> "he_normal" in available_initializers()
    True
    """
    return list(_INITIALIZERS)


def get_initializer(name):
    """The initializer function called ``name``; a callable is returned unchanged.

    Parameters
    ----------
    name : str or callable
        One of :func:`available_initializers`, or a function
        ``f(shape, *, rng=None, **options)``.

    Raises
    ------
    ValueError
        Unknown name; the message lists the valid names and the closest match.
    TypeError
        Neither a string nor a callable.

    Examples
    --------
    >>> from initlib import get_initializer
    >>> init = get_initializer("glorot_uniform")
    >>> init((4, 3), rng=0).shape
    (4, 3)
    """
    if callable(name):
        return name
    check_name(name, "initializer", _INITIALIZERS, "Or pass a function f(shape, *, rng=None).",
               alternative="a function f(shape, *, rng=None)")
    return _INITIALIZERS[name]

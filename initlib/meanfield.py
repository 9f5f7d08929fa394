r"""Mean-field signal propagation: the length and correlation maps, their fixed points, χ, ξ.

A deep random network with :math:`z^{[l]} = W^{[l]} f(z^{[l-1]}) + b^{[l]}`,
:math:`W_{ij} \sim N(0, \sigma_w^2/n)` and :math:`b_i \sim N(0, \sigma_b^2)` forgets
the details of its input at a rate that :math:`(\sigma_w^2, \sigma_b^2)` alone
determines, when the layers are wide {cite}`poole2016exponential, schoenholz2017deep`.
Chapter "The edge of chaos" explains each function; the notation is the book's
(:math:`\sigma_w^2 = n_{\rm in}\mathrm{Var}(w)`, Poole et al.'s convention).

=============================  ========================================================
``length_map``                 :math:`q^{[l]} = \sigma_w^2\,\mathrm E[f(\sqrt{q^{[l-1]}}\,\xi)^2]
                               + \sigma_b^2`, :math:`\xi \sim N(0, 1)`
``correlation_map``            :math:`c^{[l-1]} \mapsto c^{[l]}` for two inputs of the same
                               length :math:`q`
``q_star``, ``c_star``         their fixed points
``chi``                        :math:`\chi = \sigma_w^2\,\mathrm E[f'(z)^2]`, :math:`z \sim N(0, q^*)`
                               (Poole's :math:`\chi_1`): < 1 ordered, > 1 chaotic
``critical_sigma_w2``          the line :math:`\chi = 1` in the :math:`(\sigma_w^2, \sigma_b^2)` plane
``depth_scales``               :math:`\xi_q, \xi_c` from the slopes of the maps at their fixed
                               points (Schoenholz et al. 2017, eqs. 7 and 9)
``correlated_inputs``          inputs with exactly the length :math:`q` and correlation :math:`c`
``propagate``                  a random network of finite width: measured :math:`q^{[l]}`, :math:`c^{[l]}`
``decay_length``               the depth scale of a measured exponential approach
``trainability``               train a grid of (σ_w², depth) networks on a dataset, all at once
=============================  ========================================================

The Gaussian expectations are Gauss–Hermite sums (``np.polynomial.hermite_e.hermegauss``,
exact for polynomials up to degree 2·nodes − 1; for tanh the relative error is below
1e-7 for lengths q up to 5 and grows beyond, where tanh's unit scale is small against the
Gaussian's; for ReLU the length map is exact by symmetry and the correlation map uses the
closed form, the arc-cosine kernel). The simulated networks draw every weight and
bias with :func:`initlib.normal`, so the ``INITLIB_PERTURB_ULP`` switch applies to them.

Example
-------
>>> from initlib import meanfield
>>> round(meanfield.critical_sigma_w2(0.05), 2)      # tanh, sigma_b^2 = 0.05
1.76
>>> round(float(meanfield.chi(1.76, 0.05)), 3)
1.0
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import initlib

from ._blas import small_matrix_kernel
from ._reproducibility import cast_initial
from ._validation import check_dtype, check_int, check_real

__all__ = [
    "length_map",
    "correlation_map",
    "q_star",
    "c_star",
    "chi",
    "critical_sigma_w2",
    "depth_scales",
    "MeanField",
    "mean_field",
    "correlated_inputs",
    "Propagation",
    "propagate",
    "decay_length",
    "Trainability",
    "trainability",
]

# Gauss-Hermite (probabilists') nodes and weights: E[g(xi)] ~ sum_k w_k g(x_k), xi ~ N(0, 1).
_N1, _N2 = 200, 100  # even: no node at 0, where ReLU has its kink
_X1, _W1 = np.polynomial.hermite_e.hermegauss(_N1)
_W1 = _W1 / np.sqrt(2 * np.pi)
_X2, _W2 = np.polynomial.hermite_e.hermegauss(_N2)   # the same rule for z1 and for z2
_W2 = _W2 / np.sqrt(2 * np.pi)
_CHUNK = 16     # (q, c) pairs per pass over the 100 x 100 grid (16 grids of floats: 1.3 MB)
_BISECTIONS = 50
_Q_MAX = 1e12   # a length map that is still growing here has no finite fixed point
_SW2_MAX = 25.0  # critical_sigma_w2 searches (0, 25]


# ---------------------------------------------------------------------------
# Validation: initlib._validation's checks and wording ("got ..."; TypeError for a wrong
# type, ValueError for a wrong value), plus the checks only the maps need
# ---------------------------------------------------------------------------
def _activation(activation):
    act = initlib.get_activation(activation) if isinstance(activation, str) else activation
    if not (callable(getattr(act, "forward", None)) and callable(getattr(act, "derivative", None))):
        raise TypeError(
            f"activation must be a name such as 'tanh' or an initlib Activation (with .forward "
            f"and .derivative), got {activation!r} of type {type(activation).__name__}."
        )
    return act


def _variances(sigma_w2, sigma_b2):
    out = []
    for name, value in (("sigma_w2", sigma_w2), ("sigma_b2", sigma_b2)):
        try:
            v = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be a number or an array of numbers, got {value!r} of type "
                f"{type(value).__name__}; e.g. {name}={'1.5' if name == 'sigma_w2' else '0.05'}."
            ) from None
        if not np.isfinite(v).all() or (v < 0).any():
            raise ValueError(
                f"{name} is a variance: it must be finite and >= 0, got {value!r}; "
                f"e.g. {name}={'1.5' if name == 'sigma_w2' else '0.05'}."
            )
        out.append(v)
    if (out[0] == 0).any():
        raise ValueError(
            f"sigma_w2 must be > 0 (with sigma_w2 = 0 the network ignores its input), "
            f"got {sigma_w2!r}; e.g. sigma_w2=1.5."
        )
    try:
        return np.broadcast_arrays(*out)
    except ValueError:
        raise ValueError(
            f"sigma_w2 and sigma_b2 must broadcast together, got shapes "
            f"{out[0].shape} and {out[1].shape}; pass numbers, or arrays of compatible shapes."
        ) from None


def _scalar(x):
    return float(x) if np.ndim(x) == 0 else x


# ---------------------------------------------------------------------------
# The two maps
# ---------------------------------------------------------------------------
def _second_moment(act, q):
    """E[f(sqrt(q) xi)^2] for an array of q (any shape)."""
    u = np.sqrt(q)[..., None] * _X1
    return act.forward(u) ** 2 @ _W1


@small_matrix_kernel
def length_map(q, sigma_w2, sigma_b2, activation="tanh"):
    r"""One layer of the length map: the mean square of the next layer's pre-activations.

    .. math:: q^{[l]} = \sigma_w^2 \int \mathcal{D}\xi\, f\big(\sqrt{q^{[l-1]}}\,\xi\big)^2
              + \sigma_b^2, \qquad \mathcal{D}\xi = \tfrac{e^{-\xi^2/2}}{\sqrt{2\pi}}\,d\xi,

    with :math:`q^{[l]} = \frac1n \sum_i (z_i^{[l]})^2` (Poole et al. 2016, eq. 3).
    Exact for ``"linear"`` (:math:`\sigma_w^2 q + \sigma_b^2`) and ``"relu"``
    (:math:`\sigma_w^2 q/2 + \sigma_b^2`).

    Parameters
    ----------
    q : float or array_like
        Length(s) :math:`q^{[l-1]} \ge 0` of the previous layer.
    sigma_w2, sigma_b2 : float or array_like
        :math:`\sigma_w^2 = n\,\mathrm{Var}(w) > 0` and :math:`\sigma_b^2 = \mathrm{Var}(b) \ge 0`;
        broadcast with ``q``.
    activation : str or Activation

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(length_map(1.0, 1.0, 0.0), 4)        # E[tanh(xi)^2] for xi ~ N(0, 1)
    0.3943
    >>> round(length_map(3.0, 2.0, 0.1, "relu"), 12)
    3.1
    """
    act = _activation(activation)
    sw, sb = _variances(sigma_w2, sigma_b2)
    q = np.asarray(q, dtype=np.float64)
    if not np.isfinite(q).all() or (q < 0).any():
        raise ValueError(f"q is a mean square: it must be finite and >= 0, got {q!r}.")
    return _scalar(sw * _second_moment(act, np.broadcast_to(q, np.broadcast_shapes(q.shape, sw.shape))) + sb)


def _pair_moments(act, q, c, deriv=False):
    """E[g(u1) g(u2)] and E[g(u1)^2] by a product Gauss-Hermite rule; g = f, or f' if deriv.

    For ReLU, whose kink limits the rule to about 3e-3, the closed forms are used instead.

    u1 = sqrt(q) z1, u2 = sqrt(q) (c z1 + sqrt(1 - c^2) z2). Both moments use the same
    nodes, so their ratio is exactly 1 at c = 1 (the quadrature errors cancel there).
    """
    if getattr(act, "name", None) == "relu":                   # exact: the arc-cosine kernel
        theta = np.arccos(np.clip(c, -1, 1))                      # (Cho & Saul 2009)
        if deriv:
            return (np.pi - theta) / (2 * np.pi), np.full(np.shape(theta), 0.5)
        return (q / (2 * np.pi) * (np.sin(theta) + (np.pi - theta) * np.cos(theta)), q / 2)
    g = act.derivative if deriv else act.forward
    g1 = g(np.sqrt(q)[..., None] * _X2)                       # g(u1): depends on z1 only
    u2 = _u2(q, c)
    if deriv and getattr(act, "derivative_into", None) is not None:
        g2 = act.derivative_into(u2, act.forward(u2), u2)     # f'(u2), written over u2
    else:
        g2 = g(u2)
    inner = g2 @ _W2                                          # E over z2, for each z1
    return (g1 * inner) @ _W2, (g1 * g1) @ _W2


def _u2(q, c):
    """u2 = sqrt(q) (c z1 + sqrt(1 - c^2) z2) on the product grid, shape (..., nodes, nodes).

    The grid has 10,000 points per (q, c), so it is built with one large array and
    updated in place (large temporaries cost more than the arithmetic).
    """
    c = c[..., None, None]
    u2 = c * _X2[:, None] + np.sqrt(np.clip(1 - c * c, 0, None)) * _X2[None, :]
    u2 *= np.sqrt(q)[..., None, None]
    return u2


def _in_chunks(function, act, *arrays):
    """``function(act, *arrays)`` computed for _CHUNK elements at a time, in their broadcast shape.

    A 100 x 100 grid per element makes large arrays: in chunks they stay in the processor's
    cache, which is about twice as fast as streaming them through memory. (Used inside
    _c_star's Newton iteration, whose fixed points come out the same; the reductions over
    the grid may round differently for another number of elements.)
    """
    shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
    flat = [np.broadcast_to(a, shape).ravel() for a in arrays]
    parts = [function(act, *(a[i:i + _CHUNK] for a in flat)) for i in range(0, flat[0].size, _CHUNK)]
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate(part).reshape(shape) for part in zip(*parts))
    return np.concatenate(parts).reshape(shape)


def _corr_map(act, sw, sb, q, c):
    """c -> c' at length q, normalized with the same rule (so that c = 1 maps to 1)."""
    pair, square = _pair_moments(act, q, c)
    return (sw * pair + sb) / (sw * square + sb)


@small_matrix_kernel
def correlation_map(c, sigma_w2, sigma_b2, activation="tanh", *, q=None):
    r"""One layer of the correlation map of two inputs whose pre-activations have length ``q``.

    .. math:: c^{[l]} = \frac{1}{q^{[l]}}\Big(\sigma_w^2 \int \mathcal{D}z_1\,\mathcal{D}z_2\,
              f(u_1)\,f(u_2) + \sigma_b^2\Big),\quad u_1 = \sqrt q\, z_1,\;
              u_2 = \sqrt q\,\big(c\, z_1 + \sqrt{1 - c^2}\, z_2\big),

    :math:`c = c^{[l-1]}`, :math:`q^{[l]}` = ``length_map(q)`` (Poole et al. 2016, eq. 5).
    With the default ``q=None`` both inputs sit at the fixed point :math:`q^*`, where
    the map no longer depends on the layer.

    Parameters
    ----------
    c : float or array_like
        Correlation(s) :math:`c^{[l-1]} \in [-1, 1]`.
    sigma_w2, sigma_b2 : float or array_like
    activation : str or Activation
    q : float, optional
        Length of both inputs' pre-activations; default :func:`q_star`.

    Examples
    --------
    >>> round(correlation_map(1.0, 1.5, 0.05), 6)    # identical inputs stay identical
    1.0
    >>> abs(correlation_map(0.0, 2.5, 0.0)) < 1e-12  # odd f, no bias: orthogonal stays orthogonal
    True
    """
    act = _activation(activation)
    sw, sb = _variances(sigma_w2, sigma_b2)
    c = np.asarray(c, dtype=np.float64)
    if not np.isfinite(c).all() or (np.abs(c) > 1 + 1e-12).any():
        raise ValueError(f"c is a correlation: it must lie in [-1, 1], got {c!r}.")
    if q is None:
        q = _q_star(act, sw, sb, 1.0)
    q = np.asarray(q, dtype=np.float64)
    if not np.isfinite(q).all() or (q <= 0).any():
        raise ValueError(
            f"the correlation map needs a finite length q > 0, got q={q!r}; with "
            f"sigma_b2 = 0 and an ordered sigma_w2 the fixed point is q* = 0 and every "
            f"correlation is undefined: pass q= explicitly."
        )
    shape = np.broadcast_shapes(c.shape, sw.shape, q.shape)
    c, sw, sb, q = (np.broadcast_to(a, shape) for a in (np.clip(c, -1, 1), sw, sb, q))
    return _scalar(_corr_map(act, sw, sb, q, c))


# ---------------------------------------------------------------------------
# Fixed points, chi, depth scales
# ---------------------------------------------------------------------------
def _q_star(act, sw, sb, q0):
    """The fixed point the length map reaches from q0 (vectorized bisection)."""
    gap = lambda q: sw * _second_moment(act, q) + sb - q          # noqa: E731
    g0 = gap(np.full(sw.shape, q0))
    up = g0 > 1e-12 * max(q0, 1.0)                                  # q grows from q0
    down = g0 < -1e-12 * max(q0, 1.0)                               # q shrinks from q0
    lo = np.where(up, q0, 0.0)
    hi = np.full(sw.shape, float(q0))
    bounded = ~up
    while up.any() and not bounded.all():                          # find hi with gap(hi) < 0
        hi = np.where(bounded, hi, 2 * hi)
        bounded = bounded | (gap(hi) < 0) | (hi > _Q_MAX)
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        positive = gap(mid) >= 0
        lo, hi = np.where(positive, mid, lo), np.where(positive, hi, mid)
    q = np.where(up, lo, np.where(down, hi, q0))
    return np.where(up & (hi > _Q_MAX), np.inf, np.where(down & (hi < 1e-14 * max(q0, 1.0)), 0.0, q))


def _check_q0(q0):
    return check_real(q0, "q0", example="q0=1.0", positive=True)


@small_matrix_kernel
def q_star(sigma_w2, sigma_b2, activation="tanh", *, q0=1.0):
    r"""Fixed point :math:`q^*` of the length map, reached by iterating it from ``q0``.

    For the activations here the length map is increasing, so from any start the
    iteration moves monotonically to the nearest fixed point in its direction:
    ``q_star`` finds that point by bisection. For tanh with :math:`\sigma_b^2 > 0` it is
    the unique fixed point, whatever ``q0``; with :math:`\sigma_b^2 = 0`, :math:`q^* = 0`
    for :math:`\sigma_w^2 \le 1` (the signal dies out) and :math:`q^* > 0` above.
    ``inf`` if the length grows without bound (ReLU with :math:`\sigma_w^2 > 2`);
    ``q0`` itself if every length is a fixed point (ReLU at :math:`\sigma_w^2 = 2,
    \sigma_b^2 = 0`, linear at :math:`\sigma_w^2 = 1, \sigma_b^2 = 0`).

    Examples
    --------
    >>> round(q_star(2.0, 0.05), 4)
    0.7218
    >>> q_star(0.8, 0.0)                           # ordered, no bias: the signal dies out
    0.0
    >>> round(q_star(1.0, 0.1, "relu"), 6)         # sigma_b2 / (1 - sigma_w2 / 2)
    0.2
    """
    act = _activation(activation)
    sw, sb = _variances(sigma_w2, sigma_b2)
    return _scalar(_q_star(act, sw, sb, _check_q0(q0)))


def _chi_at(act, sw, q):
    # q* = 0: the limit q -> 0+ (tanh: sigma_w2 f'(0)^2; ReLU: sigma_w2 / 2). q* = inf happens
    # only for unbounded, positively homogeneous activations (ReLU, linear), whose chi does
    # not depend on q: evaluate at q = 1.
    q = np.where(np.isfinite(q), np.maximum(q, 1e-200), 1.0)
    return sw * (act.derivative(np.sqrt(q)[..., None] * _X1) ** 2 @ _W1)


@small_matrix_kernel
def chi(sigma_w2, sigma_b2, activation="tanh", *, q0=1.0):
    r"""Poole's :math:`\chi_1 = \sigma_w^2\,\mathrm E[f'(z)^2]`, :math:`z \sim N(0, q^*)`.

    The factor by which one layer multiplies a small perturbation's squared length
    (and the slope of the correlation map at :math:`c = 1`): :math:`\chi < 1` is
    the ordered phase (nearby inputs converge), :math:`\chi > 1` the chaotic phase
    (they diverge), :math:`\chi = 1` the critical line, the *edge of chaos*.

    Examples
    --------
    >>> round(chi(1.0, 0.0), 6)                    # tanh, q* = 0: f'(0)^2 sigma_w2
    1.0
    >>> chi(2.0, 0.0, "relu")                      # He initialization is critical
    1.0
    """
    act = _activation(activation)
    sw, sb = _variances(sigma_w2, sigma_b2)
    q = _q_star(act, sw, sb, _check_q0(q0))
    return _scalar(_chi_at(act, sw, q))


@small_matrix_kernel
def critical_sigma_w2(sigma_b2, activation="tanh", *, q0=1.0):
    r"""The :math:`\sigma_w^2` on the critical line :math:`\chi = 1` for a given :math:`\sigma_b^2`.

    Found by bisection on :math:`\sigma_w^2 \in (0, 25]` (:math:`\chi` grows with
    :math:`\sigma_w^2` for tanh). Tanh: 1 at :math:`\sigma_b^2 = 0`, about 1.76 at 0.05.
    Near :math:`\sigma_b^2 = 0` the answer is accurate to about 1e-7 only (there
    :math:`\chi - 1` is quadratic in :math:`\sigma_w^2 - 1` on the chaotic side).

    Examples
    --------
    >>> round(critical_sigma_w2(0.0), 6)
    1.0
    """
    act = _activation(activation)
    _, sb = _variances(1.0, sigma_b2)
    q0 = _check_q0(q0)
    lo, hi = np.full(sb.shape, 1e-6), np.full(sb.shape, _SW2_MAX)
    if (_chi_at(act, hi, _q_star(act, hi, sb, q0)) < 1).any():
        raise ValueError(
            f"chi stays below 1 up to sigma_w2 = {_SW2_MAX:g} for sigma_b2={sigma_b2!r} and "
            f"{getattr(act, 'name', activation)!r}: there is no critical line below that."
        )
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        above = _chi_at(act, mid, _q_star(act, mid, sb, q0)) > 1
        lo, hi = np.where(above, lo, mid), np.where(above, mid, hi)
    return _scalar(0.5 * (lo + hi))


def _square(act, q):
    """E[f(u1)^2] with the nodes of the product rule (what _pair_moments returns second)."""
    if getattr(act, "name", None) == "relu":
        return q / 2
    return act.forward(np.sqrt(q)[..., None] * _X2) ** 2 @ _W2


def _chi_c(act, sw, sb, q, c):
    """Slope of the correlation map at c: sigma_w2 q E[f'(u1) f'(u2)] / q' (Price's theorem)."""
    pair, _ = _pair_moments(act, q, c, deriv=True)
    return sw * q * pair / (sw * _square(act, q) + sb)


def _map_and_slope(act, sw, sb, q, c):
    """The correlation map at c and its slope, as _corr_map and _chi_c compute them.

    From one evaluation of f on the two-dimensional grid: f' comes from f's values
    (``derivative(u, f(u))``, e.g. 1 - tanh^2), bit for bit what f' alone gives. (An
    activation that is not an :class:`initlib.Activation` may not take f's values: it is
    evaluated twice.)
    """
    if getattr(act, "name", None) == "relu" or not isinstance(act, initlib.Activation):
        return _corr_map(act, sw, sb, q, c), _chi_c(act, sw, sb, q, c)
    if np.size(q) > _CHUNK:
        return _in_chunks(_map_and_slope, act, sw, sb, q, c)
    u1, u2 = np.sqrt(q)[..., None] * _X2, _u2(q, c)
    f1, f2 = act.forward(u1), act.forward(u2)
    square = (f1 * f1) @ _W2
    pair = (f1 * (f2 @ _W2)) @ _W2
    if act.derivative_into is not None:
        d2 = act.derivative_into(u2, f2, f2)                  # f'(u2), written over f(u2)
    else:
        d2 = act.derivative(u2, f2)
    slope_pair = (act.derivative(u1, f1) * (d2 @ _W2)) @ _W2
    return (sw * pair + sb) / (sw * square + sb), sw * q * slope_pair / (sw * square + sb)


def _c_star(act, sw, sb, q, tol=1e-12, max_iter=200):
    """Stable fixed point of the correlation map at length q (1 in the ordered phase).

    Newton's method from c = 0. By Mehler's formula the map is a power series in c with
    non-negative coefficients, so on [0, 1] it is convex and the iterates climb
    monotonically to the fixed point c* without overshooting it.
    """
    shape = np.shape(q)
    sw, sb, q = (np.broadcast_to(a, shape).ravel() for a in (sw, sb, q))
    c = np.where(_chi_at(act, sw, q) > 1 + 1e-9, 0.0, 1.0)   # on the line itself: c* = 1
    todo = c < 1
    for _ in range(max_iter):
        if not todo.any():
            break
        sw_, sb_, q_, c_ = sw[todo], sb[todo], q[todo], c[todo]
        new_c, slope = _map_and_slope(act, sw_, sb_, q_, c_)
        gap, slope = new_c - c_, slope - 1
        step = np.where(slope < 0, -gap / np.where(slope < 0, slope, -1.0), 0.0)
        c[todo] = np.clip(c_ + step, 0.0, 1.0)
        done = np.abs(step) <= tol
        todo[np.flatnonzero(todo)[done]] = False
    return c.reshape(shape)


def _ordered_q(act, sw, sb, q0, who):
    q = _q_star(act, sw, sb, q0)
    if not np.isfinite(q).all() or (q <= 0).any():
        raise ValueError(
            f"{who} needs a finite fixed point q* > 0; here q* = {_scalar(q)!r} (sigma_b2 = 0 "
            f"in the ordered phase sends every input to 0; an unbounded activation with a "
            f"large sigma_w2 has q* = inf): use sigma_b2 > 0 or another sigma_w2."
        )
    return q


@small_matrix_kernel
def c_star(sigma_w2, sigma_b2, activation="tanh", *, q0=1.0):
    r"""Stable fixed point :math:`c^*` of the correlation map (at :math:`q^*`).

    1 in the ordered phase (:math:`\chi \le 1`: all inputs end up identical); below 1
    in the chaotic phase (:math:`\chi > 1`: even nearby inputs end up at correlation
    :math:`c^*`); 0 for odd activations without bias.

    Examples
    --------
    >>> c_star(1.2, 0.05)
    1.0
    >>> abs(c_star(2.5, 0.0)) < 1e-12                # odd f, no bias
    True
    """
    act = _activation(activation)
    sw, sb = _variances(sigma_w2, sigma_b2)
    return _scalar(_c_star(act, sw, sb, _ordered_q(act, sw, sb, _check_q0(q0), "c_star")))


class MeanField(NamedTuple):
    """Everything the mean-field theory says about one (σ_w², σ_b²); arrays broadcast."""

    q_star: float | np.ndarray
    c_star: float | np.ndarray
    chi: float | np.ndarray
    chi_c: float | np.ndarray
    xi_q: float | np.ndarray
    xi_c: float | np.ndarray


def _xi(slope):
    with np.errstate(divide="ignore"):
        return np.where(slope >= 1, np.inf, -1 / np.log(np.clip(slope, 1e-300, 1)))


@small_matrix_kernel
def mean_field(sigma_w2, sigma_b2, activation="tanh", *, q0=1.0):
    r"""q*, c*, χ, the slope :math:`\chi_{c^*}` of the correlation map at c*, and ξ_q, ξ_c.

    The depth scales come from linearizing each map at its fixed point
    (Schoenholz et al. 2017, eqs. 7 and 9): a deviation shrinks by the slope per
    layer, :math:`|\epsilon^{[l]}| \propto e^{-l/\xi}`, so

    .. math:: \xi_q^{-1} = -\ln\Big(\chi + \sigma_w^2 \textstyle\int\mathcal D z\, f(\sqrt{q^*}z)
              f''(\sqrt{q^*}z)\Big), \qquad \xi_c^{-1} = -\ln \chi_{c^*},\quad
              \chi_{c^*} = \sigma_w^2 \textstyle\int \mathcal D z_1 \mathcal D z_2\, f'(u_1) f'(u_2)

    at :math:`c = c^*`. (The slope of the length map is computed as
    :math:`\sigma_w^2\,\mathrm E[f f'\,\xi]/\sqrt{q^*}`, equal to the first form by
    Gaussian integration by parts, so no :math:`f''` is needed.) In the ordered phase
    :math:`c^* = 1` and :math:`\chi_{c^*} = \chi`: :math:`\xi_c = -1/\ln\chi` diverges on
    the critical line.

    Examples
    --------
    >>> mf = mean_field(1.5, 0.05)
    >>> round(mf.c_star, 3), round(mf.chi, 3), round(mf.xi_c, 1)
    (1.0, 0.939, 15.8)
    """
    act = _activation(activation)
    sw, sb = _variances(sigma_w2, sigma_b2)
    q = _ordered_q(act, sw, sb, _check_q0(q0), "mean_field")
    c = _c_star(act, sw, sb, q)
    chi1 = _chi_at(act, sw, q)
    u = np.sqrt(q)[..., None] * _X1
    slope_q = sw * ((act.forward(u) * act.derivative(u) * _X1) @ _W1) / np.sqrt(q)
    chi_c = _chi_c(act, sw, sb, q, c)
    return MeanField(*(_scalar(a) for a in (q, c, chi1, chi_c, _xi(slope_q), _xi(chi_c))))


def depth_scales(sigma_w2, sigma_b2, activation="tanh", *, q0=1.0):
    r"""``(xi_q, xi_c)``: the depth scales of the length and of the correlation (see :func:`mean_field`).

    Examples
    --------
    >>> xi_q, xi_c = depth_scales(1.76, 0.05)      # close to the critical line
    >>> xi_c > 100
    True
    """
    mf = mean_field(sigma_w2, sigma_b2, activation, q0=q0)
    return mf.xi_q, mf.xi_c


# ---------------------------------------------------------------------------
# Simulated random networks of finite width
# ---------------------------------------------------------------------------
@small_matrix_kernel
def correlated_inputs(n_inputs, width, c, *, q=1.0, rng=None):
    r"""``n_inputs`` vectors of length ``width`` with :math:`\frac1n\lVert x\rVert^2 = q` and
    pairwise correlation exactly ``c``.

    :math:`x_i = \sqrt{qn}\,\big(\sqrt c\, e_0 + \sqrt{1-c}\, e_i\big)` with orthonormal
    random directions :math:`e_0, e_1, \dots` (QR of a Gaussian matrix).

    Examples
    --------
    >>> import numpy as np
    >>> X = correlated_inputs(3, 100, 0.9, rng=0)
    >>> np.round(X @ X.T / 100, 6).tolist()
    [[1.0, 0.9, 0.9], [0.9, 1.0, 0.9], [0.9, 0.9, 1.0]]
    """
    n_inputs = check_int(n_inputs, "n_inputs", example="n_inputs=2")
    width = check_int(width, "width", example="width=500")
    if width <= n_inputs:
        raise ValueError(f"width must exceed n_inputs to make them correlated exactly, "
                         f"got width={width}, n_inputs={n_inputs}.")
    c = check_real(c, "c", example="c=0.5")
    if not 0 <= c <= 1:
        raise ValueError(f"c must be a number in [0, 1], got {c!r}; e.g. c=0.5.")
    q = check_real(q, "q", example="q=1.0", positive=True)
    e, _ = np.linalg.qr(np.random.default_rng(rng).standard_normal((width, n_inputs + 1)))
    return np.sqrt(q * width) * (np.sqrt(c) * e[:, :1] + np.sqrt(1 - c) * e[:, 1:]).T


class Propagation(NamedTuple):
    """Measured lengths and correlations of the pre-activations, layers 1..depth.

    ``q[l - 1, i]`` is :math:`\\frac1n\\lVert z_i^{[l]}\\rVert^2` for input ``i``;
    ``c[l - 1, i, j]`` is the correlation :math:`q_{ij}/\\sqrt{q_{ii}q_{jj}}` of inputs
    ``i`` and ``j`` at layer ``l``; ``q_in`` is :math:`\\frac1{n_0}\\lVert x_i\\rVert^2`.
    """

    q: np.ndarray
    c: np.ndarray
    q_in: np.ndarray


@small_matrix_kernel
def propagate(X, sigma_w2, sigma_b2, depth, *, activation="tanh", width=None, rng=None):
    r"""Send inputs through one random network and measure :math:`q^{[l]}` and :math:`c^{[l]}`.

    :math:`z^{[1]} = W^{[1]} x + b^{[1]}`, :math:`z^{[l]} = W^{[l]} f(z^{[l-1]}) + b^{[l]}`,
    with :math:`W^{[l]}` from ``initlib.normal(std=sqrt(sigma_w2 / fan_in))`` and
    :math:`b^{[l]}` from ``initlib.normal(std=sqrt(sigma_b2))``, one random stream per
    layer. So :math:`q^{[1]} = \sigma_w^2 q_{\rm in} + \sigma_b^2` on average, and from
    then on the length map applies.

    Parameters
    ----------
    X : array_like, shape (n_inputs, n0)
    sigma_w2, sigma_b2 : float
    depth : int
    activation : str or Activation
    width : int, optional
        Units per layer (default ``n0``).
    rng : None, int or Generator

    Returns
    -------
    Propagation

    Examples
    --------
    >>> X = correlated_inputs(2, 400, 0.5, rng=0)
    >>> p = propagate(X, 1.2, 0.05, depth=20, rng=1)      # ordered: the pair converges
    >>> float(p.c[-1, 0, 1]) > 0.9
    True
    """
    act = _activation(activation)
    sw, sb = (float(v) for v in _variances(sigma_w2, sigma_b2))
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1 or not np.isfinite(X).all():
        raise ValueError(f"X must be a finite 2-D array (n_inputs, n0), got shape {X.shape}.")
    depth = check_int(depth, "depth", example="depth=30")
    width = X.shape[1] if width is None else check_int(width, "width", example="width=500")
    streams = np.random.default_rng(rng).spawn(depth)
    q, c = np.empty((depth, len(X))), np.empty((depth, len(X), len(X)))
    a = X
    for l in range(depth):
        w_rng, b_rng = streams[l].spawn(2)
        fan_in = a.shape[1]
        W = initlib.normal((width, fan_in), std=np.sqrt(sw / fan_in), rng=w_rng)
        b = initlib.normal((width,), std=np.sqrt(sb), rng=b_rng)
        z = a @ W.T + b                                   # z[l] = W[l] a[l-1] + b[l]
        gram = z @ z.T / width                            # q_ij of every pair of inputs
        q[l] = np.diag(gram)
        c[l] = gram / np.sqrt(np.outer(q[l], q[l]))
        a = act.forward(z)
    return Propagation(q, c, np.mean(X * X, axis=1))


def decay_length(values, *, start=0, stop=None):
    r"""Depth scale of an exponential decay: :math:`-1/\text{slope}` of :math:`\ln|v_l|` against l.

    A least-squares line through :math:`(l, \ln|v_l|)` for ``l`` in ``range(start, stop)``,
    where ``values[l]`` is a deviation from a fixed point (e.g. :math:`1 - c^{[l]}`).

    Examples
    --------
    >>> import numpy as np
    >>> round(decay_length(0.3 * np.exp(-np.arange(20) / 7.0)), 6)
    7.0
    """
    v = np.abs(np.asarray(values, dtype=np.float64))[start:stop]
    if v.ndim != 1 or len(v) < 2 or not np.isfinite(v).all() or (v == 0).any():
        raise ValueError(
            f"decay_length needs at least 2 finite non-zero deviations, got "
            f"{len(np.atleast_1d(v))} values in range({start}, {stop}); fit a shorter range."
        )
    slope = np.polyfit(np.arange(len(v)), np.log(v), 1)[0]
    return float(np.inf if slope >= 0 else -1 / slope)


# ---------------------------------------------------------------------------
# Trainable depth: many networks trained at once
# ---------------------------------------------------------------------------
class Trainability(NamedTuple):
    """Outcome of :func:`trainability`: accuracies of shape (len(sigma_w2), len(depths), seeds)."""

    sigma_w2: np.ndarray
    depths: np.ndarray
    sigma_b2: float
    accuracy: np.ndarray
    val_accuracy: np.ndarray

    def trained(self, threshold):
        """How many seeds of each (σ_w², depth) reach a training accuracy of ``threshold``."""
        return (self.accuracy >= threshold).sum(axis=-1)


def _stack_params(sigma_w2, sigma_b2, sizes, seeds, seed_seq):
    """Weights and biases of len(sigma_w2) * seeds networks, drawn with initlib.normal.

    Network (i, s) reuses seed s's random draws for every sigma_w2 (common random
    numbers), so the networks of one seed differ only in scale: each layer's standard
    normal weights and its biases are drawn once per seed and the weights scaled by
    sqrt(sigma_w2 / fan_in). Stacked as (K, ...), K = len(sigma_w2) * seeds, sigma_w2
    varying slowest.
    """
    streams = [[layer.spawn(2) for layer in seed.spawn(len(sizes) - 1)]
               for seed in seed_seq.spawn(seeds)]
    Ws, bs = [], []
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        unit = np.stack([initlib.normal((fan_out, fan_in), std=1.0,
                                        rng=np.random.default_rng(streams[s][l][0]))
                         for s in range(seeds)])                      # (seeds, fan_out, fan_in)
        b = np.stack([initlib.normal((1, fan_out), std=np.sqrt(sigma_b2),
                                     rng=np.random.default_rng(streams[s][l][1]))
                      for s in range(seeds)])
        std = np.sqrt(np.asarray(sigma_w2, dtype=np.float64) / fan_in)
        Ws.append((std[:, None, None, None] * unit).reshape(-1, fan_out, fan_in))
        bs.append(np.tile(b, (len(std), 1, 1)))
    return Ws, bs


def _forward(Ws, bs, X, act):
    """Stacked forward pass, X (batch, n0) shared by all K networks.

    Returns the pre-activations and activations of the hidden layers, [(z, a), ...] with
    a[0] = X, and the logits (K, batch, k).
    """
    a, layers = X, [(None, X)]
    for W, b in zip(Ws[:-1], bs[:-1]):
        z = a @ np.ascontiguousarray(W.transpose(0, 2, 1))   # z[l] = W[l] a[l-1] + b[l]
        z += b                                               # (in place: z can be large)
        a = act.forward(z)
        layers.append((z, a))
    logits = a @ np.ascontiguousarray(Ws[-1].transpose(0, 2, 1))
    logits += bs[-1]
    return layers, logits


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sgd(Ws, bs, X, y, batches, lr, act):
    r"""Plain SGD on mean cross-entropy for a stack of networks, in place; one step per batch.

    The arithmetic of :func:`_forward` and of the chain rule, arranged for speed: the
    weights are trained transposed, ``WT[l] = W[l]^T`` of shape (K, fan_in, fan_out), so
    that the forward products read contiguous memory; every step writes into arrays
    allocated once (with 32-unit layers a product costs microseconds, so allocations and
    copies would be a large share of the time); and the learning rate multiplies the
    output's :math:`\delta` once instead of every gradient (the chain rule is linear in
    it). Written back into ``Ws`` at the end.
    """
    WTs = [np.ascontiguousarray(W.transpose(0, 2, 1)) for W in Ws]
    K, dtype = len(WTs[0]), WTs[0].dtype
    forward_into = act.forward_into or (lambda z, out: np.copyto(out, act.forward(z)) or out)
    derivative_into = act.derivative_into or (
        lambda z, a, out: np.copyto(out, act.derivative(z, a)) or out)
    buffers = {}                     # per batch size, per layer: z, a, dz, f'(z), dJ/dWT, dJ/db
    for idx in batches:
        n = len(idx)
        if n not in buffers:
            buffers[n] = [[np.empty((K, n, WT.shape[2]), dtype) for _ in range(4)]
                          + [np.empty_like(WT), np.empty((K, 1, WT.shape[2]), dtype)]
                          for WT in WTs]
        buf = buffers[n]
        ones = np.ones((1, n), dtype)
        a = X[idx]
        layers = [(None, a)]                                  # (z, a) of layers 0 .. L-1
        for l, (WT, b) in enumerate(zip(WTs, bs)):            # z[l] = a[l-1] W[l]^T + b[l]
            z = np.matmul(a, WT, out=buf[l][0])
            z += b
            if l < len(WTs) - 1:
                a = forward_into(z, buf[l][1])
                layers.append((z, a))
        dz = z                                                # the logits become lr dJ/dz:
        dz -= dz.max(axis=-1, keepdims=True)                  # lr (softmax - onehot(y)) / n
        np.exp(dz, out=dz)
        dz /= dz.sum(axis=-1, keepdims=True)
        dz[:, np.arange(n), y[idx]] -= 1
        dz *= lr / n
        for l in range(len(WTs) - 1, -1, -1):                 # chain rule, layer by layer
            z_prev, a_prev = layers[l]
            dWT = np.matmul(np.swapaxes(a_prev, -1, -2), dz, out=buf[l][4])  # lr a[l-1]^T dz
            db = np.matmul(ones, dz, out=buf[l][5])           # lr dJ/db: the sum over the batch
            if l > 0:                                         # dJ/dz[l-1] = (dz W[l]) f'(z[l-1])
                dz = np.matmul(dz, np.swapaxes(WTs[l], 1, 2), out=buf[l - 1][2])
                dz *= derivative_into(z_prev, a_prev, buf[l - 1][3])
            WTs[l] -= dWT                                     # W[l] -= lr dJ/dW[l]
            bs[l] -= db
    for W, WT in zip(Ws, WTs):
        W[...] = WT.transpose(0, 2, 1)


@small_matrix_kernel
def trainability(X, y, sigma_w2, depths, *, sigma_b2, width=32, steps=200, lr=0.01,
                 batch_size=64, seeds=3, activation="tanh", X_val=None, y_val=None, rng=0,
                 dtype=np.float64):
    r"""Train a grid of tanh classifiers, one per (σ_w², depth, seed), with plain SGD; return accuracies.

    Every network has ``depth`` hidden layers of ``width`` units, a softmax output and
    mean cross-entropy; every weight matrix (the output layer's too) is drawn with
    variance :math:`\sigma_w^2/\mathrm{fan\_in}` and every bias with variance
    :math:`\sigma_b^2`, by :func:`initlib.normal`. All networks of one depth are
    trained together as one stack of arrays (the same mini-batches for all), which
    is what makes a grid of hundreds of networks fit in a few seconds; each follows
    exactly the SGD trajectory it would follow alone (tested against
    :func:`initlib.train`). The model of Schoenholz et al. 2017, Fig. 5, at CPU size.

    Parameters
    ----------
    X, y : array_like
        Training inputs (n, n0) and integer class labels 0..k-1.
    sigma_w2 : sequence of float
    depths : sequence of int
        Numbers of hidden layers.
    sigma_b2 : float
    width, steps, lr, batch_size, seeds : int, int, float, int, int
        Hidden width, SGD steps, learning rate, mini-batch size, networks per cell.
    activation : str or Activation
    X_val, y_val : array_like, optional
        Also report the accuracy on these.
    rng : None, int or Generator
        Seed of the weights and of the mini-batch order.
    dtype : {np.float64, np.float32}
        Precision of the training (float32 is about twice as fast; the initial
        parameters are drawn in float64 and rounded).

    Returns
    -------
    Trainability
        Training accuracy on all of ``X`` after ``steps`` steps (and validation accuracy,
        nan without validation data), shape ``(len(sigma_w2), len(depths), seeds)``. A
        network whose loss overflowed counts as accuracy 0.
    """
    act = _activation(activation)
    sw = np.atleast_1d(np.asarray(sigma_w2, dtype=np.float64))
    _variances(sw, sigma_b2)
    sigma_b2 = float(sigma_b2)
    depth_list = [check_int(d, "each depth", example="depths=[2, 10, 30]")
                  for d in np.atleast_1d(depths).tolist()]
    width = check_int(width, "width", example="width=32")
    steps = check_int(steps, "steps", example="steps=200")
    batch_size = check_int(batch_size, "batch_size", example="batch_size=64")
    seeds = check_int(seeds, "seeds", example="seeds=3")
    lr = check_real(lr, "lr", example="lr=0.01", positive=True)
    dtype = check_dtype(dtype).type
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or len(X) != len(y) or not np.isfinite(X).all():
        raise ValueError(f"X must be a finite array (n, n0) and y have n labels, got "
                         f"X of shape {X.shape} and {len(y)} labels.")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise ValueError(f"y must hold integer class labels 0, 1, ..., got dtype {y.dtype}.")
    n_classes = int(max(y.max(), -1 if y_val is None else np.max(y_val)) + 1)
    weight_seq, batch_seq = np.random.default_rng(rng).bit_generator.seed_seq.spawn(2)
    batch_rng, depth_seqs = np.random.default_rng(batch_seq), weight_seq.spawn(len(depth_list))
    order = np.concatenate([batch_rng.permutation(len(X)) for _ in
                            range(-(-steps * batch_size // len(X)))])
    acc = np.zeros((len(sw), len(depth_list), seeds))
    val = np.full_like(acc, np.nan)
    for j, depth in enumerate(depth_list):
        sizes = [X.shape[1]] + [width] * depth + [n_classes]
        Ws, bs = _stack_params(sw, sigma_b2, sizes, seeds, depth_seqs[j])
        Ws, bs = [cast_initial(W, dtype) for W in Ws], [cast_initial(b, dtype) for b in bs]
        Xd, lr_d = X.astype(dtype), dtype(lr)
        with np.errstate(all="ignore"):
            _sgd(Ws, bs, Xd, y, [order[t * batch_size:(t + 1) * batch_size] for t in range(steps)],
                 lr_d, act)
        for out, (Xe, ye) in ((acc, (X, y)), (val, (X_val, y_val))):
            if Xe is None:
                continue
            with np.errstate(all="ignore"):
                _, logits = _forward(Ws, bs, np.asarray(Xe, dtype=dtype), act)
            correct = (np.argmax(logits, axis=-1) == np.asarray(ye)).mean(axis=-1)
            ok = np.isfinite(logits).all(axis=(1, 2))
            out[:, j, :] = np.where(ok, correct, 0.0).reshape(len(sw), seeds)
    return Trainability(sw, np.array(depth_list), sigma_b2, acc, val)

r"""The one forward and backward pass of a stack of dense layers, and its random streams.

:class:`initlib.MLP` and :func:`initlib.signal_propagation` (and any network built
the same way) run these functions, so the two can never drift apart.

Random streams. A network of L layers seeded with ``rng`` gives layer ``l`` its own
child ``rng.spawn(L)[l - 1]``, split again into a weight stream and a bias stream
(:func:`layer_streams`). Changing one layer's width or initializer, or adding layers
at the end, leaves the other layers' draws unchanged.

Forward, layer :math:`l = 1..L`:
:math:`z^{[l]} = a^{[l-1]} W^{[l]\top} + b^{[l]}`, :math:`a^{[l]} = f^{[l]}(z^{[l]})`;
backward, from :math:`\delta^{[L]} = \partial J/\partial z^{[L]}` down, the chain rule
one line per step, as written out in :mod:`initlib.mlp`'s docstring.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from . import initializers
from ._reproducibility import creates_initial_parameters

__all__ = ["layer_streams", "per_layer", "make_parameter", "forward", "backward"]


def layer_streams(rng, n_layers):
    """``[(weight_rng, bias_rng), ...]``: layer ``l``'s two streams, children of ``rng.spawn(L)``.

    ``rng`` must be a ``np.random.Generator``; spawning advances its seed sequence, so
    streams spawned from it afterwards (e.g. the input data) are independent.
    """
    return [tuple(child.spawn(2)) for child in rng.spawn(n_layers)]


def per_layer(spec, n, what):
    """``spec`` repeated ``n`` times, or checked to have ``n`` entries if a list/tuple."""
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ValueError(
                f"{what} was given as a list of {len(spec)} entries, but the network "
                f"needs {n} (one per {'hidden ' if what == 'activation' else ''}layer); "
                f"pass a single value to use it everywhere, or a list of length {n}."
            )
        return list(spec)
    return [spec] * n


@creates_initial_parameters
def _initial_value(spec, shape, rng, what):
    """One weight matrix or bias vector drawn or copied from an init spec, as float64."""
    if spec is None:
        value = np.zeros(shape)
    elif isinstance(spec, np.ndarray):
        value = np.array(spec, dtype=np.float64)
    elif isinstance(spec, Real) and not isinstance(spec, (bool, np.bool_)):
        value = np.full(shape, float(spec))
    elif isinstance(spec, str) or callable(spec):
        value = np.asarray(initializers.get_initializer(spec)(shape, rng=rng))
    else:
        raise TypeError(
            f"{what} must be an initializer name (e.g. 'he_normal'), a function "
            f"f(shape, rng=...), a number or an array, got {spec!r} of type "
            f"{type(spec).__name__}."
        )
    return np.asarray(value, dtype=np.float64)


def make_parameter(spec, shape, rng, dtype, what):
    """One weight matrix or bias vector from an init spec, checked, in ``dtype``.

    ``spec``: None (zeros), an initializer name or function ``f(shape, rng=...)``, a
    number (every entry) or an array (copied). Every parameter of a network is made
    here, so ``INITLIB_PERTURB_ULP`` reaches all of them (see ``_reproducibility``).
    """
    value = _initial_value(spec, shape, rng, what)
    if value.shape != shape:
        raise ValueError(
            f"{what} gave an array of shape {value.shape}, expected {shape} "
            f"(weights are (fan_out, fan_in) = (n[l], n[l-1]); biases are (n[l],))."
        )
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what} contains NaN or inf; initial parameters must be finite.")
    return value.astype(dtype)


def forward(X, weights, biases, functions):
    """``a = [X, a1, ..., aL]`` and ``z = [z1, ..., zL]``; a bias of None is left out."""
    a, z = [X], []
    for W, b, f in zip(weights, biases, functions):
        z_l = a[-1] @ W.T                                         # (batch, n[l])
        if b is not None:
            z_l += b
        z.append(z_l)
        a.append(f(z_l))                                          # a[l] = f(z[l])
    return a, z


def backward(delta, weights, a, slope, *, grads=True, keep=False):
    r"""Back-propagate ``delta`` :math:`= \partial J/\partial z^{[L]}` through every layer.

    Parameters
    ----------
    delta : ndarray, shape (batch, n[L])
    weights : list of ndarray
        ``[W1, ..., WL]``.
    a : list of ndarray
        ``[X, a1, ..., aL]`` from :func:`forward` (only needed with ``grads``).
    slope : callable
        ``slope(l)`` is :math:`f'(z^{[l]})` for a hidden layer ``l = 1..L-1``.
    grads : bool
        Compute the parameter gradients (signal propagation only needs the deltas).
    keep : bool
        Keep every layer's delta and :math:`\partial J/\partial a^{[l]}`.

    Returns
    -------
    param_grads : list of (dW, db), or None without ``grads``
    deltas : list of ndarray or None
        With ``keep``: ``deltas[l - 1]`` is :math:`\delta^{[l]}`.
    grad_activations : list of ndarray or None
        With ``keep``: ``grad_activations[l]`` is :math:`\partial J/\partial a^{[l]}`,
        ``l = 0..L-1``.
    """
    L = len(weights)
    param_grads = [None] * L if grads else None
    deltas, grad_activations = ([None] * L, [None] * L) if keep else (None, None)
    for l in range(L, 0, -1):
        if keep:
            deltas[l - 1] = delta
        W = weights[l - 1]                                        # W[l]: (n[l], n[l-1])
        if grads:
            dW = delta.T @ a[l - 1]                               # dJ/dW[l] = delta[l]^T a[l-1]
            db = delta.sum(axis=0)                                # dJ/db[l] = sum_batch delta[l]
            param_grads[l - 1] = (dW, db)
        if l == 1 and not keep:
            break
        da = delta @ W                                            # dJ/da[l-1] = delta[l] W[l]
        if keep:
            grad_activations[l - 1] = da
        if l == 1:
            break
        if keep:                                                  # delta[l-1] = dJ/da[l-1] * f'(z[l-1])
            delta = da * slope(l - 1)
        else:
            da *= slope(l - 1)                                    # same, in place (da not kept)
            delta = da
    return param_grads, deltas, grad_activations

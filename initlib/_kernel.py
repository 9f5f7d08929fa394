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

Reused buffers. Every product of a step creates an array of ``batch x width`` numbers; from
128 KiB on, the C allocator maps fresh pages from the system for each and the first writes
fault them in, which cost a 64 -> 256 x 4 -> 10 network (batch 128, float32) 45 % on top
of its matrix products (benchmarks/README.md). Inside :func:`reusing_buffers` (entered by
:func:`initlib.train`), the calls that keep no intermediate array (``MLP.loss``,
``MLP.loss_and_grads``: they pass ``reuse=True``) write their pre-activations,
activations and back-propagated gradients into arrays kept from the previous call of
the same shape instead. The arithmetic is the same, so are the results, bit for bit.
"""

from __future__ import annotations

import contextlib
import contextvars
from numbers import Real

import numpy as np

from . import initializers
from ._reproducibility import cast_initial, creates_initial_parameters

__all__ = ["layer_streams", "per_layer", "make_parameter", "forward", "backward",
           "Buffers", "reusing_buffers"]


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
    return cast_initial(value, dtype)


class Buffers:
    """Arrays kept from one call to the next, one per role, layer, shape and dtype."""

    def __init__(self):
        self._arrays = {}

    def get(self, role, layer, shape, dtype):
        """An uninitialized array for ``(role, layer)`` of ``shape`` and ``dtype``, reused."""
        key = (role, layer, shape, np.dtype(dtype))
        array = self._arrays.get(key)
        if array is None:
            array = self._arrays[key] = np.empty(shape, dtype)
        return array

    def __len__(self):
        return len(self._arrays)


_active_buffers = contextvars.ContextVar("initlib_buffers", default=None)

#: Arrays of fewer entries are allocated as usual: small blocks come from the allocator's
#: free lists at no cost, and looking a buffer up would cost more than it saves.
REUSE_FROM_ENTRIES = 2 ** 14


@contextlib.contextmanager
def reusing_buffers():
    """Within: calls with ``reuse=True`` write their intermediates into reused arrays.

    The buffers are freed on exit (nested uses share the outermost). Each thread has its
    own (a context variable), so two threads never write into the same array.
    """
    if _active_buffers.get() is not None:
        yield _active_buffers.get()
        return
    token = _active_buffers.set(Buffers())
    try:
        yield _active_buffers.get()
    finally:
        _active_buffers.reset(token)


def _buffers(reuse):
    return _active_buffers.get() if reuse else None


def forward(X, weights, biases, functions, *, functions_into=None, reuse=False):
    """``a = [X, a1, ..., aL]`` and ``z = [z1, ..., zL]``; a bias of None is left out.

    ``functions_into``: optional ``f_into(z, out)`` per layer (None where there is none),
    writing ``f(z)`` into ``out``; used with ``reuse`` inside :func:`reusing_buffers`, whose
    arrays then hold ``z`` and ``a`` (valid until the next such call: the caller must not
    keep them).
    """
    buffers = _buffers(reuse)
    if buffers is not None and len(X) * max(W.shape[0] for W in weights) < REUSE_FROM_ENTRIES:
        buffers = None                                            # small arrays: allocate
    a, z = [X], []
    for l, (W, b, f) in enumerate(zip(weights, biases, functions), start=1):
        shape = (a[-1].shape[0], W.shape[0])
        out = None if buffers is None else buffers.get("z", l, shape, np.result_type(a[-1], W))
        z_l = np.matmul(a[-1], W.T, out=out)                       # (batch, n[l])
        if b is not None:
            z_l += b
        z.append(z_l)
        f_into = None if buffers is None or functions_into is None else functions_into[l - 1]
        if f_into is None:
            a.append(f(z_l))                                      # a[l] = f(z[l])
        else:
            a.append(f_into(z_l, buffers.get("a", l, shape, z_l.dtype)))
    return a, z


def backward(delta, weights, a, slope, *, grads=True, keep=False, reuse=False, grads_out=None):
    r"""Back-propagate ``delta`` :math:`= \partial J/\partial z^{[L]}` through every layer.

    Parameters
    ----------
    delta : ndarray, shape (batch, n[L])
    weights : list of ndarray
        ``[W1, ..., WL]``.
    a : list of ndarray
        ``[X, a1, ..., aL]`` from :func:`forward` (only needed with ``grads``).
    slope : callable
        ``slope(l)`` is :math:`f'(z^{[l]})` for a hidden layer ``l = 1..L-1``; with
        ``reuse`` it is called as ``slope(l, out)`` and may write into ``out``.
    grads : bool
        Compute the parameter gradients (signal propagation only needs the deltas).
    keep : bool
        Keep every layer's delta and :math:`\partial J/\partial a^{[l]}`.
    reuse : bool
        Inside :func:`reusing_buffers`: the back-propagated arrays go into reused buffers
        (not with ``keep``, whose arrays are returned).
    grads_out : list of (ndarray, ndarray), optional
        Arrays to write each layer's ``(dW, db)`` into, instead of new ones.

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
    buffers = None if keep else _buffers(reuse)
    if buffers is not None and len(delta) * max(W.shape[1] for W in weights) < REUSE_FROM_ENTRIES:
        buffers = None                                            # small arrays: allocate
    param_grads = [None] * L if grads else None
    deltas, grad_activations = ([None] * L, [None] * L) if keep else (None, None)
    for l in range(L, 0, -1):
        if keep:
            deltas[l - 1] = delta
        W = weights[l - 1]                                        # W[l]: (n[l], n[l-1])
        if grads:
            dW_out, db_out = (None, None) if grads_out is None else grads_out[l - 1]
            dW = np.matmul(delta.T, a[l - 1], out=dW_out)         # dJ/dW[l] = delta[l]^T a[l-1]
            db = np.sum(delta, axis=0, out=db_out)                # dJ/db[l] = sum_batch delta[l]
            param_grads[l - 1] = (dW, db)
        if l == 1 and not keep:
            break
        shape = (delta.shape[0], W.shape[1])
        out = None if buffers is None else buffers.get("da", l - 1, shape, np.result_type(delta, W))
        da = np.matmul(delta, W, out=out)                         # dJ/da[l-1] = delta[l] W[l]
        if keep:
            grad_activations[l - 1] = da
        if l == 1:
            break
        if keep:                                                  # delta[l-1] = dJ/da[l-1] * f'(z[l-1])
            delta = da * slope(l - 1)
        elif buffers is not None:
            da *= slope(l - 1, buffers.get("slope", l - 1, shape, da.dtype))
            delta = da
        else:
            da *= slope(l - 1)                                    # same, in place (da not kept)
            delta = da
    return param_grads, deltas, grad_activations

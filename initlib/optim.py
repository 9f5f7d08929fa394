r"""Optimizers: one loop over a flat list of parameters, state kept by the optimizer.

An optimizer updates the parameter arrays it is given, in place, from their
gradients, and never writes into the gradients::

    loss, grads = model.loss_and_flat_grads(X, y)   # grads aligned with model.parameters()
    optimizer.step(model.parameters(), grads)

The learning rate ``lr`` is a float or a list with one learning rate per
parameter (aligned with ``model.parameters()``; the μP chapter scales them per
layer). State (velocities, moments) is created at the first :meth:`step`, one array
per parameter, and persists: reuse the same optimizer object to continue a run.

=========  ==============================================================================
optimizer  update of every parameter :math:`\theta` with gradient :math:`g`
=========  ==============================================================================
``SGD``    :math:`v \leftarrow \mu v - \eta g,\quad \theta \leftarrow \theta + v`
           (:math:`\mu = 0`: :math:`\theta \leftarrow \theta - \eta g`)
``Adam``   :math:`m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
           s \leftarrow \beta_2 s + (1-\beta_2) g^2,\quad
           \theta \leftarrow \theta - \eta\,\dfrac{m/(1-\beta_1^t)}{\sqrt{s/(1-\beta_2^t)}+\epsilon}`
=========  ==============================================================================

SGD with a constant :math:`\eta` is PyTorch's ``SGD(momentum=mu)`` (which keeps
:math:`v/(-\eta)` instead); Adam is PyTorch's ``Adam`` (Kingma & Ba's algorithm with
:math:`\epsilon` added after the square root).

References
----------
Polyak (1964). Some methods of speeding up the convergence of iteration methods.
Sutskever, Martens, Dahl & Hinton (2013). On the importance of initialization and
momentum in deep learning. ICML.
Kingma & Ba (2015). Adam: a method for stochastic optimization. ICLR.

>>> import numpy as np
>>> from initlib.optim import SGD
>>> w = np.array([1.0]); g = np.array([2.0])
>>> SGD(lr=0.1).step([w], [g]); w, g
(array([0.8]), array([2.]))
"""

from __future__ import annotations

import concurrent.futures

import numpy as np

from ._blas import blas_threads_now
from ._validation import check_real, check_sequence_length

#: A parameter of at least this many entries is updated by two threads at once, when the
#: BLAS policy allows two (numpy's element-wise operations release the GIL; each thread
#: takes one half of the flat array, so the results are the same, bit for bit).
TWO_THREADS_FROM_ENTRIES = 2 ** 18

_pool = {}


def _halves(*arrays):
    """Two aligned halves of each array's flat view, or None if the layouts differ."""
    first = arrays[0]
    if not (first.flags.c_contiguous or first.flags.f_contiguous) or any(
            a.strides != first.strides or a.shape != first.shape for a in arrays[1:]):
        return None
    flat = [a.ravel(order="K") for a in arrays]
    middle = first.size // 2
    return [[f[:middle] for f in flat], [f[middle:] for f in flat]]


def _run_in_halves(update, arrays, threads):
    """``update(*arrays)`` element-wise, on two threads for large arrays when allowed."""
    halves = _halves(*arrays) if threads > 1 and arrays[0].size >= TWO_THREADS_FROM_ENTRIES \
        else None
    if halves is None:
        update(*arrays)
        return
    if "executor" not in _pool:
        _pool["executor"] = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="initlib-optim")
    other = _pool["executor"].submit(update, *halves[1])
    update(*halves[0])
    other.result()

__all__ = ["SGD", "Adam"]


def _check_lr(lr):
    """A positive finite float, or a list of them (one per parameter)."""
    if isinstance(lr, (list, tuple)):
        return [_check_lr(value) for value in lr]
    return check_real(lr, "lr (the learning rate)", example="lr=0.1", positive=True)


class _Optimizer:
    """What SGD and Adam share: the learning rates, one per parameter, and checks."""

    def __init__(self, lr):
        self.lr = _check_lr(lr)

    def _learning_rates(self, params, grads):
        check_sequence_length(grads, len(params), "grads",
                              "one gradient per parameter, in the order of parameters()")
        if isinstance(self.lr, list):
            check_sequence_length(self.lr, len(params), "lr",
                                  "one learning rate per parameter, in the order of parameters()")
            return self.lr
        return [self.lr] * len(params)


def _sgd_step(theta, g, update, v, lr, mu):
    """One SGD step of one array (or of one half of it), in place."""
    np.multiply(g, -lr, out=update)                           # -lr g, never into g
    if v is not None:
        if mu:
            v *= mu
            v += update                                       # v = mu v - lr g
        else:
            v[...] = update                                   # momentum set to 0 later
        theta += v                                            # theta = theta + v
    else:
        theta += update                                       # theta = theta - lr g


class SGD(_Optimizer):
    r"""Stochastic gradient descent with heavy-ball momentum.

    :math:`v \leftarrow \mu v - \eta g,\ \theta \leftarrow \theta + v`; with
    ``momentum=0`` no velocity is kept and :math:`\theta \leftarrow \theta - \eta g`.

    Parameters
    ----------
    lr : float or list of float
        Learning rate :math:`\eta > 0`, or one per parameter.
    momentum : float
        :math:`\mu \in [0, 1)`; 0 is plain SGD.

    Attributes
    ----------
    velocities : list of ndarray or None
        One per parameter once a step with momentum was taken.

    Examples
    --------
    >>> import numpy as np
    >>> from initlib import MLP, SGD
    >>> net = MLP([2, 3, 2], rng=0)
    >>> opt = SGD(lr=0.1, momentum=0.9)
    >>> loss, grads = net.loss_and_flat_grads(np.ones((4, 2)), np.array([0, 1, 0, 1]))
    >>> opt.step(net.parameters(), grads)
    """

    def __init__(self, lr, momentum=0.0):
        super().__init__(lr)
        self.momentum = check_real(momentum, "momentum", example="momentum=0.9 (0 is plain SGD)",
                                   minimum=0.0, below=1.0)
        self.velocities = None
        self._updates = None                                  # scratch arrays for -lr g
        self._checked = None  # (params, grads, lrs, lr) of the last step: train() passes the same lists

    def step(self, params, grads):
        """Update every array of ``params`` in place; ``grads`` are only read."""
        mu = self.momentum
        checked = self._checked
        if (checked is not None and params is checked[0] and grads is checked[1]
                and self.lr is checked[3] and len(params) == len(checked[2]) == len(grads)):
            lrs = checked[2]                                  # the same lists as last step
        else:
            lrs = self._learning_rates(params, grads)
            if mu and self.velocities is None:
                self.velocities = [np.zeros_like(p) for p in params]
            if self._updates is None or len(self._updates) != len(params) or any(
                    u.shape != p.shape or u.dtype != p.dtype
                    for u, p in zip(self._updates, params)):
                self._updates = [np.empty_like(p) for p in params]
            self._checked = (params, grads, lrs, self.lr)
        velocities = self.velocities or [None] * len(params)
        if not any(p.size >= TWO_THREADS_FROM_ENTRIES for p in params):      # small: one pass
            for theta, g, update, v, lr in zip(params, grads, self._updates, velocities, lrs):
                _sgd_step(theta, g, update, v, lr, mu)
            return
        threads = blas_threads_now()
        for theta, g, update, v, lr in zip(params, grads, self._updates, velocities, lrs):
            if v is None:
                _run_in_halves(lambda t, gg, u, lr=lr: _sgd_step(t, gg, u, None, lr, mu),
                               (theta, g, update), threads)
            else:
                _run_in_halves(lambda t, gg, u, vv, lr=lr: _sgd_step(t, gg, u, vv, lr, mu),
                               (theta, g, update, v), threads)

    def __repr__(self):
        lr = f"{self.lr:g}" if not isinstance(self.lr, list) else f"[{len(self.lr)} rates]"
        return f"SGD(lr={lr}, momentum={self.momentum:g})"


class Adam(_Optimizer):
    r"""Adam: per-entry step sizes from running moments of the gradient (Kingma & Ba 2015).

    .. math::

        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        s \leftarrow \beta_2 s + (1-\beta_2) g^2,\quad
        \theta \leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat s} + \epsilon},

    with the bias corrections :math:`\hat m = m / (1 - \beta_1^t)`,
    :math:`\hat s = s / (1 - \beta_2^t)` at step :math:`t = 1, 2, \dots`

    Parameters
    ----------
    lr : float or list of float
        :math:`\eta > 0`, or one per parameter (μP scales them per layer).
    betas : (float, float)
        :math:`(\beta_1, \beta_2)`, each in [0, 1).
    eps : float
        :math:`\epsilon > 0`.

    Attributes
    ----------
    t : int
        Steps taken.
    m, s : list of ndarray or None
        First and second moments, one per parameter.

    Examples
    --------
    >>> import numpy as np
    >>> from initlib.optim import Adam
    >>> w = np.array([1.0, -1.0])
    >>> Adam(lr=0.1).step([w], [np.array([3.0, -0.5])]); w   # the first step is lr * sign(g)
    array([ 0.9, -0.9])
    """

    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(lr)
        check_sequence_length(betas, 2, "betas", "(beta1, beta2), e.g. betas=(0.9, 0.999)")
        self.betas = tuple(check_real(b, f"betas[{i}]", example="betas=(0.9, 0.999)",
                                      minimum=0.0, below=1.0) for i, b in enumerate(betas))
        self.eps = check_real(eps, "eps", example="eps=1e-8", positive=True)
        self.t, self.m, self.s = 0, None, None

    def step(self, params, grads):
        """Update every array of ``params`` in place; ``grads`` are only read."""
        lrs = self._learning_rates(params, grads)
        beta1, beta2 = self.betas
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.s = [np.zeros_like(p) for p in params]
        self.t += 1
        correction1, correction2 = 1 - beta1 ** self.t, 1 - beta2 ** self.t
        for theta, g, m, s, lr in zip(params, grads, self.m, self.s, lrs):
            m *= beta1
            m += (1 - beta1) * g                              # m = b1 m + (1 - b1) g
            s *= beta2
            s += (1 - beta2) * (g * g)                        # s = b2 s + (1 - b2) g^2
            denominator = np.sqrt(s / correction2)
            denominator += self.eps                           # sqrt(s_hat) + eps
            theta -= (lr / correction1) * m / denominator     # theta -= lr m_hat / (...)

    def __repr__(self):
        lr = f"{self.lr:g}" if not isinstance(self.lr, list) else f"[{len(self.lr)} rates]"
        return f"Adam(lr={lr}, betas={self.betas}, eps={self.eps:g})"


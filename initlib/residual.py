r"""Residual networks at initialization: a residual MLP, LayerNorm, per-block statistics, attention.

Chapter 9 (:ref:`ch-residual`) uses this module. The network is

.. math::

    h^{[0]} = x W_{\rm in}^\top + b_{\rm in}, \qquad
    h^{[l]} = h^{[l-1]} + \alpha_l\, F_l\big(h^{[l-1]}\big) \quad (l = 1..L), \qquad
    \hat y = \mathrm{softmax}\big(h^{[L]} W_{\rm out}^\top + b_{\rm out}\big),

the *residual stream* :math:`h^{[l]}` (width ``width``) with :math:`L` blocks, each adding its
*branch* :math:`F_l`, a small MLP of ``branch_depth`` layers whose last layer is linear:
:math:`F(h) = W_k f(\dots f(W_1 h + b_1) \dots) + b_k`. The options are the initialization
recipes of the chapter:

=====================================  ===================================================
option                                 recipe
=====================================  ===================================================
``alpha=1/sqrt(L)``                    scale every branch: the stream's variance stays
                                       bounded (what batch normalization does implicitly,
                                       De & Smith 2020)
``last_init="zeros"``                  zero the last layer of every branch (Goyal et al.
                                       2017's zero-γ, Fixup's zero init)
``init=...gain=sqrt(2)*fixup_scale``   Fixup (Zhang et al. 2019): inner layers scaled by
                                       :math:`L^{-1/(2k-2)}`, last layer zero
``last_init=normal(std=...)``          GPT-2 / nanoGPT: residual projections drawn with
                                       std :func:`gpt2_residual_std`
``learn_alpha=True, alpha=0``          ReZero (Bachlechner et al. 2020) / SkipInit
                                       (De & Smith 2020): a learned scalar per block, 0
``norm="pre"``                         :math:`h^{[l]} = h^{[l-1]} + \alpha F(\mathrm{LN}(h^{[l-1]}))`,
                                       and a final LayerNorm before the head
``norm="post"``                        :math:`h^{[l]} = \mathrm{LN}(h^{[l-1]} + \alpha F(h^{[l-1]}))`
                                       (the original Transformer's placement)
=====================================  ===================================================

Every parameter is created by initlib's public initializers, so the
``INITLIB_PERTURB_ULP`` switch applies to them (a custom callable that does not call an
initlib initializer is used as it is). The model follows the trainable-model protocol of
:func:`initlib.train`: ``parameters()``, ``parameter_names()``, ``loss_and_flat_grads(X, y)``,
``loss(X, y)``, ``is_classifier`` and ``accuracy(X, y)``.

References
----------
He, Zhang, Ren & Sun (2016). Deep residual learning for image recognition. CVPR.
Ba, Kiros & Hinton (2016). Layer normalization. arXiv:1607.06450.
Vaswani et al. (2017). Attention is all you need. NeurIPS.
Goyal et al. (2017). Accurate, large minibatch SGD. arXiv:1706.02677.
Radford et al. (2019). Language models are unsupervised multitask learners. OpenAI.
Zhang, Dauphin & Ma (2019). Fixup initialization. ICLR.
De & Smith (2020). Batch normalization biases residual blocks towards the identity. NeurIPS.
Bachlechner et al. (2021). ReZero is all you need. UAI.
Xiong et al. (2020). On layer normalization in the Transformer architecture. ICML.
Wang et al. (2022). DeepNet: scaling Transformers to 1,000 layers. arXiv:2203.00555.

>>> import numpy as np
>>> from initlib import residual
>>> net = residual.ResidualMLP(4, 8, 3, n_blocks=2, rng=0)
>>> net.parameter_names()
['W_in', 'b_in', 'W1_1', 'b1_1', 'W1_2', 'b1_2', 'W2_1', 'b2_1', 'W2_2', 'b2_2', 'W_out', 'b_out']
>>> loss, grads = net.loss_and_flat_grads(np.ones((5, 4)), np.array([0, 1, 2, 0, 1]))
>>> [g.shape for g in grads][:3]
[(8, 4), (8,), (8, 8)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import initlib

from ._blas import small_matrix_kernel
from ._validation import check_bool, check_choice, check_finite, check_int, check_numeric_array, check_real

__all__ = [
    "ResidualMLP",
    "layer_norm",
    "layer_norm_backward",
    "BlockStats",
    "block_stats",
    "fixup_scale",
    "gpt2_residual_std",
    "attention_logits",
    "softmax_entropy",
]

_NORMS = (None, "pre", "post")
_OUTPUTS = ("softmax", "linear")


# ---------------------------------------------------------------------------
# Validation (the public boundary)
# ---------------------------------------------------------------------------
# The shared checks of initlib._validation (one wording: "got ...", TypeError for a wrong
# type, ValueError for a wrong value); these two add the example to the message.
def _positive_int(value, name, example):
    return check_int(value, name, example=f"{name}={example}")


def _finite_real(value, name, example, *, positive=False, minimum=None):
    return check_real(value, name, example=f"{name}={example}", positive=positive, minimum=minimum)


def _initializer(spec, name):
    if isinstance(spec, str) or callable(spec):
        return initlib.get_initializer(spec)
    raise TypeError(
        f"{name} must be an initializer name such as 'he_normal' or a function f(shape, rng=...) "
        f"such as functools.partial(initlib.normal, std=0.02), got {spec!r} of type "
        f"{type(spec).__name__}.")


def _draw(init, shape, rng, name):
    value = np.asarray(init(shape, rng=rng), dtype=np.float64)
    if value.shape != shape:
        raise ValueError(f"{name} gave an array of shape {value.shape}, expected {shape} "
                         f"(weights are (fan_out, fan_in)).")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name} gave NaN or inf; initial parameters must be finite.")
    return value


# ---------------------------------------------------------------------------
# LayerNorm: forward and backward side by side
# ---------------------------------------------------------------------------
def layer_norm(x, gamma, beta, eps=1e-5):
    r"""LayerNorm over the last axis: :math:`y = \gamma \odot (x - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta`.

    :math:`\mu, \sigma^2` are the mean and (biased) variance of each row of ``x`` (one
    example's features), as in Ba, Kiros & Hinton (2016) and ``torch.nn.LayerNorm``.

    Parameters
    ----------
    x : ndarray, shape (batch, n)
    gamma, beta : ndarray, shape (n,)
        Gain (initialized to 1) and shift (initialized to 0).
    eps : float
        Added to the variance; PyTorch's default 1e-5.

    Returns
    -------
    y : ndarray, shape (batch, n)
    cache : tuple
        What :func:`layer_norm_backward` needs: ``(x_hat, inv_std, gamma)``.

    >>> import numpy as np
    >>> y, _ = layer_norm(np.array([[1.0, 2.0, 3.0]]), np.ones(3), np.zeros(3), eps=0.0)
    >>> np.round(y, 4)
    array([[-1.2247,  0.    ,  1.2247]])
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"layer_norm expects x of shape (batch, n), got shape {x.shape}; "
                         f"reshape one example with x.reshape(1, -1).")
    for name, p in (("gamma", gamma), ("beta", beta)):
        if np.shape(p) != (x.shape[1],):
            raise ValueError(f"{name} must have shape ({x.shape[1]},) to match x's {x.shape[1]} "
                             f"features, got shape {np.shape(p)}.")
    eps = _finite_real(eps, "eps", 1e-5, minimum=0.0)
    mean = x.mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)     # (batch, 1)
    x_hat = (x - mean) * inv_std                                    # zero mean, unit variance rows
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


def layer_norm_backward(dy, cache):
    r"""Gradients of LayerNorm: ``(dx, dgamma, dbeta)`` from ``dy = dJ/dy``.

    With :math:`g = \gamma \odot dy` and :math:`\hat x` the normalized row,

    .. math::

        \frac{\partial J}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
        \Big(g - \overline{g} - \hat x\, \overline{g \odot \hat x}\Big),

    the bars being means over the row: normalizing removes the component of the gradient
    along the constant direction (the mean) and along :math:`\hat x` (the scale).
    """
    x_hat, inv_std, gamma = cache
    dgamma = np.sum(dy * x_hat, axis=0)                             # (n,)
    dbeta = np.sum(dy, axis=0)                                      # (n,)
    g = dy * gamma                                                  # dJ/dx_hat: (batch, n)
    dx = inv_std * (g - g.mean(axis=1, keepdims=True)
                    - x_hat * np.mean(g * x_hat, axis=1, keepdims=True))
    return dx, dgamma, dbeta


# ---------------------------------------------------------------------------
# Helpers for the chapter's recipes
# ---------------------------------------------------------------------------
def fixup_scale(n_blocks, branch_depth):
    r"""Fixup's factor :math:`L^{-1/(2k-2)}` for the inner layers of a branch of ``k`` layers.

    Zhang, Dauphin & Ma (2019), rule 2: multiply the standard (He) initialization of the
    first ``k - 1`` layers of each of the ``L`` branches by this factor and set the last
    layer to zero. For ``k = 2`` it is :math:`1/\sqrt L`.

    >>> fixup_scale(16, 2)
    0.25
    """
    L = _positive_int(n_blocks, "n_blocks", 16)
    k = _positive_int(branch_depth, "branch_depth", 2)
    if k < 2:
        raise ValueError("fixup_scale needs branch_depth >= 2: with one layer the branch is "
                         "its last layer, which Fixup sets to zero; got branch_depth=1.")
    return float(L ** (-1.0 / (2 * k - 2)))


def gpt2_residual_std(n_layer, std=0.02):
    r"""nanoGPT's std of a residual projection: :math:`0.02/\sqrt{2\,n_{\rm layer}}`.

    GPT-2 "scale[s] the weights of residual layers at initialization by a factor of
    :math:`1/\sqrt N` where N is the number of residual layers" (Radford et al. 2019);
    each Transformer block has two residual branches (attention, MLP), so
    :math:`N = 2 n_{\rm layer}`. nanoGPT's ``_init_weights`` draws every linear layer with
    std 0.02 and the residual projections (``c_proj``) with this std.

    >>> round(gpt2_residual_std(12), 5)
    0.00408
    """
    n_layer = _positive_int(n_layer, "n_layer", 12)
    std = _finite_real(std, "std", 0.02, positive=True)
    return std / math.sqrt(2 * n_layer)


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------
@dataclass(eq=False)
class _Block:
    W: list          # branch weights [W1, ..., Wk], Wj: (width, width)
    b: list          # branch biases
    alpha: np.ndarray | None   # shape (1,), learned; None when alpha is a fixed number
    gamma: np.ndarray | None   # LayerNorm gain (norm="pre" or "post")
    beta: np.ndarray | None


class ResidualMLP:
    r"""A residual MLP: stem, ``n_blocks`` residual blocks with configurable branches, head.

    Parameters
    ----------
    n_in, width, n_out : int
        Input features, width of the residual stream (and of the branches), outputs.
    n_blocks : int
        :math:`L`, the number of residual blocks.
    branch_depth : int
        :math:`k`, weight layers per branch (default 2: :math:`W_2 f(W_1 h)`).
    activation : str
        The branch's hidden activation (an :func:`initlib.get_activation` name).
    init : str or callable
        Initializer of the branch layers 1..k-1 (and of layer k unless ``last_init``).
    last_init : str, callable or None
        Initializer of each branch's last layer; ``"zeros"`` starts every block as the
        identity. ``None`` (default): same as ``init``.
    alpha : float
        Branch multiplier :math:`\alpha` (fixed, or the initial value of a learned one).
    learn_alpha : bool
        One learned scalar :math:`\alpha_l` per block (ReZero, SkipInit).
    norm : None, "pre" or "post"
        Where a LayerNorm goes (see the module docstring).
    stem_init, head_init : str or callable
        Initializers of the input projection and of the output layer (default LeCun:
        both are linear).
    output : "softmax" or "linear"
        Softmax + mean cross-entropy (integer labels), or identity + mean of
        :math:`\tfrac12\lVert\hat y - y\rVert^2`.
    skip : bool
        ``False`` removes the identity path, :math:`h^{[l]} = \alpha F(h^{[l-1]})`: the same
        layers as a plain network (used to compare like with like).
    rng : None, int or Generator
        Split with ``spawn``: the stem, each block and the head draw from their own stream.

    Examples
    --------
    >>> import numpy as np
    >>> from initlib import residual
    >>> net = residual.ResidualMLP(64, 32, 10, n_blocks=8, last_init="zeros", rng=0)
    >>> X = np.random.default_rng(1).standard_normal((5, 64))
    >>> bool(np.allclose(net.stream(X)[-1], net.stream(X)[0]))   # every block is the identity
    True
    """

    def __init__(self, n_in, width, n_out, n_blocks, *, branch_depth=2, activation="relu",
                 init="he_normal", last_init=None, alpha=1.0, learn_alpha=False, norm=None,
                 stem_init="lecun_normal", head_init="lecun_normal", output="softmax",
                 skip=True, eps=1e-5, rng=None):
        self.n_in = _positive_int(n_in, "n_in", 64)
        self.width = _positive_int(width, "width", 32)
        self.n_out = _positive_int(n_out, "n_out", 10)
        self.n_blocks = _positive_int(n_blocks, "n_blocks", 16)
        self.branch_depth = _positive_int(branch_depth, "branch_depth", 2)
        self.activation = initlib.get_activation(activation)
        init_f = _initializer(init, "init")
        last_f = init_f if last_init is None else _initializer(last_init, "last_init")
        stem_f = _initializer(stem_init, "stem_init")
        head_f = _initializer(head_init, "head_init")
        self.alpha = _finite_real(alpha, "alpha", 1.0)
        self.learn_alpha = check_bool(learn_alpha, "learn_alpha")
        self.skip = check_bool(skip, "skip")
        self.norm = check_choice(norm, "norm", _NORMS, "'pre' puts a LayerNorm at the start of "
                                 "each branch, 'post' after each sum, None for no LayerNorm.")
        check_choice(output, "output", _OUTPUTS, "'softmax' for class labels, 'linear' for "
                     "regression.")
        if output == "softmax" and self.n_out < 2:
            raise ValueError(f"output='softmax' needs n_out >= 2 classes, got n_out={n_out}.")
        self.output = output
        self.eps = _finite_real(eps, "eps", 1e-5, positive=True)
        self.init, self.last_init = init, init if last_init is None else last_init

        streams = np.random.default_rng(rng).spawn(self.n_blocks + 2)
        w, k = self.width, self.branch_depth
        self.W_in = _draw(stem_f, (w, self.n_in), streams[0], "stem_init")
        self.b_in = initlib.zeros((w,))
        self.blocks = []
        for l in range(1, self.n_blocks + 1):
            r = streams[l]
            Ws = [_draw(init_f if j < k else last_f, (w, w), r,
                        "init" if j < k else "last_init") for j in range(1, k + 1)]
            self.blocks.append(_Block(
                W=Ws, b=[initlib.zeros((w,)) for _ in range(k)],
                alpha=initlib.constant((1,), value=self.alpha) if self.learn_alpha else None,
                gamma=initlib.ones((w,)) if norm else None,
                beta=initlib.zeros((w,)) if norm else None))
        self.W_out = _draw(head_f, (self.n_out, w), streams[-1], "head_init")
        self.b_out = initlib.zeros((self.n_out,))
        self.gamma_f = initlib.ones((w,)) if norm == "pre" else None
        self.beta_f = initlib.zeros((w,)) if norm == "pre" else None

    # -- the trainable-model protocol ----------------------------------------
    def _named(self):
        named = [("W_in", self.W_in), ("b_in", self.b_in)]
        for l, blk in enumerate(self.blocks, start=1):
            if blk.gamma is not None:
                named += [(f"gamma{l}", blk.gamma), (f"beta{l}", blk.beta)]
            for j, (W, b) in enumerate(zip(blk.W, blk.b), start=1):
                named += [(f"W{l}_{j}", W), (f"b{l}_{j}", b)]
            if blk.alpha is not None:
                named.append((f"alpha{l}", blk.alpha))
        if self.gamma_f is not None:
            named += [("gamma_f", self.gamma_f), ("beta_f", self.beta_f)]
        return named + [("W_out", self.W_out), ("b_out", self.b_out)]

    def parameters(self):
        """Every trainable array (live: an optimizer updates them in place), in a fixed order."""
        return [p for _, p in self._named()]

    def parameter_names(self):
        """Names aligned with :meth:`parameters`: ``W_in``, ``W{l}_{j}`` (block l, layer j), ..."""
        return [name for name, _ in self._named()]

    @property
    def n_params(self):
        return int(sum(p.size for p in self.parameters()))

    @property
    def is_classifier(self):
        return self.output == "softmax"

    def __repr__(self):
        return (f"ResidualMLP({self.n_in}, {self.width}, {self.n_out}, n_blocks={self.n_blocks}, "
                f"branch_depth={self.branch_depth}, activation={self.activation.name!r}, "
                f"alpha={self.alpha:g}, learn_alpha={self.learn_alpha}, norm={self.norm!r}, "
                f"skip={self.skip}, n_params={self.n_params})")

    # -- validation ----------------------------------------------------------
    def _check_X(self, X):
        X = check_numeric_array(X, "X")
        if X.ndim != 2 or X.shape[1] != self.n_in:
            raise ValueError(f"X must have shape (n_samples, {self.n_in}) for a network with "
                             f"n_in={self.n_in}, got shape {X.shape}.")
        if X.shape[0] == 0:
            raise ValueError("X has no rows; pass at least one example.")
        X = X.astype(np.float64, copy=False)
        check_finite(X, "X")
        return X

    def _check_y(self, y, n):
        y = np.asarray(y)
        if self.output == "linear":
            if y.ndim == 1 and self.n_out == 1:
                y = y[:, None]
            if y.shape != (n, self.n_out):
                raise ValueError(f"output='linear' needs y of shape ({n}, {self.n_out}), "
                                 f"got {y.shape}.")
            return y.astype(np.float64)
        if y.shape != (n,):
            raise ValueError(f"y must hold one class label per row of X, shape ({n},), got "
                             f"shape {y.shape}.")
        if not np.issubdtype(y.dtype, np.integer):
            raise TypeError(f"output='softmax' needs integer class labels, got dtype {y.dtype}; "
                            f"convert with y.astype(int).")
        if y.min() < 0 or y.max() >= self.n_out:
            raise ValueError(f"class labels must be in [0, {self.n_out}), got labels from "
                             f"{y.min()} to {y.max()}.")
        return y

    # -- forward and backward --------------------------------------------------
    def _alpha(self, blk):
        return blk.alpha[0] if blk.alpha is not None else self.alpha

    def _forward(self, X):
        f = self.activation.forward
        h = X @ self.W_in.T + self.b_in
        stream, caches = [h], []
        for blk in self.blocks:
            c = {"h": h}
            u = h
            if self.norm == "pre":
                u, c["ln"] = layer_norm(h, blk.gamma, blk.beta, self.eps)
            a, z = [u], []
            for j, (W, b) in enumerate(zip(blk.W, blk.b)):
                z.append(a[-1] @ W.T + b)                           # (batch, width)
                if j < self.branch_depth - 1:
                    a.append(f(z[-1]))
            c["a"], c["z"], c["F"] = a, z, z[-1]
            s = (h if self.skip else 0.0) + self._alpha(blk) * z[-1]
            if self.norm == "post":
                s, c["ln"] = layer_norm(s, blk.gamma, blk.beta, self.eps)
            h = s
            stream.append(h)
            caches.append(c)
        top = {}
        if self.norm == "pre":
            h, top["ln"] = layer_norm(h, self.gamma_f, self.beta_f, self.eps)
        top["h"] = h
        logits = h @ self.W_out.T + self.b_out
        return logits, stream, caches, top

    def _loss(self, logits, y):
        n = logits.shape[0]
        if self.output == "linear":
            diff = logits - y
            return 0.5 * np.sum(diff * diff) / n, diff / n
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_sum = np.log(np.exp(shifted).sum(axis=1))
        loss = np.mean(log_sum - shifted[np.arange(n), y])
        delta = np.exp(shifted - log_sum[:, None])                  # softmax probabilities
        delta[np.arange(n), y] -= 1
        return loss, delta / n                                      # dJ/dlogits

    def _backward(self, X, y, logits, stream, caches, top):
        loss, dlogits = self._loss(logits, y)
        grads = {"W_out": dlogits.T @ top["h"], "b_out": dlogits.sum(axis=0)}
        dh = dlogits @ self.W_out                                   # dJ/dh (top)
        if self.norm == "pre":
            dh, grads["gamma_f"], grads["beta_f"] = layer_norm_backward(dh, top["ln"])
        dstream = [None] * (self.n_blocks + 1)
        dstream[-1] = dh
        fprime = self.activation.derivative
        for l in range(self.n_blocks, 0, -1):
            blk, c = self.blocks[l - 1], caches[l - 1]
            ds = dh
            if self.norm == "post":
                ds, grads[f"gamma{l}"], grads[f"beta{l}"] = layer_norm_backward(dh, c["ln"])
            if blk.alpha is not None:
                grads[f"alpha{l}"] = np.array([np.sum(ds * c["F"])])  # dJ/dalpha = <ds, F>
            dz = self._alpha(blk) * ds                              # dJ/dz_k = alpha dJ/ds
            for j in range(self.branch_depth, 0, -1):
                grads[f"W{l}_{j}"] = dz.T @ c["a"][j - 1]           # dJ/dW_j = dz_j^T a_{j-1}
                grads[f"b{l}_{j}"] = dz.sum(axis=0)
                du = dz @ blk.W[j - 1]                              # dJ/da_{j-1}
                if j > 1:
                    dz = du * fprime(c["z"][j - 2])                 # dJ/dz_{j-1}
            if self.norm == "pre":
                du, grads[f"gamma{l}"], grads[f"beta{l}"] = layer_norm_backward(du, c["ln"])
            dh = (ds if self.skip else 0.0) + du                    # identity path + branch path
            dstream[l - 1] = dh
        grads["W_in"] = dh.T @ X
        grads["b_in"] = dh.sum(axis=0)
        return float(loss), grads, dstream

    # -- public API ----------------------------------------------------------
    @small_matrix_kernel
    def forward(self, X):
        """Output for a batch ``X``: class probabilities (softmax) or values (linear)."""
        X = self._check_X(X)
        with np.errstate(all="ignore"):
            logits = self._forward(X)[0]
            if self.output == "linear":
                return logits
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)

    __call__ = forward

    @small_matrix_kernel
    def stream(self, X):
        """The residual stream ``[h0, h1, ..., hL]`` for a batch (each ``(batch, width)``)."""
        X = self._check_X(X)
        with np.errstate(all="ignore"):
            return self._forward(X)[1]

    @small_matrix_kernel
    def branches(self, X):
        r"""Each block's branch output :math:`F_l` (before :math:`\alpha`), a list of L arrays."""
        X = self._check_X(X)
        with np.errstate(all="ignore"):
            return [c["F"] for c in self._forward(X)[2]]

    @small_matrix_kernel
    def loss(self, X, y):
        """Mean loss of the batch."""
        X = self._check_X(X)
        y = self._check_y(y, len(X))
        with np.errstate(all="ignore"):
            return float(self._loss(self._forward(X)[0], y)[0])

    def loss_and_flat_grads(self, X, y):
        """Mean loss and the gradient of every parameter, aligned with :meth:`parameters`."""
        X = self._check_X(X)
        y = self._check_y(y, len(X))
        with np.errstate(all="ignore"):
            loss, grads, _ = self._backward(X, y, *self._forward(X))
        return loss, [grads[name] for name in self.parameter_names()]

    @small_matrix_kernel
    def gradients(self, X, y):
        """Mean loss, a dict ``name -> gradient``, and ``dJ/dh`` for every stream position."""
        X = self._check_X(X)
        y = self._check_y(y, len(X))
        with np.errstate(all="ignore"):
            return self._backward(X, y, *self._forward(X))

    def check_data(self, X, y, names=("X", "y")):
        """``(X, y)`` checked and converted once (used by :func:`initlib.train`)."""
        X = self._check_X(X)
        return X, self._check_y(y, len(X))

    def evaluate(self, X, y):
        """``(loss, accuracy or None)`` of a checked set in one forward pass (for :func:`initlib.train`)."""
        with np.errstate(all="ignore"):
            logits = self._forward(X)[0]
            loss = float(self._loss(logits, y)[0])
        acc = float(np.mean(logits.argmax(axis=1) == y)) if self.is_classifier else None
        return loss, acc

    def predict(self, X):
        """Predicted class labels (softmax) or outputs (linear)."""
        out = self.forward(X)
        return out.argmax(axis=1) if self.is_classifier else out

    @small_matrix_kernel
    def accuracy(self, X, y):
        """Fraction of correctly classified examples (classifiers only)."""
        if not self.is_classifier:
            raise ValueError("accuracy is defined for output='softmax'; this network has "
                             "output='linear': use net.loss(X, y).")
        X = self._check_X(X)
        y = self._check_y(y, len(X))
        return float(np.mean(self.predict(X) == y))


# ---------------------------------------------------------------------------
# Per-block statistics
# ---------------------------------------------------------------------------
@dataclass(eq=False)
class BlockStats:
    r"""Statistics of a :class:`ResidualMLP` on one batch, block by block.

    Attributes
    ----------
    stream_var : ndarray, shape (L + 1,)
        :math:`\operatorname{Var}(h^{[l]})` over all entries, ``l = 0..L``.
    branch_var : ndarray, shape (L,)
        :math:`\operatorname{Var}(\alpha_l F_l)`, what block ``l`` adds.
    stream_grad_norm : ndarray, shape (L + 1,) or None
        :math:`\lVert\partial J/\partial h^{[l]}\rVert` (Frobenius, over the batch) when
        labels were given.
    weight_grad_norm : ndarray, shape (L, k) or None
        :math:`\lVert\partial J/\partial W_j^{[l]}\rVert` for every branch layer.
    """

    stream_var: np.ndarray
    branch_var: np.ndarray
    stream_grad_norm: np.ndarray | None = None
    weight_grad_norm: np.ndarray | None = None


@small_matrix_kernel
def block_stats(net, X, y=None):
    """Per-block statistics of ``net`` on the batch ``X`` (and gradients if ``y`` is given).

    >>> import numpy as np
    >>> from initlib import residual
    >>> net = residual.ResidualMLP(16, 64, 2, n_blocks=4, rng=0)
    >>> s = residual.block_stats(net, np.random.default_rng(0).standard_normal((256, 16)))
    >>> s.stream_var.shape, s.branch_var.shape
    ((5,), (4,))
    """
    if not isinstance(net, ResidualMLP):
        raise TypeError(f"net must be a residual.ResidualMLP, got {type(net).__name__}.")
    X = net._check_X(X)
    with np.errstate(all="ignore"):
        logits, stream, caches, top = net._forward(X)
        stream_var = np.array([h.var() for h in stream])
        branch_var = np.array([(net._alpha(blk) * c["F"]).var()
                               for blk, c in zip(net.blocks, caches)])
        if y is None:
            return BlockStats(stream_var, branch_var)
        y = net._check_y(y, len(X))
        _, grads, dstream = net._backward(X, y, logits, stream, caches, top)
    return BlockStats(
        stream_var, branch_var,
        np.array([np.linalg.norm(d) for d in dstream]),
        np.array([[np.linalg.norm(grads[f"W{l}_{j}"]) for j in range(1, net.branch_depth + 1)]
                  for l in range(1, net.n_blocks + 1)]))


# ---------------------------------------------------------------------------
# Attention at initialization
# ---------------------------------------------------------------------------
@small_matrix_kernel
def attention_logits(d_k, *, n_tokens=32, d_model=64, scaled=True, n_samples=8, rng=None):
    r"""Attention logits :math:`q_i \cdot k_j` (divided by :math:`\sqrt{d_k}` if ``scaled``) at init.

    Tokens :math:`x \sim N(0, I_{d_{\rm model}})`; queries and keys
    :math:`q = W_Q x`, :math:`k = W_K x` with LeCun-initialized
    :math:`W_Q, W_K` of shape ``(d_k, d_model)``, so each entry of ``q`` and ``k`` has
    variance about 1 and :math:`\operatorname{Var}(q\cdot k) \approx d_k`
    (Vaswani et al. 2017, footnote 4).

    Returns
    -------
    ndarray, shape (n_samples, n_tokens, n_tokens)
        One matrix of logits per independent draw of tokens and weights.
    """
    d_k = _positive_int(d_k, "d_k", 64)
    n_tokens = _positive_int(n_tokens, "n_tokens", 32)
    d_model = _positive_int(d_model, "d_model", 64)
    n_samples = _positive_int(n_samples, "n_samples", 8)
    scaled = check_bool(scaled, "scaled")
    gen = np.random.default_rng(rng)
    out = np.empty((n_samples, n_tokens, n_tokens))
    for s in range(n_samples):
        x = gen.standard_normal((n_tokens, d_model))
        W_q = initlib.lecun_normal((d_k, d_model), rng=gen)
        W_k = initlib.lecun_normal((d_k, d_model), rng=gen)
        out[s] = (x @ W_q.T) @ (x @ W_k.T).T
    return out / math.sqrt(d_k) if scaled else out


def softmax_entropy(logits):
    r"""Entropy (nats) of the softmax of each row of ``logits``: :math:`\ln n` when uniform, 0 when one-hot.

    Computed from the logits (log-sum-exp), so it never takes ``log(0)``.

    >>> import numpy as np
    >>> round(float(softmax_entropy(np.zeros((1, 4)))[0]), 4)   # ln 4
    1.3863
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim < 1 or z.shape[-1] < 1:
        raise ValueError(f"logits must have at least one entry along the last axis, got shape "
                         f"{z.shape}.")
    shifted = z - z.max(axis=-1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    log_p = shifted - log_sum
    return -np.sum(np.exp(log_p) * log_p, axis=-1)

r"""A small multilayer perceptron in numpy: forward pass, backward pass, loss and gradients.

Notation (the chapters' and the source text's): a network with layer sizes
``[n0, n1, ..., nL]`` has L layers; layer :math:`l = 1..L` computes

.. math::

    z^{[l]} = a^{[l-1]} W^{[l]\top} + b^{[l]}, \qquad a^{[l]} = f^{[l]}(z^{[l]}),

with :math:`a^{[0]} = X` of shape ``(batch, n0)``, :math:`W^{[l]}` of shape
``(n[l], n[l-1]) = (fan_out, fan_in)`` (PyTorch's layout; Keras stores the
transpose) and :math:`f^{[L]}` the output function (softmax, sigmoid or
identity). In code, the math's layer ``l`` is ``weights[l - 1]``.

The backward pass is the chain rule, one line per step, from the output down:

.. math::

    \frac{\partial J}{\partial W^{[l]}} = \delta^{[l]\top} a^{[l-1]},\quad
    \frac{\partial J}{\partial b^{[l]}} = \textstyle\sum_{\rm batch} \delta^{[l]},\quad
    \frac{\partial J}{\partial a^{[l-1]}} = \delta^{[l]} W^{[l]},\quad
    \delta^{[l-1]} = \frac{\partial J}{\partial a^{[l-1]}} \odot f'(z^{[l-1]}),

where :math:`\delta^{[l]} = \partial J / \partial z^{[l]}`.

The three outputs and their losses (each a mean over the batch of :math:`n`
examples) are computed from the logits :math:`z = z^{[L]}` in forms that never
overflow nor take ``log(0)``:

=======  ===============================================================  =========================
output   loss                                                             labels
=======  ===============================================================  =========================
softmax  cross-entropy, :math:`\mathrm{logsumexp}(z) - z_y`               integers in [0, nL)
sigmoid  binary cross-entropy, :math:`\max(z,0) - zy + \log(1+e^{-|z|})`  0/1, shape (n,) or (n, 1)
linear   :math:`\tfrac12\lVert z - y\rVert^2`                             floats, shape (n, nL)
=======  ===============================================================  =========================

Each pair is "canonical" (Bishop 2006, section 4.3.6), so the first delta is simply
:math:`\delta^{[L]} = (\hat y - y) / n`.

References
----------
Rumelhart, Hinton & Williams (1986). Learning representations by back-propagating
errors. Nature 323, 533-536.
Bishop (2006). Pattern Recognition and Machine Learning, sections 4.3.6 and 5.3.

>>> import numpy as np
>>> from initlib import MLP
>>> net = MLP([2, 8, 3], activation="relu", init="he_normal", rng=0)
>>> X = np.array([[0.5, -1.0], [2.0, 0.0]]); y = np.array([0, 2])
>>> loss, grads = net.loss_and_grads(X, y)
>>> [dW.shape for dW, db in grads]
[(8, 2), (3, 8)]
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from . import _kernel as kernel
from . import activations
from ._blas import blas_threads_for
from ._validation import (check_dtype, check_finite, check_layer_sizes, check_numeric_array,
                          unknown_name)

__all__ = ["MLP", "ForwardPass", "Backprop", "available_outputs"]

_OUTPUTS = ("softmax", "sigmoid", "linear")


def available_outputs():
    """Output layers (and their losses) accepted by :class:`MLP`.

    ``softmax``: mean cross-entropy with integer class labels; ``sigmoid``: mean
    binary cross-entropy with 0/1 labels; ``linear``: mean over the batch of
    :math:`\\tfrac12\\lVert \\hat y - y\\rVert^2`.

    >>> from initlib import available_outputs
    >>> available_outputs()
    ['softmax', 'sigmoid', 'linear']
    """
    return list(_OUTPUTS)


# ---------------------------------------------------------------------------
# Output functions and their losses. Each returns (loss, delta) where
# delta = dJ/dz[L], the gradient of the mean loss with respect to the logits.
# All three pairs are "canonical": delta = (prediction - target) / batch.
# ---------------------------------------------------------------------------
def _softmax(z):
    """Row-wise softmax, shifted by the row max so exp never overflows."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softmax_cross_entropy(z, p, y):
    """Mean cross-entropy -log p[y] from the logits (log-sum-exp), and its delta."""
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)                    # (batch, C), max 0
    log_sum_exp = np.log(np.exp(shifted).sum(axis=1))             # (batch,)
    loss = np.mean(log_sum_exp - shifted[np.arange(n), y])        # mean of -log p[y]
    delta = p.copy()                                              # dJ/dz = (p - onehot(y)) / n
    delta[np.arange(n), y] -= 1
    delta /= n
    return loss, delta


def _sigmoid(z):
    return activations.sigmoid.forward(z)


def _binary_cross_entropy(z, p, y):
    """Mean BCE from the logits: max(z,0) - z y + log(1 + exp(-|z|)), and its delta."""
    n = z.shape[0]
    loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
    delta = (p - y) / n                                           # (batch, 1)
    return loss, delta


def _identity(z):
    return z


def _half_squared_error(z, yhat, y):
    """Mean over the batch of 1/2 ||yhat - y||^2, and its delta."""
    n = z.shape[0]
    diff = yhat - y                                               # (batch, n_out)
    loss = 0.5 * np.sum(diff * diff) / n
    return loss, diff / n


_OUTPUT_FUNCTIONS = {
    "softmax": (_softmax, _softmax_cross_entropy),
    "sigmoid": (_sigmoid, _binary_cross_entropy),
    "linear": (_identity, _half_squared_error),
}


# ---------------------------------------------------------------------------
# Records returned by the forward and backward passes
# ---------------------------------------------------------------------------
@dataclass(eq=False)
class ForwardPass:
    """Every layer's values from one forward pass.

    Attributes
    ----------
    activations : list of ndarray
        ``[X, a1, ..., aL]``: ``activations[l]`` is :math:`a^{[l]}`, shape
        ``(batch, n[l])``; the last one is the network's output.
    preactivations : list of ndarray
        ``[z1, ..., zL]``: ``preactivations[l - 1]`` is :math:`z^{[l]}` (indexed
        like ``weights``); the last one holds the logits.
    """

    activations: list
    preactivations: list

    @property
    def output(self):
        """The network's output :math:`a^{[L]}` (probabilities for softmax/sigmoid)."""
        return self.activations[-1]


@dataclass(eq=False)
class Backprop:
    r"""Everything one forward and backward pass computes, layer by layer.

    Attributes
    ----------
    loss : float
        Mean loss over the batch.
    grads : list of (ndarray, ndarray)
        ``[(dW, db), ...]``: :math:`\partial J/\partial W^{[l]}`,
        :math:`\partial J/\partial b^{[l]}`, shaped like ``weights``/``biases``.
    activations : list of ndarray
        ``[X, a1, ..., aL]`` as in :class:`ForwardPass`.
    preactivations : list of ndarray
        ``[z1, ..., zL]``, indexed like ``weights``.
    deltas : list of ndarray
        ``[delta1, ..., deltaL]``: ``deltas[l - 1]`` is
        :math:`\delta^{[l]} = \partial J/\partial z^{[l]}`, indexed like
        ``preactivations``. These are the "back-propagated gradients" of
        Glorot & Bengio (2010), figure 7 (``grad_preactivations`` is an alias).
    grad_activations : list of ndarray
        ``[dJ/dX, dJ/da1, ..., dJ/da(L-1)]``: ``grad_activations[l]`` is
        :math:`\partial J/\partial a^{[l]}`, indexed like ``activations``
        (the output layer's is left out).

    The gradients are of the *mean* loss, so each carries a factor ``1/batch``.
    """

    loss: float
    grads: list
    activations: list
    preactivations: list
    deltas: list
    grad_activations: list

    @property
    def grad_preactivations(self):
        r"""Alias of ``deltas`` (:math:`\partial J/\partial z^{[l]}`), the name used before."""
        return self.deltas


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------
class MLP:
    r"""A fully connected network: hidden activations, an output layer and its loss.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n0, n1, ..., nL]``: inputs, hidden widths, outputs (at least 2 entries).
    activation : str, Activation or list
        Hidden-layer activation: a name from :func:`initlib.available_activations`,
        an :class:`~initlib.Activation` (e.g. ``get_activation("leaky_relu", 0.2)``),
        or a list with one per hidden layer (``L - 1`` entries).
    init : str, callable, number, ndarray or list
        How to initialize each weight matrix: an initializer name (see
        :func:`initlib.available_initializers`), a function ``f(shape, rng=...)``
        (e.g. ``functools.partial(initlib.normal, std=0.01)``), a number (every
        entry equal to it) or an array of the right shape (copied). A list gives
        one spec per layer (``L`` entries), e.g. ``["zeros", "zeros", "xavier_normal"]``.
    output : {"softmax", "sigmoid", "linear"}
        Output function and loss: softmax + mean cross-entropy with integer labels
        (needs ``nL >= 2``); sigmoid + mean binary cross-entropy with 0/1 labels
        (needs ``nL == 1``); identity + mean of :math:`\tfrac12\lVert\hat y-y\rVert^2`.
    rng : None, int or Generator
        Seed for the random initializers, normalized with ``np.random.default_rng``.
        The generator is split with ``rng.spawn(L)``: layer ``l`` draws its
        weights (and then its biases, from a sub-stream) from child ``l`` only, so
        changing one layer's width or initializer, or adding layers at the end,
        leaves the other layers' draws unchanged.
    dtype : {np.float64, np.float32}
        Dtype of the parameters and of every computation (float32 for speed).
    bias_init : None or like ``init``
        ``None`` (default): biases start at zero. Otherwise a spec as for
        ``init``, called with shape ``(n[l],)`` (a number such as 0.01 is a
        constant; zeros/constant/normal/uniform accept 1-D shapes).

    Attributes
    ----------
    weights : list of ndarray
        ``weights[l - 1]`` is :math:`W^{[l]}`, shape ``(n[l], n[l-1])``. You may
        assign to entries directly (``net.weights[0] = 1.5 * np.eye(2)``); the
        shape is checked at the next call.
    biases : list of ndarray
        ``biases[l - 1]`` is :math:`b^{[l]}`, shape ``(n[l],)``.
    layer_sizes : tuple of int
    hidden_activations : list of Activation
        One per hidden layer.
    output : str

    Examples
    --------
    >>> import numpy as np
    >>> from initlib import MLP
    >>> net = MLP([2, 16, 16, 1], activation="tanh", output="sigmoid", rng=0)
    >>> net
    MLP([2, 16, 16, 1], activation='tanh', output='sigmoid', init='xavier_normal', dtype=float64, n_params=337)
    >>> net.forward(np.zeros((3, 2))).shape
    (3, 1)
    >>> deep_linear = MLP.from_weights([1.5 * np.eye(2)] * 10, activation="linear", output="linear")
    >>> deep_linear.forward(np.array([[1.0, 0.0]]))  # 1.5**10
    array([[57.66503906,  0.        ]])
    """

    def __init__(self, layer_sizes, *, activation="tanh", init="xavier_normal",
                 output="softmax", rng=None, dtype=np.float64, bias_init=None):
        self.layer_sizes = check_layer_sizes(layer_sizes)
        n_layers = len(self.layer_sizes) - 1
        acts = kernel.per_layer(activation, n_layers - 1, "activation")
        self.hidden_activations = [activations.get_activation(a) for a in acts]
        if output not in _OUTPUTS:
            raise unknown_name("output", output, _OUTPUTS, "softmax for class labels, sigmoid "
                               "for 0/1 labels, linear for regression.", noun="outputs")
        n_out = self.layer_sizes[-1]
        if output == "softmax" and n_out < 2:
            raise ValueError(
                f"output='softmax' needs at least 2 output units, got layer_sizes[-1]={n_out}; "
                f"for a binary problem with one output unit use output='sigmoid'."
            )
        if output == "sigmoid" and n_out != 1:
            raise ValueError(
                f"output='sigmoid' needs exactly 1 output unit (binary labels 0/1), got "
                f"layer_sizes[-1]={n_out}; for {n_out} classes use output='softmax'."
            )
        self.output = output
        self._output_fn, self._loss_fn = _OUTPUT_FUNCTIONS[output]
        self.dtype = check_dtype(dtype)
        if isinstance(init, str) or (isinstance(init, (list, tuple))
                                     and all(isinstance(i, str) for i in init)):
            self.init = init if isinstance(init, str) else list(init)
        else:
            self.init = "custom"                                   # functions, numbers, arrays

        streams = kernel.layer_streams(np.random.default_rng(rng), n_layers)
        inits = kernel.per_layer(init, n_layers, "init")
        bias_inits = kernel.per_layer(bias_init, n_layers, "bias_init")
        self.weights, self.biases = [], []
        for l in range(1, n_layers + 1):
            shape = (self.layer_sizes[l], self.layer_sizes[l - 1])    # (fan_out, fan_in)
            weight_rng, bias_rng = streams[l - 1]
            self.weights.append(kernel.make_parameter(
                inits[l - 1], shape, weight_rng, self.dtype, f"init for layer {l}"))
            self.biases.append(kernel.make_parameter(
                bias_inits[l - 1], shape[:1], bias_rng, self.dtype, f"bias_init for layer {l}"))

    @classmethod
    def from_weights(cls, weights, biases=None, *, activation="tanh", output="linear",
                     dtype=None):
        """A network with the given weight matrices (copied), e.g. ``W = 1.5 I`` in every layer.

        Parameters
        ----------
        weights : list of array_like
            ``[W1, ..., WL]`` with ``W[l].shape == (n[l], n[l-1])``; consecutive
            shapes must chain.
        biases : list of array_like, optional
            ``[b1, ..., bL]``; zeros by default.
        activation, output
            As for :class:`MLP` (note the default ``output="linear"`` here).
        dtype : optional
            Defaults to float32 if every weight matrix is float32, else float64.

        Examples
        --------
        >>> import numpy as np
        >>> from initlib import MLP
        >>> net = MLP.from_weights([0.5 * np.eye(2)] * 3, activation="linear")
        >>> net.forward(np.array([[8.0, 8.0]]))
        array([[1., 1.]])
        """
        weights = [np.asarray(W) for W in weights]
        if len(weights) == 0:
            raise ValueError("from_weights needs at least one weight matrix, got an empty list.")
        for l, W in enumerate(weights, start=1):
            if W.ndim != 2:
                raise ValueError(
                    f"weights[{l - 1}] (layer {l}) must be a 2-D (fan_out, fan_in) matrix, "
                    f"got shape {W.shape}."
                )
            if l > 1 and W.shape[1] != weights[l - 2].shape[0]:
                raise ValueError(
                    f"weights[{l - 1}] has shape {W.shape} but the previous layer has "
                    f"{weights[l - 2].shape[0]} outputs; W[l] must be (n[l], n[l-1])."
                )
        sizes = [weights[0].shape[1]] + [W.shape[0] for W in weights]
        if dtype is None:
            dtype = np.float32 if all(W.dtype == np.float32 for W in weights) else np.float64
        return cls(sizes, activation=activation, init=list(weights), output=output,
                   dtype=dtype, bias_init=None if biases is None else list(biases))

    # -- basic properties ---------------------------------------------------
    @property
    def n_layers(self):
        """L, the number of weight matrices."""
        return len(self.layer_sizes) - 1

    @property
    def n_params(self):
        """Number of trainable numbers (weights and biases)."""
        return int(sum(W.size + b.size for W, b in zip(self.weights, self.biases)))

    @property
    def is_classifier(self):
        """True for softmax and sigmoid outputs."""
        return self.output != "linear"

    def __repr__(self):
        names = [a.name if a.param is None else f"{a.name}({a.param:g})"
                 for a in self.hidden_activations]
        act = names[0] if len(set(names)) == 1 else names
        return (
            f"MLP({list(self.layer_sizes)}, activation={act!r}, output={self.output!r}, "
            f"init={self.init!r}, dtype={self.dtype}, n_params={self.n_params})"
        )

    def copy(self):
        """An independent copy (parameters copied, activations shared)."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.weights = [W.copy() for W in self.weights]
        new.biases = [b.copy() for b in self.biases]
        new.hidden_activations = list(self.hidden_activations)
        return new

    # -- validation ---------------------------------------------------------
    def _check_parameters(self):
        """Shapes and dtype of weights/biases, which users may assign directly."""
        dtype, sizes = self.dtype, self.layer_sizes
        if len(self.weights) == len(self.biases) == len(sizes) - 1 and all(  # the usual case
                type(W) is np.ndarray and type(b) is np.ndarray and W.dtype == dtype
                and b.dtype == dtype and W.shape == (n, m) and b.shape == (n,)
                for W, b, n, m in zip(self.weights, self.biases, sizes[1:], sizes[:-1])):
            return
        for name, params in (("weights", self.weights), ("biases", self.biases)):
            if len(params) != self.n_layers:
                raise ValueError(
                    f"net.{name} has {len(params)} entries but the network has "
                    f"{self.n_layers} layers; build a new MLP to change the depth."
                )
        for l in range(1, self.n_layers + 1):
            expected = (self.layer_sizes[l], self.layer_sizes[l - 1])
            for name, params, shape in (("weights", self.weights, expected),
                                        ("biases", self.biases, expected[:1])):
                p = params[l - 1]
                if not isinstance(p, np.ndarray) or p.dtype != self.dtype:
                    p = params[l - 1] = np.array(p, dtype=self.dtype)
                if p.shape != shape:
                    raise ValueError(
                        f"net.{name}[{l - 1}] (layer {l}) has shape {p.shape}, expected "
                        f"{shape} for layer_sizes {list(self.layer_sizes)}; assign an array "
                        f"of that shape, or build a new MLP for another architecture."
                    )

    def _check_X(self, X, name="X"):
        X = check_numeric_array(X, name)
        if X.ndim != 2:
            raise ValueError(
                f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}; "
                f"reshape one example with {name}.reshape(1, -1) or one feature with "
                f"{name}.reshape(-1, 1)."
            )
        if X.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"{name} has {X.shape[1]} features (shape {X.shape}) but the network "
                f"expects {self.layer_sizes[0]} inputs (layer_sizes[0]); build the MLP "
                f"with layer_sizes[0] = {X.shape[1]} or pass the right columns."
            )
        if X.shape[0] == 0:
            raise ValueError(f"{name} has no rows (shape {X.shape}); pass at least one example.")
        X = X.astype(self.dtype, copy=False)
        check_finite(X, name)
        return X

    def _check_y(self, y, n, name="y"):
        """Targets in the internal form: int (n,) | float (n, 1) | float (n, n_out)."""
        y = np.asarray(y)
        n_out = self.layer_sizes[-1]
        if y.shape[0:1] != (n,):
            raise ValueError(
                f"X and {name} have different lengths: X has {n} rows, {name} has shape "
                f"{y.shape}; pass one target per example."
            )
        y = check_numeric_array(y, name)
        if self.output == "linear":
            if y.ndim == 1 and n_out == 1:
                y = y[:, None]
            if y.shape != (n, n_out):
                raise ValueError(
                    f"output='linear' with {n_out} output(s) needs {name} of shape "
                    f"({n}, {n_out}){' or (n,)' if n_out == 1 else ''}, got {y.shape}."
                )
            y = y.astype(self.dtype, copy=False)
            check_finite(y, name)
            return y
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            hint = (f" For one-hot rows use {name}.argmax(axis=1)." if self.output == "softmax"
                    else "")
            raise ValueError(
                f"output={self.output!r} needs {name} of shape (n,) or (n, 1) with one "
                f"label per example, got shape {y.shape}.{hint}"
            )
        if y.dtype.kind == "f":
            check_finite(y, name)
        if self.output == "softmax":
            if not (y.dtype.kind in "iu" or np.all(y == np.round(y))) or y.dtype == bool:
                raise ValueError(
                    f"output='softmax' needs integer class labels in [0, {n_out}), got "
                    f"{name} of dtype {y.dtype} with values such as {y[:3].tolist()}; "
                    f"encode classes as 0, 1, ..., {n_out - 1}."
                )
            if y.min() < 0 or y.max() >= n_out:
                raise ValueError(
                    f"class labels must be in [0, {n_out}) for a network with {n_out} "
                    f"outputs, got labels from {y.min()} to {y.max()}; relabel them as "
                    f"0..{n_out - 1} or change layer_sizes[-1]."
                )
            return y.astype(np.intp, copy=False)
        # sigmoid
        if not np.all((y == 0) | (y == 1)):
            bad = y[(y != 0) & (y != 1)][:3].tolist()
            raise ValueError(
                f"output='sigmoid' needs 0/1 labels, got {name} with values such as {bad}; "
                f"for more classes use output='softmax' with layer_sizes[-1] = n_classes."
            )
        return y.astype(self.dtype)[:, None]

    def _check_grads_out(self, out):
        """``out`` of loss_and_grads: one (dW, db) pair per layer, shaped and typed like the parameters."""
        try:                                                          # the usual case, fast
            if len(out) == self.n_layers and all(
                    type(dW) is np.ndarray and type(db) is np.ndarray and dW.shape == W.shape
                    and db.shape == b.shape and dW.dtype == W.dtype and db.dtype == b.dtype
                    for (dW, db), W, b in zip(out, self.weights, self.biases)):
                return out
        except (TypeError, ValueError):
            pass
        if isinstance(out, (list, tuple)) and len(out) == self.n_layers and all(
                isinstance(pair, (list, tuple)) and len(pair) == 2 for pair in out):
            for l, ((dW, db), W, b) in enumerate(zip(out, self.weights, self.biases), start=1):
                for name, g, p in (("dW", dW, W), ("db", db, b)):
                    if not (isinstance(g, np.ndarray) and g.shape == p.shape and g.dtype == p.dtype):
                        got = (f"shape {g.shape}, dtype {g.dtype}" if isinstance(g, np.ndarray)
                               else f"{type(g).__name__}")
                        raise ValueError(
                            f"out: layer {l}'s {name} must be an array of shape "
                            f"{p.shape} and dtype {p.dtype}, got {got}; pass "
                            f"[(np.empty_like(W), np.empty_like(b)) for W, b in "
                            f"zip(net.weights, net.biases)].")
            return [tuple(pair) for pair in out]
        raise ValueError(
            f"out must be a list of {self.n_layers} (dW, db) pairs, one per layer, got "
            f"{type(out).__name__} of length {len(out) if hasattr(out, '__len__') else '?'}; pass "
            f"[(np.empty_like(W), np.empty_like(b)) for W, b in zip(net.weights, net.biases)].")

    # -- forward and backward (no validation: the public methods validate) ---
    def _threads(self, X):
        """initlib's BLAS threading for a pass of ``X`` (one thread for small products)."""
        return blas_threads_for(len(X), [W.shape for W in self.weights], whole_run=False)

    def _forward(self, X, reuse=False):
        """[X, a1..aL] and [z1..zL]; with ``reuse``, in reused buffers (not to be kept)."""
        functions = [act.forward for act in self.hidden_activations] + [self._output_fn]
        into = [act.forward_into for act in self.hidden_activations] + [None]
        return kernel.forward(X, self.weights, self.biases, functions, functions_into=into,
                              reuse=reuse)

    def _backward(self, a, z, y, keep=False, reuse=False, grads_out=None):
        """Loss, grads and (if ``keep``) every layer's delta and dJ/da."""
        loss, delta = self._loss_fn(z[-1], a[-1], y)                 # delta[L] = dJ/dz[L]

        def slope(l, out=None):                                       # f'(z[l]), hidden layer l
            act = self.hidden_activations[l - 1]
            if out is not None and act.derivative_into is not None:
                return act.derivative_into(z[l - 1], a[l], out)
            return act.derivative(z[l - 1], a[l])

        grads, deltas, grad_activations = kernel.backward(
            delta, self.weights, a, slope, keep=keep, reuse=reuse, grads_out=grads_out)
        return float(loss), grads, deltas, grad_activations

    # -- public API ---------------------------------------------------------
    def forward_pass(self, X):
        """Run the network and keep every layer's pre-activation and activation.

        Returns
        -------
        ForwardPass
            ``.activations == [X, a1, ..., aL]``, ``.preactivations == [z1, ..., zL]``.
        """
        self._check_parameters()
        X = self._check_X(X)
        with np.errstate(all="ignore"), self._threads(X):
            a, z = self._forward(X)
        return ForwardPass(a, z)

    def forward(self, X):
        """The network's output for a batch ``X`` of shape ``(batch, n0)``.

        Probabilities ``(batch, nL)`` for softmax, ``(batch, 1)`` for sigmoid,
        values ``(batch, nL)`` for a linear output.
        """
        return self.forward_pass(X).output

    __call__ = forward

    def activations(self, X):
        """Every layer's output ``[X, a1, ..., aL]`` (``X`` cast to the net's dtype)."""
        return self.forward_pass(X).activations

    def preactivations(self, X):
        """Every layer's pre-activation ``[z1, ..., zL]`` (indexed like ``weights``)."""
        return self.forward_pass(X).preactivations

    def loss(self, X, y):
        """Mean loss of the batch (cross-entropy, binary cross-entropy or half squared error)."""
        self._check_parameters()
        X = self._check_X(X)
        y = self._check_y(y, len(X))
        with np.errstate(all="ignore"), self._threads(X):
            a, z = self._forward(X, reuse=True)
            return float(self._loss_fn(z[-1], a[-1], y)[0])

    def loss_and_grads(self, X, y, *, out=None):
        """Mean loss of the batch and its gradient with respect to every parameter.

        Parameters
        ----------
        X, y : array-like
            A batch and its targets.
        out : list of (ndarray, ndarray), optional
            One ``(dW, db)`` pair of arrays per layer, shaped and typed like the
            parameters, to write the gradients into (a training loop reuses them from
            step to step) instead of new arrays.

        Returns
        -------
        loss : float
        grads : list of (dW, db)
            One pair per layer, shaped like ``weights[l]`` and ``biases[l]``.

        Examples
        --------
        >>> import numpy as np
        >>> from initlib import MLP
        >>> net = MLP([3, 4, 2], rng=0)
        >>> loss, grads = net.loss_and_grads(np.ones((5, 3)), np.array([0, 1, 1, 0, 1]))
        >>> round(loss, 4), grads[0][0].shape, grads[1][1].shape
        (0.7289, (4, 3), (2,))
        """
        self._check_parameters()
        X = self._check_X(X)
        y = self._check_y(y, len(X))
        grads_out = None if out is None else self._check_grads_out(out)
        with np.errstate(all="ignore"), self._threads(X):
            a, z = self._forward(X, reuse=True)
            loss, grads, _, _ = self._backward(a, z, y, reuse=True, grads_out=grads_out)
        return loss, grads

    def backprop(self, X, y):
        """One forward and backward pass, keeping every layer's values and gradients.

        Use it to look inside: histograms of activations ``a[l]``, of
        pre-activations ``z[l]``, and of the back-propagated gradients
        ``dJ/dz[l]`` and ``dJ/da[l]``.

        Returns
        -------
        Backprop
            ``loss``, ``grads``, ``activations``, ``preactivations``,
            ``deltas`` (dJ/dz per layer) and ``grad_activations``
            (dJ/da per layer, from dJ/dX up to dJ/da[L-1]).

        Examples
        --------
        >>> import numpy as np
        >>> from initlib import MLP
        >>> net = MLP([2, 5, 5, 2], rng=0)
        >>> bp = net.backprop(np.ones((4, 2)), np.array([0, 1, 0, 1]))
        >>> [g.shape for g in bp.deltas]
        [(4, 5), (4, 5), (4, 2)]
        >>> [g.shape for g in bp.grad_activations]
        [(4, 2), (4, 5), (4, 5)]
        """
        self._check_parameters()
        X = self._check_X(X)
        y = self._check_y(y, len(X))
        with np.errstate(all="ignore"), self._threads(X):
            a, z = self._forward(X)
            loss, grads, dzs, das = self._backward(a, z, y, keep=True)
        return Backprop(loss, grads, a, z, dzs, das)

    backward_signals = backprop

    # -- the trainable-model protocol of initlib.train -----------------------
    def parameters(self):
        """The live parameter arrays ``[W1, b1, W2, b2, ...]`` (updated in place by training)."""
        self._check_parameters()
        return [p for W, b in zip(self.weights, self.biases) for p in (W, b)]

    def parameter_names(self):
        """``["W1", "b1", "W2", "b2", ...]``, aligned with :meth:`parameters`."""
        return [f"{kind}{l}" for l in range(1, self.n_layers + 1) for kind in ("W", "b")]

    def loss_and_flat_grads(self, X, y, *, out=None):
        """Mean loss and its gradients ``[dW1, db1, dW2, ...]``, aligned with :meth:`parameters`.

        ``out``: optional arrays ``[dW1, db1, ...]`` (e.g. ``[np.empty_like(p) for p in
        net.parameters()]``) to write the gradients into; :func:`initlib.train` passes them.

        Examples
        --------
        >>> import numpy as np
        >>> from initlib import MLP
        >>> net = MLP([3, 4, 2], rng=0)
        >>> loss, grads = net.loss_and_flat_grads(np.ones((5, 3)), np.array([0, 1, 1, 0, 1]))
        >>> net.parameter_names(), [g.shape for g in grads]
        (['W1', 'b1', 'W2', 'b2'], [(4, 3), (4,), (2, 4), (2,)])
        """
        pairs = None if out is None else list(zip(out[0::2], out[1::2]))
        if out is not None and len(out) != 2 * self.n_layers:
            raise ValueError(f"out must hold {2 * self.n_layers} arrays [dW1, db1, ...] aligned "
                             f"with parameters(), got {len(out)}; pass "
                             f"[np.empty_like(p) for p in net.parameters()].")
        loss, grads = self.loss_and_grads(X, y, out=pairs)
        return loss, [g for pair in grads for g in pair]

    def check_data(self, X, y=None, names=("X", "y")):
        """``(X, y)`` checked and converted once, as every method here converts them.

        ``X`` becomes an array of the network's dtype; ``y`` integer labels (softmax),
        a column of 0/1 floats (sigmoid) or a float matrix (linear), or None if not
        given. :func:`initlib.train` calls it once, so that no mini-batch is converted
        again.
        """
        X = self._check_X(X, names[0])
        return X, (None if y is None else self._check_y(y, len(X), names[1]))

    def evaluate(self, X, y):
        """Mean loss and accuracy (None for a linear output) of the batch, in one forward pass."""
        self._check_parameters()
        X, y = self.check_data(X, y)
        with np.errstate(all="ignore"), self._threads(X):
            a, z = self._forward(X, reuse=True)
            loss = float(self._loss_fn(z[-1], a[-1], y)[0])
            accuracy = self._accuracy(a[-1], y) if self.is_classifier else None
        return loss, accuracy

    def _accuracy(self, output, y):
        """Fraction of correct labels, from the output layer and checked labels."""
        if self.output == "softmax":
            return float(np.mean(output.argmax(axis=1) == y))
        return float(np.mean((output > 0.5) == (y > 0.5)))

    def predict(self, X):
        """Predicted class labels ``(batch,)`` for classifiers; the output for a linear net.

        Softmax: the most probable class. Sigmoid: 1 where p > 0.5, else 0.
        """
        out = self.forward(X)
        if self.output == "softmax":
            return out.argmax(axis=1)
        if self.output == "sigmoid":
            return (out[:, 0] > 0.5).astype(np.int64)
        return out

    def accuracy(self, X, y):
        """Fraction of examples whose predicted label equals ``y`` (classifiers only)."""
        if not self.is_classifier:
            raise ValueError(
                "accuracy is defined for classifiers (output='softmax' or 'sigmoid'); "
                "this network has output='linear': use net.loss(X, y) instead."
            )
        return self.evaluate(X, y)[1]

r"""LSUV: layer-sequential unit-variance initialization (Mishkin & Matas 2016).

Analytic rules (LeCun, Xavier, He) choose the scale of each weight matrix from its
fans and an assumed activation; LSUV *measures* it. Start from orthogonal matrices
(Saxe et al. 2014), then, one layer at a time from the input up, push a batch of real
data through the network and divide the layer's weights by the standard deviation of
its output, until that output has unit variance:

.. code-block:: text

    pre-initialize every W[l] with a random orthogonal matrix
    for l = 1, ..., L:
        repeat (at most max_iter times):
            v = Var(output of layer l on the batch)      # over examples and units
            if |v - 1| < tol: stop
            W[l] = W[l] / sqrt(v)

Layers below ``l`` are already fixed when layer ``l`` is rescaled, so the input of
layer ``l`` is computed once and only layer ``l`` is re-evaluated in the loop.

What "output of layer l" means is a choice (``where=``). The reference Caffe script
(``lsuv_init.py`` in the authors' repository) measures the layer's own output blob
*before* an in-place ReLU (``var_before_relu_if_inplace=True``): the pre-activation
:math:`z^{[l]} = a^{[l-1]} W^{[l]\top} + b^{[l]}`. That is the default here. With zero
biases, :math:`\operatorname{Var}(z^{[l]})` is exactly proportional to the square of
the scale of :math:`W^{[l]}`, so a single division makes it 1 and every layer needs
one iteration. ``where="activation"`` measures :math:`a^{[l]} = f(z^{[l]})` instead;
then the loop matters for activations that are not positively homogeneous (tanh,
sigmoid), and a target that the activation cannot reach (tanh's output variance is
always below 1) is never met.

Only the weights are rescaled; biases are left as they are. The defaults ``tol=0.1`` and
``max_iter=10`` are those of the Torch port linked from the authors' repository (their Caffe
script uses a margin of 0.02 and at most 20 iterations).

>>> import numpy as np
>>> from initlib import MLP
>>> from initlib.lsuv import lsuv
>>> X = np.random.default_rng(0).standard_normal((256, 20))
>>> net = MLP([20, 50, 50, 3], activation="relu", rng=0)
>>> new, record = lsuv(net, X, rng=0)
>>> print(record.var_after.round(3))
[1. 1. 1.]
>>> new is net
False

References
----------
Mishkin & Matas (2016). All you need is a good init. ICLR.
Saxe, McClelland & Ganguli (2014). Exact solutions to the nonlinear dynamics of
learning in deep linear neural networks. ICLR.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._blas import small_matrix_kernel
from ._records import Record, text_table
from ._validation import check_bool, check_choice, check_int, check_real, check_rng
from .initializers import orthogonal
from .mlp import MLP

__all__ = ["lsuv", "LSUVRecord"]

_WHERE = ("preactivation", "activation")


@dataclass(eq=False)
class LSUVRecord(Record):
    r"""What :func:`lsuv` did to each layer; every array has one entry per rescaled layer.

    Attributes
    ----------
    layer : ndarray of int
        The layers processed, 1, 2, ... (layer L is the output layer).
    var_before : ndarray
        Variance of the measured output on the batch before rescaling (after the
        orthogonal pre-initialization, if any).
    var_after : ndarray
        The same after rescaling.
    scale : ndarray
        The factor the weight matrix was multiplied by in all,
        :math:`W_\text{after} = \text{scale} \cdot W_\text{before}`.
    iterations : ndarray of int
        Number of rescaling steps (0 if the layer was already within ``tol``).
    converged : ndarray of bool
        ``|var_after - target_var| < tol``.
    where : str
        ``"preactivation"`` or ``"activation"``: what was measured.
    tol, target_var : float
        The tolerance and the target variance.
    """

    layer: np.ndarray
    var_before: np.ndarray
    var_after: np.ndarray
    scale: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    where: str = "preactivation"
    tol: float = 0.1
    target_var: float = 1.0

    @property
    def all_converged(self):
        """True if every layer reached ``|var - target_var| < tol``."""
        return bool(np.all(self.converged))

    def table(self, digits=3):
        """A text table, one row per layer, numbers rounded to ``digits`` significant digits."""
        header = ["layer", "var_before", "var_after", "scale", "iterations", "converged"]
        rows = [
            [str(int(l)), f"{vb:.{digits}g}", f"{va:.{digits}g}", f"{s:.{digits}g}",
             str(int(it)), "yes" if c else "no"]
            for l, vb, va, s, it, c in zip(self.layer, self.var_before, self.var_after,
                                          self.scale, self.iterations, self.converged)
        ]
        return text_table(header, rows)

    def __repr__(self):
        return (f"LSUVRecord(where={self.where!r}, target_var={self.target_var:g}, "
                f"tol={self.tol:g}, {len(self.layer)} layers)\n" + self.table())


# ---------------------------------------------------------------------------
# Validation (the public boundary)
# ---------------------------------------------------------------------------
def _check_inputs(net, X, tol, max_iter, target_var, where, orthogonal_init,
                  include_output, inplace):
    if not isinstance(net, MLP):
        raise TypeError(
            f"net must be an initlib.MLP, got {type(net).__name__}; build one with "
            f"initlib.MLP([n0, n1, ..., nL], activation=...)."
        )
    X = net.check_data(X)[0]
    if X.shape[0] < 2:
        raise ValueError(
            f"X has {X.shape[0]} example(s); LSUV measures a variance over a batch and needs "
            f"at least 2 (the more the better, e.g. a few hundred rows of training data)."
        )
    tol = check_real(tol, "tol", example="tol=0.1 (the paper's Tol_var)", positive=True)
    target_var = check_real(target_var, "target_var", example="target_var=1.0", positive=True)
    max_iter = check_int(max_iter, "max_iter", example="max_iter=10 (the paper's T_max)")
    check_choice(where, "where", _WHERE, "The layer's output before or after its "
                 "activation function.")
    flags = [check_bool(v, n) for v, n in ((orthogonal_init, "orthogonal_init"),
                                           (include_output, "include_output"),
                                           (inplace, "inplace"))]
    return (X, tol, max_iter, target_var, *flags)


def _variance(v, layer):
    """Variance of every entry of ``v`` (float64), or a clear error if it cannot be rescaled."""
    with np.errstate(all="ignore"):
        var = float(np.var(v, dtype=np.float64))
    if not math.isfinite(var):
        raise ValueError(
            f"layer {layer}'s output overflowed (variance {var}) on this batch; LSUV cannot "
            f"rescale it. Standardize X, or start from orthogonal_init=True."
        )
    if var == 0.0:
        raise ValueError(
            f"layer {layer}'s output has zero variance on this batch (its weights are zero, or "
            f"every input it sees is constant, e.g. dead ReLUs); no rescaling of W[{layer}] can "
            f"give it variance 1. Use a batch of varied data or a random pre-initialization."
        )
    return var


def _output_variance(a, W, b, act, layer):
    """Variance of layer ``layer``'s output: z = a W^T + b, or f(z) if ``act`` is given."""
    z = a @ W.T + b                                        # z[l] = a[l-1] W[l]^T + b[l]
    return _variance(z if act is None else act.forward(z), layer)


# ---------------------------------------------------------------------------
# The algorithm
# ---------------------------------------------------------------------------
@small_matrix_kernel
def lsuv(net, X, *, tol=0.1, max_iter=10, target_var=1.0, where="preactivation",
         orthogonal_init=True, include_output=True, inplace=False, rng=None):
    r"""Layer-sequential unit-variance initialization (Mishkin & Matas 2016).

    Optionally replace every weight matrix by a random orthogonal one, then for
    :math:`l = 1, \dots, L` rescale :math:`W^{[l]}` until the variance of layer
    :math:`l`'s output on the batch ``X`` is within ``tol`` of ``target_var``:
    :math:`W^{[l]} \leftarrow W^{[l]} \sqrt{\mathrm{target\_var} / v}`, at most
    ``max_iter`` times per layer. See the module docstring for the algorithm and
    the choice of ``where``.

    Parameters
    ----------
    net : MLP
        The network; copied unless ``inplace=True``.
    X : array_like, shape (batch, n0)
        A batch of (standardized) training inputs. Only its statistics are used.
    tol : float, default 0.1
        Stop when ``|Var - target_var| < tol`` (the paper's :math:`\mathrm{Tol}_\mathrm{var}`;
        the Caffe reference script uses 0.02).
    max_iter : int, default 10
        Most rescaling steps per layer (the paper's :math:`T_\mathrm{max}`; the Caffe
        reference script allows 20).
    target_var : float, default 1.0
        The variance to reach.
    where : {"preactivation", "activation"}, default "preactivation"
        Measure :math:`z^{[l]}` (before the activation, as the authors' reference
        script does) or :math:`a^{[l]} = f(z^{[l]})`. The output layer is always
        measured before its output function (its logits).
    orthogonal_init : bool, default True
        Start from :func:`initlib.orthogonal` matrices (gain 1), as in the paper.
        ``False`` keeps the network's current weights and only rescales them
        ("LSUV on top of He", say).
    include_output : bool, default True
        Also rescale the output layer (the paper and the reference script do).
    inplace : bool, default False
        Modify ``net`` itself instead of a copy. (If a layer then cannot be rescaled,
        the error leaves ``net`` with its layers below already changed.)
    rng : None, int or numpy.random.Generator
        Seed for the orthogonal matrices (one independent stream per layer).

    Returns
    -------
    net : MLP
        The initialized network (``net`` itself if ``inplace``, else a new one).
    record : LSUVRecord
        Per layer: variance before and after, the total scale, the number of
        iterations and whether it converged.

    Raises
    ------
    TypeError
        ``net`` is not an MLP; non-numeric ``tol``/``target_var``/``max_iter``; flags
        that are not booleans; an unsupported ``rng``.
    ValueError
        Bad ``X`` (not 2-D, wrong number of features, NaN/inf, fewer than 2 rows),
        non-positive ``tol``/``target_var``, ``max_iter < 1``, unknown ``where``, or a
        layer whose output has zero or non-finite variance (it cannot be rescaled).

    Examples
    --------
    >>> import numpy as np
    >>> from initlib import MLP
    >>> from initlib.lsuv import lsuv
    >>> X = np.random.default_rng(0).standard_normal((500, 100))
    >>> net = MLP([100] * 6 + [10], activation="tanh", rng=0)
    >>> net, record = lsuv(net, X, rng=0)
    >>> record.scale[1:5].round(2)      # what tanh takes away: E[tanh(z)^2] = 0.395 for z ~ N(0, 1)
    array([1.59, 1.59, 1.59, 1.59])
    >>> record.iterations               # layer 1 already had variance 1; the others need one step
    array([0, 1, 1, 1, 1, 1])
    """
    (X, tol, max_iter, target_var, orthogonal_init, include_output,
     inplace) = _check_inputs(net, X, tol, max_iter, target_var, where,
                              orthogonal_init, include_output, inplace)
    rng = check_rng(rng)
    net.parameters()                                       # checks shapes and dtypes
    if not inplace:
        net = net.copy()
    L = net.n_layers
    if orthogonal_init:
        for W, stream in zip(net.weights, rng.spawn(L)):
            W[...] = orthogonal(W.shape, rng=stream)

    n_rescaled = L if include_output else L - 1
    out = {k: np.full(n_rescaled, np.nan) for k in ("var_before", "var_after", "scale")}
    iterations = np.zeros(n_rescaled, dtype=np.int64)
    a = X                                                  # a[0] = X
    for i in range(n_rescaled):                            # i = l - 1
        W, b = net.weights[i], net.biases[i]
        hidden = i < L - 1
        measured = net.hidden_activations[i] if (hidden and where == "activation") else None
        var = out["var_before"][i] = _output_variance(a, W, b, measured, i + 1)
        total = 1.0
        while abs(var - target_var) >= tol and iterations[i] < max_iter:
            factor = math.sqrt(target_var / var)
            W *= factor                                    # W[l] <- W[l] / sqrt(Var / target)
            total *= factor
            iterations[i] += 1
            var = _output_variance(a, W, b, measured, i + 1)
        out["var_after"][i], out["scale"][i] = var, total
        if hidden:
            a = net.hidden_activations[i].forward(a @ W.T + b)   # a[l], input of layer l + 1
    record = LSUVRecord(
        layer=np.arange(1, n_rescaled + 1), iterations=iterations,
        converged=np.abs(out["var_after"] - target_var) < tol,
        where=where, tol=tol, target_var=target_var, **out,
    )
    return net, record

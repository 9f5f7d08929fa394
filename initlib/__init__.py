"""initlib: the numpy kernels of the *Initialization* course.

Everything the chapters compute lives here, one concept per module:

=================  ==========================================================
``initializers``   fans, ``variance_scaling`` and its presets, a name registry
``activations``    each activation with its derivative and gain, ``gain()``
``mlp``            ``MLP``: forward pass, backward pass, ``loss_and_grads``
``optim``          optimizers over a flat parameter list: ``SGD``, ``Adam``
``train``          ``train()`` for any trainable model, ``History``, divergence stop
``data``           seeded, standardized datasets (toy 2-D sets, real digits)
``stats``          per-layer statistics and signal propagation over depth
``plots``          the course's recurring figures, one colour per initializer
``explorer``       the interactive playground and its kernel-free HTML twin
``variance``       Monte Carlo variance checks and the variance recursions
``frameworks``     Keras / PyTorch / Caffe conventions: layouts, fans, std
``lsuv``           layer-sequential unit-variance init (Mishkin & Matas)
``checkers``       checkers for the chapters' code exercises
=================  ==========================================================

Shapes follow the source text and PyTorch: ``W[l].shape == (fan_out, fan_in)``,
data is ``(batch, features)`` and a layer computes ``Z = A @ W.T + b``.
"""

from .initializers import *  # noqa: F401,F403
from .initializers import __all__ as _initializers_all
from .activations import *  # noqa: F401,F403
from .activations import __all__ as _activations_all
from .mlp import *  # noqa: F401,F403
from .mlp import __all__ as _mlp_all
from .optim import *  # noqa: F401,F403
from .optim import __all__ as _optim_all
from .train import *  # noqa: F401,F403
from .train import __all__ as _train_all
from .data import *  # noqa: F401,F403
from .data import __all__ as _data_all
from .stats import *  # noqa: F401,F403
from .stats import __all__ as _stats_all
from .lsuv import *  # noqa: F401,F403
from .lsuv import __all__ as _lsuv_all
from .checkers import *  # noqa: F401,F403
from .checkers import __all__ as _checkers_all

__version__ = "0.1.0"

__all__ = [
    *_initializers_all,
    *_activations_all,
    *_mlp_all,
    *_optim_all,
    *_train_all,
    *_data_all,
    *_stats_all,
    *_lsuv_all,
    *_checkers_all,
]
# ``plots`` and ``explorer`` import matplotlib and ipywidgets, and ``variance`` and
# ``frameworks`` are the chapters' specialist tools: they are imported as submodules
# (``from initlib import plots``) so ``import initlib`` stays light.

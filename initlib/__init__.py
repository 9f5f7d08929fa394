"""initlib: the numpy kernels of the *Initialization* course.

Everything the chapters compute lives here, one concept per module. The names of the
first group are also available at the top level (``initlib.MLP``, ``initlib.train``,
``initlib.check_he_std``, ...); the second group is imported as submodules
(``from initlib import plots, residual``), so ``import initlib`` stays light:

=================  ==========================================================
``initializers``   fans, ``variance_scaling`` and its presets, a name registry
``activations``    each activation with its derivative and gain, ``gain()``
``mlp``            ``MLP``: forward pass, backward pass, ``loss_and_grads``
``optim``          optimizers over a flat parameter list: ``SGD``, ``Adam``
``training``       ``train()`` for any trainable model, ``History``, divergence stop
``data``           seeded, standardized datasets (toy 2-D sets, real digits)
``stats``          per-layer statistics and signal propagation over depth
``lsuv_init``      ``lsuv()``: layer-sequential unit-variance init (Mishkin & Matas)
``exercises``      the chapters' exercise checks, ``check_*``, in chapter order
=================  ==========================================================

=================  ==========================================================
``plots``          the course's recurring figures, one colour per initializer
``explorer``       package: the interactive playground and its kernel-free HTML twin
``variance``       Monte Carlo variance checks and the variance recursions
``frameworks``     Keras / PyTorch / Caffe conventions: layouts, fans, std
``residual``       ``ResidualMLP``, LayerNorm, per-block statistics, attention (ch. 9)
``width``          SP, NTK and μP parametrizations, coordinate check, rate sweep (ch. 10)
``meanfield``      length and correlation maps, q*, c*, χ, depth scales (ch. 11)
=================  ==========================================================

Private modules, shared by the public ones (not an API): ``_validation`` (argument
checks, one wording), ``_blas`` (BLAS threads per kernel), ``_kernel`` (the one dense
forward and backward pass), ``_records`` (per-layer records as tables),
``_reproducibility`` (the ``INITLIB_PERTURB_ULP`` switch).

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
from .training import *  # noqa: F401,F403
from .training import __all__ as _training_all
from .data import *  # noqa: F401,F403
from .data import __all__ as _data_all
from .stats import *  # noqa: F401,F403
from .stats import __all__ as _stats_all
from .lsuv_init import *  # noqa: F401,F403
from .lsuv_init import __all__ as _lsuv_init_all
from .exercises import *  # noqa: F401,F403
from .exercises import __all__ as _exercises_all

__version__ = "0.1.0"

__all__ = [
    *_initializers_all,
    *_activations_all,
    *_mlp_all,
    *_optim_all,
    *_training_all,
    *_data_all,
    *_stats_all,
    *_lsuv_init_all,
    *_exercises_all,
]
# ``plots`` and ``explorer`` import matplotlib and ipywidgets, and ``variance``,
# ``frameworks``, ``residual``, ``width`` and ``meanfield`` are the chapters' specialist
# tools: they are imported as submodules (``from initlib import plots``) so ``import
# initlib`` stays light.

# The modules ``training`` and ``lsuv_init`` are named apart from their functions so
# that both stay reachable (``initlib.train`` and ``initlib.lsuv`` are the functions).
# Their former names still import, for code written before the rename
# (``from initlib.lsuv import lsuv`` in chapter 8):
import sys  # noqa: E402

sys.modules[__name__ + ".train"] = training  # noqa: F405
sys.modules[__name__ + ".lsuv"] = lsuv_init  # noqa: F405
del sys

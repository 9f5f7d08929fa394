"""One BLAS thread while initlib's kernels run.

The course's matrices are small (tens to a few hundred rows and columns). For such
sizes a multithreaded BLAS spends more time handing work between threads than
multiplying, and on a busy 2-core machine it was 4 to 15 times slower than one
thread; the results are the same. The training loop, the statistics and the explorer
therefore run under :func:`one_blas_thread`, which restores the previous setting on
exit, so code outside initlib keeps whatever threading the user chose.

threadpoolctl comes with scikit-learn; without it, nothing changes.
"""

import contextlib
import functools

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - scikit-learn depends on threadpoolctl
    ThreadpoolController = None

_controller = None


def one_blas_thread():
    """A context manager in which numpy's BLAS uses a single thread."""
    global _controller
    if ThreadpoolController is None:  # pragma: no cover
        return contextlib.nullcontext()
    if _controller is None:  # inspecting the loaded libraries costs ~ms: do it once
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def small_matrix_kernel(function):
    """Decorator: run ``function`` under :func:`one_blas_thread`."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return function(*args, **kwargs)

    return wrapper

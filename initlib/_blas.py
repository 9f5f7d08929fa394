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
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - scikit-learn depends on threadpoolctl
    threadpool_limits = None


def one_blas_thread():
    """A context manager in which numpy's BLAS (and scipy's, if loaded) uses a single thread.

    The libraries are looked up at every call (about a millisecond): a BLAS loaded after
    the first call, such as scipy's when scikit-learn is imported, is limited too.
    """
    if threadpool_limits is None:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def small_matrix_kernel(function):
    """Decorator: run ``function`` under :func:`one_blas_thread`."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return function(*args, **kwargs)

    return wrapper


def blas_threads_for(model, rows):
    """The BLAS threading for training ``model`` on batches of ``rows`` examples."""
    return one_blas_thread()

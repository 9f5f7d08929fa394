"""BLAS threads for initlib's kernels: one for small matrices, the caller's setting where threads pay.

A multithreaded BLAS splits each matrix product between threads. For the course's
small products (a batch of at most a few hundred rows times layers of at most a few
hundred units) handing the work over costs more than it saves, and on a busy machine a
thread that waits for a descheduled partner turns a 0.7 ms product into 200 ms (measured
below). initlib's kernels (training, the statistics, LSUV, the explorer) therefore pick
the number of threads from the size of the largest product they will compute,
``rows x fan_in x fan_out`` multiply-adds (MACs):

- below ``THREADS_PAY_FROM_MACS`` (2**21, about 2.1 million: e.g. a batch of 128 through a
  128 x 128 layer, or 32 through 256 x 256; every network of chapters 1-9): one thread;
- from there on: the caller's setting (normally every core, or whatever the user or the
  environment chose, e.g. ``OPENBLAS_NUM_THREADS=1`` when notebooks run in parallel),
  lowered to the cores that other runnable processes leave free at that moment
  (:func:`free_cores`), because a BLAS thread that waits for a descheduled partner
  costs far more than it gives.

The previous setting is always restored on exit, so code outside initlib keeps whatever
threading the user chose; the results are the same either way.

Where the crossover lies, measured with ``python benchmarks/train_step.py --crossover``
(one layer's three products at 1 and 2 threads, OpenBLAS 0.3.31, 2-core AMD EPYC VM with
AVX-512; table in benchmarks/README.md): with the second core idle, two threads gave
1.14-1.19x at 0.5M MACs, 1.4-1.7x at 1M, 1.5-1.6x at 2M and 1.6-2x above; with the second
core busy, they were 2 to 1000 times *slower* at every size below about 100M MACs. Hence the threshold 2**21, and the free-core check, made once per kernel
call (:func:`free_cores`): a second thread only where a core is free to run it. (Until
2026-11-30 the threshold was 2**24; on a quiet machine that left a 64 -> 256 x 4 -> 10
network, batch 128, on one thread, 1.3x behind PyTorch on two.)

threadpoolctl comes with scikit-learn; without it, nothing changes.
"""

import contextlib
import contextvars
import functools
import os
import sys

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - scikit-learn depends on threadpoolctl
    ThreadpoolController = None

#: Multiply-adds of the largest matrix product from which more BLAS threads pay.
THREADS_PAY_FROM_MACS = 2 ** 21

#: Below this many multiply-adds OpenBLAS computes a product on one thread by itself
#: (``GEMM_MULTITHREAD_THRESHOLD`` = 4 units of 65536 in its default build): setting the
#: thread count around such calls would only cost time (about 20 µs a call).
BLAS_SINGLE_THREADED_BELOW_MACS = 4 * 65536


_controller = {"modules": -1, "controller": None}


def _blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries, looked up again after any import.

    Looking them up reads the process's memory map (about a millisecond); a BLAS loaded
    later, such as scipy's when scikit-learn is imported, must be limited too. A library
    only arrives with an import, so the lookup is redone when ``sys.modules`` has grown.
    """
    if len(sys.modules) != _controller["modules"]:
        _controller["controller"] = ThreadpoolController()
        _controller["modules"] = len(sys.modules)
    return _controller["controller"]


def one_blas_thread():
    """A context manager in which numpy's BLAS (and scipy's, if loaded) uses a single thread."""
    if ThreadpoolController is None:  # pragma: no cover
        return contextlib.nullcontext()
    return _blas_controller().limit(limits=1, user_api="blas")


def _own_runnable_threads():
    """Threads of this process that are runnable now (this one, BLAS workers still spinning)."""
    count = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 1
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/stat") as f:
                state = f.read().rpartition(")")[2].split()[0]
        except (OSError, IndexError):  # the thread ended meanwhile
            continue
        count += state == "R"
    return max(count, 1)


def free_cores():
    """Cores that other processes' runnable threads leave free right now, at least 1; None if unknown.

    From the instantaneous count of runnable threads in ``/proc/loadavg``, not the load
    average, which lags by a minute, minus this process's own runnable threads (this one,
    and BLAS workers that still spin after the previous product: counting them would make
    a process see its own threads as another's load).
    """
    try:
        with open("/proc/loadavg") as f:
            runnable = int(f.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):  # not Linux
        return None
    others = max(0, runnable - _own_runnable_threads())
    return max(1, (os.cpu_count() or 1) - others)


_policy_active = contextvars.ContextVar("initlib_blas_policy", default=False)


@contextlib.contextmanager
def _policy(limit):
    """Enter ``limit`` (a context manager) and mark the policy as chosen for nested calls."""
    token = _policy_active.set(True)
    try:
        with limit:
            yield
    finally:
        _policy_active.reset(token)


def blas_threads_for(rows, shapes, *, whole_run=True):
    """The threading for products of ``rows`` examples through weight matrices of ``shapes``.

    One thread if the largest product, ``rows * fan_out * fan_in`` MACs, is below
    :data:`THREADS_PAY_FROM_MACS`; else the caller's setting, lowered, for a whole run
    (``whole_run``, e.g. :func:`initlib.train`), to the cores that other processes leave
    free (:func:`free_cores`). A single pass (``whole_run=False``: a network's ``loss`` or
    ``forward`` called by the reader) keeps the caller's setting above the threshold:
    changing the thread count around every call costs more than it saves. Inside another
    such choice (e.g. the model's own methods called by :func:`initlib.train`) it changes
    nothing: the outer call chose for the whole run.
    """
    if _policy_active.get():
        return contextlib.nullcontext()
    macs = max((rows * shape[0] * shape[1] for shape in shapes if len(shape) == 2), default=0)
    if macs < BLAS_SINGLE_THREADED_BELOW_MACS:
        return _policy(contextlib.nullcontext())
    if macs < THREADS_PAY_FROM_MACS:
        return _policy(one_blas_thread())
    if ThreadpoolController is None or not whole_run:
        return _policy(contextlib.nullcontext())
    free = free_cores()
    blas = [lib for lib in _blas_controller().lib_controllers if lib.user_api == "blas"]
    if free is None or not blas or free >= min(lib.num_threads for lib in blas):
        return _policy(contextlib.nullcontext())
    return _policy(_blas_controller().limit(limits=free, user_api="blas"))


def blas_threads_now():
    """The smallest thread count of the loaded BLAS libraries right now (1 if unknown).

    Inside :func:`blas_threads_for` this is what the policy allowed; the optimizers use as
    many threads for their element-wise updates of large parameters.
    """
    if ThreadpoolController is None:  # pragma: no cover
        return 1
    blas = [lib for lib in _blas_controller().lib_controllers if lib.user_api == "blas"]
    return min((lib.num_threads for lib in blas), default=1)


def small_matrix_kernel(function):
    """Decorator: run ``function`` under :func:`one_blas_thread` (kernels on small matrices)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with _policy(one_blas_thread()):
            return function(*args, **kwargs)

    return wrapper

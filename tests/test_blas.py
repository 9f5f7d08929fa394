"""initlib/_blas.py: one BLAS thread for small products, the caller's setting where threads pay."""

import numpy as np
import pytest

import initlib
from initlib import _blas

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_threads():
    return [m["num_threads"] for m in threadpoolctl.threadpool_info() if m["user_api"] == "blas"]


@pytest.fixture
def two_threads():
    np.ones((2, 2)) @ np.ones((2, 2))                     # load numpy's BLAS
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        yield


def test_small_products_run_on_one_thread_and_the_setting_comes_back(two_threads):
    with _blas.blas_threads_for(64, [(128, 128), (10, 128)]):     # 1.0M MACs < 2**21
        assert set(blas_threads()) == {1}
    assert set(blas_threads()) == {2}


@pytest.mark.parametrize("free, expected", [(2, {2}), (4, {2}), (None, {2}), (1, {1})])
def test_large_products_keep_the_callers_threads_within_the_free_cores(
        two_threads, monkeypatch, free, expected):
    monkeypatch.setattr(_blas, "free_cores", lambda: free)
    with _blas.blas_threads_for(256, [(1024, 1024)]):            # 268M MACs
        assert set(blas_threads()) == expected
    assert set(blas_threads()) == {2}


def test_the_threshold_is_the_largest_product():
    assert 128 * 128 * 128 == _blas.THREADS_PAY_FROM_MACS
    free = _blas.free_cores()
    assert free is None or 1 <= free <= (__import__("os").cpu_count() or 1)


def test_train_picks_threads_by_size_and_restores_them(two_threads, monkeypatch):
    monkeypatch.setattr(_blas, "free_cores", lambda: 2)
    data = initlib.load_dataset("digits")
    seen = {}
    for width in (32, 1024):
        net = initlib.MLP([64, width, 10], rng=0, dtype=np.float32)
        initlib.train(net, data.X_train[:256], data.y_train[:256], lr=0.01, epochs=1,
                      batch_size=256, callback=lambda *a: seen.setdefault(width, blas_threads()))
        assert set(blas_threads()) == {2}
    assert set(seen[32]) == {1} and set(seen[1024]) == {2}   # 256 x 1024 x 64 = 16.8M MACs


def test_mlp_methods_outside_train_use_the_policy_and_restore(two_threads, monkeypatch):
    """net.loss/accuracy/forward called by the reader run small products on one thread."""
    monkeypatch.setattr(_blas, "free_cores", lambda: 2)
    X, y = np.ones((64, 64)), np.zeros(64, dtype=int)           # 64 x 128 x 64 = 524K MACs
    seen = []
    small = initlib.MLP([64, 128, 10], rng=0)
    real = small._forward

    def spy(*args, **kwargs):
        seen.append(blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(small, "_forward", spy)
    small.loss(X, y), small.accuracy(X, y), small.forward(X), small.loss_and_grads(X, y)
    assert seen and all(set(s) == {1} for s in seen)
    assert set(blas_threads()) == {2}


def test_a_policy_inside_a_policy_changes_nothing(two_threads, monkeypatch):
    monkeypatch.setattr(_blas, "free_cores", lambda: 2)
    with _blas.blas_threads_for(256, [(1024, 1024)]):            # large: the caller's 2 threads
        with _blas.blas_threads_for(64, [(128, 128)]):           # small, but nested: no change
            assert set(blas_threads()) == {2}
    with _blas.blas_threads_for(64, [(128, 128)]):
        assert set(blas_threads()) == {1}
    assert set(blas_threads()) == {2}


def test_tiny_products_leave_the_threads_alone(two_threads):
    """Below 2**18 MACs OpenBLAS runs a product on one thread anyway: no setting is changed."""
    assert 64 * 64 * 63 < _blas.BLAS_SINGLE_THREADED_BELOW_MACS <= 64 * 64 * 64
    with _blas.blas_threads_for(64, [(64, 63)]):
        assert set(blas_threads()) == {2}
    with _blas.blas_threads_for(64, [(64, 64)]):
        assert set(blas_threads()) == {1}


def test_a_single_pass_keeps_the_callers_threads_above_the_threshold(two_threads, monkeypatch):
    monkeypatch.setattr(_blas, "free_cores", lambda: 1)       # even if the machine looks busy
    with _blas.blas_threads_for(256, [(1024, 1024)], whole_run=False):
        assert set(blas_threads()) == {2}
    with _blas.blas_threads_for(256, [(1024, 1024)]):         # a whole run adapts
        assert set(blas_threads()) == {1}


def test_free_cores_does_not_count_this_process_as_load(monkeypatch):
    """A BLAS worker of ours that still spins after a product is not another process's load."""
    import io
    import os

    cores = os.cpu_count() or 1
    monkeypatch.setattr(_blas, "open", lambda path, *a: io.StringIO("0.5 0.4 0.3 3/200 999"),
                        raising=False)
    monkeypatch.setattr(_blas, "_own_runnable_threads", lambda: 2)   # this thread + one worker
    assert _blas.free_cores() == max(1, cores - 1)                    # one runnable elsewhere
    monkeypatch.setattr(_blas, "_own_runnable_threads", lambda: 3)
    assert _blas.free_cores() == cores                                # all three are ours
    monkeypatch.undo()
    assert 1 <= _blas._own_runnable_threads() <= len(os.listdir("/proc/self/task"))

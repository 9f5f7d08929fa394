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
    X, y = np.ones((64, 32)), np.zeros(64, dtype=int)
    seen = []
    small = initlib.MLP([32, 32, 10], rng=0)
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
        with _blas.blas_threads_for(4, [(4, 4)]):                # small, but nested: no change
            assert set(blas_threads()) == {2}
    with _blas.blas_threads_for(4, [(4, 4)]):
        assert set(blas_threads()) == {1}
    assert set(blas_threads()) == {2}

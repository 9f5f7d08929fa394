"""Time one training step (forward + backward + SGD update) with initlib and, if installed, PyTorch.

The network is the course's largest typical size: 64 -> 256 x 4 -> 10, ReLU (or
--activation tanh), softmax + cross-entropy, SGD with momentum 0.9, batch 128,
float32. Both libraries get the same data and the same number of BLAS threads.

    python benchmarks/train_step.py                  # 1 thread (the fair default)
    python benchmarks/train_step.py --threads 2
    python benchmarks/train_step.py --dtype float64 --activation tanh

PyTorch is optional and never a requirement of the book; without it only the
initlib timings are printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

SIZES = [64, 256, 256, 256, 256, 10]


def _time_block(fn, calls):
    """Wall-clock seconds of ``calls`` consecutive calls of ``fn``."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return time.perf_counter() - start


def _time_interleaved(loops, steps, repeats):
    """Per-step times of every loop, ``repeats`` times, interleaved (A B C A B C ...) so
    that load from other processes on a shared machine affects all loops alike.

    ``loops`` maps a name to ``(fn, steps_per_call)``; each timing runs about ``steps``
    training steps. Returns name -> list of seconds per step.
    """
    calls = {name: max(1, steps // per_call) for name, (_, per_call) in loops.items()}
    for name, (fn, _) in loops.items():             # warm up (allocator, BLAS, caches)
        _time_block(fn, max(1, calls[name] // 10))
    times = {name: [] for name in loops}
    for _ in range(repeats):
        for name, (fn, per_call) in loops.items():
            times[name].append(_time_block(fn, calls[name]) / (calls[name] * per_call))
    return times


def initlib_steps(X, y, args):
    """The initlib loops to time: name -> (function, training steps per call)."""
    import initlib

    dtype = np.dtype(args.dtype)
    net = initlib.MLP(SIZES, activation=args.activation, init="he_normal", rng=0, dtype=dtype)
    opt = initlib.SGD(lr=0.01, momentum=0.9)
    Xd = X.astype(dtype)

    def step():                                     # the public API, input checks included
        loss, grads = net.loss_and_flat_grads(Xd, y)
        opt.step(net.parameters(), grads)

    # the same steps through train(): 5 epochs of 20 mini-batches (shuffled, so each
    # batch is a fresh copy) and train()'s evaluations of the whole training set
    # at epochs 0 and 5 (eval_every=5): about 2 full forward passes per 100 steps
    n_batches, epochs = 20, 5
    Xe, ye = np.tile(Xd, (n_batches, 1)), np.tile(y, n_batches)
    net_t = net.copy()

    def run():
        initlib.train(net_t, Xe, ye, lr=0.01, epochs=epochs, batch_size=len(Xd),
                      momentum=0.9, rng=0, eval_every=epochs)

    return {
        "initlib: loss_and_grads + SGD.step": (step, 1),
        "initlib: train(), per step": (run, n_batches * epochs),
    }


def torch_steps(X, y, args):
    """The same step in PyTorch eager: name -> (function, training steps per call)."""
    import torch

    torch.set_num_threads(args.threads)
    dtype = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
    torch.manual_seed(0)
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[args.activation]
    layers = []
    for i in range(len(SIZES) - 1):
        layers.append(torch.nn.Linear(SIZES[i], SIZES[i + 1]))
        if i < len(SIZES) - 2:
            layers.append(act())
    model = torch.nn.Sequential(*layers).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt = torch.from_numpy(X).to(dtype)
    yt = torch.from_numpy(y.astype(np.int64))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(Xt), yt)
        loss.backward()
        opt.step()

    return {f"PyTorch {torch.__version__} eager": (step, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS/torch threads (default 1)")
    parser.add_argument("--steps", type=int, default=200, help="steps per timing (default 200)")
    parser.add_argument("--repeats", type=int, default=9, help="timings per loop (default 9)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--activation", choices=["relu", "tanh"], default="relu")
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_info, threadpool_limits

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.batch, SIZES[0]))
    y = rng.integers(0, SIZES[-1], args.batch)

    print(f"network {' -> '.join(map(str, SIZES))}, {args.activation}, batch {args.batch}, "
          f"{args.dtype}, SGD momentum 0.9")
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} logical CPUs, {platform.machine()}")
    with threadpool_limits(limits=args.threads):
        blas = [f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)"
                for i in threadpool_info()]
        print("numpy BLAS: " + (", ".join(blas) or "unknown"))
        loops = initlib_steps(X, y, args)
        try:
            import torch
        except ImportError:
            print("PyTorch is not installed: only initlib is timed.")
        else:
            loops.update(torch_steps(X, y, args))
            print(f"torch {torch.__version__}: {torch.get_num_threads()} threads")
        per_step = _time_interleaved(loops, steps=args.steps, repeats=args.repeats)
    print(f"\n{args.repeats} interleaved timings of ~{args.steps} steps each; us per training step")
    width = max(map(len, per_step))
    for name, ts in per_step.items():
        print(f"{name:<{width}}  median {statistics.median(ts) * 1e6:8.1f}   "
              f"best {min(ts) * 1e6:8.1f}")
    torch_name = next((n for n in per_step if n.startswith("PyTorch")), None)
    if torch_name:
        ours = per_step["initlib: loss_and_grads + SGD.step"]
        ratios = [a / b for a, b in zip(ours, per_step[torch_name])]
        print(f"\nratio initlib / PyTorch per step: median {statistics.median(ratios):.2f} "
              f"(best-vs-best {min(ours) / min(per_step[torch_name]):.2f}); "
              f"< 1 means initlib is faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())

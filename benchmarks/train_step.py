"""initlib.train against a bare numpy loop and PyTorch eager, as ratios that mean the same anywhere.

The workload (issue 17): an MLP 64 -> W x 4 -> 10 (ReLU, softmax + cross-entropy, float32),
12 shuffled mini-batches per epoch, 8 epochs (96 SGD steps, momentum 0.9), and the loss of
the whole training set at epoch 0 and after every epoch. Three loops do exactly that work:

- ``train()``: ``initlib.train(net, X, y, ...)`` with its defaults, ``X`` passed as float64
  (as a reader passes it; train() converts it once);
- ``bare loop``: the same steps written by hand with the public MLP API
  (``loss_and_grads``, an in-place momentum update, ``net.loss`` for the evaluations),
  data converted to float32 once;
- ``PyTorch``: ``nn.Sequential`` of ``nn.Linear``/``nn.ReLU``, ``CrossEntropyLoss``,
  ``optim.SGD(momentum=0.9)``, the evaluations under ``torch.no_grad()`` (if PyTorch is
  installed; it is never a requirement of the course).

The loops run at 1 and at 2 threads (``threadpoolctl`` limits numpy's BLAS, and initlib's
own policy works inside that limit; ``torch.set_num_threads`` for PyTorch), interleaved
(A B C R A B C R ...) so that load from other processes hits all of them alike, and the
best of ``--repeats`` rounds is kept. ``R`` is a fixed numpy reference workload (float32
512 x 512 matrix products on one thread): every loop is also printed relative to it, so a
number means the same on a slow and on a fast machine. Absolute milliseconds are context.

    python benchmarks/train_step.py                        # width 256, batch 128
    python benchmarks/train_step.py --width 1024 --batch 256
    python benchmarks/train_step.py --sizes 2,16,16,2 --batch 32   # a course-sized network
    python benchmarks/train_step.py --crossover            # BLAS: 1 vs 2 threads per GEMM size
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

STEPS_PER_EPOCH, EPOCHS, LR, MOMENTUM = 12, 8, 0.01, 0.9


def _best(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def reference_workload():
    """A fixed numpy workload: 20 float32 products of 512 x 512 matrices on one BLAS thread."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    A, B = (rng.standard_normal((512, 512)).astype(np.float32) for _ in range(2))

    def run():
        with threadpool_limits(1):
            for _ in range(20):
                A @ B

    return run


def initlib_signal_propagation(*args, **kwargs):
    """signal_propagation of a 50-layer, 256-wide ReLU net on 512 examples (was a timed test)."""
    import initlib

    return initlib.signal_propagation(*args, **kwargs)


def initlib_loops(sizes, X, y, batch):
    import initlib

    net0 = initlib.MLP(sizes, activation="relu", init="he_normal", rng=0, dtype=np.float32)

    def with_train():
        initlib.train(net0.copy(), X, y, lr=LR, epochs=EPOCHS, batch_size=batch,
                      momentum=MOMENTUM, rng=0)

    X32 = X.astype(np.float32)

    def bare_loop():
        net, rng = net0.copy(), np.random.default_rng(0)
        params = [p for W, b in zip(net.weights, net.biases) for p in (W, b)]
        velocities = [np.zeros_like(p) for p in params]
        losses = [net.loss(X32, y)]
        for _ in range(EPOCHS):
            order = rng.permutation(len(X32))
            Xs, ys = X32[order], y[order]
            for i in range(0, len(Xs), batch):
                loss, grads = net.loss_and_grads(Xs[i:i + batch], ys[i:i + batch])
                for p, g, v in zip(params, (g for pair in grads for g in pair), velocities):
                    v *= MOMENTUM
                    g *= -LR
                    v += g
                    p += v
            losses.append(net.loss(X32, y))

    return {"train()": with_train, "bare loop": bare_loop}


def torch_loop(sizes, X, y, batch):
    import copy

    import torch

    torch.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model0 = torch.nn.Sequential(*layers)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y.astype(np.int64))

    def run():
        model = copy.deepcopy(model0)
        opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        generator = torch.Generator().manual_seed(0)
        with torch.no_grad():
            losses = [loss_fn(model(Xt), yt).item()]
        for _ in range(EPOCHS):
            order = torch.randperm(len(Xt), generator=generator)
            Xs, ys = Xt[order], yt[order]
            for i in range(0, len(Xs), batch):
                opt.zero_grad(set_to_none=True)
                loss_fn(model(Xs[i:i + batch]), ys[i:i + batch]).backward()
                opt.step()
            with torch.no_grad():
                losses.append(loss_fn(model(Xt), yt).item())

    return run


def compare(args):
    from threadpoolctl import threadpool_info, threadpool_limits

    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else \
        [64, args.width, args.width, args.width, args.width, 10]
    rng = np.random.default_rng(0)
    n = STEPS_PER_EPOCH * args.batch
    X = rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    loops = initlib_loops(sizes, X, y, args.batch)
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed: initlib only.")
    else:
        loops["PyTorch"] = torch_loop(sizes, X, y, args.batch)
    loops["reference"] = reference_workload()
    kernels = {"signal_propagation": lambda: initlib_signal_propagation(
        "he_normal", "relu", width=256, depth=50, n_samples=512)}

    blas = ", ".join(f"{i['internal_api']} {i.get('version')} ({i.get('architecture')})"
                     for i in threadpool_info() if i["user_api"] == "blas")
    print(f"network {' -> '.join(map(str, sizes))}, ReLU, float32, batch {args.batch}, "
          f"{EPOCHS} epochs x {STEPS_PER_EPOCH} steps, loss of the training set every epoch")
    print(f"python {platform.python_version()}, numpy {np.__version__}, BLAS {blas}, "
          f"{os.cpu_count()} CPUs{', torch ' + torch.__version__ if torch else ''}")
    best = {}
    for threads in args.threads:
        if torch:
            torch.set_num_threads(threads)
        with threadpool_limits(threads):
            for fn in loops.values():                       # warm up
                fn()
            times = {name: [] for name in loops}
            for _ in range(args.repeats):                   # interleaved rounds
                for name, fn in loops.items():
                    times[name].append(_best(fn, 1))
        best[threads] = {name: min(ts) for name, ts in times.items()}
    kernel_times = {name: _best(fn, args.repeats) for name, fn in kernels.items()}

    print(f"\nbest of {args.repeats} interleaved rounds; ms for the whole run (context only)")
    names = [k for k in loops if k != "reference"]
    print("threads  " + "".join(f"{k:>12s}" for k in names) + f"{'reference':>12s}")
    for threads, b in best.items():
        print(f"{threads:7d}  " + "".join(f"{b[k] * 1e3:12.1f}" for k in names)
              + f"{b['reference'] * 1e3:12.1f}")
    for name, t in kernel_times.items():
        print(f"{name} (256 wide, 50 layers, 512 examples): {t * 1e3:.1f} ms = "
              f"{t / best[args.threads[0]]['reference']:.2f} x reference")
    print("\nratios (< 1: train() is faster)")
    header = ["train/bare loop"] + (["train/PyTorch"] if torch else []) + \
        ["train/reference", "bare/reference"] + (["PyTorch/reference"] if torch else [])
    print("threads  " + "".join(f"{h:>19s}" for h in header))
    for threads, b in best.items():
        row = [b["train()"] / b["bare loop"]]
        if torch:
            row.append(b["train()"] / b["PyTorch"])
        row += [b["train()"] / b["reference"], b["bare loop"] / b["reference"]]
        if torch:
            row.append(b["PyTorch"] / b["reference"])
        print(f"{threads:7d}  " + "".join(f"{r:19.2f}" for r in row))


def crossover(args):
    """Time a layer's three products (forward, dW, dA) at 1 and 2 threads, per size."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    print("one layer's forward + backward products (Z = A W^T, dW = D^T A, dA = D W), "
          f"best of {args.repeats} interleaved; speedup = time(1 thread) / time(2 threads)")
    print(f"{'dtype':8s}{'batch':>6s}{'width':>7s}{'MACs/GEMM':>12s}{'1T ms':>10s}{'2T ms':>10s}"
          f"{'speedup':>9s}")
    for dtype in (np.float32, np.float64):
        for batch in args.crossover_batches:
            for width in args.crossover_widths:
                A, D = (rng.standard_normal((batch, width)).astype(dtype) for _ in range(2))
                W = rng.standard_normal((width, width)).astype(dtype)
                inner = max(1, int(3e7 / (6 * batch * width * width)))

                def step():
                    for _ in range(inner):
                        A @ W.T, D.T @ A, D @ W

                times = {1: [], 2: []}
                for _ in range(args.repeats):
                    for threads in (1, 2):
                        with threadpool_limits(threads):
                            times[threads].append(_best(step, 1) / inner)
                t1, t2 = min(times[1]), min(times[2])
                print(f"{np.dtype(dtype).name:8s}{batch:6d}{width:7d}{batch * width * width / 1e6:11.2f}M"
                      f"{t1 * 1e3:10.3f}{t2 * 1e3:10.3f}{t1 / t2:9.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--sizes", help="layer sizes, e.g. 2,16,16,2 (overrides --width)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds (best kept)")
    parser.add_argument("--crossover", action="store_true",
                        help="time GEMMs at 1 and 2 threads instead (initlib/_blas.py's policy)")
    parser.add_argument("--crossover-batches", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--crossover-widths", type=int, nargs="+",
                        default=[64, 128, 256, 384, 512, 768, 1024, 2048])
    args = parser.parse_args(argv)
    (crossover if args.crossover else compare)(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

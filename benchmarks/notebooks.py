"""Time and profile every chapter notebook, as ratios to a fixed numpy workload.

Each notebook is executed top to bottom in a fresh kernel with nbclient, as nbval and the
book build do, in memory (nothing is written back). For each notebook the script reports

* the wall time, kernel start included, in seconds and as a **ratio to a reference
  workload**: a fixed numpy computation (forward and backward passes of a small tanh
  network on one BLAS thread, plus small-array Python overhead, about what the chapters
  do) timed in the same run, before and after the notebooks. Ratios mean the same on a
  fast and a slow machine, and on a quiet and a loaded one; seconds do not;
* where the time goes: kernel start, imports, training (``initlib.train`` and the
  optimizers, wherever they are called from, e.g. the explorer's precomputed runs), figures
  (matplotlib, ``initlib.plots``, the PNG rendering after each cell), other computation
  (statistics, forward passes, numpy in the cell, the rest). A sampling profiler in the
  kernel (a thread that looks at the main thread's stack every few milliseconds, about 1 %
  overhead) attributes each cell's time by the outermost matching frame on the stack;
* the hot cells of the course: the slowest code cells, with nbval's cell number (the index
  among code cells, from 0), their share by category and the first line of their source.

    python benchmarks/notebooks.py                 # every chapters/*.ipynb
    python benchmarks/notebooks.py chapters/05_he_initialization.ipynb --hot 5
    python benchmarks/notebooks.py --no-profile    # plain timing
    python benchmarks/notebooks.py --jobs 2        # also: the course two notebooks at a time

Budgets (issue 17): the whole course in 60 s of wall time on a 2-core machine, executed as
the book build and nbval execute it, two notebooks at a time: ``--jobs 2`` runs the course
that way after the profiled pass (no profiler, fresh kernels, the longest notebooks first,
as a scheduler that knows them would) and prints its wall time and its ratio.

Budgets (DESIGN.md): each notebook under 15 s, the whole course under 60 s, on a 2-core
CPU; they are in seconds, so the script flags them on this machine only as context. The
notebooks run one after the other (the book build and nbval may run two at once).
"""

import argparse
import concurrent.futures
import json
import pathlib
import statistics
import sys
import time

import nbformat
import numpy as np
from nbclient import NotebookClient

NOTEBOOK_BUDGET_S = 15.0
COURSE_BUDGET_S = 60.0
ROOT = pathlib.Path(__file__).resolve().parent.parent

CATEGORIES = ("imports", "training", "figures", "other")

#: Code run in the kernel before the notebook (not part of it): the sampling profiler.
PROFILER_SETUP = r'''
def __bench_profiler():
    import sys, threading, time
    main = threading.main_thread().ident
    counts = {}
    rules = (  # (substring of a frame's file name, category); the outermost match wins
        ("importlib._bootstrap", "imports"),
        ("/initlib/training.py", "training"), ("/initlib/train.py", "training"),
        ("/initlib/optim.py", "training"),
        ("/initlib/plots.py", "figures"), ("/matplotlib/", "figures"),
        ("/matplotlib_inline/", "figures"), ("/PIL/", "figures"),
    )
    def classify(frame):
        stack = []
        while frame is not None:
            stack.append(frame.f_code.co_filename)
            frame = frame.f_back
        for filename in reversed(stack):          # outermost first
            for pattern, category in rules:
                if pattern in filename:
                    return category
        return "other"
    def run():
        while True:
            time.sleep(0.004)
            frame = sys._current_frames().get(main)
            if frame is not None:
                category = classify(frame)
                counts[category] = counts.get(category, 0) + 1
    threading.Thread(target=run, daemon=True, name="bench-profiler").start()
    return counts
__bench_counts = __bench_profiler()
'''

#: Run after each cell: print the cell's samples and reset them.
PROFILER_PROBE = ("import json as __bench_json; print('__BENCH__' + __bench_json.dumps(__bench_counts)); "
                  "__bench_counts.clear()")


def reference_workload():
    """A fixed numpy computation of roughly the chapters' kind; returns its time in seconds.

    100 forward and backward passes of a 64-256-256-10 tanh network on a batch of 128
    (float64, one BLAS thread), then 10000 small-array operations (Python overhead).
    """
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    X = rng.standard_normal((128, 64))
    Ws = [rng.standard_normal((m, n)) / np.sqrt(n) for n, m in ((64, 256), (256, 256), (256, 10))]
    small = rng.standard_normal((8, 8))
    start = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(100):
            activations = [X]
            for W in Ws:
                activations.append(np.tanh(activations[-1] @ W.T))
            delta = activations[-1] - 0.1
            for l in range(len(Ws) - 1, -1, -1):
                grad = delta.T @ activations[l]
                delta = (delta @ Ws[l]) * (1 - activations[l] ** 2)
                grad *= 0.0
        v = np.ones(8)
        for _ in range(10000):
            v = np.tanh(small @ v) + 0.5
    return time.perf_counter() - start


def time_reference(repeats=3):
    return min(reference_workload() for _ in range(repeats))


def run_notebook(path, *, profile=True):
    """Execute ``path`` in a fresh kernel.

    Returns a dict: wall (s), kernel start (s), and per code cell its time and, when
    profiled, its samples by category.
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            skip_cells_with_tag="skip-execution")
    cells = []
    start = time.perf_counter()
    with client.setup_kernel():
        kernel_start = time.perf_counter() - start
        original = list(nb.cells)
        if profile:
            client.execute_cell(nbformat.v4.new_code_cell(PROFILER_SETUP), 0, store_history=False)
            nb.cells[0] = original[0]  # nbclient stores an executed cell at its index
        code_number = 0
        for index, cell in enumerate(original):
            if cell.cell_type != "code":
                continue
            t0 = time.perf_counter()
            client.execute_cell(cell, index)
            seconds = time.perf_counter() - t0
            samples = {}
            if profile:
                probe = nbformat.v4.new_code_cell(PROFILER_PROBE)
                client.execute_cell(probe, index, store_history=False)
                nb.cells[index] = cell
                for output in probe.outputs:
                    text = output.get("text", "")
                    if text.startswith("__BENCH__"):
                        samples = json.loads(text[len("__BENCH__"):])
            cells.append({"number": code_number, "seconds": seconds, "samples": samples,
                          "source": cell.source.strip().splitlines()[0] if cell.source.strip() else ""})
            code_number += 1
    return {"wall": time.perf_counter() - start, "kernel_start": kernel_start, "cells": cells}


def _timed_run(path):
    return path.stem, run_notebook(path, profile=False)["wall"]


def run_course_in_parallel(paths, jobs, longest_first=None):
    """Wall time of executing every notebook, ``jobs`` at a time (one process each)."""
    order = sorted(paths, key=lambda p: -(longest_first or {}).get(p.stem, 0.0))
    start = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        walls = dict(pool.map(_timed_run, [p.resolve() for p in order]))
    return time.perf_counter() - start, walls


def breakdown(cell):
    """Seconds of ``cell`` by category, splitting its time in proportion to its samples."""
    total = sum(cell["samples"].values())
    if not total:
        return {"other": cell["seconds"]}
    return {c: cell["seconds"] * n / total for c, n in cell["samples"].items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path,
                        help="notebooks to time (default: chapters/*.ipynb)")
    parser.add_argument("--hot", type=int, default=12, help="how many of the slowest cells to list")
    parser.add_argument("--no-profile", action="store_true", help="time only, no sampling profiler")
    parser.add_argument("--json", type=pathlib.Path, help="also write every measurement to this file")
    parser.add_argument("--jobs", type=int, default=0,
                        help="also execute the course N notebooks at a time and report its wall time")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    profile = not args.no_profile

    references = [time_reference()]
    print(f"reference workload: {references[0]:.3f} s (best of 3), timed again after each notebook\n")
    header = f"{'notebook':32s} {'wall s':>7s} {'kernel':>7s}"
    if profile:
        header += "".join(f" {c:>9s}" for c in CATEGORIES)
    print(header)
    results = {}
    for path in paths:
        run = run_notebook(path.resolve(), profile=profile)
        references.append(time_reference())
        run["reference"] = (references[-2] + references[-1]) / 2  # around this notebook
        results[path.stem] = run
        parts = {c: 0.0 for c in CATEGORIES}
        for cell in run["cells"]:
            for c, s in breakdown(cell).items():
                parts[c] += s
        run["parts"] = parts
        line = f"{path.stem:32s} {run['wall']:7.1f} {run['kernel_start']:7.1f}"
        if profile:
            line += "".join(f" {parts[c]:9.1f}" for c in CATEGORIES)
        print(line + ("  OVER 15 s" if run["wall"] > NOTEBOOK_BUDGET_S else ""), flush=True)
    reference = statistics.mean(references)
    total = sum(r["wall"] for r in results.values())
    spread = max(references) / min(references)
    print(f"\nreference workload: {reference:.3f} s on average over {len(references)} timings "
          f"(max/min {spread:.2f}{'; the load changed during the run, ratios are rough' if spread > 1.3 else ''})")
    print(f"\n{'notebook':32s} {'ratio':>7s}" + ("   share of its wall time: " + ", ".join(CATEGORIES)
                                                + ", kernel start" if profile else ""))
    for name, run in results.items():
        shares = ""
        if profile:
            shares = "   " + "  ".join(f"{run['parts'][c] / run['wall']:4.0%}" for c in CATEGORIES) \
                     + f"  {run['kernel_start'] / run['wall']:4.0%}"
        print(f"{name:32s} {run['wall'] / run['reference']:7.1f}{shares}")
    print(f"{'course total':32s} {total / reference:7.1f}   ({total:.1f} s wall; budgets 15 s per "
          f"notebook, 60 s in all on a 2-core CPU{': OVER' if total > COURSE_BUDGET_S else ''})")

    hot = sorted(((run["cells"][i], name) for name, run in results.items() for i in range(len(run["cells"]))),
                 key=lambda pair: -pair[0]["seconds"])[:args.hot]
    if hot:
        print(f"\nthe {len(hot)} slowest cells (cell = nbval's number: index among code cells, from 0)")
        for cell, name in hot:
            split = ""
            if profile:
                split = " ".join(f"{c} {s / cell['seconds']:.0%}" for c, s in
                                 sorted(breakdown(cell).items(), key=lambda kv: -kv[1]) if s >= 0.05 * cell["seconds"])
            print(f"  {name:28s} cell {cell['number']:2d} {cell['seconds']:5.1f} s "
                  f"({cell['seconds'] / reference:4.1f} ref)  {split:38s} {cell['source'][:60]}")

    parallel = None
    if args.jobs:
        before = time_reference()
        wall, walls = run_course_in_parallel(paths, args.jobs,
                                             {n: r["wall"] for n, r in results.items()})
        after = time_reference()
        references += [before, after]
        parallel = {"jobs": args.jobs, "wall": wall, "walls": walls,
                    "reference": (before + after) / 2}
        print(f"\nthe course, {args.jobs} notebooks at a time: {wall:.1f} s wall = "
              f"{wall / parallel['reference']:.1f} x the reference workload "
              f"({parallel['reference']:.3f} s around it); each notebook "
              f"{min(walls.values()):.1f} to {max(walls.values()):.1f} s "
              f"{'(budget 60 s: OVER)' if wall > COURSE_BUDGET_S else '(budget 60 s)'}")
        total = wall

    if args.json:
        args.json.write_text(json.dumps({"reference_s": references, "notebooks": results,
                                         "parallel": parallel}, indent=1))
    over = [n for n, r in results.items() if r["wall"] > NOTEBOOK_BUDGET_S]
    return 1 if over or total > COURSE_BUDGET_S else 0


if __name__ == "__main__":
    sys.exit(main())

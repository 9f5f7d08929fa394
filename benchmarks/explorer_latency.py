"""How long the explorer takes: a control change of the live widget, and the twin's 45 runs.

1. Live explorer: a change of initializer, activation, depth or width builds a new network and
   redraws all four views (cost, decision boundary, activation and gradient histograms) and the
   table. The goal is under 250 ms for course-size settings. Measured in-process, as a test
   drives the widget: the time the browser needs to show the new PNG (a few ms) is not included.
2. Kernel-free twin (chapter 7's first cell): ``precompute_twin()`` trains 45 networks for 30
   epochs and keeps 8 snapshots of their views. Timed in one process (``workers=1``: its CPU
   time is the work itself, whatever the load) and on the default workers (two forked
   processes on Linux: wall time, and the CPU time of the parent and its children).

CPU times do not depend on what else runs on the machine; wall times do (the script prints the
load average when the machine was busy).

Run:  python benchmarks/explorer_latency.py            # both parts
      python benchmarks/explorer_latency.py --twin     # only the twin
"""

import argparse
import os
import resource
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from initlib import load_dataset  # noqa: E402
from initlib.explorer import Explorer, precompute_twin, twin_html  # noqa: E402

GOAL_MS = 250

# (control, value) pairs applied in turn; each one is a fresh network and a full redraw.
CHANGES = [
    ("init", "he_normal"), ("init", "zeros"), ("init", "lecun_uniform"), ("init", "orthogonal"),
    ("activation", "relu"), ("activation", "sigmoid"), ("activation", "tanh"),
    ("depth", 5), ("depth", 3), ("width", 32), ("width", 16), ("scale", 2.0), ("scale", 1.0),
    ("init", "xavier_normal"),
]


def time_changes(ex, repeats=2):
    """Wall-clock and CPU milliseconds of each control change (CPU time ignores other load)."""
    wall, cpu = [], []
    for _ in range(repeats):
        for name, value in CHANGES:
            t0, c0 = time.perf_counter(), time.process_time()
            ex.controls[name].value = value
            wall.append(1000 * (time.perf_counter() - t0))
            cpu.append(1000 * (time.process_time() - c0))
            assert ex.state["error"] is None, ex.state["error"]
    return wall, cpu


def summary(times):
    times = sorted(times)
    p90 = times[int(0.9 * (len(times) - 1))]
    return f"median {statistics.median(times):6.1f} ms, p90 {p90:6.1f} ms, max {times[-1]:6.1f} ms"


def live():
    results = {}
    for dataset, width in (("moons", 16), ("digits", 32)):
        ex = Explorer(dataset=dataset, init="xavier_normal", activation="tanh", depth=3, width=width)
        ex.controls["init"].value = "he_normal"  # warm-up: fonts, caches
        wall, cpu = time_changes(ex)
        results[dataset] = statistics.median(cpu)
        print(f"control change -> redrawn views, {dataset:6s} ({len(wall)} changes): wall {summary(wall)}")
        print(f"                                 {dataset:6s}  CPU time of this process: {summary(cpu)}")
        steps = []
        for _ in range(5):
            t0 = time.perf_counter()
            ex.step()
            steps.append(1000 * (time.perf_counter() - t0))
        print(f"Step (one epoch + redraw),        {dataset:6s}: {summary(steps)}")
    worst = max(results.values())
    verdict = "met" if worst < GOAL_MS else "NOT met"
    print(f"goal: median control change < {GOAL_MS} ms of CPU: {verdict} ({worst:.0f} ms)")


def _children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def twin():
    load_dataset("moons", n_samples=300, rng=0)  # scikit-learn's import, paid once by the chapter
    for workers in (1, None):
        t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
        data = precompute_twin(workers=workers)
        wall = time.perf_counter() - t0
        cpu, children = time.process_time() - c0, _children_cpu() - k0
        size = len(twin_html(data).encode("utf-8"))
        name = "1 process" if workers == 1 else "default workers"
        print(f"kernel-free twin, {name:15s}: wall {wall:5.1f} s, CPU {cpu:5.1f} s here + "
              f"{children:5.1f} s in worker processes; {size / 1024:.0f} KiB of HTML")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--twin", action="store_true", help="time only the kernel-free twin")
    args = parser.parse_args()
    if not args.twin:
        live()
    twin()
    load = os.getloadavg()[0]
    if load > 1:
        print(f"(the machine was busy: load average {load:.1f} on {os.cpu_count()} CPUs; "
              "the CPU times are the better estimate)")


if __name__ == "__main__":
    main()

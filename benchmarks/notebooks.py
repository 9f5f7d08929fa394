"""Time every chapter notebook against the course's budgets.

Budgets (DESIGN.md): each notebook under 15 s, the whole course under 60 s, on a
2-core CPU. Each notebook is executed top to bottom in a fresh kernel with nbclient, as
nbval and the book build do, in memory (nothing is written back). The script prints the
time in the cells (the kernel's own work) and the wall time including the kernel's
start, and flags what is over budget.

    python benchmarks/notebooks.py                 # every chapters/*.ipynb
    python benchmarks/notebooks.py chapters/05_he_initialization.ipynb

Run it on a quiet machine: other processes on 2 cores slow every notebook alike.
"""

import argparse
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

NOTEBOOK_BUDGET_S = 15.0
COURSE_BUDGET_S = 60.0
ROOT = pathlib.Path(__file__).resolve().parent.parent


def time_notebook(path):
    """Execute ``path`` in a fresh kernel; return (wall seconds, seconds spent in cells)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            skip_cells_with_tag="skip-execution")
    cell_time = 0.0
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            t0 = time.perf_counter()
            client.execute_cell(cell, index)
            cell_time += time.perf_counter() - t0
    return time.perf_counter() - start, cell_time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path,
                        help="notebooks to time (default: chapters/*.ipynb)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))

    print(f"{'notebook':38s} {'cells (s)':>10s} {'wall (s)':>10s}")
    total_wall = total_cells = 0.0
    over = []
    for path in paths:
        wall, cells = time_notebook(path.resolve())
        total_wall += wall
        total_cells += cells
        flag = "  OVER BUDGET" if wall > NOTEBOOK_BUDGET_S else ""
        if flag:
            over.append(path.name)
        print(f"{path.name:38s} {cells:10.1f} {wall:10.1f}{flag}")
    flag = "  OVER BUDGET" if total_wall > COURSE_BUDGET_S else ""
    print(f"{'total':38s} {total_cells:10.1f} {total_wall:10.1f}{flag}")
    print(f"budgets: {NOTEBOOK_BUDGET_S:.0f} s per notebook, {COURSE_BUDGET_S:.0f} s for the course "
          "(wall time, kernel start included)")
    return 1 if over or flag else 0


if __name__ == "__main__":
    sys.exit(main())

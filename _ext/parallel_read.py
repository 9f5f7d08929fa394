"""Read (and so execute) the book's notebooks in parallel, one process per core.

``jupyter-book build`` (Jupyter Book 1.0.4) always runs Sphinx with one process: its CLI
has no ``-j`` option (``jupyter_book/sphinx.py`` passes ``parallel=1``). With
``execute_notebooks: force``, myst-nb executes each notebook while Sphinx *reads* it, so
the notebooks run one after the other on one core. Sphinx can read documents in parallel
worker processes (``sphinx-build -j N``) when every extension declares itself
parallel-read-safe, which all of the book's do; this extension asks for that from
``_config.yml``, so the README's one build command stays as it is.

* ``app.parallel`` is set to the number of usable cores (at most ``MAX_JOBS``), or to the
  environment variable ``INITLIB_BUILD_JOBS`` (``1`` gives the old serial build).
* Sphinx hands each worker one contiguous chunk of the sorted document list (about
  ``len(docs) // jobs`` documents each). Sorted, the chapters would sit in one chunk and
  the light appendices in another; ``env-before-read-docs`` deals the notebooks out in
  turn instead, so every worker gets the same number of them.

Everything else is unchanged: each notebook is executed top to bottom in a fresh kernel
(``force``), a cell error still stops the build (myst-nb's ``raise_on_error``) and the
failing cell is printed (Sphinx passes only the last line of a failed reader's error on;
``build-finished`` prints its whole traceback), and the pages are the same. Without
``fork`` (Windows) Sphinx reads serially.
"""

from __future__ import annotations

import os
import sys

#: Most worker processes to use, whatever the machine: each runs a kernel at a time.
MAX_JOBS = 4
ENV_VAR = "INITLIB_BUILD_JOBS"


def jobs() -> int:
    raw = os.environ.get(ENV_VAR, "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{ENV_VAR} must be a positive integer number of processes, "
                             f"got {raw!r}; unset it to use every core (at most {MAX_JOBS}).") from None
        if value < 1:
            raise ValueError(f"{ENV_VAR} must be at least 1, got {value}.")
        return value
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_JOBS))


def deal(docnames: list[str], notebooks: set[str], n: int) -> list[str]:
    """Reorder ``docnames`` so that Sphinx's chunks for ``n`` processes share the notebooks.

    Sphinx cuts the list into contiguous chunks (``sphinx.util.parallel.make_chunks``), all
    of one size but maybe a smaller last one, which is read after the others. The notebooks
    are dealt in turn to the full-size chunks, then the other pages fill the free places.
    """
    from sphinx.util.parallel import make_chunks

    capacities = [len(chunk) for chunk in make_chunks(docnames, n)]
    hands: list[list[str]] = [[] for _ in capacities]
    order = sorted(range(len(hands)), key=lambda i: -capacities[i])  # full-size chunks first
    queue = [d for d in docnames if d in notebooks] + [d for d in docnames if d not in notebooks]
    turn = 0
    for doc in queue:
        free = [i for i in order if len(hands[i]) < capacities[i]]
        largest = [i for i in free if capacities[i] == capacities[free[0]]]
        hands[largest[turn % len(largest)]].append(doc)
        turn += 1
    return [doc for hand in hands for doc in hand]


def _before_read(app, env, docnames):
    if app.parallel <= 1 or len(docnames) <= 5:  # Sphinx reads serially then
        return
    notebooks = {d for d in docnames if env.doc2path(d).endswith(".ipynb")}
    docnames[:] = deal(list(docnames), notebooks, app.parallel)


#: Extensions that Jupyter Book loads and that do not declare whether they are
#: parallel-read-safe, but are: checked by reading them, at these exact (pinned) versions.
#: Sphinx would otherwise warn ("assuming it isn't") and read serially.
#: - sphinx_multitoc_numbering 0.1.3 only replaces TocTreeCollector.assign_section_numbers,
#:   which Sphinx runs in the main process once the readers' results are merged;
#: - sphinx_jupyterbook_latex 1.0.0: its transforms only annotate the document being read
#:   (no shared state), its builder-inited handler acts for LaTeX builders only.
UNDECLARED_BUT_SAFE = {"sphinx_multitoc_numbering": "0.1.3", "sphinx_jupyterbook_latex": "1.0.0"}


def _declare_known_safe(app):
    for name, version in UNDECLARED_BUT_SAFE.items():
        extension = app.extensions.get(name)
        if extension is not None and getattr(extension.module, "__version__", None) == version:
            extension.parallel_read_safe = True


def _show_reader_traceback(app, exception):
    """A reader process that fails (a notebook cell raised) sends back only its last line;
    print its whole traceback, which names the notebook and shows the failing cell."""
    from sphinx.errors import SphinxParallelError

    if isinstance(exception, SphinxParallelError) and getattr(exception, "traceback", None):
        print(f"\nTraceback of the failed parallel reader:\n{exception.traceback}", file=sys.stderr)


def setup(app):
    app.parallel = max(app.parallel, jobs())
    app.connect("builder-inited", _declare_known_safe)
    app.connect("env-before-read-docs", _before_read)
    app.connect("build-finished", _show_reader_traceback)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

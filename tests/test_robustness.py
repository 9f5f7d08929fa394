"""Every chapter's compared outputs survive a change in the last bits of the arithmetic.

Another machine runs the same notebooks with another BLAS kernel (OpenBLAS picks one per
processor; macOS has Accelerate, conda often MKL), which sums matrix products in another
order: the last bits differ, and a chaotic computation can carry that into printed digits.
The tests cannot switch kernels (``OPENBLAS_CORETYPE`` is set on purpose on some machines,
where older OpenBLAS builds compute wrong results, so the tests and CI never touch it or
``OPENBLAS_L2_SIZE``). Instead each chapter is re-executed with what another kernel perturbs:

* ``INITLIB_PERTURB_ULP=k``: initlib multiplies every initial parameter it creates by
  ``1 + k * 2**-52`` (``initlib/_reproducibility.py``; README, "Reproducibility").
  ``k = +3`` for odd-numbered chapters and ``-3`` for even ones: one pass, both signs.
* another BLAS thread count: one thread where the main run uses several, two where it uses
  one (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``).

Why one pass with alternating signs: on the chapters of 2026-11-29 (before issue 11's
fixes), k = +3 changed 8 compared outputs and k = -3 seven of them; the alternating pass
caught all 8 (the 7 of issue 11's table and chapter 2's cell 1), at the cost of one pass
instead of two. A chaotic cell moves under either sign. The thread count alone (k = 0, one
thread) changed nothing there, because initlib's small kernels already run on one thread;
it matters for the large products initlib runs on every thread (``initlib/_blas.py``).

and nbval itself runs it, in a subprocess, with the project's own options
(``[tool.pytest.ini_options]`` in pyproject.toml: ``--nbval --nbval-current-env
--nbval-sanitize-with tests/sanitize.cfg``), so "a compared output" means exactly what the
main nbval run compares, sanitizer included. A failure names the notebook, the cell (nbval's
numbering: the index among code cells, from 0), the perturbation and nbval's diff.

Under pytest-xdist (``--dist loadscope``) each chapter is its own test class, so the chapters
spread over the workers like the main nbval run's notebooks.

Run one chapter by hand:
``python -m pytest tests/test_robustness.py -k 01_symmetry``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REPO_ROOT

CHAPTERS = sorted((REPO_ROOT / "chapters").glob("*.ipynb"))

#: Units in the last place by which every initial parameter is scaled (with a sign per chapter).
PERTURB_ULP = 3

#: The thread-count variables of the BLAS libraries numpy may use (OpenBLAS, OpenMP builds, MKL).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

#: Seconds one perturbed chapter may take (nbval's own per-cell timeout still applies).
TIMEOUT = 900


def perturb_ulp(notebook: Path) -> int:
    """+PERTURB_ULP for odd-numbered chapters (01, 03, ...), -PERTURB_ULP for even ones."""
    number = int(notebook.name.split("_", 1)[0]) if notebook.name[:2].isdigit() else 1
    return PERTURB_ULP if number % 2 else -PERTURB_ULP


def other_thread_count() -> int:
    """A BLAS thread count that differs from the main run's: 1 if it uses several, else 2."""
    current = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    try:
        threads = int(current) if current else (os.cpu_count() or 1)
    except ValueError:
        threads = os.cpu_count() or 1
    return 1 if threads > 1 else 2


def perturbed_environment(notebook: Path) -> dict[str, str]:
    env = {
        name: value for name, value in os.environ.items()
        # the subprocess is a pytest run of its own, not an xdist worker of this one
        if not name.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST"))
    }
    env["INITLIB_PERTURB_ULP"] = str(perturb_ulp(notebook))
    threads = str(other_thread_count())
    env.update({name: threads for name in THREAD_VARIABLES})
    return env


def describe(env: dict[str, str]) -> str:
    return " ".join(f"{name}={env[name]}" for name in ("INITLIB_PERTURB_ULP", *THREAD_VARIABLES[:2]))


@dataclass
class ChangedCell:
    cell: str      # "Cell 12": nbval's name, the index among code cells
    message: str   # nbval's report: the reason and the diff of the outputs


def run_nbval(notebook: Path, env: dict[str, str], junit: Path) -> tuple[subprocess.CompletedProcess, list[ChangedCell]]:
    """nbval over ``notebook`` in a subprocess; returns the run and the cells that failed."""
    command = [
        sys.executable, "-m", "pytest", str(notebook.relative_to(REPO_ROOT)),
        # the options of [tool.pytest.ini_options] apply as in the main run (the nbval ones);
        # one notebook needs no workers of its own; no cache; the full diff, without colours
        "-p", "no:cacheprovider", "-q", "-vv", "--color=no", f"--junitxml={junit}",
    ]
    if importlib.util.find_spec("xdist") is not None:
        command += ["-n", "0"]
    proc = subprocess.run(
        command, cwd=REPO_ROOT, env=env, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, timeout=TIMEOUT,
    )
    changed = []
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            for problem in [*case.iter("failure"), *case.iter("error")]:
                changed.append(ChangedCell(case.get("name", "?"), (problem.text or problem.get("message", "")).strip()))
    return proc, changed


class PerturbedChapter:
    """Base of the per-chapter classes below (not collected itself: no ``Test`` prefix)."""

    notebook: Path

    def test_compared_outputs_survive_last_bit_changes(self, tmp_path):
        env = perturbed_environment(self.notebook)
        proc, changed = run_nbval(self.notebook, env, tmp_path / "nbval.xml")
        name = self.notebook.relative_to(REPO_ROOT).as_posix()
        if proc.returncode not in (0, 1) or (proc.returncode == 1 and not changed):
            pytest.fail(f"nbval could not run {name} under {describe(env)} "
                        f"(exit code {proc.returncode}):\n{proc.stdout[-5000:]}")
        if changed:
            cells = ", ".join(c.cell for c in changed)
            details = "\n\n".join(f"----- {name} {c.cell} -----\n{c.message}" for c in changed)
            pytest.fail(
                f"{name}: {len(changed)} compared output(s) changed when the last bits changed "
                f"({describe(env)}): {cells}. A compared output must not depend on rounding: "
                f"print what the experiment determines (a median over seeds, a count, stable "
                f"digits). Reproduce with\n  {describe(env)} python -m pytest {name}\n\n{details}",
                pytrace=False,
            )


# One class per chapter: xdist's loadscope keeps a class on one worker, and spreads classes.
for _notebook in CHAPTERS:
    _name = "TestPerturbed_" + _notebook.stem
    globals()[_name] = type(_name, (PerturbedChapter,), {"notebook": _notebook, "__doc__": _notebook.name})
del _notebook, _name


def test_every_chapter_has_a_perturbed_run():
    classes = [obj for name, obj in globals().items() if name.startswith("TestPerturbed_")]
    assert sorted(c.notebook for c in classes) == CHAPTERS and CHAPTERS


def test_perturbation_signs_alternate_and_threads_differ(monkeypatch):
    assert {perturb_ulp(nb) for nb in CHAPTERS[:2]} == {PERTURB_ULP, -PERTURB_ULP}
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert other_thread_count() == 1
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    assert other_thread_count() == 2
    env = perturbed_environment(CHAPTERS[0])
    assert env.get("OPENBLAS_CORETYPE") == os.environ.get("OPENBLAS_CORETYPE")  # never chosen here

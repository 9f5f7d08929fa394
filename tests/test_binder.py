"""Binder readiness, without Docker.

1. ``jupyter-repo2docker --no-build --debug`` renders the Dockerfile Binder would build for
   this repository: a Python 3.11 environment that installs requirements.txt.
2. A fresh virtual environment made from requirements.txt alone (no test extra) imports
   initlib, ipywidgets and the plotting stack, and runs a Jupyter kernel that imports
   initlib: what a Binder or local reader gets. This needs the package index (or pip's
   cache) and takes a minute or two; it is marked ``slow``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

from conftest import REPO_ROOT

pytestmark = pytest.mark.binder


#: Never part of what Binder clones (when git cannot tell us, e.g. in an unpacked archive).
UNTRACKED = {".git", ".venv", "venv", "_build", "build", "node_modules", ".pytest_cache", ".hypothesis"}


def _tracked_copy(destination: Path) -> Path:
    """The files git tracks (plus new, not ignored ones): what Binder would clone."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, capture_output=True,
    ) if shutil.which("git") else None
    if listing is not None and listing.returncode == 0:
        listed = listing.stdout.decode().split("\0")
    else:
        listed = [
            p.relative_to(REPO_ROOT).as_posix() for p in REPO_ROOT.rglob("*")
            if not UNTRACKED.intersection(p.relative_to(REPO_ROOT).parts)
        ]
    for name in filter(None, listed):
        source = REPO_ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.fixture(scope="module")
def repo2docker_output(tmp_path_factory):
    checkout = _tracked_copy(tmp_path_factory.mktemp("clone") / "repo")
    executable = Path(sys.executable).parent / "jupyter-repo2docker"
    command = [str(executable) if executable.exists() else "jupyter-repo2docker",
               "--no-build", "--debug", str(checkout)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{' '.join(command)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout, proc.stderr


def test_repo2docker_picks_python_3_11(repo2docker_output):
    dockerfile, log = repo2docker_output
    assert "Building conda environment for python=3.11" in log, log
    # The conda lock file of the base environment, its path escaped: environment.py-3.11-linux-64.lock
    assert re.search(r"environment(\.|-2e)py(-|-2d)3(\.|-2e)11(-|-2d)", dockerfile), (
        "the base environment is not Python 3.11"
    )


def test_repo2docker_installs_the_requirements(repo2docker_output):
    dockerfile, _ = repo2docker_output
    assert "COPY --chown=0:0 src/requirements.txt" in dockerfile
    assert '/bin/pip install --no-cache-dir -r "requirements.txt"' in dockerfile, dockerfile
    # `-e .` in requirements.txt and pyproject.toml: the package is installed as well.
    assert "/bin/pip install --no-cache-dir ." in dockerfile


def test_repo2docker_uses_the_root_configuration(repo2docker_output):
    dockerfile, _ = repo2docker_output
    assert "binder/" not in dockerfile and ".binder/" not in dockerfile


KERNEL_CHECK = textwrap.dedent(
    """
    import sys
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        outputs = []
        reply = kc.execute_interactive(
            "import sys, initlib, ipywidgets, matplotlib, sklearn; "
            "print(initlib.__version__, ipywidgets.__version__, sys.prefix)",
            output_hook=lambda msg: outputs.append(msg["content"].get("text", "")),
            timeout=120,
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        print("KERNEL:", "".join(outputs).strip())
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    """
)


@pytest.mark.slow
def test_fresh_venv_from_requirements_runs_initlib_in_a_kernel(tmp_path):
    """pip install -r requirements.txt in an empty venv, then a kernel imports initlib."""
    target = tmp_path / "venv"
    venv.create(target, with_pip=True, clear=True)
    python = target / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # JUPYTER_DATA_DIR: a user-level "python3" kernelspec must not redirect the kernel elsewhere.
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
               JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"))
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    # cwd = the repository: `-e .` in requirements.txt is relative to it.
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", "requirements.txt"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1200,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]

    imports = subprocess.run(
        [str(python), "-c", "import initlib, ipywidgets, matplotlib, sklearn, jupyterlab, jupyter_book; "
         "print(initlib.__file__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert imports.returncode == 0, imports.stderr
    assert Path(imports.stdout.strip()).resolve().is_relative_to(REPO_ROOT), (
        "initlib should be the editable install of this repository", imports.stdout
    )
    # The test tools are not part of what readers and Binder install.
    no_pytest = subprocess.run([str(python), "-c", "import pytest"], capture_output=True, env=env)
    assert no_pytest.returncode != 0, "pytest is installed by requirements.txt (it belongs in the test extra)"

    kernel = subprocess.run(
        [str(python), "-c", KERNEL_CHECK],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert kernel.returncode == 0, kernel.stdout + kernel.stderr
    line = next(l for l in kernel.stdout.splitlines() if l.startswith("KERNEL:"))
    version, widgets, prefix = line.split()[1:]
    assert version and widgets.startswith("8."), line
    assert Path(prefix).resolve() == target.resolve(), f"the kernel ran in {prefix}, not in the fresh venv"

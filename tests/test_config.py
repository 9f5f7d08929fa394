"""_config.yml, _toc.yml, runtime.txt and requirements.txt say what they mean.

Jupyter Book silently ignores a key it does not know (a typo, or a key in the wrong
section), so every key of _config.yml is checked against Jupyter Book's own schema and
default configuration, and every key under ``sphinx.config`` against the configuration
values that Sphinx and the book's extensions register.
"""

from __future__ import annotations

import fnmatch
import io
import re
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT

CONFIG = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))

#: Files and folders at the top of the repository that are the book's sources.
BOOK_SOURCES = {"_config.yml", "_toc.yml", "intro.md", "references.bib", "chapters", "appendices"}


def _known_keys() -> dict:
    """Nested dict of the keys Jupyter Book knows: its JSON schema plus its default config."""
    import jupyter_book

    package = Path(jupyter_book.__file__).parent
    schema = yaml.safe_load((package / "config_schema.json").read_text(encoding="utf-8"))
    defaults = yaml.safe_load((package / "default_config.yml").read_text(encoding="utf-8"))

    def from_schema(node):
        return {key: from_schema(sub) for key, sub in node.get("properties", {}).items()}

    def from_defaults(node):
        return {key: from_defaults(sub) if isinstance(sub, dict) else {} for key, sub in node.items()}

    def merge(a, b):
        return {key: merge(a.get(key, {}), b.get(key, {})) for key in a.keys() | b.keys()}

    return merge(from_schema(schema), from_defaults(defaults))


def _unknown(config: dict, known: dict, prefix: str = "") -> list[str]:
    found = []
    for key, value in config.items():
        path = f"{prefix}{key}"
        if key not in known:
            found.append(path)
        elif path == "sphinx.config":
            continue  # free-form: checked against Sphinx below
        elif isinstance(value, dict) and known[key]:
            found += _unknown(value, known[key], f"{path}.")
    return found


def test_config_keys_are_known_to_jupyter_book():
    unknown = _unknown(CONFIG, _known_keys())
    assert not unknown, f"_config.yml keys that Jupyter Book ignores: {unknown}"


def test_key_check_catches_typos():
    """The harness itself: misspelt and misplaced keys are reported."""
    bad = {"titel": "x", "execute": {"timout": 1}, "html": {"use_repository_button": True},
           "sphinx": {"config": {"anything": 1}}, "bibtex_bibfiles": ["a.bib"]}
    assert _unknown(bad, _known_keys()) == ["titel", "execute.timout"]


def test_config_values_match_jupyter_books_schema():
    import jsonschema
    from jupyter_book.config import validate_yaml

    validate_yaml(CONFIG, raise_on_errors=True)
    with pytest.raises(jsonschema.ValidationError):
        validate_yaml({"execute": {"timeout": "sixty"}}, raise_on_errors=True)


def _sphinx_warnings(sphinx_overrides: dict, tmp_path: Path) -> str:
    """Start Sphinx as `jupyter-book build` does; return its warnings."""
    from jupyter_book.config import get_final_config
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    import sys

    for folder in CONFIG.get("sphinx", {}).get("local_extensions", {}).values():
        folder = str((REPO_ROOT / folder).resolve())  # as jupyter-book does for _config.yml
        if folder not in sys.path:
            sys.path.append(folder)
    user_yaml = dict(CONFIG)
    user_yaml["sphinx"] = {**CONFIG.get("sphinx", {}), "config": sphinx_overrides}
    user_yaml["execute"] = {**CONFIG.get("execute", {}), "execute_notebooks": "off"}
    config, _ = get_final_config(
        user_yaml=user_yaml, cli_config={"latex_individualpages": False}, sourcedir=REPO_ROOT
    )
    warnings = io.StringIO()
    with patch_docutils(None), docutils_namespace():
        Sphinx(
            srcdir=REPO_ROOT, confdir=None, outdir=tmp_path / "html",
            doctreedir=tmp_path / "doctrees", buildername="html", confoverrides=config,
            status=None, warning=warnings,
        )
    return warnings.getvalue()


def test_sphinx_config_keys_are_known_to_sphinx(tmp_path):
    overrides = CONFIG["sphinx"]["config"]
    assert "unknown config value" in _sphinx_warnings({**overrides, "mathjax_pth": "x"}, tmp_path)
    warnings = _sphinx_warnings(overrides, tmp_path)
    assert "unknown config value" not in warnings, warnings


def test_execution_fails_on_errors_and_runs_every_notebook():
    execute = CONFIG["execute"]
    assert execute["execute_notebooks"] == "force"
    assert execute["raise_on_error"] is True and execute.get("allow_errors", False) is False
    assert 0 < execute["timeout"] <= 120


def test_math_and_exercise_extensions():
    assert {"amsmath", "colon_fence", "dollarmath"} <= set(CONFIG["parse"]["myst_enable_extensions"])
    assert {"sphinx_exercise", "sphinx_togglebutton"} <= set(CONFIG["sphinx"]["extra_extensions"])
    assert CONFIG["bibtex_bibfiles"] == ["references.bib"]
    assert CONFIG["only_build_toc_files"] is True


def test_mathjax_path_points_at_the_vendored_copy():
    # Sphinx prefixes a relative mathjax_path with `_static/`; html_extra_path copies
    # vendor/ to the root of the site.
    config = CONFIG["sphinx"]["config"]
    assert "vendor" in config["html_extra_path"]
    relative = config["mathjax_path"]
    assert "://" not in relative
    target = REPO_ROOT / "vendor" / Path("_static", relative).as_posix().replace("_static/../", "", 1)
    assert target.is_file(), f"mathjax_path {relative!r} does not resolve to a vendored file ({target})"


def test_everything_that_is_not_the_book_is_excluded():
    """Folders and documents outside the book match an exclude pattern (Sphinx would read them)."""
    patterns = CONFIG["exclude_patterns"]
    candidates = [
        p.name for p in REPO_ROOT.iterdir()
        if p.name not in BOOK_SOURCES and not p.name.endswith(".egg-info")
        and (p.is_dir() or p.suffix in {".md", ".ipynb", ".rst"})
    ]
    missing = [n for n in sorted(candidates) if not any(fnmatch.fnmatch(n, pat) for pat in patterns)]
    assert not missing, f"add to exclude_patterns in _config.yml: {missing}"


def test_repository_url_is_one_line():
    url = CONFIG["repository"]["url"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url), url
    assert CONFIG["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    text = (REPO_ROOT / "_config.yml").read_text(encoding="utf-8")
    assert text.count(url) == 1, "the repository URL must appear once, so it is changed in one place"


# --- Binder and pins -----------------------------------------------------------------------

def _requirements() -> dict[str, str]:
    pins = {}
    for line in (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if not line or line == "-e .":
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([\w.\-+]+)", line)
        assert match, f"requirements.txt: not an exact pin: {line!r}"
        pins[match.group(1)] = match.group(2)
    return pins


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_requirements_are_exact_pins_of_the_jupyter_book_1_stack():
    pins = {_normalize(k): v for k, v in _requirements().items()}
    assert "-e ." in (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    expected = {
        "jupyter-book": "1.0.4.post1", "sphinx": "7.4.7", "myst-nb": "1.4.0",
        "myst-parser": "3.0.1", "sphinx-book-theme": "1.3.0", "pydata-sphinx-theme": "0.17.1",
        "docutils": "0.21.2", "jupyter-cache": "1.0.1", "sphinx-togglebutton": "0.4.5",
    }
    wrong = {name: pins.get(name) for name, version in expected.items() if pins.get(name) != version}
    assert not wrong, f"requirements.txt pins differ from the Jupyter Book 1 stack: {wrong}"
    for needed in ("sphinx-exercise", "ipywidgets", "numpy", "matplotlib", "scikit-learn", "jupyterlab", "ipykernel"):
        assert needed in pins, f"{needed} is not pinned in requirements.txt"


def test_installed_versions_match_the_pins():
    """This environment is what requirements.txt describes (catches a stale pin or venv)."""
    drift = {}
    for name, version in _requirements().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            drift[name] = (version, "not installed")
            continue
        if installed != version:
            drift[name] = (version, installed)
    assert not drift, f"requirements.txt pin vs installed: {drift}"


def test_test_extra_is_pinned_exactly():
    import tomllib

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extra = project["optional-dependencies"]["test"]
    assert extra and all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[\w.\-+]+", req) for req in extra), extra


def test_binder_reads_the_root_configuration():
    assert (REPO_ROOT / "runtime.txt").read_text(encoding="utf-8").strip() == "python-3.11"
    for folder in ("binder", ".binder"):
        assert not (REPO_ROOT / folder).exists(), f"{folder}/ would make Binder ignore the root files"


# --- README and CI -------------------------------------------------------------------------

def _quick_start_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S)
    assert block, "README.md: no ```bash block under ## Quick start"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_readme_quick_start_is_two_commands():
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    build, test = commands
    assert "pip install -r requirements.txt" in build and "jupyter-book build" in build, build
    assert "_build/html/index.html" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "pytest" in test and ".[test]" in test, test


def test_ci_runs_exactly_the_readme_test_command():
    script = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in script
    assert _quick_start_commands()[1] in script.splitlines(), (
        ".ci/run must run the README's test command verbatim"
    )
    assert "INITLIB_REQUIRE_BROWSER=1" in script and "apt-get install" in script


def test_pytest_never_collects_the_build_folder():
    """The build writes executed copies of the notebooks under _build/: nbval must not run them."""
    import tomllib

    options = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    options = options["tool"]["pytest"]["ini_options"]
    assert options["testpaths"] == ["tests", "chapters"]
    assert "_build" in options["norecursedirs"]
    assert {"--nbval", "--nbval-current-env"} <= set(options["addopts"])
    assert "--nbval-lax" not in options["addopts"]


def _addopts() -> list[str]:
    import tomllib

    options = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return options["tool"]["pytest"]["ini_options"]["addopts"]


def test_default_run_uses_two_workers_and_keeps_each_notebook_on_one():
    """nbval runs a notebook's cells in one kernel: xdist must not split a notebook."""
    addopts = _addopts()
    assert addopts[addopts.index("-n") + 1] == "2"
    assert addopts[addopts.index("--dist") + 1] == "loadscope"
    assert "--no-loadscope-reorder" in addopts  # tests/conftest.py orders the scopes


#: Setting these chooses OpenBLAS's kernel; some machines set them on purpose (older
#: OpenBLAS builds compute wrong results there), so tests and CI must leave them alone.
_KERNEL_CHOICE = re.compile(
    r"""OPENBLAS_(?:CORETYPE|L2_SIZE)(?:["']\])?\s*=(?!=)"""     # VAR=..., env["VAR"] = ...
    r"""|(?:setenv|setdefault|putenv)\(\s*["']OPENBLAS_(?:CORETYPE|L2_SIZE)""")


def test_tests_and_ci_never_choose_the_blas_kernel():
    assert _KERNEL_CHOICE.search('env["OPENBLAS_CORETYPE"] = "Prescott"')
    assert _KERNEL_CHOICE.search("export OPENBLAS_CORETYPE=Haswell")
    assert _KERNEL_CHOICE.search('monkeypatch.setenv("OPENBLAS_L2_SIZE", "1")')
    assert not _KERNEL_CHOICE.search('assert env.get("OPENBLAS_CORETYPE") == os.environ.get("OPENBLAS_CORETYPE")')
    files = [REPO_ROOT / ".ci" / "run", REPO_ROOT / "pyproject.toml", *sorted((REPO_ROOT / "tests").glob("*.py"))]
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in files if path != Path(__file__)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _KERNEL_CHOICE.search(line)
    ]
    assert not offenders, offenders


def _parallel_read():
    import importlib.util

    spec = importlib.util.spec_from_file_location("parallel_read", REPO_ROOT / "_ext" / "parallel_read.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_reads_notebooks_in_parallel():
    assert CONFIG["sphinx"]["local_extensions"] == {"parallel_read": "_ext/"}
    assert CONFIG["execute"]["execute_notebooks"] == "force"  # parallel, but still every notebook


def test_parallel_read_deals_the_notebooks_to_every_process():
    from sphinx.util.parallel import make_chunks

    deal = _parallel_read().deal
    for chapters, jobs in [(8, 2), (11, 2), (11, 3), (12, 4), (3, 2)]:
        docs = sorted(["intro", "appendices/notation", "appendices/references", "appendices/stats",
                       *(f"chapters/{i:02d}" for i in range(1, chapters + 1))])
        notebooks = {d for d in docs if d.startswith("chapters/")}
        ordered = deal(list(docs), notebooks, jobs)
        assert sorted(ordered) == docs
        counts = [sum(d in notebooks for d in chunk) for chunk in make_chunks(ordered, jobs)]
        full = [c for c, chunk in zip(counts, make_chunks(ordered, jobs)) if len(chunk) == len(make_chunks(ordered, jobs)[0])]
        assert max(full) - min(full) <= 1 and sum(full) == chapters, (chapters, jobs, counts)


def test_parallel_read_jobs_from_the_environment(monkeypatch):
    module = _parallel_read()
    monkeypatch.setenv(module.ENV_VAR, "3")
    assert module.jobs() == 3
    monkeypatch.delenv(module.ENV_VAR)
    assert 1 <= module.jobs() <= module.MAX_JOBS
    for bad in ("two", "0"):
        monkeypatch.setenv(module.ENV_VAR, bad)
        with pytest.raises(ValueError, match=f"{module.ENV_VAR}.*got"):
            module.jobs()


def test_extensions_vouched_for_are_the_installed_versions():
    """_ext/parallel_read.py declares two undeclared extensions parallel-safe, after reading
    them at one version: a new version must be read again (else Sphinx reads serially)."""
    import importlib

    for name, version in _parallel_read().UNDECLARED_BUT_SAFE.items():
        installed = importlib.import_module(name).__version__
        assert installed == version, (
            f"{name} is now {installed}: check that it is parallel-read-safe, then update "
            f"UNDECLARED_BUT_SAFE in _ext/parallel_read.py")

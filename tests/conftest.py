"""Shared fixtures: the book built once per session, a local server, a headless browser.

Any test module in ``tests/`` may use these (the explorer's browser test does):

``repo_root``      the repository folder (a ``Path``).
``book_build``     session: builds the whole book ONCE, from scratch (``--all -n -W
                   --keep-going``, every notebook executed) into a fresh temporary folder,
                   never into ``_build/``. Returns a ``BookBuild`` (returncode, log, html,
                   seconds). It does not fail by itself: ``tests/test_book.py`` asserts on it.
``book_html``      the built site's ``html`` folder; fails the test if no site was written.
``book_server``    session: base URL (``http://127.0.0.1:PORT/``) of a server for ``book_html``.
``browser``        session: a headless Debian Chromium driven by Playwright, offline. Skips
                   when Chromium or Playwright is missing, unless the environment variable
                   ``CI`` or ``INITLIB_REQUIRE_BROWSER`` is set: then it fails.
``open_page``      function: ``open_page("chapters/07_explorer.html")`` loads a page of the
                   built book and returns a ``PageVisit`` with the Playwright ``page`` (still
                   open, to interact with), the uncaught JavaScript errors (minus the
                   allow-list ``HARMLESS_PAGE_ERRORS``), the requests that tried to leave
                   localhost (all blocked), and the local requests that failed.

Under pytest-xdist every worker process would build its own book; the workers of one
session share a single build instead (a lock file in the session's shared temporary folder).
The default run uses xdist (``-n 2 --dist loadscope``, pyproject.toml); the hooks at the end
order the work for it and bring the build's time back to the summary.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Environment variables that turn a missing browser from a skip into a failure.
REQUIRE_BROWSER_VARS = ("CI", "INITLIB_REQUIRE_BROWSER")

#: Chromium switches: headless, no sandbox (containers, root), and nothing that phones home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

#: Uncaught JavaScript errors that are known to be harmless, each with its reason.
HARMLESS_PAGE_ERRORS = [
    # sphinx-thebe 0.3.1 writes its configuration script twice on every page; the second
    # `const THEBE_JS_URL` throws. Thebe is off in _config.yml, nothing depends on it.
    re.compile(r"Identifier 'THEBE_JS_URL' has already been declared"),
]

#: Seconds the whole book build may take before the test gives up.
BUILD_TIMEOUT = 1200


@dataclass
class BookBuild:
    """The outcome of one ``jupyter-book build``."""

    returncode: int
    log: str
    html: Path
    seconds: float
    command: list[str]

    def problems(self) -> list[str]:
        """Sphinx warnings and errors of the log (not the kernels' own stderr chatter)."""
        lines = []
        for line in _strip_ansi(self.log).splitlines():
            if line.startswith("[IPKernelApp]"):
                continue  # kernel start-up notices, not about the book
            if re.search(r"\b(WARNING|ERROR|CRITICAL|SEVERE)\b|Traceback|Exception", line):
                lines.append(line.strip())
        return lines


    def report(self) -> str:
        """What a failing test should show: the failed cell and notebook, else the warnings."""
        log = _strip_ansi(self.log)
        lines = []
        cell = log.find("An error occurred while executing the following cell")
        if cell >= 0:
            end = log.find("The above exception was the direct cause", cell)
            lines.append(log[cell:end if end > 0 else cell + 3000].rstrip())
        lines += re.findall(r"^.*ExecutionError: .*$", log, flags=re.M)
        lines += self.problems()[-60:]
        if not lines and self.returncode != 0:
            lines.append(log[-3000:])
        return f"`jupyter-book {' '.join(self.command[3:])}` exited with {self.returncode} " \
               f"after {self.seconds:.0f} s:\n" + "\n".join(lines)


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _run_build(out: Path) -> BookBuild:
    command = [
        sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build",
        "--all", "-n", "-W", "--keep-going",
        "--path-output", str(out),
        str(REPO_ROOT),
    ]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("MPLBACKEND", None)  # would replace the kernels' inline backend: no figures
    start = time.perf_counter()
    proc = subprocess.run(
        command, cwd=REPO_ROOT, env=env, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT,
    )
    return BookBuild(
        returncode=proc.returncode,
        log=proc.stdout,
        html=out / "_build" / "html",
        seconds=time.perf_counter() - start,
        command=command,
    )


def toc_documents() -> list[str]:
    """Every document of ``_toc.yml`` (root first), as paths without suffix."""
    import yaml

    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    documents = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                documents.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return documents


def book_pages() -> list[str]:
    """Every HTML page the built book must have, relative to its ``html`` folder."""
    return ["index.html", *(f"{doc}.html" for doc in toc_documents()), "genindex.html", "search.html"]


@contextlib.contextmanager
def _exclusive(lock_path: Path):
    """Hold an exclusive lock on ``lock_path`` (POSIX; a no-op elsewhere)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no xdist sharing, nothing to lock
        yield
        return
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def book_build(tmp_path_factory) -> BookBuild:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        build = _run_build(tmp_path_factory.mktemp("book"))
        _BUILDS.append(build)
        return build
    # xdist: the first worker to get here builds, the others wait and reuse its result.
    shared = tmp_path_factory.getbasetemp().parent
    record = shared / "book-build.json"
    with _exclusive(shared / "book-build.lock"):
        if record.exists():
            data = json.loads(record.read_text())
            data["html"] = Path(data["html"])
            return BookBuild(**data)
        out = shared / "book"
        if out.exists():
            shutil.rmtree(out)
        build = _run_build(out)
        record.write_text(json.dumps({**build.__dict__, "html": str(build.html)}))
        _BUILDS.append(build)
        return build


#: The builds this process ran (an xdist worker hands its own to the controller at the end).
_BUILDS: list[BookBuild] = []


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)  # set on xdist workers only
    if workeroutput is not None and _BUILDS:
        workeroutput["book_builds"] = [{**b.__dict__, "html": str(b.html)} for b in _BUILDS]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist controller: collect the build a worker ran, for the summary below."""
    for data in getattr(node, "workeroutput", {}).get("book_builds", []):
        _BUILDS.append(BookBuild(**{**data, "html": Path(data["html"])}))


#: Scheduling under pytest-xdist. ``--dist loadscope`` hands each worker whole scopes (a test
#: module, a test class, a notebook's cells) and, with ``--no-loadscope-reorder``, in the
#: order collected. That order is set here: the book build first (the longest single
#: task), then Binder's fresh environment, the notebooks (nbval, and the perturbed runs of
#: test_robustness.py), the unit tests, and last the browser tests, which need the build
#: and would otherwise hold a worker while they wait for it. Without xdist the order only
#: changes which failures come first.
def _schedule_rank(item) -> int:
    if item.get_closest_marker("browser"):
        return 5
    if item.get_closest_marker("book"):
        return 0
    if item.get_closest_marker("binder"):
        return 1
    cls = getattr(item, "cls", None)  # nbval's cells are not Python test functions
    if item.path.suffix == ".ipynb" or (cls is not None and cls.__name__.startswith("TestPerturbed_")):
        return 2
    return 3


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=_schedule_rank)  # stable: a module's or a notebook's order is kept


def pytest_report_header(config):
    """Which BLAS this machine runs: the kernel decides the last bits of every result."""
    try:
        import numpy  # noqa: F401  (loads its BLAS)
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover
        return None
    blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture', '?')}, "
            f"{i.get('num_threads')} threads)" for i in threadpool_info() if i.get("user_api") == "blas"]
    return "BLAS: " + ("; ".join(blas) or "none found")


def pytest_terminal_summary(terminalreporter):
    """Report the book build's time and the built site's size at the end of the run."""
    for build in _BUILDS:
        if build.html.exists():
            size = sum(p.stat().st_size for p in build.html.rglob("*") if p.is_file())
            terminalreporter.write_line(
                f"book build: {build.seconds:.0f} s (exit code {build.returncode}), "
                f"site {size / 1e6:.1f} MB in {build.html}"
            )


@pytest.fixture(scope="session")
def book_html(book_build) -> Path:
    index = book_build.html / "index.html"
    if not index.exists():
        pytest.fail("the book build wrote no site. " + book_build.report())
    return book_build.html


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture(scope="session")
def book_server(book_html):
    handler = functools.partial(_QuietHandler, directory=str(book_html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def chromium_executable() -> str | None:
    """The system's Chromium (Debian: ``apt-get install chromium``), or None."""
    explicit = os.environ.get("INITLIB_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _no_browser(reason: str):
    required = [name for name in REQUIRE_BROWSER_VARS if os.environ.get(name)]
    if required:
        pytest.fail(f"{reason}, and {' / '.join(required)} is set, so browser tests must run")
    pytest.skip(f"{reason}: install it (Debian/Ubuntu: apt-get install chromium) to run the browser tests")


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """A Playwright ``BrowserContext`` of the system's headless Chromium."""
    executable = chromium_executable()
    if executable is None:
        _no_browser("Chromium was not found on PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the Python package playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            service_workers="block",
        )
        try:
            yield context
        finally:
            context.close()


@dataclass
class PageVisit:
    """What happened when a page of the built book was loaded."""

    url: str
    page: object  # playwright.sync_api.Page
    errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"uncaught JavaScript error: {e}" for e in self.errors]
            + [f"request to a non-local URL (blocked): {u}" for u in self.external_requests]
            + [f"local request failed: {u}" for u in self.failed_requests]
        )


def _is_harmless(message: str) -> bool:
    return any(pattern.search(message) for pattern in HARMLESS_PAGE_ERRORS)


@pytest.fixture
def open_page(browser, book_server):
    """``open_page(path)`` -> ``PageVisit``; pages are closed when the test ends."""
    pages = []

    def _open(path: str, *, timeout_ms: int = 30_000) -> PageVisit:
        page = browser.new_page()
        pages.append(page)
        url = book_server + path.lstrip("/")
        visit = PageVisit(url=url, page=page)

        def on_route(route):
            request_url = route.request.url
            if request_url.startswith(book_server):
                route.continue_()
            else:
                visit.external_requests.append(request_url)
                route.abort()

        def on_page_error(error):
            message = f"{error.name}: {error.message}" if getattr(error, "name", "") else str(error)
            if not _is_harmless(message):
                visit.errors.append(message)

        def on_response(response):
            if response.url.startswith(book_server) and response.status >= 400:
                visit.failed_requests.append(f"{response.status} {response.url}")

        def on_request_failed(request):
            if request.url.startswith(book_server):
                visit.failed_requests.append(f"{request.failure} {request.url}")

        page.route("**/*", on_route)
        page.on("pageerror", on_page_error)
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)
        page.goto(url, wait_until="load", timeout=timeout_ms)
        page.wait_for_load_state("networkidle", timeout=timeout_ms)
        return visit

    yield _open
    for page in pages:
        with contextlib.suppress(Exception):
            page.close()

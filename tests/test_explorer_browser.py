"""The kernel-free twin of the explorer in a real headless Chromium, with the network blocked.

Two pages: a standalone page holding only a small twin (fast, needs no book build), and the
explorer chapter of the built book (conftest.py's ``open_page``, which builds the book once per
session). On both, choosing another setting or epoch redraws the figures, nothing is requested
from another host and no JavaScript error is raised.
"""

from __future__ import annotations

import pytest

from initlib import explorer

pytestmark = pytest.mark.browser

TWIN = "div.initx-twin"
CANVASES = ("c-loss", "c-boundary", "c-act", "c-grad")

#: The twin is drawn once its numbers are unpacked (asynchronously): wait for the first drawing.
READY = """() => {
    const root = document.querySelector("div.initx-twin");
    return root && root.getAttribute("data-initx-shown");
}"""

SNAPSHOT = """() => {
    const root = document.querySelector("div.initx-twin");
    const pick = name => root.querySelector(`[data-initx='${name}']`);
    return {
        shown: root.getAttribute("data-initx-shown"),
        caption: pick("caption").textContent,
        status: pick("status").textContent,
        table: pick("table").textContent,
        canvases: ["c-loss", "c-boundary", "c-act", "c-grad"].map(n => pick(n).toDataURL()),
    };
}"""


def _ready(page):
    page.wait_for_function(READY, timeout=15_000)
    return page.evaluate(SNAPSHOT)


def _exercise(page):
    """Change the initializer, the activation, the depth and the epoch; check what is drawn."""
    first = _ready(page)
    assert first["status"] == "", first["status"]
    assert "validation accuracy" in first["caption"] or "diverged" in first["caption"]
    blank = page.evaluate("() => { const c = document.createElement('canvas');"
                          " c.width = 10; c.height = 10; return c.toDataURL(); }")
    assert all(url != blank and len(url) > 1000 for url in first["canvases"])

    inits = page.eval_on_selector(f"{TWIN} [data-initx='init']",
                                  "s => Array.from(s.options).map(o => o.value)")
    current = page.eval_on_selector(f"{TWIN} [data-initx='init']", "s => s.value")
    other = next(v for v in reversed(inits) if v != current)  # the last: not zero init
    page.select_option(f"{TWIN} [data-initx='init']", other)
    after = page.evaluate(SNAPSHOT)
    assert after["shown"].startswith(other + "|")
    assert other in after["caption"]
    changed = [name for name, a, b in zip(CANVASES, first["canvases"], after["canvases"]) if a != b]
    assert "c-loss" in changed and len(changed) >= 3, changed

    page.locator(f"{TWIN} [data-initx='epoch']").fill("0")
    at_start = page.evaluate(SNAPSHOT)
    assert at_start["shown"].endswith("|0") and "epoch 0" in at_start["caption"]
    assert at_start["canvases"][1] != after["canvases"][1]  # the boundary at initialization

    acts = page.eval_on_selector(f"{TWIN} [data-initx='act']",
                                 "s => Array.from(s.options).map(o => o.value)")
    page.select_option(f"{TWIN} [data-initx='act']", acts[-1])
    assert f"|{acts[-1]}|" in page.evaluate(SNAPSHOT)["shown"]
    return at_start


@pytest.fixture
def standalone_page(browser, tmp_path):
    """A local page with a small twin; every request that leaves 127.0.0.1 is recorded."""
    import functools
    import http.server
    import threading

    grid = explorer.precompute_twin(
        inits=(("zeros", "zeros", 1.0), ("xavier_normal", "xavier_normal", 1.0),
               ("too large: N(0, 1)", "normal", 1.0)),
        activations=("tanh", "relu"), depths=(2, 5), epochs=6, snapshots=4)
    body = explorer.twin_html(grid, initial=("xavier_normal", "tanh", 5))
    (tmp_path / "twin.html").write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><title>twin</title></head>'
        f"<body>{body}</body></html>", encoding="utf-8")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    page = browser.new_page()
    outside, errors = [], []

    def route(r):
        if r.request.url.startswith(base):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "twin.html", wait_until="load")
    yield page, outside, errors
    page.close()
    server.shutdown()
    server.server_close()


def test_twin_responds_in_a_standalone_page(standalone_page):
    page, outside, errors = standalone_page
    _exercise(page)
    # the zero-initialized tanh network: every hidden activation is 0 in the table
    page.select_option(f"{TWIN} [data-initx='init']", "zeros")
    page.select_option(f"{TWIN} [data-initx='act']", "tanh")
    table = page.evaluate(SNAPSHOT)["table"]
    assert "std of W" in table and "saturated (|a| > 0.99)" in table
    assert not outside, outside
    assert not errors, errors


def test_twin_responds_on_the_built_book_page(open_page):
    visit = open_page("chapters/07_explorer.html")
    page = visit.page
    assert page.locator(TWIN).count() == 1
    _exercise(page)
    # no widget manager, no widget state: the live explorer's cell is not executed at build time
    html = page.content()
    assert "application/vnd.jupyter.widget-state+json" not in html
    assert "@jupyter-widgets/html-manager" not in html and "require.min.js" not in html
    assert not visit.problems(), visit.problems()

"""Every page of the built book, in a real headless browser, with the network blocked.

The site is served on 127.0.0.1 (fixtures in conftest.py); any request to another host is
recorded and aborted, so a page that needs the network fails here. On each page: it loads,
no uncaught JavaScript error, no failed local request, MathJax (served by the book itself)
typesets every formula without a TeX error, and every image has loaded.
"""

from __future__ import annotations

import pytest

from conftest import book_pages

pytestmark = pytest.mark.browser

#: Wait for MathJax (loaded with `defer`) to finish its first typesetting pass.
WAIT_FOR_MATHJAX = """async () => {
    const start = Date.now();
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
        if (Date.now() - start > 20000) return false;
        await new Promise(resolve => setTimeout(resolve, 50));
    }
    await MathJax.startup.promise;
    return true;
}"""

#: TeX that MathJax could not typeset: errors (merror) and undefined macros, which MathJax's
#: `noundefined` extension shows as red text instead of failing.
TEX_PROBLEMS = """() => Array.from(MathJax.startup.document.math)
    .filter(item => {
        const mml = MathJax.startup.toMML(item.root);
        return mml.includes("<merror") || /<mtext mathcolor="red">\\\\/.test(mml);
    })
    .map(item => item.math)"""

#: Scroll every image into view (lazy images load), wait for it, report the broken ones.
BROKEN_IMAGES = """async () => {
    const broken = [];
    for (const img of Array.from(document.images)) {
        img.loading = "eager";
        img.scrollIntoView();
        try { await img.decode(); } catch (e) { /* reported below */ }
        if (!img.complete || img.naturalWidth === 0) broken.push(img.currentSrc || img.src);
    }
    return broken;
}"""


@pytest.mark.parametrize("path", book_pages())
def test_page_works_offline(open_page, path):
    visit = open_page(path)
    page = visit.page
    found = []

    math_count = page.locator(".math").count()
    if math_count:
        if not page.evaluate(WAIT_FOR_MATHJAX):
            found.append("MathJax did not start within 20 s")
        typeset = page.locator(".math mjx-container").count()
        if typeset < math_count:
            found.append(f"only {typeset} of {math_count} formulas were typeset by MathJax")
        else:
            found += [f"TeX error or undefined macro in: {tex!r}" for tex in page.evaluate(TEX_PROBLEMS)]

    found += [f"image did not load: {src}" for src in page.evaluate(BROKEN_IMAGES)]
    problems = visit.problems() + found  # errors and requests up to now, scrolling included
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)


def test_math_renders_from_the_vendored_mathjax(open_page):
    """The intro has math: MathJax must come from /mathjax/ of this site, and typeset it."""
    visit = open_page("intro.html")
    assert visit.page.evaluate(WAIT_FOR_MATHJAX), "MathJax did not start"
    assert visit.page.locator("mjx-container").count() > 0
    sources = visit.page.eval_on_selector_all(
        "script[src*='tex-chtml']", "nodes => nodes.map(n => n.src)"
    )
    assert sources and all("/mathjax/es5/tex-chtml.js" in src for src in sources), sources
    # The CHTML output uses the vendored web fonts: at least one was fetched from this site.
    fonts = visit.page.evaluate(
        "() => performance.getEntriesByType('resource').map(r => r.name)"
        ".filter(n => n.includes('/mathjax/es5/output/chtml/fonts/woff-v2/'))"
    )
    assert fonts, "no MathJax font was loaded from the book's own /mathjax/ folder"
    assert not visit.external_requests


def test_blocking_external_requests_is_detected(open_page, book_server):
    """The harness itself: a request to another host is recorded (so the checks can fail)."""
    visit = open_page("intro.html")
    visit.page.evaluate("() => fetch('https://cdn.jsdelivr.net/npm/mathjax@3').catch(() => null)")
    visit.page.wait_for_timeout(200)
    assert any("cdn.jsdelivr.net" in url for url in visit.external_requests)
    missing = open_page("no-such-page.html")
    assert any("404" in failure for failure in missing.failed_requests)


def test_missing_browser_skips_locally_but_fails_in_ci(monkeypatch):
    """The harness itself: without Chromium the browser tests skip, unless CI requires them."""
    import conftest

    for name in conftest.REQUIRE_BROWSER_VARS:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        conftest._no_browser("Chromium was not found on PATH")
    monkeypatch.setenv("INITLIB_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="must run"):
        conftest._no_browser("Chromium was not found on PATH")


def test_tex_problems_are_detected(open_page):
    """The harness itself: an undefined macro and a TeX error are reported."""
    page = open_page("intro.html").page
    assert page.evaluate(WAIT_FOR_MATHJAX)
    page.evaluate("""async () => {
        const p = document.createElement("p");
        p.className = "math";
        p.textContent = "\\\\(\\\\notamacro x\\\\) \\\\(x^{1}^{2}\\\\)";
        document.body.appendChild(p);
        await MathJax.typesetPromise([p]);
    }""")
    problems = page.evaluate(TEX_PROBLEMS)
    assert any("notamacro" in tex for tex in problems), problems
    assert any("^{1}^{2}" in tex for tex in problems), problems


@pytest.mark.parametrize("path", [p for p in book_pages() if p.startswith("chapters/")])
def test_solutions_are_hidden_until_opened(open_page, path):
    """Exercises' solutions (sphinx-exercise + sphinx-togglebutton) start hidden and open on click."""
    page = open_page(path).page
    solutions = page.locator("div.solution.dropdown")
    if solutions.count() == 0:
        pytest.skip(f"{path} has no hidden solution")
    solution = solutions.first
    solution.scroll_into_view_if_needed()
    body = solution.locator(":scope > :not(.admonition-title)").first
    assert not body.is_visible(), f"{path}: the first solution is visible before it is opened"
    solution.locator("button.toggle-button").first.click()
    body.wait_for(state="visible", timeout=5_000)

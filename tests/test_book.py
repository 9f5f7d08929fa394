"""The book builds from scratch, with every notebook executed, and without a single warning.

The build (conftest.py's ``book_build``) runs once per session:
``jupyter-book build --all -n -W --keep-going --path-output <fresh tmp folder> .``
so a broken cross-reference, a missing citation, a notebook without a title or a cell that
raises fails here; an incremental build into ``_build/`` could hide all of those.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO_ROOT, book_pages, toc_documents

pytestmark = pytest.mark.book

#: Built files that are not pages of the book: theme assets, sources, the vendored MathJax.
NOT_PAGES = ("_static/", "_sources/", "_images/", "mathjax/", "_sphinx_design_static/")


def _source_of(document: str) -> Path | None:
    for suffix in (".ipynb", ".md"):
        path = REPO_ROOT / f"{document}{suffix}"
        if path.exists():
            return path
    return None


def _html_pages(html: Path) -> dict[str, str]:
    return {
        path.relative_to(html).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(html.rglob("*.html"))
        if not path.relative_to(html).as_posix().startswith(NOT_PAGES)
    }


def test_every_toc_entry_has_a_source():
    missing = [doc for doc in toc_documents() if _source_of(doc) is None]
    assert not missing, f"_toc.yml lists files that do not exist (no .ipynb or .md): {missing}"


def test_every_chapter_notebook_is_in_the_toc():
    listed = set(toc_documents())
    notebooks = sorted(
        p.relative_to(REPO_ROOT).with_suffix("").as_posix()
        for p in (REPO_ROOT / "chapters").glob("*.ipynb")
    )
    unlisted = [nb for nb in notebooks if nb not in listed]
    assert not unlisted, f"chapter notebooks missing from _toc.yml (they would not be built): {unlisted}"


CHAPTER_NOTEBOOKS = sorted((REPO_ROOT / "chapters").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", CHAPTER_NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_is_committed_executed_in_order(notebook):
    """nbval compares only cells that have an execution count: a notebook committed without
    its outputs would pass it silently. So: executed top to bottom, 1, 2, 3, ..., no saved
    widget state (the static book has no widget manager)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    counts = [cell.execution_count for cell in nb.cells if cell.cell_type == "code"]
    assert counts, f"{notebook.name} has no code cell"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{notebook.name}: execution counts {counts}; restart the kernel, run all cells, save"
    )
    assert "widgets" not in nb.metadata, (
        f"{notebook.name} saved ipywidgets state: turn off Settings > Save Widget State "
        "Automatically in JupyterLab, clear it (Edit > Clear Outputs... or nbconvert) and re-run"
    )


def test_book_builds_without_warnings(book_build):
    assert book_build.returncode == 0 and not book_build.problems(), book_build.report()


def test_problem_filter_sees_sphinx_warnings():
    """The harness itself: a Sphinx warning line of the log counts as a problem."""
    from conftest import BookBuild

    fake = BookBuild(
        returncode=1, html=Path("."), seconds=0.0, command=[],
        log="[IPKernelApp] WARNING | noise\n/x/chapters/01.ipynb:3: WARNING: undefined label: 'ch-x'\n",
    )
    assert fake.problems() == ["/x/chapters/01.ipynb:3: WARNING: undefined label: 'ch-x'"]


def test_every_page_is_built_and_nothing_else(book_html):
    built = set(_html_pages(book_html))
    expected = set(book_pages())
    assert not expected - built, f"pages missing from the site: {sorted(expected - built)}"
    assert not built - expected, (
        f"pages built that are not in _toc.yml (only_build_toc_files should prevent it): "
        f"{sorted(built - expected)}"
    )


def test_intro_demo_figure_is_computed_at_build_time(book_html):
    """The intro's code cell ran in the build and its figure is in the page."""
    page = (book_html / "intro.html").read_text(encoding="utf-8")
    images = re.findall(r"<img[^>]+src=\"([^\"]+)\"", page)
    assert any(src.endswith(".png") for src in images), f"no figure in intro.html: {images}"
    assert "std of" in page or "signal_propagation" in page


def test_every_notebook_was_executed_and_succeeded(book_html):
    """The execution statistics page lists each notebook, executed now (force), with ✅."""
    page = (book_html / "appendices" / "execution_statistics.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr.*?</tr>", page, flags=re.S)
    notebooks = [doc for doc in toc_documents() if (REPO_ROOT / f"{doc}.ipynb").exists()]
    assert notebooks, "no notebook in _toc.yml"
    for doc in notebooks:
        row = next((r for r in rows if f">{doc}<" in r), None)
        assert row is not None, f"{doc} is not in the execution statistics table"
        assert ">force<" in row, f"{doc} was not executed at build time: {row}"
        assert "✅" in row, f"{doc} failed to execute: {re.sub('<[^>]+>', ' ', row)}"


#: Tags whose URL the browser fetches when the page loads (links <a href> are not fetched).
_FETCHED = re.compile(
    r"<(?:script|img|iframe|source|video|audio|embed)\b[^>]*?\bsrc=[\"']([^\"']+)"
    r"|<link\b[^>]*?\bhref=[\"']([^\"']+)",
    flags=re.I,
)


def test_pages_load_nothing_from_the_network(book_html):
    """Static twin of the browser test, so it runs where Chromium is missing too."""
    offenders = []
    for name, text in _html_pages(book_html).items():
        for match in _FETCHED.finditer(text):
            url = match.group(1) or match.group(2)
            if re.match(r"(https?:)?//", url):
                offenders.append(f"{name}: {url}")
    assert not offenders, "pages that fetch from the network:\n" + "\n".join(offenders)


def test_mathjax_is_served_by_the_book(book_html):
    script = book_html / "mathjax" / "es5" / "tex-chtml.js"
    assert script.exists(), "the vendored MathJax was not copied into the site (html_extra_path)"
    fonts = list((book_html / "mathjax" / "es5" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) >= 20, f"MathJax fonts missing: {fonts}"
    page = book_html / "intro.html"
    src = re.search(r"<script[^>]*src=\"([^\"]*tex-chtml\.js)[^\"]*\"", page.read_text(encoding="utf-8"))
    assert src, "intro.html does not load tex-chtml.js"
    assert (page.parent / src.group(1)).resolve() == script.resolve()


def test_no_page_needs_a_widget_manager(book_html):
    """The site ships no ipywidgets manager (``nb_ipywidgets_js: {}`` in _config.yml).

    The default manager would come from two CDNs; without it a live widget's output is an
    empty box in the static book. So a cell that displays a live widget must not show its
    output in the book: tag it ``remove-output`` (the notebook still shows it in
    JupyterLab) and show a kernel-free HTML version instead, as the explorer does.
    """
    with_views = [
        name for name, text in _html_pages(book_html).items()
        if "application/vnd.jupyter.widget-view+json" in text
    ]
    assert not with_views, f"pages that display live ipywidgets (empty without a kernel): {with_views}"


def test_no_page_shows_warnings_or_stderr(book_html):
    """A reader should never see a wall of RuntimeWarnings (DESIGN.md): no stderr output.

    Silence an expected numpy warning where it happens (``with np.errstate(...)``), or let
    initlib turn it into a clear message; a cell meant to fail is tagged ``raises-exception``.
    """
    offenders = {}
    for name, text in _html_pages(book_html).items():
        blocks = re.findall(r'<div class="output stderr[^"]*">(.*?)</pre>', text, flags=re.S)
        if blocks:
            offenders[name] = [re.sub(r"<[^>]+>", "", b).strip()[:300] for b in blocks]
    assert not offenders, f"pages with stderr output (warnings): {offenders}"


def test_bibliography_lists_every_reference(book_html):
    import pybtex.database

    bib = pybtex.database.parse_file(str(REPO_ROOT / "references.bib"))
    page = (book_html / "appendices" / "references.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page)).lower()  # the style lowercases titles
    missing = [
        key for key, entry in bib.entries.items()
        if re.sub(r"[{}]", "", entry.fields["title"]).split(":")[0].lower() not in text
    ]
    assert not missing, f"references.bib entries absent from the references page: {missing}"


def test_readme_figure_matches_the_intro_code(tmp_path):
    """.github/readme_figure.png is what intro.md's code cell draws now."""
    import importlib.util

    import matplotlib.image

    spec = importlib.util.spec_from_file_location("readme_figure", REPO_ROOT / ".ci" / "readme_figure.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = matplotlib.image.imread(module.draw(tmp_path / "figure.png"))
    committed = matplotlib.image.imread(module.FIGURE)
    assert fresh.shape == committed.shape and abs(fresh - committed).max() < 1e-6, (
        "the README figure is stale: run `python .ci/readme_figure.py` and commit the PNG"
    )



# --- Figures: every image of a chapter is described, numbered and captioned (issue 12) ---

#: alt text that is a file name or a path, which is what Sphinx writes when a cell has no alt.
_ALT_IS_A_PATH = re.compile(r"\.(png|svg|jpe?g|gif|pdf)\b|_images/|(^|\s)(\.\.?/|/)|^\S*/\S*$", re.I)


def _is_figure_page(name: str) -> bool:
    return name.startswith("chapters/") or name == "intro.html"


def image_problems(name: str, html: str) -> list[str]:
    """Images of one built page without a real description, or outside a numbered figure.

    Every ``<img>`` needs ``alt`` text of at least five words that is not a file name; every
    image of the article that the build wrote to ``_images/`` (a cell's figure) must sit in a
    ``<figure>`` whose caption has a number (``<span class="caption-number">Fig. N </span>``)
    and a text. Canvases drawn as images (the explorer) need an ``aria-label``.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    problems = []
    article = soup.find("article") or soup
    in_article = {id(img) for img in article.find_all("img")}
    for img in soup.find_all("img"):
        src = img.get("src", "")
        alt = (img.get("alt") or "").strip()
        if not alt:
            problems.append(f"{name}: <img src={src!r}> has no alt text")
        elif _ALT_IS_A_PATH.search(alt) or alt == src:
            problems.append(f"{name}: <img src={src!r}> has a path as alt text: {alt!r}")
        elif id(img) in in_article and len(alt.split()) < 5:  # the theme's icons ("Binder logo") may be short
            problems.append(f"{name}: <img src={src!r}> alt text is not a description: {alt!r}")
    for img in article.find_all("img"):
        src = img.get("src", "")
        if "_images/" not in src:
            continue
        figure = img.find_parent("figure")
        number = figure.find("span", class_="caption-number") if figure else None
        text = figure.find("span", class_="caption-text") if figure else None
        if number is None or not re.match(r"Fig\.\s*\d+(\.\d+)*\s*$", number.get_text()):
            problems.append(f"{name}: <img src={src!r}> is not in a numbered figure (no mystnb.figure metadata?)")
        elif text is None or not text.get_text(strip=True):
            problems.append(f"{name}: <img src={src!r}> figure {number.get_text().strip()} has no caption text")
    for canvas in article.find_all("canvas"):
        if not (canvas.get("aria-label") or "").strip():
            problems.append(f"{name}: <canvas> without aria-label: {str(canvas)[:120]}")
    return problems


def test_every_chapter_image_is_described_numbered_and_captioned(book_html):
    pages = {name: text for name, text in _html_pages(book_html).items() if _is_figure_page(name)}
    assert any("chapters/" in name for name in pages), f"no chapter page in {book_html}"
    images = sum(text.count("<img") for text in pages.values())
    assert images >= 20, f"only {images} images in the built chapters: did the figures render?"
    problems = [p for name, text in pages.items() for p in image_problems(name, text)]
    assert not problems, f"{len(problems)} image(s) without a real description or a number:\n" + "\n".join(problems)


_FIGURE_HTML = (
    '<article class="bd-article"><div class="cell_output docutils container">'
    '<figure class="align-default" id="fig-ch01-a">'
    '<img alt="{alt}" src="../_images/0a1b.png" />'
    '<figcaption><p><span class="caption-number">Fig. 1.1 </span>'
    '<span class="caption-text">{caption}</span></p></figcaption></figure></div>{rest}</article>'
)


def test_image_check_passes_a_numbered_described_figure():
    html = _FIGURE_HTML.format(alt="Two lines of std against layer, one flat", caption="What to see.", rest="")
    header = '<header><img alt="Binder logo" src="../_static/images/logo_binder.svg"></header>'
    assert image_problems("chapters/x.html", header + html) == []
    assert image_problems("chapters/x.html", header.replace("Binder logo", "logo_binder.svg")) == [
        "chapters/x.html: <img src='../_static/images/logo_binder.svg'> has a path as alt text: 'logo_binder.svg'"
    ]


def test_image_check_fails_on_paths_bare_images_and_unlabelled_canvases():
    # what Sphinx writes for a cell without metadata: alt = the file's path, no <figure>
    bare = '<img alt="../_images/0a1b.png" src="../_images/0a1b.png" />'
    problems = image_problems("chapters/x.html", _FIGURE_HTML.format(
        alt="Two lines of std against layer, one flat", caption="What to see.",
        rest=bare + '<canvas width="10" role="img"></canvas>'))
    assert problems == [
        "chapters/x.html: <img src='../_images/0a1b.png'> has a path as alt text: '../_images/0a1b.png'",
        "chapters/x.html: <img src='../_images/0a1b.png'> is not in a numbered figure (no mystnb.figure metadata?)",
        'chapters/x.html: <canvas> without aria-label: <canvas role="img" width="10"></canvas>',
    ]
    short = image_problems("chapters/x.html", _FIGURE_HTML.format(alt="a plot", caption="", rest=""))
    assert short == [
        "chapters/x.html: <img src='../_images/0a1b.png'> alt text is not a description: 'a plot'",
        "chapters/x.html: <img src='../_images/0a1b.png'> figure Fig. 1.1 has no caption text",
    ]

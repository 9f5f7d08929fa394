"""A textbook's finish, checked statically on the committed sources (no book build, fast).

Four checks, each a function that takes documents and returns a list of problems (one
line each, naming the document, the cell and what is wrong), then tests that run it on the
book, then unit tests that show each one can fail, on small synthetic notebooks:

(a) ``figure_problems``: every code cell that draws a figure (an image output in a chapter
    notebook; a plotting cell of ``intro.md``) carries myst-nb metadata
    ``mystnb.figure.caption``, ``mystnb.figure.name`` (``fig-chNN-...`` / ``fig-intro-...``,
    unique in the book) and ``mystnb.image.alt``, a real description (at least five words,
    not a file name, no LaTeX, which a screen reader would spell out). One figure per cell.
(b) ``control_character_problems``: no markdown cell, figure caption or alt text contains a
    control character other than a newline (a Python string that wrote ``"\\top"`` as
    ``"\top"`` leaves a tab, ``"\rm"`` a carriage return, ``"\frac"`` a form feed).
(c) ``notation_problems``: the symbols of the notation appendix are the ones used. A short
    list of forbidden variants (``NOTATION_RULES``), each a regular expression with the
    symbol to use instead; each rule's symbol must be defined in appendices/notation.md.
    Quotations (inside "..." or a ``>`` block quote) and sentences that say whose notation
    they translate ("Pennington et al. write $J$") are exempt. The appendix itself, where
    the papers' notations are tabulated, is not checked.
(d) ``numref_problems``: every ``{numref}`` to a ``fig-`` target names an existing figure,
    and every figure is referred to from the text at least once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = REPO_ROOT / "chapters"
NOTATION_APPENDIX = "appendices/notation.md"


# --------------------------------------------------------------------------------------
# Documents: a chapter notebook, or a .md page (intro.md is a MyST-markdown notebook)


@dataclass
class Document:
    """One page of the book: its path relative to the repository and its cells."""

    name: str
    cells: list = field(default_factory=list)

    @property
    def is_notebook(self) -> bool:
        return self.name.endswith(".ipynb")


def read_document(path: Path) -> Document:
    name = path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else path.name
    if path.suffix == ".ipynb":
        return Document(name, list(nbformat.read(path, as_version=4).cells))
    from myst_nb.core.read import read_myst_markdown_notebook

    text = path.read_text(encoding="utf-8")
    if "```{code-cell}" in text:
        return Document(name, list(read_myst_markdown_notebook(text).cells))
    return Document(name, [nbformat.v4.new_markdown_cell(text)])


def book_documents() -> list[Document]:
    """Every chapter notebook (listed in _toc.yml or not) and every page of _toc.yml."""
    import yaml

    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    paths = {p for p in CHAPTERS.glob("*.ipynb")}
    for name in names:
        for suffix in (".ipynb", ".md"):
            if (REPO_ROOT / f"{name}{suffix}").exists():
                paths.add(REPO_ROOT / f"{name}{suffix}")
                break
    return [read_document(p) for p in sorted(paths)]


DOCUMENTS = book_documents()
FIGURE_DOCUMENTS = [d for d in DOCUMENTS if d.name.startswith("chapters/") or d.name == "intro.md"]


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _excerpt(text: str, start: int, end: int, width: int = 40) -> str:
    snippet = text[max(0, start - width):end + width]
    return ("..." if start > width else "") + snippet.replace("\n", " ") + ("..." if end + width < len(text) else "")


# --------------------------------------------------------------------------------------
# (a) figures: caption, name, alt text

IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg", "image/gif")
#: A plotting cell of a page stored without outputs (intro.md).
DRAWS_A_FIGURE = re.compile(r"\bplt\.(show|subplots|figure)\(")
FIGURE_NAME = re.compile(r"^fig-[a-z0-9]+(-[a-z0-9]+)+$")
LOOKS_LIKE_A_PATH = re.compile(r"\.(png|svg|jpe?g|gif|pdf)\b|(^|\s)(\.\.?/|/|_images\b)|^\S*/\S*$", re.I)


def image_outputs(cell) -> int:
    return sum(
        1 for out in cell.get("outputs", []) if any(t in out.get("data", {}) for t in IMAGE_TYPES)
    )


def is_figure_cell(document: Document, cell) -> bool:
    if cell.cell_type != "code":
        return False
    if image_outputs(cell):
        return True
    return not document.is_notebook and bool(DRAWS_A_FIGURE.search(_source(cell)))


def expected_name_prefix(document: Document) -> str:
    match = re.match(r"chapters/(\d+)_", document.name)
    if match:
        return f"fig-ch{match.group(1)}-"
    return f"fig-{Path(document.name).stem}-"


def alt_text_problem(alt) -> str | None:
    """Why ``alt`` is not a description a screen-reader user can act on, or None."""
    if not isinstance(alt, str) or not alt.strip():
        return "no mystnb.image.alt"
    if LOOKS_LIKE_A_PATH.search(alt.strip()):
        return f"mystnb.image.alt looks like a file name or path: {alt!r}"
    if len(alt.split()) < 5:
        return f"mystnb.image.alt has fewer than 5 words, not a description: {alt!r}"
    if "$" in alt or "\\" in alt:
        return f"mystnb.image.alt contains LaTeX, which a screen reader spells out: {alt!r}"
    return None


def figure_problems(documents: list[Document]) -> list[str]:
    problems = []
    seen: dict[str, str] = {}
    for document in documents:
        for index, cell in enumerate(document.cells):
            if not is_figure_cell(document, cell):
                continue
            where = f"{document.name}, cell {index}"
            metadata = cell.get("metadata", {})
            mystnb = metadata.get("mystnb") or {}
            figure = mystnb.get("figure") or {}
            image = mystnb.get("image") or {}
            if image_outputs(cell) > 1:
                problems.append(f"{where}: {image_outputs(cell)} images in one cell (one figure per cell)")
            caption = figure.get("caption")
            if not isinstance(caption, str) or not caption.strip():
                problems.append(f"{where}: no mystnb.figure.caption")
            name = figure.get("name")
            if not isinstance(name, str) or not name.strip():
                problems.append(f"{where}: no mystnb.figure.name")
            else:
                prefix = expected_name_prefix(document)
                if not FIGURE_NAME.match(name) or not name.startswith(prefix):
                    problems.append(
                        f"{where}: mystnb.figure.name {name!r} should be {prefix}<slug> "
                        "(lower case, digits and hyphens)"
                    )
                if name in seen:
                    problems.append(f"{where}: mystnb.figure.name {name!r} is already used by {seen[name]}")
                seen.setdefault(name, where)
            if "image" in metadata and "image" not in mystnb:
                problems.append(f"{where}: metadata 'image' must sit inside 'mystnb' (myst-nb ignores it there)")
            alt_problem = alt_text_problem(image.get("alt"))
            if alt_problem:
                problems.append(f"{where}: {alt_problem}")
    return problems


# --------------------------------------------------------------------------------------
# (b) control characters

CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
CONTROL_NAMES = {"\t": "TAB (\\t, e.g. from \\top, \\tau, \\text)", "\r": "CR (\\r, e.g. from \\rm, \\right)",
                 "\f": "FF (\\f, e.g. from \\frac)", "\b": "BS (\\b, e.g. from \\beta, \\big)",
                 "\a": "BEL (\\a, e.g. from \\alpha)", "\v": "VT (\\v, e.g. from \\vec)"}


def _control_hits(text: str, where: str) -> list[str]:
    return [
        f"{where}: control character {CONTROL_NAMES.get(m.group(), repr(m.group()))} in "
        f"{_excerpt(text, m.start(), m.end())!r}"
        for m in CONTROL.finditer(text)
    ]


#: "\r" and "\n" in a non-raw Python string become line breaks, which nbformat keeps as such:
#: a line break inside math followed by the rest of \rm, \right, \rho, \nabla, \neq, \not...
EATEN_LINE_BREAK = re.compile(
    r"(?<=[{_^])\n(?=(?:m|mathrm|ho)\b)"
    r"|(?<=[{_^(\[\s=+-])\n(?=(?:ight|angle|ceil|floor|[vV]ert|abla|eq|eg|otin|ot|ewline)\b)"
)


def _inside_math(text: str, pos: int) -> bool:
    before = text[:pos]
    if before.count("$$") % 2:
        return True
    return before.replace("$$", "").replace("\\$", "").count("$") % 2 == 1


def _eaten_line_breaks(text: str, where: str) -> list[str]:
    return [
        f"{where}: line break inside math where a LaTeX command lost its backslash "
        f"(\\r or \\n in a non-raw Python string) in {_excerpt(text, m.start(), m.end())!r}"
        for m in EATEN_LINE_BREAK.finditer(text)
        if _inside_math(text, m.start())
    ]


#: LaTeX commands whose first letter a non-raw Python string turns into a control character.
EATEN_COMMANDS = frozenset(
    "top tau theta times text textrm textbf textit tfrac tanh tilde rm right rangle rceil rfloor rho "
    "rVert rvert frac forall bar beta big bigl bigr bigg bf boldsymbol bullet alpha approx ast "
    "vec varphi varepsilon vert nabla neq ne nu not newline".split()
)


def _eaten_in_code(source: str, where: str) -> list[str]:
    """Non-raw string literals of a code cell (figure titles, labels) whose LaTeX lost a backslash."""
    import io
    import tokenize

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    problems = []
    for token in tokens:
        prefix = re.match(r"([A-Za-z]*)['\"]", token.string) if token.type == tokenize.STRING else None
        if prefix is None or "r" in prefix.group(1).lower() or "$" not in token.string:
            continue
        for match in re.finditer(r"(?<!\\)\\([trfbavn][A-Za-z]*)", token.string):
            if match.group(1) in EATEN_COMMANDS:
                problems.append(
                    f"{where} (code): \"\\{match.group(1)}\" in a non-raw string becomes a control character: "
                    f"{token.string[:80]} (write \\\\{match.group(1)} or use r\"...\")"
                )
    return problems


def control_character_problems(documents: list[Document]) -> list[str]:
    problems = []
    for document in documents:
        for index, cell in enumerate(document.cells):
            where = f"{document.name}, cell {index}"
            if cell.cell_type == "markdown":
                problems += _control_hits(_source(cell), where)
                problems += _eaten_line_breaks(prose_of_markdown(_source(cell)), where)
            elif cell.cell_type == "code":
                problems += _eaten_in_code(_source(cell), where)
            mystnb = cell.get("metadata", {}).get("mystnb") or {}
            for key, value in [("mystnb.figure.caption", (mystnb.get("figure") or {}).get("caption")),
                               ("mystnb.image.alt", (mystnb.get("image") or {}).get("alt"))]:
                if isinstance(value, str):
                    problems += _control_hits(value, f"{where} {key}")
    return problems


# --------------------------------------------------------------------------------------
# (c) notation


@dataclass
class NotationRule:
    """A forbidden variant of the book's notation."""

    name: str
    pattern: re.Pattern
    use_instead: str
    #: What notation.md must contain (a regular expression): the symbol, defined there.
    defined_in_appendix: str
    #: Also check the LaTeX of code cells' strings (figure labels and titles).
    in_code: bool = True
    #: A match this returns True for is fine after all.
    accept: Callable[[re.Match], bool] | None = None


_SCRIPTS = r"(?:\s*[\^_]\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\?\w))*"
_PARTIAL = r"(?:\\partial|∂)"
_NOT_SYMBOL_BEFORE = r"(?<![A-Za-z\\_^{])"


def _delta_is_dJ_dz(match: re.Match) -> bool:
    return match.group("num") == "J" and match.group("den") == "z"


NOTATION_RULES = [
    NotationRule(
        "delta-definition",
        re.compile(
            r"(?:\\delta|δ)" + _SCRIPTS + r"\s*(?:=|:=|\\equiv|\\coloneqq)\s*(?:\\frac\s*\{\s*|\\tfrac\s*\{\s*)?"
            + _PARTIAL + r"\s*(?P<num>\\mathcal\s*\{\s*\w\s*\}|\\hat\s*\{?\s*y|\w)[^/{}$]{0,25}?"
            r"(?:\}\s*\{|/)\s*" + _PARTIAL + r"\s*(?P<den>\\hat\s*\{?\s*y|\w)"
        ),
        r"δ^{[l]} = ∂J/∂z^{[l]} (the gradient of the cost J with respect to the pre-activation z)",
        r"\\delta\^\{\[l\]\}\s*=\s*\\partial J\s*/\s*\\partial z\^\{\[l\]\}",
        accept=_delta_is_dJ_dz,
    ),
    NotationRule(
        "delta-in-words",
        re.compile(
            r"(?:\\delta|δ)" + _SCRIPTS + r"\$?,?\s+(?:is\s+|now\s+|denotes\s+|for\s+)?the\s+(?:\w+\s+)?gradient"
            r"\s+(?:of\s+the\s+(?:cost|loss)\s+)?(?:with\s+respect\s+to|w\.r\.t\.?)\s+(?:the\s+)?"
            r"(?:activations?|outputs?|post-activations?|\$a\b|\$a\^)"
        ),
        r"δ^{[l]} = ∂J/∂z^{[l]}, the gradient with respect to the pre-activation",
        r"\\delta\^\{\[l\]\}\s*=\s*\\partial J\s*/\s*\\partial z\^\{\[l\]\}",
    ),
    NotationRule(
        "L-as-loss",
        re.compile(_PARTIAL + r"\s*L(?![A-Za-z])|\bloss\s+\$L\$|" + _NOT_SYMBOL_BEFORE + r"L\s*\(\s*\\hat\s*\{?\s*y"),
        r"J for the cost (∂J/∂…), \mathcal{L}(ŷ, y) for one example's loss; L is the depth",
        r"\$L\$.{0,80}depth",
    ),
    NotationRule(
        "J-as-Jacobian",
        re.compile(
            r"Jacobian,?\s+(?:matrix\s+)?\$\s*J\b"
            + r"|" + _NOT_SYMBOL_BEFORE + r"J\s*=\s*(?:\\frac\s*\{\s*)?" + _PARTIAL
            + r"|" + _NOT_SYMBOL_BEFORE + r"J\s*=\s*W\^"
            + r"|" + _NOT_SYMBOL_BEFORE + r"J\s*\^\s*\{?\s*\\top"
            + r"|" + _NOT_SYMBOL_BEFORE + r"J\s*\^\s*\{\s*\["
            + r"|\(\s*J\s*\)"
        ),
        r"M for the input-output Jacobian ∂ŷ/∂x (J is the cost; Pennington et al. write J: say so)",
        r"\$M\s*=\s*\\partial \\hat y\s*/\s*\\partial x\$",
    ),
    NotationRule(
        "g-as-activation",
        re.compile(
            _NOT_SYMBOL_BEFORE + r"g\s*(?:'|\\prime|\^\s*\{?\s*\\prime\s*\}?)"
            + r"|" + _NOT_SYMBOL_BEFORE + r"g\s*(?:\\!\s*)?(?:\\left|\\bigl?|\\Bigl?)?\s*\(\s*z"
            + r"|\\phi\s*(?:'|\\prime)?\s*(?:\\left|\\bigl?)?\s*\(\s*[zh]\b"  # Poole's φ; \varphi is the normal density
        ),
        r"f for the activation, f' for its derivative",
        r"\$f\$.{0,80}activation",
    ),
    NotationRule(
        "g-as-gain",
        re.compile(
            _NOT_SYMBOL_BEFORE + r"g\s*(?:=|>|<|\\approx|\\ge|\\le|\\geq|\\leq)\s*[\d.]"
            + r"|" + _NOT_SYMBOL_BEFORE + r"g\s*\^\s*\{?\s*2"
            + r"|\bgains?\s+\$g\$"
        ),
        r"γ (\gamma) for a gain multiplying the std",
        r"\\gamma\$.{0,80}gain",
    ),
    NotationRule(
        "mean-field-papers-notation",
        re.compile(r"\\chi_\{?1\}?(?![\d])|" + _NOT_SYMBOL_BEFORE + r"[qc]\s*\^\s*\{?\s*l\s*\}?\s*_\s*\{?\s*12"
                   + r"|" + _NOT_SYMBOL_BEFORE + r"q\s*\^\s*(?:l\b|\{\s*l\s*\})"),
        r"χ (not χ₁), q^{[l]}, c^{[l]} (Poole et al.'s χ₁, q^l, c^l_12: say so when quoting them)",
        r"\$\\chi = \\sigma_w\^2",
    ),
    NotationRule(
        "sigma_w-as-std",
        re.compile(
            r"(?:std|standard deviation)\s+(?:of\s+\S+\s+)?\$\\sigma_w\$"
            + r"|\\sigma_w\s*=\s*(?:[mn]|n_\{?\s*\\(?:rm|text|mathrm)\s*\{?\s*in\s*\}?\s*\}?)\s*\^\s*\{?\s*-\s*1\s*/\s*2"
            + r"|\\sigma_w\s*=\s*1\s*/\s*\\sqrt"
            + r"|\\operatorname\s*\{\s*Var\s*\}\s*\(\s*[wW][^)]*\)\s*=\s*\\sigma_w\s*\^\s*\{?\s*2\s*\}?(?!\s*/)"
        ),
        r"σ_w² = n_in·Var(w) (Poole et al.'s fan-in-normalised variance: LeCun 1, He 2); "
        r"σ without subscript for the std of one weight",
        r"\\sigma_w\^2\s*=\s*n_\\text\{in\}",
    ),
    NotationRule(
        "kappa-as-kurtosis",
        re.compile(r"kurtosis\W{0,3}\$\\kappa|\\kappa\s*(?:\(\s*[wzx]\s*\))?\s*=\s*\\mathrm\s*\{?\s*E\s*\}?\s*\[\s*\(\s*\w\s*-\s*\\mu"),
        r"Kurt(X) for the excess kurtosis; κ is the residual branch's variance ratio (chapter 9)",
        r"\\operatorname\{Kurt\}\(X\)",
        in_code=False,
    ),
]

#: A sentence that says whose notation it quotes may use that notation.
TRANSLATION = re.compile(
    r"(?:et al\.?|(?<!book)'s|(?<!book)’s|their|paper'?s?|authors?)\s+(?:own\s+)?(?:notation|writes?|calls?|denotes?|uses?)\b"
    r"|\bin\s+(?:the|their|[A-Z]\w+'s)\s+notation|\bnotation of\b",
    re.I,
)
_FENCE = re.compile(r"^(```|~~~|:::).*?^\1", re.S | re.M)
_ROLE_OR_CODE = re.compile(r"\{[\w:-]+\}`[^`]*`|``[^`]*``|`[^`\n]*`")
_MATH_IN_CODE = re.compile(r"\$[^$\n]+\$")


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group())


def prose_of_markdown(text: str) -> str:
    """Markdown without code blocks, inline code, roles and block quotes (same offsets)."""
    text = _FENCE.sub(_blank, text)
    text = _ROLE_OR_CODE.sub(_blank, text)
    return re.sub(r"(?m)^\s*>.*$", _blank, text)


#: The end of a sentence: a full stop that does not end "et al.", "e.g.", "i.e.", "cf.", "vs.", or a paragraph.
_SENTENCE_END = re.compile(r"(?<!et al)(?<!e\.g)(?<!i\.e)(?<!\bcf)(?<!\bvs)[.!?]\s+|\n\s*\n")


def _sentence(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in _SENTENCE_END.finditer(text, end)), len(text))
    return text[left:right]


def _inside_quotation(text: str, start: int) -> bool:
    paragraph_start = text.rfind("\n\n", 0, start) + 1
    before = text[paragraph_start:start]
    return before.count('"') % 2 == 1 or before.count("“") > before.count("”")


def _notation_hits(text: str, where: str, rules, *, code: bool) -> list[str]:
    problems = []
    for rule in rules:
        if code and not rule.in_code:
            continue
        for match in rule.pattern.finditer(text):
            if rule.accept and rule.accept(match):
                continue
            if not code and (_inside_quotation(text, match.start())
                             or TRANSLATION.search(_sentence(text, match.start(), match.end()))):
                continue
            problems.append(
                f"{where}: [{rule.name}] {_excerpt(text, match.start(), match.end())!r}: "
                f"use {rule.use_instead}"
            )
    return problems


def notation_problems(documents: list[Document], rules=NOTATION_RULES) -> list[str]:
    problems = []
    for document in documents:
        if document.name == NOTATION_APPENDIX:
            continue  # the appendix tabulates the papers' notations on purpose
        for index, cell in enumerate(document.cells):
            where = f"{document.name}, cell {index}"
            if cell.cell_type == "markdown":
                problems += _notation_hits(prose_of_markdown(_source(cell)), where, rules, code=False)
            elif cell.cell_type == "code":
                math = " ".join(m.group() for m in _MATH_IN_CODE.finditer(_source(cell)))
                problems += _notation_hits(math, f"{where} (code, LaTeX of a label)", rules, code=True)
                mystnb = cell.get("metadata", {}).get("mystnb") or {}
                caption = (mystnb.get("figure") or {}).get("caption")
                if isinstance(caption, str):
                    problems += _notation_hits(caption, f"{where} mystnb.figure.caption", rules, code=False)
    return problems


# --------------------------------------------------------------------------------------
# (d) numref: every target exists, every figure is referred to

NUMREF = re.compile(r"\{numref\}`([^`]*)`")
FIGURE_DIRECTIVE_NAME = re.compile(r"^\s*:name:\s*(fig-\S+)", re.M)
LABEL = re.compile(r"^\((fig-[^)]+)\)=\s*$", re.M)


def _numref_target(content: str) -> str:
    explicit = re.search(r"<([^<>]+)>\s*$", content)
    return (explicit.group(1) if explicit else content).strip()


def figure_names(documents: list[Document]) -> dict[str, str]:
    names = {}
    for document in documents:
        for index, cell in enumerate(document.cells):
            name = ((cell.get("metadata", {}).get("mystnb") or {}).get("figure") or {}).get("name")
            if isinstance(name, str) and name:
                names.setdefault(name, f"{document.name}, cell {index}")
            if cell.cell_type == "markdown":
                for found in FIGURE_DIRECTIVE_NAME.findall(_source(cell)) + LABEL.findall(_source(cell)):
                    names.setdefault(found, f"{document.name}, cell {index}")
    return names


def numref_problems(documents: list[Document]) -> list[str]:
    names = figure_names(documents)
    referenced = set()
    problems = []
    for document in documents:
        for index, cell in enumerate(document.cells):
            if cell.cell_type != "markdown":
                continue
            for content in NUMREF.findall(_source(cell)):
                target = _numref_target(content)
                referenced.add(target)
                if target.startswith("fig-") and target not in names:
                    problems.append(f"{document.name}, cell {index}: {{numref}}`{content}` names no figure")
    for name, where in names.items():
        if name.startswith("fig-") and name not in referenced:
            problems.append(f"{where}: figure {name!r} is never referred to with {{numref}}")
    return problems


# --------------------------------------------------------------------------------------
# The checks on the book


def _report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_there_are_documents_to_check():
    names = {d.name for d in DOCUMENTS}
    assert "intro.md" in names and NOTATION_APPENDIX in names
    assert sum(d.name.startswith("chapters/") for d in DOCUMENTS) >= 8
    figures = sum(is_figure_cell(d, c) for d in FIGURE_DOCUMENTS for c in d.cells)
    assert figures >= 20, f"only {figures} figure cells found: is the loader broken?"


@pytest.mark.parametrize("document", FIGURE_DOCUMENTS, ids=lambda d: d.name)
def test_every_figure_has_caption_name_and_alt_text(document):
    problems = figure_problems([document])
    assert not problems, _report(problems)


def test_figure_names_are_unique_across_the_book():
    problems = [p for p in figure_problems(FIGURE_DOCUMENTS) if "is already used by" in p]
    assert not problems, _report(problems)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_no_control_characters_in_markdown(document):
    problems = control_character_problems([document])
    assert not problems, _report(problems)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_notation_is_the_appendix_notation(document):
    problems = notation_problems([document])
    assert not problems, _report(problems)


def test_every_rule_symbol_is_defined_in_the_notation_appendix():
    appendix = (REPO_ROOT / NOTATION_APPENDIX).read_text(encoding="utf-8")
    missing = [
        f"{rule.name}: notation.md should define {rule.use_instead} (regex {rule.defined_in_appendix!r})"
        for rule in NOTATION_RULES
        if not re.search(rule.defined_in_appendix, appendix)
    ]
    assert not missing, "\n".join(missing)


def test_every_figure_reference_resolves_and_every_figure_is_referenced():
    problems = numref_problems(DOCUMENTS)
    assert not problems, _report(problems)


# --------------------------------------------------------------------------------------
# The checkers can fail: unit tests on synthetic notebooks

PNG = "iVBORw0KGgo="  # any base64 string: the checks look at the MIME type only
GOOD_ALT = "Two lines of standard deviation against layer, one falling and one flat"


def figure_cell(*, caption="What is plotted, and what to see.", name="fig-ch01-demo", alt=GOOD_ALT, images=1):
    mystnb = {}
    if caption is not None or name is not None:
        mystnb["figure"] = {k: v for k, v in (("caption", caption), ("name", name)) if v is not None}
    if alt is not None:
        mystnb["image"] = {"alt": alt}
    cell = nbformat.v4.new_code_cell("plt.show()", metadata={"mystnb": mystnb} if mystnb else {})
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": PNG}) for _ in range(images)]
    return cell


def doc(*cells, name="chapters/01_demo.ipynb") -> Document:
    return Document(name, list(cells))


def md(text):
    return nbformat.v4.new_markdown_cell(text)


def test_figure_check_passes_a_complete_figure():
    assert figure_problems([doc(md("# Demo"), figure_cell())]) == []


def test_figure_check_ignores_cells_without_images():
    assert figure_problems([doc(nbformat.v4.new_code_cell("print(1)"))]) == []


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (figure_cell(caption=None), "cell 1: no mystnb.figure.caption"),
        (figure_cell(caption="  "), "cell 1: no mystnb.figure.caption"),
        (figure_cell(name=None), "cell 1: no mystnb.figure.name"),
        (figure_cell(name="demo"), "should be fig-ch01-<slug>"),
        (figure_cell(name="fig-ch02-demo"), "should be fig-ch01-<slug>"),
        (figure_cell(name="fig-ch01-Demo"), "lower case"),
        (figure_cell(alt=None), "cell 1: no mystnb.image.alt"),
        (figure_cell(alt="../_images/69ef0a.png"), "looks like a file name"),
        (figure_cell(alt="figure.png showing the std per layer"), "looks like a file name"),
        (figure_cell(alt="std over depth"), "fewer than 5 words"),
        (figure_cell(alt=r"The std of $\delta^{[l]}$ falls with depth l"), "contains LaTeX"),
        (figure_cell(images=2), "2 images in one cell"),
    ],
)
def test_figure_check_names_notebook_cell_and_what_is_missing(cell, expected):
    problems = figure_problems([doc(md("# Demo"), cell)])
    assert problems and all(p.startswith("chapters/01_demo.ipynb, cell 1:") for p in problems), problems
    assert any(expected in p for p in problems), problems


def test_figure_check_wants_alt_inside_mystnb():
    cell = figure_cell(alt=None)
    cell.metadata["image"] = {"alt": GOOD_ALT}
    problems = figure_problems([doc(cell)])
    assert any("must sit inside 'mystnb'" in p for p in problems), problems


def test_figure_check_finds_duplicate_names_across_documents():
    problems = figure_problems([doc(figure_cell()), doc(figure_cell(), name="chapters/01_other.ipynb")])
    assert problems == [
        "chapters/01_other.ipynb, cell 0: mystnb.figure.name 'fig-ch01-demo' is already used by "
        "chapters/01_demo.ipynb, cell 0"
    ]


def test_figure_check_finds_plotting_cells_of_markdown_pages():
    bare = nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nplt.show()")
    problems = figure_problems([doc(bare, name="intro.md")])
    assert "intro.md, cell 0: no mystnb.figure.caption" in problems
    named = figure_cell(name="fig-intro-demo")
    named.outputs = []
    assert figure_problems([doc(named, name="intro.md")]) == []


def test_the_real_intro_is_read_with_its_metadata():
    intro = next(d for d in DOCUMENTS if d.name == "intro.md")
    assert any(is_figure_cell(intro, c) for c in intro.cells), "intro.md's plotting cell was not found"


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("$\\delta^{[l]\top}$", "TAB"),           # "\top" written in a non-raw Python string
        ("$\\sum_{\rm batch}$", "CR"),            # "\rm"
        ("$\frac{1}{2}$", "FF"),                  # "\frac"
        ("$\beta$", "BS"),                        # "\beta"
    ],
)
def test_control_character_check_fails_on_eaten_backslashes(text, what):
    problems = control_character_problems([doc(md("fine"), md(text))])
    assert len(problems) == 1 and problems[0].startswith("chapters/01_demo.ipynb, cell 1: control character " + what), problems


@pytest.mark.parametrize(
    "text",
    ["$\\partial J/\\partial b = \\sum_{\rm batch} \\delta$",   # "\rm" -> CR, saved as a line break
     "$\\left( x \right)$", "$a \neq b$", "$$\\sum_i x_i \nabla J$$"],
)
def test_control_character_check_fails_on_line_breaks_eaten_from_commands(text):
    problems = control_character_problems([doc(md(text.replace("\r", "\n")))])
    assert len(problems) == 1 and "line break inside math where a LaTeX command lost its backslash" in problems[0], problems


def test_control_character_check_passes_line_breaks_in_prose_and_math():
    text = "A sentence\nmight end here, $x +\ny$ and\n$$\nJ = \\tfrac12\n$$\nequals\nm examples."
    assert control_character_problems([doc(md(text))]) == []


@pytest.mark.parametrize(
    ("code", "command"),
    [('ax.set_title("std of $\\delta^{[l]\\top}$")', "top"),
     ('ax.set_ylabel(f"$\\frac{{1}}{{n}}$ = {x}")', "frac"),
     ("label='$\\tau = 1$'", "tau"),
     ('ax.set_xlabel("layer\\n$\\nabla J$")', "nabla")],
)
def test_control_character_check_fails_on_latex_in_non_raw_strings(code, command):
    problems = control_character_problems([doc(nbformat.v4.new_code_cell(code))])
    assert len(problems) == 1 and f"cell 0 (code): \"\\{command}\" in a non-raw string" in problems[0], problems


def test_control_character_check_passes_raw_strings_and_real_newlines():
    code = ('ax.set_title(r"$\\delta^{[l]\\top}$")\n'
            'ax.set_xlabel("tanh layers:\\nthe deep start $J$\\n(median)")\n'
            'ax.set_ylabel("$\\\\tau$ and \\t without math")\n'
            '%matplotlib inline')
    assert control_character_problems([doc(nbformat.v4.new_code_cell(code))]) == []


def test_control_character_check_passes_newlines_and_checks_captions():
    assert control_character_problems([doc(md("line one\n\nline two $\\top$"))]) == []
    problems = control_character_problems([doc(figure_cell(caption="the std of $\\delta^{[l]\top}$"))])
    assert problems and "cell 0 mystnb.figure.caption: control character TAB" in problems[0]
    code = nbformat.v4.new_code_cell("x = 1\n\ty = 2")  # code cells may hold tabs: not checked
    assert control_character_problems([doc(code)]) == []


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (r"Write $\delta^{[l]} = \partial L/\partial a^{[l]}$ for the gradient", "delta-definition"),
        (r"with $\delta^{[l]} = \partial J/\partial a^{[l]}$", "delta-definition"),
        (r"$$\delta^{[l]}_i = \frac{\partial J}{\partial a^{[l]}_i}$$", "delta-definition"),
        (r"With $\delta^{[l]} = \partial L/\partial z^{[l]}$,", "delta-definition"),
        (r"$\frac{\partial L}{\partial W^{[l]}} = \delta^{[l]}$", "L-as-loss"),
        (r"the loss $L$ of one example", "L-as-loss"),
        (r"the input-output Jacobian $J$ of the network", "J-as-Jacobian"),
        (r"$$J = W^{[L]} W^{[L-1]} \cdots W^{[1]},$$", "J-as-Jacobian"),
        (r"$J = \partial a^{[L]}/\partial x$", "J-as-Jacobian"),
        (r"$\frac1n \operatorname{tr}(J^\top J)$", "J-as-Jacobian"),
        (r"the singular values $\sigma_i(J)$", "J-as-Jacobian"),
        (r"$J^{[l]} = \partial a^{[l+1]}/\partial a^{[l]}$", "J-as-Jacobian"),
        (r"$a^{[l]} = g(z^{[l]})$", "g-as-activation"),
        (r"$\odot g'\!\left(z^{[l-1]}\right)$", "g-as-activation"),
        (r"the slopes $g'(z) < 1$", "g-as-activation"),
        (r"$a = \phi(h)$", "g-as-activation"),
        (r"for any gain $g > 1$", "g-as-gain"),
        (r"$q^* = g^2\, \mathrm{E}[\tanh(\sqrt{q^*} z)^2]$", "g-as-gain"),
        (r"standard deviation $\sigma_w$ of the weights", "sigma_w-as-std"),
        (r"$\operatorname{Var}(w) = \sigma_w^2$", "sigma_w-as-std"),
        (r"$\sigma_w = n^{-1/2}$", "sigma_w-as-std"),
        (r"with $\delta^{[l]}$ the gradient with respect to the activations", "delta-in-words"),
        (r"$\delta^{[l]}$ is the gradient of the cost w.r.t. $a^{[l]}$", "delta-in-words"),
        (r"the slope $\chi_1$ of the map", "mean-field-papers-notation"),
        (r"$q^l$ converges to $q^*$", "mean-field-papers-notation"),
        (r"$c^{l}_{12}$ tends to 1", "mean-field-papers-notation"),
        (r"The *excess kurtosis* $\kappa = \mathrm E[(x - \mu)^4]/\sigma^4 - 3$", "kappa-as-kurtosis"),
    ],
)
def test_notation_check_fails_on_each_forbidden_variant(text, rule):
    problems = notation_problems([doc(md("# Demo"), md(text))])
    assert problems and all(p.startswith("chapters/01_demo.ipynb, cell 1: [") for p in problems), problems
    assert any(f"[{rule}]" in p for p in problems), problems


@pytest.mark.parametrize(
    "text",
    [
        r"Write $\delta^{[l]} = \partial J/\partial z^{[l]}$ for the gradient",
        r"$$\delta^{[l]} = \frac{\partial J}{\partial z^{[l]}}$$",
        r"$\frac{\partial J}{\partial W^{[l]}} = \delta^{[l]} a^{[l-1]\top}$, $\mathcal{L}(\hat y, y)$",
        r"a network of depth $L$ with $L = 30$ layers, and $\partial \mathcal{L}/\partial \hat y$",
        r"the input-output Jacobian $M = \partial \hat y/\partial x$, $\operatorname{tr}(M^\top M)$",
        r"$a^{[l]} = f(z^{[l]})$ and $f'(z)$; $\log(z)$ and $\arg(z)$",
        r"so $\hat y = g(u)$ with $g$ monotone; $g_j$ standard normals",
        r"a gain $\gamma = 5/3$; $\sigma_w^2 = n_\text{in}\operatorname{Var}(w)$, $\operatorname{Var}(w) = \sigma_w^2/n$",
        r"(Pennington et al. write $J$ for the input-output Jacobian $M$.)",
        r"with $\delta$ now the gradient with respect to $z$; $\delta^{[l]}$ the gradient with respect to the pre-activation",
        r"$q^{[l]}$ converges to $q^*$, $c^{[l]} \to c^*$, $\chi = \sigma_w^2 \mathbb{E}[f'(z)^2]$; $c^{L-l}$ and $c^l$ for $W = cI$",
        r"Poole et al.'s notation has $\chi_1$ and $q^l$ for our $\chi$ and $q^{[l]}$",
        r"It is $\chi$, the quantity Poole et al. call $\chi_1$. It grows.",
        r"the standard normal density $\varphi(z)$ and its CDF $\Phi(b)$, $\varphi'(t) = -t\varphi(t)$",
        r'LeCun et al. recommend weights with "standard deviation $\sigma_w = m^{-1/2}$ where $m$ is the fan-in"',
        "> their standard deviation $\\sigma_w = m^{-1/2}$ (a quotation)",
        r"the code `g(z)` and ``J = W @ J`` are code, {math}`g'(z)` is a role",
        "```python\nJ = W @ J\n```",
    ],
)
def test_notation_check_passes_the_book_notation(text):
    assert notation_problems([doc(md(text))]) == []


def test_notation_check_exempts_only_the_translating_sentence():
    text = r"Poole et al. call it $\chi_1$, e.g. at the edge. Here $\chi_1$ is wrong. And $g = 2$."
    problems = notation_problems([doc(md(text))])
    assert len(problems) == 2, problems
    assert any("[mean-field-papers-notation]" in p and "chi_1$ is wrong" in p for p in problems), problems
    assert any("[g-as-gain]" in p for p in problems), problems


def test_notation_check_reads_labels_in_code_and_captions_but_not_code():
    label = nbformat.v4.new_code_cell('ax.set(ylabel=r"std of $\\partial L/\\partial a^{[l]}$")\nJ = W @ J')
    problems = notation_problems([doc(label)])
    assert len(problems) == 1 and "cell 0 (code, LaTeX of a label): [L-as-loss]" in problems[0], problems
    problems = notation_problems([doc(figure_cell(caption=r"The std of $\partial L/\partial a$ per layer."))])
    assert len(problems) == 1 and "mystnb.figure.caption: [L-as-loss]" in problems[0], problems


def test_notation_check_does_not_exempt_the_books_own_notation():
    problems = notation_problems([doc(md(r"In the book's notation, $\delta^{[l]} = \partial J/\partial a^{[l]}$."))])
    assert len(problems) == 1 and "[delta-definition]" in problems[0], problems


def test_notation_check_skips_the_appendix():
    assert notation_problems([doc(md(r"Pennington: $J$, the Jacobian $J = \partial$"), name=NOTATION_APPENDIX)]) == []


def test_numref_check_passes_a_referenced_figure():
    chapter = doc(md("See {numref}`fig-ch01-demo` and {numref}`Figure %s <fig-ch01-demo>`."), figure_cell())
    assert numref_problems([chapter]) == []


def test_numref_check_fails_on_a_missing_target_and_an_unreferenced_figure():
    chapter = doc(md("See {numref}`fig-ch01-typo`."), figure_cell())
    assert numref_problems([chapter]) == [
        "chapters/01_demo.ipynb, cell 0: {numref}`fig-ch01-typo` names no figure",
        "chapters/01_demo.ipynb, cell 1: figure 'fig-ch01-demo' is never referred to with {numref}",
    ]


def test_numref_check_resolves_across_documents_and_markdown_figures():
    chapter = doc(figure_cell())
    other = doc(md("As {numref}`Fig. %s <fig-ch01-demo>` shows; {numref}`fig-ch02-static`\n\n"
                   "```{figure} a.png\n:name: fig-ch02-static\n\nCaption.\n```"), name="chapters/02_demo.ipynb")
    assert numref_problems([chapter, other]) == []

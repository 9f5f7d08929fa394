"""Regenerate .github/readme_figure.png, the README's figure, from the intro's own code.

The figure is the demo figure of intro.md: this script runs that page's code cell (the
same code the book build runs) and saves the figure. Run it after changing the cell:

    .venv/bin/python .ci/readme_figure.py

tests/test_book.py checks that the committed PNG matches what the code draws now.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
FIGURE = REPO_ROOT / ".github" / "readme_figure.png"


def intro_code() -> str:
    """The source of intro.md's code cells (a MyST-markdown notebook)."""
    from myst_nb.core.read import read_myst_markdown_notebook

    notebook = read_myst_markdown_notebook((REPO_ROOT / "intro.md").read_text(encoding="utf-8"))
    return "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")


def draw(path: Path) -> Path:
    """Run the intro's code and save the figure it draws to ``path``."""
    plt.close("all")
    namespace = {"__name__": "__intro__"}
    show = plt.show
    plt.show = lambda *args, **kwargs: None  # keep the figure open to save it
    try:
        exec(compile(intro_code(), "intro.md", "exec"), namespace)  # noqa: S102 - our own page
    finally:
        plt.show = show
    figure = plt.gcf()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90, metadata={"Software": None})
    plt.close("all")
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else FIGURE
    print(f"wrote {draw(target)}")

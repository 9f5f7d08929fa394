"""What the statistics records share: ``as_dict`` and a fixed-width text table.

:class:`initlib.LayerStats`, :class:`initlib.SignalPropagation` and
:class:`initlib.LSUVRecord` are dataclasses of per-layer arrays; they print as one
row per layer through :func:`text_table`.
"""

from dataclasses import fields

import numpy as np

__all__ = ["Record", "text_table", "format_number"]


class Record:
    """Mixin for a dataclass record: :meth:`as_dict`."""

    def as_dict(self):
        """The record as a plain dict (e.g. for ``pandas.DataFrame``)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def format_number(value, digits):
    """``value`` with ``digits`` significant digits; ``"-"`` for nan (not defined)."""
    return "-" if np.isnan(value) else f"{value:.{digits}g}"


def text_table(header, rows):
    """Right-aligned columns, two spaces apart: ``header`` then one line per row of strings.

    >>> print(text_table(["layer", "std"], [["1", "0.5"], ["10", "-"]]))
    layer  std
        1  0.5
       10    -
    """
    widths = [max(len(r[j]) for r in [header, *rows]) for j in range(len(header))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in [header, *rows])

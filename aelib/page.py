"""Helpers for the book's pages: values glued into the prose (myst-nb) as plain Python types."""
from __future__ import annotations

from myst_nb import glue

from .results import plain


def glue_values(**values) -> None:
    """Glue each value under its name, without displaying it. NumPy and torch scalars become
    Python numbers first: myst-nb cannot format a stored `np.float64(...)`."""
    for name, value in values.items():
        glue(name, plain(value, json_safe=False), display=False)

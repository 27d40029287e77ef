"""Columns measured in terminal cells, not characters: a CJK character takes
two cells, so ``f"{text:<12}"`` would push the next column right by one per
character (zh_CN rows misaligned)."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

ELLIPSIS = "…"


def fit(text: str, width: int) -> str:
    """``text`` padded or cut to exactly ``width`` cells, left aligned."""
    return set_cell_size(text, width)


def fit_right(text: str, width: int) -> str:
    """``text`` right aligned in ``width`` cells (cut at its end when too long)."""
    size = cell_len(text)
    return " " * (width - size) + text if size <= width else set_cell_size(text, width)


def crop_left(text: str, width: int) -> str:
    """``text`` if it fits, else ``…`` and its end: a tag or a file name is at the end."""
    if cell_len(text) <= width:
        return text
    tail = text
    while cell_len(tail) > width - 1:
        tail = tail[1:]
    return fit(ELLIPSIS + tail, width)

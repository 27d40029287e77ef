"""Three-row block letters for the strategy word (FULL / PATCH / NONE / BLOCKED)."""

from __future__ import annotations

from textual.widgets import Static

_FONT: dict[str, tuple[str, str, str]] = {
    "A": ("▄▀▀▄", "█▀▀█", "▀  ▀"),
    "B": ("█▀▀▄", "█▀▀▄", "▀▀▀ "),
    "C": ("▄▀▀▀", "█   ", " ▀▀▀"),
    "D": ("█▀▀▄", "█  █", "▀▀▀ "),
    "E": ("█▀▀▀", "█▀▀ ", "▀▀▀▀"),
    "F": ("█▀▀▀", "█▀▀ ", "▀   "),
    "H": ("█  █", "█▀▀█", "▀  ▀"),
    "K": ("█  █", "█▀▀▄", "▀  ▀"),
    "L": ("█   ", "█   ", "▀▀▀▀"),
    "N": ("█▄ █", "█ ▀█", "▀  ▀"),
    "O": ("▄▀▀▄", "█  █", " ▀▀ "),
    "P": ("█▀▀▄", "█▀▀ ", "▀   "),
    "T": ("▀█▀", " █ ", " ▀ "),
    "U": ("█  █", "█  █", " ▀▀ "),
    " ": ("  ", "  ", "  "),
}


def render_big(word: str) -> str:
    rows = ["", "", ""]
    for char in word.upper():
        glyph = _FONT.get(char, _FONT[" "])
        for index in range(3):
            rows[index] += glyph[index] + " "
    return "\n".join(row.rstrip() for row in rows)


class BigText(Static):
    """Large type; colour comes from CSS classes in app.tcss."""

    def __init__(self, word: str, *, id: str | None = None, classes: str = "") -> None:  # noqa: A002
        super().__init__(render_big(word), id=id, classes=classes, markup=False)
        self.word = word

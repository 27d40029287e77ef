"""Keeping one-line messages short: long values are cut in the middle.

The start of a path or URL says where, the end says which file; the middle
is what a reader can best do without.
"""

from __future__ import annotations

ELLIPSIS = "…"
# A word longer than this in an error message is a value (a path, a URL, a
# pasted blob), never prose.
MAX_WORD = 160


def shorten(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its start and end around ``…``."""
    if len(text) <= limit:
        return text
    keep = max(limit - len(ELLIPSIS), 2)
    head = (keep + 1) // 2
    return text[:head] + ELLIPSIS + text[len(text) - (keep - head) :]


def shorten_words(message: str, limit: int = MAX_WORD) -> str:
    """Every whitespace-separated word of ``message`` cut to ``limit`` characters."""
    if len(message) <= limit:
        return message
    return " ".join(shorten(word, limit) for word in message.split())

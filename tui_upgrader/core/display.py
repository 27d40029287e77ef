"""Human formatting shared by the CLI and the TUI (humanize, no I/O).

humanize has its own catalogues; ``ops.language`` switches them with ours.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import humanize

from tui_upgrader.core.i18n import N_, Translated, _


def size(n: int | None) -> str:
    return _("unknown size") if n is None else humanize.naturalsize(n, binary=True)


def rate(bytes_per_s: float | None) -> str:
    if not bytes_per_s:
        return "-"
    return humanize.naturalsize(bytes_per_s, binary=True) + "/s"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return _("{seconds:.1f} s").format(seconds=seconds)
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return _("{minutes} min {seconds:02d} s").format(minutes=minutes, seconds=secs)
    hours, minutes = divmod(minutes, 60)
    return _("{hours} h {minutes:02d} min").format(hours=hours, minutes=minutes)


def age(when: datetime, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return humanize.naturaltime(now - when)


def transfer(done: int, total: int | None, bytes_per_s: float | None = None) -> str:
    """``312.0 MiB of 1.2 GiB · 48.0 MiB/s · 18 s left``"""
    text = (
        size(done)
        if total is None
        else _("{done} of {total}").format(done=size(done), total=size(total))
    )
    if bytes_per_s:
        text += f" · {rate(bytes_per_s)}"
        if total is not None and total > done:
            left = duration((total - done) / bytes_per_s)
            text += " · " + _("{duration} left").format(duration=left)
    return text


def short_hash(sha256: str | None) -> str:
    return _("unverifiable") if sha256 is None else f"sha256:{sha256[:12]}…"


def cells(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (``str.ljust`` counts characters)."""
    return text + " " * max(0, width - cells(text))


_BACKUP_WORDS = Translated(
    {
        # kinds
        "manual": N_("manual"),
        "pre-upgrade": N_("pre-upgrade"),
        # statuses
        "in_progress": N_("in progress"),
        "completed": N_("completed"),
        "failed": N_("failed"),
    }
)


def backup_word(value: str) -> str:
    """A backup's kind or status for a person; the catalogue keeps the raw value (JSON)."""
    return _BACKUP_WORDS.get(value, value.replace("_", " "))


def short_path(path: object, width: int = 40, *, home: str | None = None) -> str:
    """A path for a narrow screen: ``~`` for the home dir, then ``…`` in the middle.

    The start (which tree) and the end (which file) are what tell paths apart;
    the middle is dropped first. ``home`` defaults to ``$HOME``.
    """
    import os

    text = str(path)
    home = os.environ.get("HOME", "") if home is None else home
    if home and home != "/" and (text == home or text.startswith(home.rstrip("/") + "/")):
        text = "~" + text[len(home.rstrip("/")) :]
    if cells(text) <= width or width < 5:
        return text
    keep = width - 1
    head, tail = keep // 3, keep - keep // 3
    start, end = "", ""
    for c in text:
        if cells(start + c) > head:
            break
        start += c
    for c in reversed(text):
        if cells(c + end) > tail:
            break
        end = c + end
    return f"{start}…{end}"

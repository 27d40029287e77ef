"""Human formatting shared by the CLI and the TUI (humanize, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import humanize


def size(n: int | None) -> str:
    return "unknown size" if n is None else humanize.naturalsize(n, binary=True)


def rate(bytes_per_s: float | None) -> str:
    if not bytes_per_s:
        return "-"
    return humanize.naturalsize(bytes_per_s, binary=True) + "/s"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def age(when: datetime, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return humanize.naturaltime(now - when)


def transfer(done: int, total: int | None, bytes_per_s: float | None = None) -> str:
    """``312.0 MiB of 1.2 GiB · 48.0 MiB/s · 18 s left``"""
    text = size(done) if total is None else f"{size(done)} of {size(total)}"
    if bytes_per_s:
        text += f" · {rate(bytes_per_s)}"
        if total is not None and total > done:
            text += f" · {duration((total - done) / bytes_per_s)} left"
    return text


def short_hash(sha256: str | None) -> str:
    return "unverifiable" if sha256 is None else f"sha256:{sha256[:12]}…"

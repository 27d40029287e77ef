"""The sidecar that makes a partial download resumable.

``<file>.part`` holds the bytes received so far; ``<file>.part.json`` says
what they are a prefix of (URL, expected hash and size) and which version of
the remote file (ETag / Last-Modified) they came from. The sidecar is written
atomically and read back before any resume: a partial without one, or whose
sidecar names another URL or hash, is discarded rather than trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tui_upgrader.core.redact import redact_url
from tui_upgrader.ops.fsutil import atomic_write_text

logger = logging.getLogger(__name__)

META_VERSION = 1


def url_key(url: str) -> str:
    """The URL as the sidecar keeps it: shown without credentials or query values
    (the sidecar is a file anyone with the cache may read), plus a digest of the
    whole URL so another token still means another download."""
    shown = redact_url(url)
    if shown == url:
        return url
    return f"{shown} sha256:{hashlib.sha256(url.encode()).hexdigest()[:16]}"


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def meta_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part.json")


@dataclass(frozen=True, slots=True)
class PartialMeta:
    url: str
    expected_sha256: str | None
    expected_size: int | None
    etag: str | None = None
    last_modified: str | None = None
    total: int | None = None  # the size the server announced
    bytes_written: int = 0
    updated_at: float = 0.0

    @property
    def validator(self) -> str | None:
        """What to send as ``If-Range``: a strong ETag, else Last-Modified.

        A weak ETag (``W/...``) may not be used for a range (RFC 9110 13.1.5).
        """
        if self.etag and not self.etag.startswith("W/"):
            return self.etag
        return self.last_modified

    def matches(self, url: str, expected_sha256: str | None, expected_size: int | None) -> bool:
        return (
            self.url == url_key(url)
            and self.expected_sha256 == expected_sha256
            and self.expected_size == expected_size
        )


def write_meta(dest: Path, meta: PartialMeta) -> None:
    body = asdict(meta) | {"version": META_VERSION, "updated_at": time.time()}
    atomic_write_text(meta_path(dest), json.dumps(body, indent=2, sort_keys=True) + "\n")


def _opt_str(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key}: expected a string")
    return value


def _opt_int(raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"{key}: expected a non-negative integer")
    return value


def read_meta(dest: Path) -> PartialMeta | None:
    """The sidecar, or None if it is missing or unreadable (then the partial is discarded)."""
    path = meta_path(dest)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or raw.get("version") != META_VERSION:
            raise ValueError("unknown sidecar version")
        url = raw.get("url")
        if not isinstance(url, str):
            raise ValueError("url: expected a string")
        updated = raw.get("updated_at", 0.0)
        return PartialMeta(
            url=url,
            expected_sha256=_opt_str(raw, "expected_sha256"),
            expected_size=_opt_int(raw, "expected_size"),
            etag=_opt_str(raw, "etag"),
            last_modified=_opt_str(raw, "last_modified"),
            total=_opt_int(raw, "total"),
            bytes_written=_opt_int(raw, "bytes_written") or 0,
            updated_at=float(updated) if isinstance(updated, int | float) else 0.0,
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("%s: ignoring unreadable download sidecar: %s", path, exc)
        return None


def discard_partial(dest: Path) -> None:
    for path in (part_path(dest), meta_path(dest)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

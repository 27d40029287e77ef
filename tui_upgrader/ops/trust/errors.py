"""python-tuf's exceptions, translated at the edge into one line that names the file."""

from __future__ import annotations

import re
from datetime import datetime

from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import Metadata

from tui_upgrader.core.errors import NetworkError, TrustError, UpgraderError

_SIGNED_BY = re.compile(r"signed by (\d+)/(\d+) keys")

# Which signed file vouches for the length and hash of each metadata file.
_PARENT = {"snapshot.json": "timestamp.json", "targets.json": "snapshot.json"}


def _expiry(data: bytes) -> datetime | None:
    try:
        return Metadata.from_bytes(data).signed.expires
    except Exception:  # unreadable: the message just has no date
        return None


def _role_file(name: str) -> str:
    # "3.root.json" -> "root.json v3" reads better; plain names stay.
    head, _, rest = name.partition(".")
    return f"{rest} v{head}" if head.isdigit() and rest else name or "metadata"


def translate(exc: BaseException, name: str, data: bytes, base_url: str) -> UpgraderError:
    """Our error for a python-tuf failure while ``name`` (last file fetched) was loaded."""
    what = _role_file(name)
    text = " ".join(str(exc).split())
    if isinstance(exc, UpgraderError):
        return exc
    if isinstance(exc, tuf_errors.ExpiredMetadataError):
        expired = re.match(r"(?:Final |New )?(\S+?)(?:\.json)? is expired", text)
        role = f"{expired.group(1)}.json" if expired else what
        when = _expiry(data) if role == name else None
        on = f" on {when:%Y-%m-%d %H:%M} UTC" if when else ""
        return TrustError(
            f"{role} expired{on}: refusing stale metadata (a freeze attack or a channel "
            "nobody refreshed; the publisher runs `tui-upgrader release refresh`)"
        )
    if isinstance(exc, tuf_errors.UnsignedMetadataError):
        match = _SIGNED_BY.search(text)
        if match and match.group(1) != "0":
            return TrustError(
                f"{what}: fewer signatures than the threshold ({match.group(1)} of "
                f"{match.group(2)} trusted keys)"
            )
        return TrustError(f"{what}: signed by an untrusted key ({text})")
    if isinstance(exc, tuf_errors.BadVersionNumberError):
        return TrustError(f"{what}: rollback refused, older than the trusted version ({text})")
    if isinstance(exc, tuf_errors.LengthOrHashMismatchError):
        parent = _PARENT.get(name, "the trusted metadata")
        return TrustError(f"{what}: length or hash differs from {parent} ({text})")
    if isinstance(exc, tuf_errors.DownloadLengthMismatchError):
        return TrustError(f"{what}: served past its signed length ({text})")
    if isinstance(exc, tuf_errors.DownloadHTTPError):
        if exc.status_code == 404 and name == "timestamp.json":
            return TrustError(
                f"{base_url}timestamp.json: not found: the repository has no signed "
                "metadata (publish with `release build --sign KEYDIR`)"
            )
        return NetworkError(text)
    if isinstance(exc, tuf_errors.DownloadError):
        cause = exc.__cause__
        if isinstance(cause, UpgraderError):
            return cause
        return NetworkError(f"{what}: {text}")
    if isinstance(exc, tuf_errors.RepositoryError):
        return TrustError(f"{what}: {text}")
    if isinstance(exc, OSError):
        return TrustError(f"TUF metadata state: {exc.strerror or exc}")
    return TrustError(f"{what}: {type(exc).__name__}: {text}")

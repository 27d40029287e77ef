"""python-tuf's exceptions, translated at the edge into one line that names the file."""

from __future__ import annotations

import re
from datetime import datetime

from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import Metadata

from tui_upgrader.core.errors import NetworkError, TrustError, UpgraderError
from tui_upgrader.core.i18n import _

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
        on = _(" on {time} UTC").format(time=f"{when:%Y-%m-%d %H:%M}") if when else ""
        return TrustError(
            _(
                "{role} expired{on}: refusing stale metadata (a freeze attack or "
                "a channel nobody refreshed; the publisher runs `tui-upgrader "
                "release refresh`)"
            ).format(role=role, on=on)
        )
    if isinstance(exc, tuf_errors.UnsignedMetadataError):
        match = _SIGNED_BY.search(text)
        if match and match.group(1) != "0":
            return TrustError(
                _(
                    "{what}: fewer signatures than the threshold ({count} of {total} trusted keys)"
                ).format(what=what, count=match.group(1), total=match.group(2))
            )
        return TrustError(
            _("{what}: signed by an untrusted key ({text})").format(what=what, text=text)
        )
    if isinstance(exc, tuf_errors.BadVersionNumberError):
        return TrustError(
            _("{what}: rollback refused, older than the trusted version ({text})").format(
                what=what, text=text
            )
        )
    if isinstance(exc, tuf_errors.LengthOrHashMismatchError):
        parent = _PARENT.get(name, _("the trusted metadata"))
        return TrustError(
            _("{what}: length or hash differs from {parent} ({text})").format(
                what=what, parent=parent, text=text
            )
        )
    if isinstance(exc, tuf_errors.DownloadLengthMismatchError):
        return TrustError(
            _("{what}: served past its signed length ({text})").format(what=what, text=text)
        )
    if isinstance(exc, tuf_errors.DownloadHTTPError):
        if exc.status_code == 404 and name == "timestamp.json":
            return TrustError(
                _(
                    "{base_url}timestamp.json: not found: the repository has no "
                    "signed metadata (publish with `release build --sign KEYDIR`)"
                ).format(base_url=base_url)
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
        return TrustError(_("TUF metadata state: {value}").format(value=exc.strerror or exc))
    return TrustError(f"{what}: {type(exc).__name__}: {text}")

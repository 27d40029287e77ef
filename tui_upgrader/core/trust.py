"""What the admin is told about a release's signature (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tui_upgrader.core.i18n import N_

SIGNED_TARGETS = N_("the signed targets")  # who vouched for a package; _() where shown


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustSummary:
    """How the manifest was obtained: verified through TUF metadata, or unsigned."""

    signed: bool
    key_id: str = ""  # the targets key that signed the release (short form)
    expires: datetime | None = None  # the earliest expiry of timestamp/snapshot/targets
    root_version: int = 0
    metadata_bytes: int = 0  # metadata fetched over the network (or read offline)

    @property
    def short_key_id(self) -> str:
        return self.key_id[:12]


UNSIGNED = TrustSummary(signed=False)

UNSIGNED_WARNING = N_(
    "UNSIGNED release (allow_unsigned = true): whoever answers the manifest URL "
    "decides what is installed"
)

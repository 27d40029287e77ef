"""Service versions: ``x.y.z`` or ``x.y.z.b`` with an optional ``v``.

The fourth part is the patch ("build") level. Parsing is strict on purpose:
``1.2``, ``1.2.3.4.5``, ``1.2.3-rc1`` and stray whitespace are errors, not
something ``packaging`` should quietly normalise.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import total_ordering

from packaging.version import InvalidVersion
from packaging.version import Version as _PVersion

from tui_upgrader.core.errors import VersionError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.text import shorten

# The original stores each part in a u32.
MAX_PART = 2**32 - 1

_SHAPE = re.compile(r"[vV]?[0-9]+\.[0-9]+\.[0-9]+(?:\.[0-9]+)?")


@total_ordering
@dataclass(frozen=True, slots=True)
class Version:
    major: int
    minor: int
    patch: int
    build: int = 0

    @classmethod
    def parse(cls, text: object) -> Version:
        if not isinstance(text, str):
            raise VersionError(
                _("version must be a string, got {type}").format(type=type(text).__name__)
            )
        if not _SHAPE.fullmatch(text):
            shown = shorten(text, 60) if text else "(empty)"
            raise VersionError(
                _(
                    "invalid version {shown!r}: expected 3 or 4 numeric parts like 1.4.2 or 1.4.2.3"
                ).format(shown=shown)
            )
        digits = text.lstrip("vV").split(".")
        # Each part is a u32, as the original's; checked on the digits first so a
        # 5,000-digit part is an error, never int()'s 4,300-digit ValueError.
        for part in digits:
            stripped = part.lstrip("0")
            if len(stripped) > len(str(MAX_PART)) or int(stripped or "0") > MAX_PART:
                raise VersionError(
                    _("invalid version {shown!r}: a part exceeds {limit}").format(
                        shown=shorten(text, 60), limit=MAX_PART
                    )
                )
        try:
            release = _PVersion(text).release
        except InvalidVersion as exc:  # pragma: no cover - the regex already guards this
            raise VersionError(_("invalid version {text!r}").format(text=text)) from exc
        parts = (*release, 0) if len(release) == 3 else release
        return cls(*parts)

    @property
    def base(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.major, self.minor, self.patch, self.build)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.as_tuple() < other.as_tuple()

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}.{self.build}"

    @property
    def short(self) -> str:
        """Drops a ``.0`` build: ``1.4.2`` rather than ``1.4.2.0``."""
        return f"{self.major}.{self.minor}.{self.patch}" + (f".{self.build}" if self.build else "")


class Comparison(enum.StrEnum):
    EQUAL = "equal"
    PATCH_UPGRADEABLE = "patch_upgradeable"
    FULL_UPGRADE_REQUIRED = "full_upgrade_required"
    NEWER = "newer"


def compare(current: Version, server: Version) -> Comparison:
    """How the installed version relates to the one the server offers."""
    if current == server:
        return Comparison.EQUAL
    if current.base == server.base:
        return Comparison.PATCH_UPGRADEABLE if current.build < server.build else Comparison.NEWER
    return Comparison.FULL_UPGRADE_REQUIRED if current.base < server.base else Comparison.NEWER

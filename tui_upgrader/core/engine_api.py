"""Which Engine API version to speak: the engine's newest, capped at the newest tested.

docker-py takes the server's maximum, so against an engine newer than any the
tool was tested with it would speak a version nobody tried (Docker 29 removed
deprecated response fields). Capping keeps the behaviour tested, as long as the
engine still accepts that version (its minimum; Docker 29.0 raised it to 1.44).
"""

from __future__ import annotations

from tui_upgrader.core.errors import EngineVersionError
from tui_upgrader.core.i18n import _

OLDEST_API = "1.41"  # Docker 20.10: Debian 12's engine, the oldest tested
NEWEST_TESTED_API = "1.45"  # Docker 26.1: the newest tested (classic and containerd store)


def _key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.strip().split("."))
    except ValueError:
        return (0,)


def choose_api_version(server_max: str, server_min: str | None, where: str) -> str:
    """The version to speak to the engine at ``where``, or ``EngineVersionError``."""
    if _key(server_max) < _key(OLDEST_API):
        raise EngineVersionError(
            _(
                "the Docker engine at {where} is too old: it speaks Engine API {got}, "
                "tui-upgrader needs {need} (Docker 20.10) or newer; upgrade the engine"
            ).format(where=where, got=server_max, need=OLDEST_API)
        )
    if _key(server_max) <= _key(NEWEST_TESTED_API):
        return server_max
    if server_min and _key(server_min) > _key(NEWEST_TESTED_API):
        raise EngineVersionError(
            _(
                "the Docker engine at {where} is too new: it accepts Engine API {low} to "
                "{high} only, tui-upgrader is tested up to {tested}; set DOCKER_MIN_API_VERSION="
                "{tested} for dockerd or use a newer tui-upgrader"
            ).format(where=where, low=server_min, high=server_max, tested=NEWEST_TESTED_API)
        )
    return NEWEST_TESTED_API

"""Plain data about a compose stack, shared by ops.docker and the runner."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Old images are tagged here while an upgrade may still roll back to them: a
# release that reuses its tag (``app:latest``) leaves the old image untagged
# once the new containers replace the old ones, and a nightly
# `docker image prune` would then delete the only way back. One tag per
# project and service, moved on at the next upgrade, so the previous
# generation always stays and older ones are left to the admin's pruning.
PIN_REPOSITORY = "tui-upgrader/previous"
_TAG_CHARS = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One service as ``docker compose config`` describes it."""

    name: str
    image: str | None
    restart: str = "no"  # no | always | unless-stopped | on-failure[:n]
    has_healthcheck: bool = False
    host_access: tuple[str, ...] = ()  # see core.host_access

    @property
    def one_shot(self) -> bool:
        """A service meant to run once and exit (``restart: "no"``)."""
        return self.restart in ("no", "")


@dataclass(frozen=True, slots=True)
class ServiceImage:
    """What one service runs right now: enough to put it back exactly."""

    service: str
    container_id: str
    image_id: str  # sha256:...
    image_ref: str  # the reference compose asked for, e.g. demo/app:1.0.0


@dataclass(frozen=True, slots=True)
class StackSnapshot:
    project: str
    services: tuple[ServiceImage, ...]


def pin_ref(project: str, service: str, index: int = 0) -> str:
    """``tui-upgrader/previous:<project>-<service>`` as a valid (<= 128 char) tag."""
    tag = _TAG_CHARS.sub("_", f"{project}-{service}" + (f"-{index}" if index else ""))
    return f"{PIN_REPOSITORY}:{tag.lstrip('.-')[:128] or 'stack'}"

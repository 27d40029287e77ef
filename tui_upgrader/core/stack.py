"""Plain data about a compose stack, shared by ops.docker and the runner."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One service as ``docker compose config`` describes it."""

    name: str
    image: str | None
    restart: str = "no"  # no | always | unless-stopped | on-failure[:n]
    has_healthcheck: bool = False

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

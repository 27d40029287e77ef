"""Plain data about a compose stack, shared by ops.docker and the runner."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui_upgrader.core.i18n import _

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


# A stop that used this share of its grace period is named even when it ended
# cleanly: the next one may not (a service without a SIGTERM handler, a
# database waiting for its clients).
SLOW_STOP_SHARE = 0.8
DEFAULT_GRACE_S = 10.0  # Docker's own, when the compose file sets no stop_grace_period


@dataclass(frozen=True, slots=True)
class StopReport:
    """How one container ended during a stop, read before it is removed."""

    service: str
    container: str  # name
    exit_code: int
    grace_s: float  # the grace period it was given
    took_s: float | None = None  # from the stop signal to its death (None: not seen)
    killed: bool = False  # SIGKILLed when its grace period ran out
    oom_killed: bool = False

    @property
    def unclean(self) -> bool:
        """Its files may be mid-write: a backup of them is crash-consistent at best."""
        return self.killed or self.oom_killed

    @property
    def slow(self) -> bool:
        return (
            not self.unclean
            and self.took_s is not None
            and self.took_s >= SLOW_STOP_SHARE * self.grace_s
        )

    def describe(self) -> str:
        """``db (killed after its 10 s grace period, exit 137)``: for lines and results."""
        grace = f"{self.grace_s:g} s"
        if self.oom_killed:
            why = _("killed by the kernel (out of memory), exit {code}").format(code=self.exit_code)
        elif self.killed:
            why = _("killed after its {grace} grace period, exit {code}").format(
                grace=grace, code=self.exit_code
            )
        else:
            took = f"{self.took_s:.1f} s" if self.took_s is not None else "?"
            why = _("took {took} of its {grace} grace period").format(took=took, grace=grace)
        return f"{self.service} ({why})"

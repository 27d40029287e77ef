"""A stop whose outcome is read: how every container ended, before ``down`` removes it.

``compose down`` stops and removes in one go, so a database SIGKILLed after
its grace period (one open client session keeps PostgreSQL's smart shutdown
waiting) left no trace, and the "cold" backup that followed held files that
were never shut down. Here the stop is ``compose stop`` with the compose
file's own grace periods (``stop_grace_period``), then each container's exit
status is read (``ExitCode``, ``OOMKilled``) together with the engine's
events for the stop: a ``kill`` with the stop signal, then, when the grace
period ran out, a ``kill`` with SIGKILL, then ``die``. The time between the
first kill and the death is how long the container took to stop.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import docker
from docker.models.containers import Container

from tui_upgrader.core.stack import DEFAULT_GRACE_S, StopReport
from tui_upgrader.ops.images.engine import docker_errors
from tui_upgrader.ops.stack._internal.compose import DEFAULT_TIMEOUT_S, Compose
from tui_upgrader.ops.stack._internal.health import project_containers

logger = logging.getLogger(__name__)

_SIGKILL = ("9", "SIGKILL", "KILL")
_LIVE = ("running", "restarting", "paused")


@dataclass(slots=True)
class _Seen:
    """One container's stop as the engine's events tell it (times in ns)."""

    first_kill: int | None = None
    first_signal: str = ""
    sigkilled: bool = False
    died: int | None = None


def engine_now(client: docker.DockerClient) -> datetime:
    """The engine's clock: the events are stamped with it, and a remote engine's may differ."""
    raw = str(client.info().get("SystemTime") or "")
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now().astimezone()


def _grace(attrs: dict[str, Any]) -> float:
    # compose writes stop_grace_period into the container as StopTimeout.
    timeout = (attrs.get("Config") or {}).get("StopTimeout")
    return float(timeout) if timeout is not None else DEFAULT_GRACE_S


def _events(
    client: docker.DockerClient, project: str, since: datetime, until: datetime
) -> dict[str, _Seen]:
    seen: dict[str, _Seen] = {}
    since_ns = int(since.timestamp() * 1e9)
    stream = client.events(
        since=since - timedelta(seconds=1),
        until=until + timedelta(seconds=1),
        filters={"type": "container", "label": f"com.docker.compose.project={project}"},
        decode=True,
    )
    for event in stream:
        stamp = int(event.get("timeNano") or 0)
        if stamp < since_ns:
            continue
        actor = event.get("Actor") or {}
        cid = str(actor.get("ID") or event.get("id") or "")
        attrs = actor.get("Attributes") or {}
        rec = seen.setdefault(cid, _Seen())
        action = str(event.get("Action") or event.get("status") or "")
        if action == "kill":
            signal = str(attrs.get("signal") or "")
            if rec.first_kill is None:
                rec.first_kill, rec.first_signal = stamp, signal
            elif signal in _SIGKILL and rec.first_signal not in _SIGKILL:
                rec.sigkilled = True
        elif action == "die" and rec.died is None:
            rec.died = stamp
    return seen


def _report(container: Container, grace: float, seen: _Seen | None) -> StopReport:
    attrs = container.attrs
    state = attrs.get("State") or {}
    code = int(state.get("ExitCode") or 0)
    oom = bool(state.get("OOMKilled"))
    took: float | None = None
    if seen is not None and seen.first_kill is not None and seen.died is not None:
        took = max(0.0, (seen.died - seen.first_kill) / 1e9)
    if seen is not None and seen.first_kill is not None:
        killed = seen.sigkilled
    else:
        # No events (an engine that drops them): 137 without OOM is a SIGKILL,
        # and a stop signal of KILL would have been the admin's choice.
        stop_signal = str((attrs.get("Config") or {}).get("StopSignal") or "")
        killed = code == 137 and not oom and stop_signal not in _SIGKILL
    labels = container.labels
    return StopReport(
        service=labels.get("com.docker.compose.service", ""),
        container=container.name or container.short_id,
        exit_code=code,
        grace_s=grace,
        took_s=took,
        killed=killed,
        oom_killed=oom,
    )


def stop_and_check(
    compose: Compose, client: docker.DockerClient, *, min_grace_s: float | None
) -> list[StopReport]:
    """``compose stop``, then how each container that was running ended.

    ``min_grace_s`` (the ``stop_timeout_s`` setting) gives every service at
    least that long; a longer ``stop_grace_period`` in the compose file wins.
    """
    project = compose.project_name()
    what = f"stopping project {project}"
    with docker_errors(what):
        live = [
            c
            for cs in project_containers(client, project).values()
            for c in cs
            if c.status in _LIVE
        ]
        graces = {str(c.id): _grace(c.attrs) for c in live}
        since = engine_now(client)
    args = ["stop"]
    if min_grace_s is not None and live:
        longest = max(min_grace_s, *graces.values())
        args += ["--timeout", str(math.ceil(longest))]
        graces = dict.fromkeys(graces, float(math.ceil(longest)))
    # compose stops one dependency level after the other: the graces may add up.
    compose.run(*args, timeout_s=max(DEFAULT_TIMEOUT_S, sum(graces.values()) + 60))
    if not live:
        return []
    with docker_errors(what):
        seen = _events(client, project, since, engine_now(client))
        reports: list[StopReport] = []
        for container in live:
            container.reload()
            reports.append(
                _report(container, graces[str(container.id)], seen.get(str(container.id)))
            )
    for report in reports:
        logger.info("stopped %s: %s", report.container, report)
    return sorted(reports, key=lambda r: (r.service, r.container))

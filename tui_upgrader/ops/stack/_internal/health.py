"""The health gate: every compose service of a project must be fit, in time.

Per container, from the engine's own view (so a HEALTHCHECK baked into the
image counts as much as one in the compose file):

* with a health check: running and ``healthy``;
* without one: running, and not restarted, for a settle period;
* restart policy ``no`` (or ``on-failure``) and exited 0: a one-shot job
  that finished. A ``restart: "no"`` container still running is judged as a
  long-running one.

A one-shot that exited non-zero, an ``unhealthy`` container, a dead one or
one that restarted ``CRASH_LOOP_RESTARTS`` times fails at once; anything else
gets until the timeout. The failure names every bad service with its
state and its last log lines.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import docker
from docker.models.containers import Container

from tui_upgrader.core.errors import CancelledError, HealthGateError
from tui_upgrader.core.events import Emit, LogEvent, ServiceEvent
from tui_upgrader.core.i18n import _, ngettext
from tui_upgrader.core.stack import ServiceSpec
from tui_upgrader.core.state_words import service_state
from tui_upgrader.ops.images.engine import docker_errors
from tui_upgrader.ops.logsetup import redact

logger = logging.getLogger(__name__)

LOG_LINES = 20
POLL_S = 0.5
FIRST_PASS_POLL_S = 0.1
_ONE_SHOT_POLICIES = ("", "no", "on-failure")


@dataclass(frozen=True, slots=True)
class Verdict:
    state: (
        str  # starting | running | healthy | unhealthy | exited | restarting | missing | dead ...
    )
    detail: str = ""
    ready: bool = False
    hopeless: bool = False  # will not get better by waiting
    # Serving now (healthy, or running without a check), settle window or not:
    # the moment every service first is, is when the outage ended.
    passing: bool = False
    restarts: int = 0  # the engine's RestartCount, shown live
    output: str = ""  # a failed health check's whole output: for the log file


CHECK_TAIL_LINES = 3
CHECK_TAIL_CHARS = 300


def check_tail(text: str, lines: int = CHECK_TAIL_LINES, limit: int = CHECK_TAIL_CHARS) -> str:
    """The end of a health check's output on one line: where a traceback says its cause.

    The first characters of a traceback are its least useful part ("Traceback
    (most recent call last):"); the error (HTTP 503, connection refused) is last.
    """
    kept = [" ".join(line.split()) for line in text.splitlines() if line.strip()][-lines:]
    flat = " | ".join(kept)
    return flat if len(flat) <= limit else "…" + flat[-(limit - 1) :]


# Docker's healthcheck defaults (docker run --health-*), in seconds.
_CHECK_DEFAULTS = {"Interval": 30.0, "Timeout": 30.0, "StartPeriod": 0.0, "Retries": 3}


def docker_verdict_after(attrs: dict[str, Any]) -> tuple[float, str]:
    """About when the engine declares a never-healthy container unhealthy, and why.

    Failures during ``start_period`` do not count; then ``retries`` failed
    checks, one per ``interval``, make it ``unhealthy``.
    """
    check = (attrs.get("Config") or {}).get("Healthcheck") or {}

    def seconds(key: str) -> float:
        raw = check.get(key)
        return float(raw) / 1e9 if raw else float(_CHECK_DEFAULTS[key])

    retries = int(check.get("Retries") or _CHECK_DEFAULTS["Retries"])
    start, interval = seconds("StartPeriod"), seconds("Interval")
    why = f"start_period {start:g}s + retries {retries} x interval {interval:g}s"
    return start + retries * interval, why


class _Settle:
    """Remembers since when each container has been running without a restart."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._since: dict[str, tuple[tuple[str, int], float]] = {}

    def stable_for(self, container_id: str, started_at: str, restarts: int) -> float:
        key = (started_at, restarts)
        seen = self._since.get(container_id)
        if seen is None or seen[0] != key:
            self._since[container_id] = (key, self._clock())
            return 0.0
        return self._clock() - seen[1]


CRASH_LOOP_RESTARTS = 3


def _crash_loop(restarts: int) -> bool:
    """A fresh container (``up`` recreated it) that already restarted this often
    is crash-looping: waiting out the timeout would only add downtime."""
    return restarts >= CRASH_LOOP_RESTARTS


def judge(attrs: dict[str, Any], settle: _Settle, settle_s: float) -> Verdict:
    """One container's verdict from its ``inspect`` data, with its restart count."""
    verdict = _judge(attrs, settle, settle_s)
    return replace(verdict, restarts=int(attrs.get("RestartCount") or 0))


def _judge(attrs: dict[str, Any], settle: _Settle, settle_s: float) -> Verdict:
    state: dict[str, Any] = attrs.get("State") or {}
    status = str(state.get("Status") or "unknown")
    policy = str(((attrs.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name") or "")
    restarts = int(attrs.get("RestartCount") or 0)
    code = int(state.get("ExitCode") or 0)
    health = state.get("Health")
    if status == "running":
        if health:
            hstatus = str(health.get("Status") or "starting")
            if hstatus == "healthy":
                # One good check is not enough: a service that turns healthy and then
                # crash-loops must be caught, so it stays healthy (same start, no
                # restart) for settle_s first, like a service without a healthcheck.
                key = f"{attrs.get('Id')}:healthy"
                stable = settle.stable_for(key, str(state.get("StartedAt")), restarts)
                if stable >= settle_s:
                    return Verdict("healthy", ready=True, passing=True)
                settling = _("settling {seconds:g}s").format(seconds=settle_s)
                return Verdict("healthy", settling, passing=True)
            if hstatus == "unhealthy":
                log = health.get("Log") or [{}]
                output = str(log[-1].get("Output") or "")
                tail = check_tail(output) or _("no output")
                # The engine says unhealthy only after `retries` failed checks
                # past the start period, and never restarts such a container on
                # its own: waiting out the timeout would only add downtime. How
                # long a start may take is the compose file's start_period.
                return Verdict(
                    "unhealthy",
                    _("check failed: {output}").format(output=tail),
                    hopeless=True,
                    output=output,
                )
            if restarts:
                return Verdict("restarting", _restarts(restarts), hopeless=_crash_loop(restarts))
            return Verdict("starting", _("health check pending"))
        stable = settle.stable_for(str(attrs.get("Id")), str(state.get("StartedAt")), restarts)
        if stable >= settle_s:
            return Verdict("running", ready=True, passing=True)
        if restarts:
            # ExitCode is reset when the container starts again: not worth showing.
            return Verdict("restarting", _restarts(restarts), hopeless=_crash_loop(restarts))
        settling = _("settling {seconds:g}s").format(seconds=settle_s)
        return Verdict("starting", settling, passing=True)
    if status == "exited":
        if policy in _ONE_SHOT_POLICIES and code == 0:
            return Verdict("exited", "exit 0", ready=True, passing=True)
        return Verdict("exited", f"exit {code}", hopeless=policy in ("", "no"))
    if status == "restarting":
        return Verdict(
            "restarting", f"{restarts} restarts, last exit {code}", hopeless=_crash_loop(restarts)
        )
    if status == "created":
        return Verdict("starting", _("created"))
    return Verdict(status, hopeless=status == "dead")


def _combine(verdicts: list[Verdict]) -> Verdict:
    if not verdicts:
        return Verdict("missing", _("no container"))
    for verdict in verdicts:
        if not verdict.ready:
            return verdict
    return verdicts[0]


def project_containers(client: docker.DockerClient, project: str) -> dict[str, list[Container]]:
    found: list[Container] = client.containers.list(
        all=True,
        filters={"label": f"com.docker.compose.project={project}"},
        ignore_removed=True,
    )
    by_service: dict[str, list[Container]] = {}
    for container in found:
        labels = container.labels
        if labels.get("com.docker.compose.oneoff", "False") == "True":
            continue  # `compose run` leftovers are not part of the stack
        by_service.setdefault(labels.get("com.docker.compose.service", ""), []).append(container)
    return by_service


def _logs(containers: list[Container]) -> list[str]:
    lines: list[str] = []
    for container in containers:
        try:
            raw: bytes = container.logs(tail=LOG_LINES, stdout=True, stderr=True)
        except docker.errors.DockerException as exc:
            lines.append(f"(logs unavailable: {exc})")
            continue
        lines += [line.rstrip() for line in raw.decode("utf-8", "replace").splitlines()]
    return lines[-LOG_LINES:]


def _short_bound(containers: list[Container], elapsed: float, timeout_s: float, emit: Emit) -> str:
    """When Docker's own verdict ended the gate before ``health_timeout_s``: say which
    compose settings bound it, since the timeout cannot extend them."""
    if not containers or elapsed >= timeout_s:
        return ""
    after, why = docker_verdict_after(containers[0].attrs)
    text = _(
        "Docker declared it unhealthy after about {after:.0f}s ({why}); "
        "health_timeout_s = {timeout:g} cannot extend that: give a slow start "
        "(a migration) a longer healthcheck start_period in the compose file"
    ).format(after=after, why=why, timeout=timeout_s)
    emit(LogEvent("warning", text))
    logger.warning("%s", text)
    return text


def _fail(
    bad: dict[str, Verdict],
    containers: dict[str, list[Container]],
    elapsed: float,
    timeout_s: float,
    emit: Emit,
) -> HealthGateError:
    parts: list[str] = []
    for name, verdict in sorted(bad.items()):
        if verdict.output:
            # The whole output, where the admin looks after the one-line summary.
            logger.error("health check output of %s:\n%s", name, redact(verdict.output.rstrip()))
        # Services print their settings (connection strings...) when they fail.
        lines = [redact(line) for line in _logs(containers.get(name, []))]
        for line in lines:
            emit(LogEvent("error", f"{name} | {line}"))
        state = service_state(verdict.state)
        state += f" ({redact(verdict.detail)})" if verdict.detail else ""
        logs = " | ".join(lines) if lines else _("(no output)")
        bound = ""
        if verdict.state == "unhealthy":
            bound = _short_bound(containers.get(name, []), elapsed, timeout_s, emit)
        part = _("{service}: {state}; last logs: {logs}").format(
            service=name, state=state, logs=logs
        )
        parts.append(part + (f"; {bound}" if bound else ""))
    return HealthGateError(
        _("services not healthy after {seconds:.1f}s: {services}").format(
            seconds=elapsed, services="; ".join(parts)
        )
    )


def wait_healthy(
    client: docker.DockerClient,
    project: str,
    services: Sequence[ServiceSpec],
    *,
    timeout_s: float,
    settle_s: float,
    emit: Emit,
    cancel: threading.Event | None = None,
    poll_s: float = POLL_S,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """Return when every service is fit; raise HealthGateError naming the rest.

    Returns the ``clock`` time of the first poll at which every service passed
    (healthy, or running), before the settle window: when the outage ended.
    """
    start = clock()
    first_passing: float | None = None
    deadline = start + timeout_s
    settle = _Settle(clock)
    shown: dict[str, tuple[str, str]] = {}
    waiter = cancel or threading.Event()
    while True:
        if cancel is not None and cancel.is_set():
            raise CancelledError(_("health gate cancelled"))
        with docker_errors(f"checking the health of project {project}"):
            containers = project_containers(client, project)
            verdicts = {
                spec.name: _combine(
                    [judge(c.attrs, settle, settle_s) for c in containers.get(spec.name, [])]
                )
                for spec in services
            }
        for name, verdict in verdicts.items():
            if shown.get(name) != (verdict.state, verdict.detail):
                shown[name] = (verdict.state, verdict.detail)
                detail = redact(verdict.detail)  # may quote a health check's output
                emit(ServiceEvent(name, verdict.state, detail, verdict.restarts))
                logger.info("service %s: %s %s", name, verdict.state, detail)
        if first_passing is None and all(v.passing for v in verdicts.values()):
            first_passing = clock()
        bad = {name: v for name, v in verdicts.items() if not v.ready}
        if not bad:
            logger.info("health gate passed for %s after %.1fs", project, clock() - start)
            return first_passing if first_passing is not None else clock()
        now = clock()
        if now >= deadline or any(v.hopeless for v in bad.values()):
            # A service that already passes and only waits out its settle window is
            # serving: blame what does not pass (all of bad if everything passes).
            blame = {name: v for name, v in bad.items() if not v.passing} or bad
            with docker_errors(f"reading logs of project {project}"):
                raise _fail(blame, containers, now - start, timeout_s, emit)
        # Faster until every service first passed: that moment ends the reported
        # downtime, and a 0.5 s poll would add up to 0.5 s to it.
        interval = poll_s if first_passing is not None else min(poll_s, FIRST_PASS_POLL_S)
        waiter.wait(min(interval, max(0.0, deadline - now)))


def _restarts(count: int) -> str:
    return ngettext("{count} restart", "{count} restarts", count).format(count=count)

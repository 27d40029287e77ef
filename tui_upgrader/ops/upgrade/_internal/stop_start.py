"""Stopping and starting the stack around a stand-alone backup or restore.

No engine at all means nothing can be running: that is a warning, not a
refusal, so a backup stays possible while Docker is broken. A start after an
operation never replaces the operation's own outcome (``restart``).
"""

from __future__ import annotations

import time

from tui_upgrader.core import display
from tui_upgrader.core.errors import EngineUnavailableError
from tui_upgrader.core.events import LogEvent, Step
from tui_upgrader.core.i18n import _
from tui_upgrader.core.stages import Stage
from tui_upgrader.ops.deploy_files import find_compose_file
from tui_upgrader.ops.upgrade._internal.checked_stop import judge_stop
from tui_upgrader.ops.upgrade._internal.steps import Context


def running_services(ctx: Context) -> list[str]:
    if find_compose_file(ctx.deploy_dir) is None:
        return []
    try:
        return ctx.docker.running_services(ctx.deploy_dir)
    except EngineUnavailableError as exc:
        ctx.emit(
            LogEvent(
                "warning", _("no Docker engine ({exc}); assuming nothing runs").format(exc=exc)
            )
        )
        return []


def stop(ctx: Context, services: list[str], *, may_refuse: bool = True) -> str:
    """The upgrade's checked stop: returns how killed services ended ('' if none).

    Raises (``unclean_stop = "refuse"`` and ``may_refuse``) with the containers
    stopped but not removed.
    """
    names = ", ".join(services) or "none running"
    with ctx.step(Step.STOPPING_SERVICES, ", ".join(services)):
        ctx.note(Stage.STOP, services=names)
        reports = ctx.docker.stop_checked(ctx.deploy_dir, min_grace_s=ctx.settings.stop_timeout_s)
        unclean = judge_stop(ctx, reports, may_refuse=may_refuse)
        ctx.docker.down(ctx.deploy_dir)
        ctx.note(Stage.STOPPED, services=names)
    return unclean


def start(ctx: Context) -> None:
    """Up, then the health gate; raises what either raised."""
    settings = ctx.settings
    with ctx.step(Step.STARTING_SERVICES):
        ctx.note(Stage.START, path=ctx.deploy_dir)
        ctx.docker.up(ctx.deploy_dir)
        ctx.note(Stage.STARTED, project=settings.project_name or ctx.deploy_dir.name)
    with ctx.step(Step.VERIFYING_SERVICES):
        started = time.monotonic()
        try:
            ctx.docker.wait_healthy(
                ctx.deploy_dir,
                timeout_s=settings.health_timeout_s,
                settle_s=settings.health_settle_s,
                emit=ctx.emit,
                cancel=None,
            )
        except Exception as exc:
            ctx.note(Stage.HEALTH_FAILED, reason=str(exc) or type(exc).__name__)
            raise
        waited = display.duration(time.monotonic() - started)
        ctx.note(Stage.HEALTH_OK, waited=waited, services=_("every service"))


def restart(ctx: Context) -> str | None:
    """``start`` for after an operation: its failure is returned (and logged), never
    raised, so it cannot replace the operation's own outcome."""
    try:
        start(ctx)
    except Exception as exc:
        error = str(exc) or type(exc).__name__
        ctx.log("error", _("the stack did not come back up: {error}").format(error=error))
        return error
    return None

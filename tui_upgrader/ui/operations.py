"""Long operations the progress screen can run, and how their outcome is told.

A job is plain Python run in a thread worker: ``job(emit, cancel) ->
ResultEvent``. Errors raised by a job are turned into a failed result by the
progress screen, so each job only wires engine calls together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tui_upgrader.core.errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_ROLLBACK_FAILED,
    UpgraderError,
)
from tui_upgrader.core.events import FORWARD_STEPS, Emit, ResultEvent, Step
from tui_upgrader.core.i18n import N_, Translated, _
from tui_upgrader.core.strategy import strategy_name
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade.plan import Ports, UpgradePlan
from tui_upgrader.ui.deps import RecoverMode, UiDeps
from tui_upgrader.ui.restore_job import (
    CREATE_STEPS,
    RESTORE_STEPS,
    SAFE_RESTORE_STEPS,
    create_backup,
    restore_backup,
)

if TYPE_CHECKING:
    from tui_upgrader.ops.upgrade.journal import Journal
    from tui_upgrader.ops.upgrade.planning import Plan

Job = Callable[[Emit, threading.Event], ResultEvent]
Kind = Literal["upgrade", "restore", "backup", "recover"]
Tone = Literal["success", "failure", "danger"]
NOUN: Translated[Kind] = Translated(
    {
        "upgrade": N_("Upgrade"),
        "restore": N_("Restore"),
        "backup": N_("Backup"),
        "recover": N_("Recovery"),
    }
)


@dataclass(frozen=True)
class Operation:
    kind: Kind
    title: str
    steps: tuple[Step, ...]
    job: Job
    # Cancel is honoured until this step starts; None = never cancellable.
    critical_from: Step | None
    then: Literal["restart", "dismiss"] = "dismiss"
    details: dict[str, str] = field(default_factory=dict)
    # What the overall bar weighs and predicts with (core.overall).
    package_bytes: int | None = None
    past_downtimes: tuple[float | None, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    tone: Tone
    headline: str
    lines: tuple[str, ...]
    exit_code: int


def _v(version: str | None) -> str:
    if version is None:
        return _("nothing")
    try:
        return Version.parse(version).short
    except UpgraderError:
        return version


def describe(
    op: Operation,
    result: ResultEvent,
    log_path: Path,
    *,
    cancelled: bool,
    stopped: bool,
    width: int | None = None,
) -> Outcome:
    """``width``: the cells the lines get on screen; the log path is then shortened
    to fit on its line (a path without spaces would otherwise wrap mid-word)."""
    from tui_upgrader.core import display  # humanize: not needed for the first frame

    took = []
    if result.downtime_s is not None:
        took.append(_("Downtime {duration}.").format(duration=display.duration(result.downtime_s)))
    if result.backup_id is not None and op.kind in ("upgrade", "recover"):
        took.append(_("Pre-upgrade backup #{id}.").format(id=result.backup_id))
    if result.unclean_stop:
        took.append(result.unclean_stop_text())
    path = str(log_path)
    if width is not None:
        room = width - display.cells(_("Log file: {path}").format(path=""))
        path = display.short_path(log_path, room)
    log = _("Log file: {path}").format(path=path)
    if result.success:
        headline = {
            "upgrade": _("Upgraded {old} → {new}").format(
                old=_v(result.from_version), new=_v(result.to_version)
            ),
            "recover": op.details.get("success", _("Recovered")),
            "restore": op.details.get("success", _("Backup restored")),
            "backup": _("Backup #{id} created").format(id=result.backup_id),
        }[op.kind]
        return Outcome("success", headline, (*took, log), EXIT_OK)
    error = result.error or _("unknown error")
    if op.kind == "recover" and result.rolled_back and result.exit_code == EXIT_OK:
        # The rollback asked for, whole (the engine says only then that it is ok).
        return Outcome(
            "success",
            _("Rolled back to {version}").format(version=_v(result.from_version)),
            (_back(result), *took, log),
            EXIT_OK,
        )
    if result.exit_code == EXIT_ROLLBACK_FAILED:
        return Outcome(
            "danger",
            _("{noun} failed and the rollback failed too").format(noun=NOUN[op.kind]),
            (*_incomplete(result, error), *took, log),
            EXIT_ROLLBACK_FAILED,
        )
    if cancelled and not stopped and not result.rolled_back:
        # Only true when the engine never reached the stop: a cancel that lost
        # the race with it is reported like any other failure above/below.
        return Outcome(
            "failure",
            _("Cancelled before the stop: nothing was changed"),
            (error, log),
            EXIT_FAILED,
        )
    if result.rolled_back:
        return Outcome(
            "failure",
            _("{noun} failed: rolled back to {version}").format(
                noun=NOUN[op.kind], version=_v(result.from_version)
            ),
            (_("Error: {error}").format(error=error), _back(result), *took, log),
            EXIT_FAILED,
        )
    safe = () if stopped else (_("Nothing was stopped or changed."),)
    code = result.exit_code or EXIT_FAILED
    headline = _("{noun} failed").format(noun=NOUN[op.kind])
    failed = _("Error: {error}").format(error=error)
    return Outcome("failure", headline, (failed, *safe, *took, log), code)


def _back(result: ResultEvent) -> str:
    """A whole rollback: was there an old stack to start, and did it pass its gate."""
    if result.rollback_healthy is None:
        return _("The old files are back; no stack was running before, so none was started.")
    if result.rollback_healthy:
        return _("The old version runs again and passed its health gate.")
    return _("The old files are back; the old stack was not verified healthy.")


def _incomplete(result: ResultEvent, error: str) -> tuple[str, ...]:
    """A rollback that failed in part: what is not back (each with how to finish it),
    then what is; nothing here may read as a success."""
    if not (result.put_back or result.not_restored):
        hint = (
            _("Act now: restore backup #{id} from the Backups screen.").format(id=result.backup_id)
            if result.backup_id is not None
            else _("Act now: check the deploy dir and the services by hand.")
        )
        return (_("Error: {error}").format(error=error), hint)
    return (
        _("Error: {error}").format(error=result.cause or error),
        *(_("NOT restored: {problem}").format(problem=p) for p in result.not_restored),
        _("Put back: {paths}.").format(paths=", ".join(result.put_back) or _("nothing")),
        _("Act now: finish what is NOT restored as each line says."),
    )


def _ports(deps: UiDeps, settings: Settings) -> Ports:
    # Built in the worker: constructing the real Docker client may block.
    return Ports(docker=deps.docker(settings), backups=deps.backups(settings))


def upgrade_operation(deps: UiDeps, settings: Settings, plan: Plan, make_backup: bool) -> Operation:
    decision = plan.decision
    runner = deps.run_upgrade
    upgrade_plan = UpgradePlan(settings, plan.manifest, decision, make_backup=make_backup)

    def job(emit: Emit, cancel: threading.Event) -> ResultEvent:
        return runner(upgrade_plan, _ports(deps, settings), emit, cancel)

    current = decision.current_version.short if decision.current_version else _("new install")
    return Operation(
        "upgrade",
        _("Upgrade {old} → {new} ({strategy})").format(
            old=current,
            new=decision.target_version.short,
            strategy=strategy_name(decision.strategy),
        ),
        FORWARD_STEPS,
        job,
        Step.STOPPING_SERVICES,
        then="restart",
        package_bytes=decision.package.size if decision.package is not None else None,
        past_downtimes=plan.past_downtimes,
    )


def recover_operation(
    deps: UiDeps, settings: Settings, mode: RecoverMode, journal: Journal
) -> Operation:
    recover = deps.recover

    def job(emit: Emit, cancel: threading.Event) -> ResultEvent:
        return recover(settings, _ports(deps, settings), mode, emit, cancel)

    if mode == "rollback":
        steps: tuple[Step, ...] = (Step.ROLLING_BACK,)
        title, success = _("Roll back"), _("Rolled back: the old version runs again")
    else:
        start = FORWARD_STEPS.index(journal.step) if journal.step in FORWARD_STEPS else 0
        steps = FORWARD_STEPS[start:]
        title, success = _("Resume upgrade"), _("Upgrade resumed and completed")
    return Operation("recover", title, steps, job, None, "restart", {"success": success})


def restore_operation(
    deps: UiDeps, settings: Settings, backup_id: int, data_only: bool, safety_backup: bool = True
) -> Operation:
    def job(emit: Emit, cancel: threading.Event) -> ResultEvent:
        store = deps.backups(settings)
        ports = Ports(docker=deps.docker(settings), backups=store)
        return restore_backup(
            settings, ports, store, backup_id, data_only, emit, safety_backup=safety_backup
        )

    if data_only:
        title = _("Restore data of backup #{id}").format(id=backup_id)
        success = _("Restored data of backup #{id}; services are healthy").format(id=backup_id)
    else:
        title = _("Restore backup #{id}").format(id=backup_id)
        success = _("Restored backup #{id}; services are healthy").format(id=backup_id)
    steps = SAFE_RESTORE_STEPS if safety_backup else RESTORE_STEPS
    return Operation("restore", title, steps, job, None, details={"success": success})


def backup_operation(deps: UiDeps, settings: Settings, version: str | None) -> Operation:
    def job(emit: Emit, cancel: threading.Event) -> ResultEvent:
        store = deps.backups(settings)
        ports = Ports(docker=deps.docker(settings), backups=store)
        return create_backup(store, ports, settings, version, emit, cancel)

    # The store honours cancel throughout and the stack is started again either way.
    return Operation("backup", _("Create backup"), CREATE_STEPS, job, Step.COMPLETED)

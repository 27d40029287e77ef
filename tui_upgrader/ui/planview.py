"""The plan, in plain words: what each step does, what is touched, what is kept.

Pure functions over the decision and settings so the strategy screen, the
screenshots and the tests all describe a plan the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui_upgrader.core import display
from tui_upgrader.core.arch import docker_arch
from tui_upgrader.core.events import FORWARD_STEPS, Step
from tui_upgrader.core.i18n import N_, Translated, _
from tui_upgrader.core.redact import escape_controls, redact_urls
from tui_upgrader.core.strategy import Decision, Strategy, strategy_name
from tui_upgrader.core.versions import Comparison
from tui_upgrader.ops.settings import Settings

STEP_TITLES: Translated[Step] = Translated(
    {
        Step.CHECKING_UPDATES: N_("Check"),
        Step.DOWNLOADING_UPDATE: N_("Download"),
        Step.EXTRACTING_UPDATE: N_("Extract"),
        Step.LOADING_IMAGES: N_("Load images"),
        Step.STOPPING_SERVICES: N_("Stop services"),
        Step.CREATING_BACKUP: N_("Back up"),
        Step.APPLYING_UPDATE: N_("Apply"),
        Step.STARTING_SERVICES: N_("Start services"),
        Step.VERIFYING_SERVICES: N_("Health gate"),
        Step.CLEANING_UP: N_("Clean up"),
        Step.COMPLETED: N_("Completed"),
        Step.ROLLING_BACK: N_("Roll back"),
        Step.RESTORING_BACKUP: N_("Restore"),
    }
)

# Downtime runs from the stop until the health gate passes.
DOWNTIME_STEPS = frozenset(
    {
        Step.STOPPING_SERVICES,
        Step.CREATING_BACKUP,
        Step.APPLYING_UPDATE,
        Step.STARTING_SERVICES,
        Step.VERIFYING_SERVICES,
    }
)

COMPARISON_WORDS: Translated[Comparison] = Translated(
    {
        Comparison.EQUAL: N_("same version"),
        Comparison.NEWER: N_("installed is newer"),
        Comparison.PATCH_UPGRADEABLE: N_("new patch level"),
        Comparison.FULL_UPGRADE_REQUIRED: N_("new release"),
    }
)


@dataclass(frozen=True, slots=True)
class PlanStep:
    step: Step
    text: str
    downtime: bool
    skipped: bool = False


def shown(text: str) -> str:
    """Text from the manifest (notes, paths, URLs, versions, warnings and errors
    quoting them) as a screen may show it: terminal control characters as
    ``\\xNN`` and URLs without their credentials, as in the text output. The
    screens put it in ``Content`` (never markup), so ``[bold]`` stays literal."""
    return escape_controls(redact_urls(text))


def version_line(decision: Decision) -> str:
    current = decision.current_version.short if decision.current_version else _("nothing installed")
    return f"{current}  →  {decision.target_version.short}"


def strategy_words(decision: Decision) -> str:
    """``1.0.0 → 1.1.0 (full)`` for dialogs, the strategy in the reader's language."""
    return f"{version_line(decision)} ({strategy_name(decision.strategy)})"


def _apply_text(decision: Decision, settings: Settings) -> str:
    ops = decision.operations
    if decision.strategy is Strategy.PATCH and ops is not None:
        return _("replace {replaced} path(s), delete {deleted}").format(
            replaced=len(ops.replaced), deleted=len(ops.deleted)
        )
    paths = settings.keep_paths
    if not paths:
        return _("replace the release files; keep nothing")
    names = ", ".join(paths[:2])
    if len(paths) > 2:
        names = _("{names} and {count} more").format(names=names, count=len(paths) - 2)
    return _("replace the release files; keep {names}").format(names=names)


def plan_steps(decision: Decision, settings: Settings, *, make_backup: bool) -> list[PlanStep]:
    pkg = decision.package
    if pkg is None:
        download = _("download the package")
    else:
        check = _("verify sha256") if pkg.verifiable else _("UNVERIFIABLE: no hash")
        download = _("download {file} ({size}), {check}").format(
            file=pkg.file_name, size=display.size(pkg.size), check=check
        )
    backup = (
        _("cold backup of what apply changes, plus data")
        if make_backup
        else _("SKIPPED: no pre-upgrade backup (Backups screen)")
    )
    gate = display.duration(settings.health_timeout_s)
    texts: dict[Step, str] = {
        Step.CHECKING_UPDATES: _("check the deploy dir, disk space and Docker"),
        Step.DOWNLOADING_UPDATE: download,
        Step.EXTRACTING_UPDATE: _("unpack to a staging dir; deploy dir untouched"),
        Step.LOADING_IMAGES: _("load the new images; old images stay"),
        Step.STOPPING_SERVICES: _("stop the services: downtime starts here"),
        Step.CREATING_BACKUP: backup,
        Step.APPLYING_UPDATE: _apply_text(decision, settings),
        Step.STARTING_SERVICES: _("start the services with the new compose file"),
        Step.VERIFYING_SERVICES: _(
            "all services healthy within {gate} (or sooner: healthcheck start_period "
            "+ retries); downtime ends"
        ).format(gate=gate),
        Step.CLEANING_UP: _("remove staging; keep the newest {count} backups").format(
            count=settings.backup_keep
        ),
        Step.COMPLETED: _("record {version} as installed").format(
            version=decision.target_version.short
        ),
    }
    return [
        PlanStep(
            step,
            texts[step],
            step in DOWNTIME_STEPS,
            skipped=step is Step.CREATING_BACKUP and not make_backup,
        )
        for step in FORWARD_STEPS
    ]


def touched(decision: Decision, settings: Settings, services: list[str] | None) -> list[str]:
    lines: list[str] = []
    ops = decision.operations if decision.strategy is Strategy.PATCH else None
    if ops is not None:
        lines.extend(_("replace {path}").format(path=path) for path in ops.replaced)
        lines.extend(_("delete  {path}").format(path=path) for path in ops.deleted)
    else:
        lines.append(
            _("release files in {deploy_dir} (compose file, .env, app, config)").format(
                deploy_dir=settings.deploy_dir
            )
        )
    lines.append(_("images from the package for {arch}").format(arch=docker_arch(decision.arch)))
    if services is None:
        lines.append(_("services: (asking Docker...)"))
    elif services:
        lines.append(_("services: {names}").format(names=", ".join(services)))
    else:
        lines.append(_("services: none yet (first install)"))
    return lines


def kept(decision: Decision, settings: Settings, *, make_backup: bool) -> list[str]:
    lines = []
    if settings.keep_paths:
        names = ", ".join(f"{path}/" for path in settings.keep_paths)
        lines.append(_("never replaced: {names}").format(names=names))
    lines.append(_("old images stay, pinned as tui-upgrader/previous:<project>-<service>"))
    if make_backup:
        lines.append(_("a pre-upgrade backup in {path}").format(path=settings.backups_dir))
    lines.append(_("the deploy dir is rolled back as one unit if anything fails after the stop"))
    return lines


def blocked_text(decision: Decision) -> str | None:
    if decision.blocked_by is None:
        return None
    return _(
        "{target} needs {minimum} or later installed. Install {minimum} first, then {target}."
    ).format(target=decision.target_version.short, minimum=decision.blocked_by.short)

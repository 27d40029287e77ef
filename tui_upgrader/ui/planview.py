"""The plan, in plain words: what each step does, what is touched, what is kept.

Pure functions over the decision and settings so the strategy screen, the
screenshots and the tests all describe a plan the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui_upgrader.core import display
from tui_upgrader.core.events import FORWARD_STEPS, Step
from tui_upgrader.core.strategy import Decision, Strategy
from tui_upgrader.core.versions import Comparison
from tui_upgrader.ops.settings import Settings

STEP_TITLES: dict[Step, str] = {
    Step.CHECKING_UPDATES: "Check",
    Step.DOWNLOADING_UPDATE: "Download",
    Step.EXTRACTING_UPDATE: "Extract",
    Step.LOADING_IMAGES: "Load images",
    Step.STOPPING_SERVICES: "Stop services",
    Step.CREATING_BACKUP: "Back up",
    Step.APPLYING_UPDATE: "Apply",
    Step.STARTING_SERVICES: "Start services",
    Step.VERIFYING_SERVICES: "Health gate",
    Step.CLEANING_UP: "Clean up",
    Step.COMPLETED: "Completed",
    Step.ROLLING_BACK: "Roll back",
    Step.RESTORING_BACKUP: "Restore",
}

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

COMPARISON_WORDS: dict[Comparison, str] = {
    Comparison.EQUAL: "same version",
    Comparison.NEWER: "installed is newer",
    Comparison.PATCH_UPGRADEABLE: "new patch level",
    Comparison.FULL_UPGRADE_REQUIRED: "new release",
}


@dataclass(frozen=True, slots=True)
class PlanStep:
    step: Step
    text: str
    downtime: bool
    skipped: bool = False


def version_line(decision: Decision) -> str:
    current = decision.current_version.short if decision.current_version else "nothing installed"
    return f"{current}  →  {decision.target_version.short}"


def plan_steps(decision: Decision, settings: Settings, *, make_backup: bool) -> list[PlanStep]:
    pkg = decision.package
    patch = decision.strategy is Strategy.PATCH and decision.operations is not None
    if pkg is None:
        download = "download the package"
    else:
        check = "verify sha256" if pkg.verifiable else "UNVERIFIABLE: no hash"
        download = f"download {pkg.file_name} ({display.size(pkg.size)}), {check}"
    if patch and decision.operations is not None:
        ops = decision.operations
        apply = f"replace {len(ops.replaced)} path(s), delete {len(ops.deleted)}"
    else:
        paths = settings.keep_paths
        kept = ", ".join(paths[:2]) + (f" and {len(paths) - 2} more" if len(paths) > 2 else "")
        apply = f"replace the release files; keep {kept or 'nothing'}"
    backup = (
        "cold backup of what apply changes, plus data"
        if make_backup
        else "SKIPPED: no pre-upgrade backup (Backups screen)"
    )
    gate = display.duration(settings.health_timeout_s)
    texts: dict[Step, str] = {
        Step.CHECKING_UPDATES: "check the deploy dir, disk space and Docker",
        Step.DOWNLOADING_UPDATE: download,
        Step.EXTRACTING_UPDATE: "unpack to a staging dir; deploy dir untouched",
        Step.LOADING_IMAGES: "load the new images; old images stay",
        Step.STOPPING_SERVICES: "stop the services: downtime starts here",
        Step.CREATING_BACKUP: backup,
        Step.APPLYING_UPDATE: apply,
        Step.STARTING_SERVICES: "start the services with the new compose file",
        Step.VERIFYING_SERVICES: f"all services healthy within {gate}; downtime ends",
        Step.CLEANING_UP: f"remove staging; keep the newest {settings.backup_keep} backups",
        Step.COMPLETED: f"record {decision.target_version.short} as installed",
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
        lines.extend(f"replace {path}" for path in ops.replaced)
        lines.extend(f"delete  {path}" for path in ops.deleted)
    else:
        lines.append(f"release files in {settings.deploy_dir} (compose file, .env, app, config)")
    lines.append(f"images from the package for {decision.arch.docker_name}")
    if services is None:
        lines.append("services: (asking Docker...)")
    elif services:
        lines.append("services: " + ", ".join(services))
    else:
        lines.append("services: none yet (first install)")
    return lines


def kept(decision: Decision, settings: Settings, *, make_backup: bool) -> list[str]:
    lines = []
    if settings.keep_paths:
        lines.append("never replaced: " + ", ".join(f"{path}/" for path in settings.keep_paths))
    lines.append("old images stay, pinned as tui-upgrader/previous:<project>-<service>")
    if make_backup:
        lines.append(f"a pre-upgrade backup in {settings.backups_dir}")
    lines.append("the deploy dir is rolled back as one unit if anything fails after the stop")
    return lines


def blocked_text(decision: Decision) -> str | None:
    if decision.blocked_by is None:
        return None
    return (
        f"{decision.target_version.short} needs {decision.blocked_by.short} or later installed. "
        f"Install {decision.blocked_by.short} first, then {decision.target_version.short}."
    )

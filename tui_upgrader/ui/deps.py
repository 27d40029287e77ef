"""What the UI is given: settings, ports, engine callables and a clock.

The App never builds its own collaborators: ``launch.py`` wires the real ones
(RealDocker, BackupStore, run_upgrade, recover, read_journal) and the tests
wire fakes. Docker and the backup store are reached through ``ops.ports``;
the protocols below are structural so the UI type-checks against the engine's
other shapes without importing the modules that make them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from tui_upgrader.ops.settings import Settings

if TYPE_CHECKING:
    from tui_upgrader.core.events import Emit, ResultEvent, Step

    # Annotations only: these pull in the manifest and strategy modules, which
    # the manifest worker loads off the UI thread after the first frame.
    from tui_upgrader.ops.ports import BackupPort, DockerPort
    from tui_upgrader.ops.upgrade.plan import Ports, UpgradePlan
    from tui_upgrader.ops.upgrade.planning import Plan

RecoverMode = Literal["rollback", "resume"]


class Clock(Protocol):
    """Everything time-based in the UI reads this, so snapshots can freeze it."""

    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told to (snapshots, screenshots, tests)."""

    def __init__(self, now: datetime, monotonic: float = 1000.0) -> None:
        self._now = now
        self._mono = monotonic

    def monotonic(self) -> float:
        return self._mono

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self._mono += seconds
        self._now += timedelta(seconds=seconds)


class JournalLike(Protocol):
    """What ``ops.upgrade.journal.read_journal`` returns (an interrupted upgrade)."""

    @property
    def step(self) -> Step: ...

    @property
    def from_version(self) -> Any: ...

    @property
    def to_version(self) -> Any: ...

    @property
    def started_at(self) -> Any: ...

    @property
    def backup_id(self) -> int | None: ...


RunUpgrade = Callable[["UpgradePlan", "Ports", "Emit", threading.Event], "ResultEvent"]
Recover = Callable[[Settings, "Ports", RecoverMode, "Emit", threading.Event], "ResultEvent"]
ReadJournal = Callable[[Path], JournalLike | None]
LoadPlan = Callable[[Settings, bool], "Plan"]
# manifest, deploy dir, trusted root file (None: not pinned), allow unsigned releases
WriteConfig = Callable[[str, Path, Path | None, bool], Path]
ReloadSettings = Callable[[], Settings]


def _no_journal(_deploy_dir: Path) -> JournalLike | None:
    return None


def _default_load_plan(settings: Settings, force_full: bool) -> Plan:
    from tui_upgrader.ops.upgrade.planning import load_decision
    from tui_upgrader.ops.upgrade.thin_stage import with_download_estimate

    return with_download_estimate(load_decision(settings, force_full=force_full), settings)


@dataclass(frozen=True)
class UiDeps:
    settings: Settings
    docker: Callable[[Settings], DockerPort]
    run_upgrade: RunUpgrade | None = None
    backups: Callable[[Settings], BackupPort] | None = None
    recover: Recover | None = None
    read_journal: ReadJournal = _no_journal
    load_plan: LoadPlan = _default_load_plan
    clock: Clock = field(default_factory=SystemClock)
    log_path: Path = Path("tui-upgrader.log")
    # First run: no config file and nothing given on the command line.
    needs_setup: bool = False
    config_file: Path | None = None  # shown by the first-run wizard
    write_config: WriteConfig | None = None
    reload_settings: ReloadSettings | None = None
    theme: str = "textual-dark"
    # Say so before anything is offered when the deploy dir does not exist
    # (off for the fakes, whose fixed on-screen paths are not on this disk).
    check_deploy_dir: bool = False

"""What the UI is given: settings, ports, engine callables and a clock.

The App never builds its own collaborators: ``launch.py`` wires the real ones
(RealDocker, BackupStore, run_upgrade, recover, read_journal) and the tests
wire FakeDocker and real stores in their tmp dirs. Docker is reached through
``ops.ports.DockerPort``, backups through ``ops.backup.store.BackupStore``
(named in annotations only); the protocols below are structural so the UI
type-checks against the engine's other shapes without importing the modules
that make them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from tui_upgrader.ops.settings import Settings

if TYPE_CHECKING:
    from tui_upgrader.core.events import Emit, ResultEvent

    # Annotations only: these pull in the manifest and strategy modules, which
    # the manifest worker loads off the UI thread after the first frame.
    from tui_upgrader.ops.backup.store import BackupStore
    from tui_upgrader.ops.ports import DockerPort
    from tui_upgrader.ops.upgrade.journal import Journal
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


RunUpgrade = Callable[["UpgradePlan", "Ports", "Emit", threading.Event], "ResultEvent"]
Recover = Callable[[Settings, "Ports", RecoverMode, "Emit", threading.Event], "ResultEvent"]
ReadJournal = Callable[[Path], "Journal | None"]
LoadPlan = Callable[[Settings, bool], "Plan"]
# manifest, deploy dir, trusted root file (None: not pinned), allow unsigned releases
WriteConfig = Callable[[str, Path, Path | None, bool], Path]
ReloadSettings = Callable[[], Settings]


@dataclass(frozen=True, kw_only=True)
class UiDeps:
    """Every engine callable is required: a UI without one is a wiring bug, not a mode."""

    settings: Settings
    docker: Callable[[Settings], DockerPort]
    run_upgrade: RunUpgrade
    backups: Callable[[Settings], BackupStore]
    recover: Recover
    read_journal: ReadJournal
    load_plan: LoadPlan
    write_config: WriteConfig
    reload_settings: ReloadSettings
    clock: Clock = field(default_factory=SystemClock)
    log_path: Path = Path("tui-upgrader.log")
    # First run: no config file and nothing given on the command line.
    needs_setup: bool = False
    config_file: Path | None = None  # shown by the first-run wizard
    theme: str = "textual-dark"
    # Say so before anything is offered when the deploy dir does not exist
    # (off for the fakes, whose fixed on-screen paths are not on this disk).
    check_deploy_dir: bool = False

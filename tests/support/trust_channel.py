"""A signed release channel on 127.0.0.1 and the client's view of it, for the trust tests."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import signing
from tests.support.fakes import FakeDocker
from tui_upgrader.core.errors import UpgraderError, error_text
from tui_upgrader.core.events import Event, ResultEvent
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.release.server import ReleaseServer
from tui_upgrader.ops.release.signing import Expiry
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade.plan import Ports, UpgradePlan
from tui_upgrader.ops.upgrade.planning import Plan, load_decision
from tui_upgrader.ops.upgrade.runner import run_upgrade

PACKAGE = "1.5.0/docker-x86_64.zip"


@dataclass
class Outcome:
    error: str | None
    docker: FakeDocker
    result: ResultEvent | None = None
    events: list[Event] = field(default_factory=list)


@dataclass
class Channel:
    tmp: Path
    store: Path
    keys: Path
    mirror: Path
    server: ReleaseServer
    settings: Settings

    def sign(self, expiry: Expiry | None = None) -> None:
        signing.sign(self.store, self.keys, expiry)

    def publish(self) -> None:
        """The mirror syncs from the publisher's store."""
        shutil.rmtree(self.mirror)
        shutil.copytree(self.store, self.mirror)

    def plan(self) -> Plan:
        return load_decision(self.settings)

    def attempt(self) -> Outcome:
        """check + upgrade as `tui-upgrader upgrade` does, on a fake engine."""
        docker = FakeDocker()
        try:
            plan = self.plan()
        except UpgraderError as exc:
            return Outcome(error_text(exc), docker)
        events: list[Event] = []
        upgrade = UpgradePlan(self.settings, plan.manifest, plan.decision)
        ports = Ports(docker, BackupStore(self.settings))
        result = run_upgrade(upgrade, ports, events.append, threading.Event())
        return Outcome(result.error, docker, result, events)

    def cached_package(self) -> Path:
        return self.settings.packages_dir / "1.5.0" / "full" / "docker-x86_64.zip"


def assert_refused(outcome: Outcome, channel: Channel, *needles: str) -> None:
    """Refused with one line naming the problem, before any stop, nothing cached."""
    assert outcome.error is not None, "the attack was not refused"
    assert "\n" not in outcome.error
    for needle in needles:
        assert needle in outcome.error, outcome.error
    assert outcome.docker.called("down") == 0, outcome.docker.calls
    assert not channel.cached_package().exists()


def channel_config(channel: Channel, **extra: object) -> Path:
    s = channel.settings
    values: dict[str, object] = {
        "manifest": s.manifest,
        "deploy_dir": str(s.deploy_dir),
        "data_dir": str(s.data_dir),
        "cache_dir": str(s.cache_dir),
        **extra,
    }
    path = channel.tmp / "config.toml"
    path.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()))
    return path


def cli_with_config(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_upgrader", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

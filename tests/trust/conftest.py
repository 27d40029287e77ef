"""A signed channel served from a mirror on 127.0.0.1 that a test may tamper with.

The publisher signs ``store``; the mirror is a copy of it served by the
project's own ``serve``; the client pins the publisher's root. An attack
changes files in the mirror only, as a compromised mirror or CDN would.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support import signing
from tests.support.fakes import FakeBackupStore, FakeDocker
from tests.support.release_trees import write_tree
from tests.ui.conftest import release_files
from tui_upgrader.core.errors import UpgraderError, error_text
from tui_upgrader.core.events import Event, ResultEvent
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.release.server import ReleaseServer, serve_directory
from tui_upgrader.ops.release.signing import Expiry
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.state import DeployState, write_state
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
        ports = Ports(docker, FakeBackupStore(self.settings.backups_dir))
        result = run_upgrade(upgrade, ports, events.append, threading.Event())
        return Outcome(result.error, docker, result, events)

    def cached_package(self) -> Path:
        return self.settings.packages_dir / "1.5.0" / "full" / "docker-x86_64.zip"


@pytest.fixture
def channel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Channel]:
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    src = write_tree(tmp_path / "src-1.5.0", release_files("1.5.0"))
    store = tmp_path / "store"
    build_release(src, version=Version.parse("1.5.0"), out=store)
    keys = tmp_path / "keys"
    signing.sign(store, keys)
    mirror = tmp_path / "mirror"
    shutil.copytree(store, mirror)
    deploy = write_tree(tmp_path / "deploy", release_files("1.4.2"))
    write_state(deploy, DeployState(Version.parse("1.4.2")))
    with serve_directory(mirror) as server:
        settings = Settings(
            manifest=server.url_for("manifest.json"),
            deploy_dir=deploy,
            data_dir=tmp_path / "data",
            cache_dir=tmp_path / "cache",
            log_dir=tmp_path / "log",
            health_timeout_s=5,
            health_settle_s=0,
        )
        yield Channel(tmp_path, store, keys, mirror, server, signing.trust(settings, keys))


def assert_refused(outcome: Outcome, channel: Channel, *needles: str) -> None:
    """Refused with one line naming the problem, before any stop, nothing cached."""
    assert outcome.error is not None, "the attack was not refused"
    assert "\n" not in outcome.error
    for needle in needles:
        assert needle in outcome.error, outcome.error
    assert outcome.docker.called("down") == 0, outcome.docker.calls
    assert not channel.cached_package().exists()

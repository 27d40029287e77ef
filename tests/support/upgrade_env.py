"""The upgrade step machine on FakeDocker, the real backup store (in the test's
tmp dir), real files and real zips: the shared set-up of the fast upgrade tests
(tests/upgrade/test_*_fake.py, test_*_safety.py)."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.fakes import FakeDocker
from tests.support.tmp_settings import tmp_settings
from tui_upgrader.core.arch import Arch
from tui_upgrader.core.events import Event, ResultEvent, StepEvent
from tui_upgrader.core.manifest import Manifest, PackageInfo, PatchPackage
from tui_upgrader.core.strategy import Deployment, decide
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.state import DeployState, read_state, write_state
from tui_upgrader.ops.upgrade._internal import steps as steps_module
from tui_upgrader.ops.upgrade.plan import Ports, UpgradePlan
from tui_upgrader.ops.upgrade.runner import run_upgrade


def tree(root: Path) -> dict[str, str]:
    """Path -> content hash / link target / 'dir', ignoring our state dir."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir.parts[:1] == (".tui-upgrader",):
            continue
        for d in dirnames:
            if (rel_dir / d).parts[:1] != (".tui-upgrader",):
                out[str(rel_dir / d)] = "dir"
        for f in filenames:
            p = Path(dirpath) / f
            out[str(rel_dir / f)] = (
                "->" + os.readlink(p)
                if p.is_symlink()
                else hashlib.sha256(p.read_bytes()).hexdigest()
            )
    return out


OLD_FILES = {
    "docker-compose.yml": "services: {app: {image: demo/app:1.0.0}}\n",
    ".env": "SECRET=admin-value\n",
    "app/app.txt": "app 1.0.0",
    "app/legacy.txt": "legacy",
    "data/db.txt": "precious data",
}


NEW_FILES = {
    "docker-compose.yml": "services: {app: {image: demo/app:1.1.0}}\n",
    ".env": "SECRET=release-default\nNEW_KEY=1\n",
    "app/app.txt": "app 1.1.0",
    "images/app-amd64.tar": "not really a tar",
}


def make_zip(path: Path, files: dict[str, str], prefix: str = "docker/") -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, body in files.items():
            zf.writestr(prefix + name, body)
    path.write_bytes(buf.getvalue())
    return hashlib.sha256(buf.getvalue()).hexdigest()


def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, body in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(body)


class Env:
    def __init__(self, tmp: Path, *, precopy: bool = False) -> None:
        self.tmp = tmp
        self.deploy = tmp / "deploy"
        write_tree(self.deploy, OLD_FILES)
        write_state(self.deploy, DeployState(Version.parse("1.0.0")))
        self.settings = tmp_settings(
            tmp,
            self.deploy,
            health_timeout_s=Settings().health_timeout_s,
            # These tests pin the cold backup's behaviour (backup made inside the
            # stop); tests/upgrade/test_two_pass_fake.py runs the pre-copy path.
            backup_precopy=precopy,
        )
        self.docker = FakeDocker()
        self.backups = BackupStore(self.settings)
        self.events: list[Event] = []

    def manifest(
        self, version: str, full: Path, sha: str | None, patch: PatchPackage | None = None
    ) -> Manifest:
        return Manifest(
            version=Version.parse(version),
            release_date=__import__("datetime").datetime(2026, 11, 1),
            release_notes="notes",
            full=None,
            platforms={Arch.X86_64: PackageInfo(str(full), sha)},
            patch={Arch.X86_64: patch} if patch else None,
        )

    def run(
        self, manifest: Manifest, *, cancel: threading.Event | None = None, make_backup: bool = True
    ) -> ResultEvent:
        current = read_state(self.deploy).version
        decision = decide(current, manifest, Deployment(current, True), Arch.X86_64)
        plan = UpgradePlan(self.settings, manifest, decision, make_backup=make_backup)
        return run_upgrade(
            plan, Ports(self.docker, self.backups), self.events.append, cancel or threading.Event()
        )

    def steps(self) -> list[tuple[str, str]]:
        return [(e.step.value, e.state) for e in self.events if isinstance(e, StepEvent)]


def unhealthy_once(docker: FakeDocker, monkeypatch: pytest.MonkeyPatch) -> None:
    """The new version fails its gate; the old one, started again, passes."""
    original = docker.wait_healthy

    def gate(*args: object, **kwargs: object) -> None:
        docker.healthy = docker.called("wait_healthy") > 0
        original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(docker, "wait_healthy", gate)


def restores_seen(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """The restores the real store finishes from now on, as it logs them
    ("restored backup 1 into DIR (data only: True)"): a data/ put back from the
    pre-copy snapshot looks the same on disk, only this line tells them apart."""
    name = "tui_upgrader.ops.backup._internal.restore"
    caplog.set_level(logging.INFO, logger=name)
    return lambda: [
        r.getMessage()
        for r in caplog.records
        if r.name == name and r.getMessage().startswith("restored ")
    ]


class Killed(BaseException):
    pass


def kill_at(monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    def hook(name: str) -> None:
        if name == point:
            raise Killed(point)

    monkeypatch.setattr(steps_module, "crash_point", hook)

"""A real release store and deploy dir for the UI tests that run the real runner
(FakeDocker stands in for the engine): the files, the environment, the app on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.fakes import FakeDocker
from tests.support.ui_scenarios import build_app
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.release.server import ReleaseServer
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade.runner import run_upgrade
from tui_upgrader.ui.app import UpgraderApp
from tui_upgrader.ui.deps import SystemClock

COMPOSE = "name: uitest\nservices:\n  app:\n    image: uitest/app:{v}\n    pull_policy: never\n"


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return root


def release_files(version: str) -> dict[str, str]:
    return {
        "compose.yaml": COMPOSE.format(v=version),
        ".env": "PORT=8080\n",
        "app/server.sh": f"echo {version}\n",
        "config/app.conf": f"version = {version}\n",
        "images/app.tar": "pretend image tar\n",
    }


@dataclass
class ReleaseEnv:
    deploy: Path
    settings: Settings
    docker: FakeDocker
    store: BackupStore
    server: ReleaseServer


def engine_app(env: ReleaseEnv, tmp: Path, **overrides: Any) -> UpgraderApp:
    from tui_upgrader.ops.upgrade.planning import load_decision

    values: dict[str, Any] = {
        "settings": env.settings,
        "docker": env.docker,
        "store": env.store,
        "runner": run_upgrade,
        "load_plan": lambda s, force: load_decision(s, force_full=force),
        "clock": SystemClock(),
    }
    values.update(overrides)
    return build_app(tmp, **values)

"""Shared fixtures for backup tests: settings in tmp, a rich deploy tree, snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(deploy_dir=tmp_path / "deploy", data_dir=tmp_path / "data")


@pytest.fixture
def store(settings: Settings) -> BackupStore:
    return BackupStore(settings)

"""Shared fixtures for the downloader tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.download_helpers import Recorder
from tui_upgrader.ops.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # A short read timeout so the stall test is quick; nothing else stalls.
    return Settings(
        cache_dir=tmp_path / "cache",
        deploy_dir=tmp_path / "deploy",
        data_dir=tmp_path / "data",
        connect_timeout_s=5.0,
        read_timeout_s=0.5,
    )


@pytest.fixture
def dest(settings: Settings) -> Path:
    return settings.packages_dir / "1.2.3.0" / "full" / "docker-x86_64.zip"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()

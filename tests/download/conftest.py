"""Shared fixtures for the downloader tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_upgrader.core.events import Event
from tui_upgrader.ops.download.fetch import RetryPolicy
from tui_upgrader.ops.settings import Settings

# No waiting between retries in tests; Retry-After is still honoured.
FAST_RETRY = RetryPolicy(retries=5, base_delay_s=0.0)


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


class Recorder:
    """An ``Emit`` that keeps every event."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()

"""Settings whose every directory is under one test's tmp dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui_upgrader.ops.settings import Settings


def tmp_settings(root: Path, deploy: Path, **overrides: Any) -> Settings:
    """data/, cache/ and log/ under ``root``; a fast health gate unless overridden."""
    values: dict[str, Any] = {"health_timeout_s": 5, "health_settle_s": 0, **overrides}
    return Settings(
        deploy_dir=deploy,
        data_dir=root / "data",
        cache_dir=root / "cache",
        log_dir=root / "log",
        **values,
    )

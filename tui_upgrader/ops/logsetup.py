"""Logging: always a rotating file in the log dir; never stderr under the TUI."""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
from pathlib import Path

from tui_upgrader.core.errors import UpgraderError
from tui_upgrader.ops.settings import default_log_dir, load_settings

LOG_FILE_NAME = "tui-upgrader.log"
_configured: Path | None = None


def log_file(log_dir: Path | None = None) -> Path:
    return (log_dir or _configured_dir() or default_log_dir()) / LOG_FILE_NAME


def _configured_dir() -> Path | None:
    return _configured.parent if _configured is not None else None


def _log_dir_for(args: argparse.Namespace | None) -> Path:
    """``log_dir`` from the config when it is readable; a bad config is reported
    by the command itself, not here."""
    try:
        return load_settings(getattr(args, "config", None)).log_dir
    except UpgraderError:
        return default_log_dir()


def setup_logging(args: argparse.Namespace | None = None) -> Path:
    """Attach the rotating file handler once; returns the log file path."""
    global _configured
    path = _log_dir_for(args) / LOG_FILE_NAME
    if _configured == path:
        return path
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Health-gate failures copy container logs in here: private to root.
    os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("tui_upgrader")
    root.setLevel(
        logging.DEBUG if args is not None and getattr(args, "dev", False) else logging.INFO
    )
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    _configured = path
    return path

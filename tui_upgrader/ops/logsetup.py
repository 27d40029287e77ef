"""Logging: always a rotating file in the log dir; never stderr under the TUI."""

from __future__ import annotations

import argparse
import logging
import logging.handlers
from pathlib import Path

from tui_upgrader.ops.settings import default_log_dir

LOG_FILE_NAME = "tui-upgrader.log"
_configured: Path | None = None


def log_file() -> Path:
    return default_log_dir() / LOG_FILE_NAME


def setup_logging(args: argparse.Namespace | None = None) -> Path:
    """Attach the rotating file handler once; returns the log file path."""
    global _configured
    path = log_file()
    if _configured == path:
        return path
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
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

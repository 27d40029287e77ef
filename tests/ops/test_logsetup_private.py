"""The log file: private modes (after a rotation too) and masked ``.env`` values."""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_upgrader.core.redact import Redactor
from tui_upgrader.ops import logsetup


@pytest.fixture
def clean_logging(restored_logging: None) -> Iterator[None]:
    old_umask = os.umask(0o022)  # the usual umask: files 0644 unless created otherwise
    try:
        yield
    finally:
        os.umask(old_umask)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _setup(tmp_path: Path, deploy: Path | None = None) -> Path:
    config = tmp_path / "config.toml"
    lines = [f'log_dir = "{tmp_path / "logs"}"']
    if deploy is not None:
        lines.append(f'deploy_dir = "{deploy}"')
    config.write_text("\n".join(lines) + "\n")
    return logsetup.setup_logging(argparse.Namespace(config=config))


def _handler() -> logging.handlers.RotatingFileHandler:
    (handler,) = logging.getLogger("tui_upgrader").handlers
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    return handler


@pytest.mark.usefixtures("clean_logging")
def test_log_files_stay_0600_after_a_rotation_and_the_dir_is_tightened(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    log_dir.mkdir(mode=0o755)
    os.chmod(log_dir, 0o755)  # an existing dir from an older version, open to all
    path = _setup(tmp_path)
    assert path.parent == log_dir
    assert _mode(log_dir) == 0o700
    logging.getLogger("tui_upgrader.test").info("before the rotation")
    _handler().doRollover()
    logging.getLogger("tui_upgrader.test").info("after the rotation")
    _handler().doRollover()
    files = sorted(log_dir.iterdir())
    assert [p.name for p in files] == [
        "tui-upgrader.log",
        "tui-upgrader.log.1",
        "tui-upgrader.log.2",
    ]
    for file in files:
        assert _mode(file) == 0o600, f"{file.name} is {oct(_mode(file))}"
    assert "after the rotation" in (log_dir / "tui-upgrader.log.1").read_text()


@pytest.mark.usefixtures("clean_logging")
def test_an_existing_world_readable_log_is_made_private(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    (log_dir / "tui-upgrader.log").write_text("old\n")
    (log_dir / "tui-upgrader.log.1").write_text("older\n")
    os.chmod(log_dir / "tui-upgrader.log", 0o644)
    os.chmod(log_dir / "tui-upgrader.log.1", 0o644)
    _setup(tmp_path)
    assert _mode(log_dir / "tui-upgrader.log") == 0o600
    assert _mode(log_dir / "tui-upgrader.log.1") == 0o600


@pytest.mark.usefixtures("clean_logging")
def test_env_values_never_reach_the_log_file_from_any_logger(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    (deploy / ".tui-upgrader/staging").mkdir(parents=True)
    (deploy / ".env").write_text('DB_PASSWORD="live pass phrase"\nPORT=80\n')
    (deploy / ".tui-upgrader/staging/.env").write_text("NEW_TOKEN=staged-token-77\n")
    path = _setup(tmp_path, deploy)
    log = logging.getLogger("tui_upgrader.ops.stack._internal.health")
    log.error("web | connecting with %s failed", "live pass phrase")
    log.info("token staged-token-77 in a message without args")
    log.info("listening on port 80")
    try:
        raise RuntimeError("boom with live pass phrase inside")
    except RuntimeError:
        log.exception("unexpected error")
    text = path.read_text()
    assert "live pass phrase" not in text and "staged-token-77" not in text
    assert "web | connecting with *** failed" in text
    assert "token *** in a message" in text
    assert "Traceback" in text and "RuntimeError: boom with *** inside" in text
    assert "listening on port 80" in text, "values shorter than 4 are left alone"


def test_a_project_name_from_env_is_shown_and_the_password_masked(tmp_path: Path) -> None:
    """#24: ``name: ${PROJECT_NAME}`` or COMPOSE_PROJECT_NAME in .env is the project's
    name, listed by the engine on every container: not masked in stage lines."""
    (tmp_path / "compose.yaml").write_text("name: ${PROJECT_NAME}\nservices: {}\n")
    (tmp_path / ".env").write_text(
        "PROJECT_NAME=shop-live\nCOMPOSE_PROJECT_NAME=shop-other\nDB_PASSWORD=s3cret-pw\n"
    )
    redactor = logsetup.learn_env_secrets(Redactor(), tmp_path)
    line = "containers started for project shop-live / shop-other, s3cret-pw"
    assert redactor.redact(line) == "containers started for project shop-live / shop-other, ***"

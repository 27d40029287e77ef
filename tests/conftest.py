"""Test isolation: every test gets its own HOME and XDG dirs, so config, data,
cache and logs never touch the developer's real ones."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_upgrader.ops import logsetup

pytest_plugins = [
    "tests.support.engines",
    "tests.support.engine",
    "tests.support.http_servers",
    "tests.support.receiver",
    "tests.support.sshd",
]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    # Tests that are not about signing publish unsigned stores: the default
    # config accepts them. Signing tests pass their own Settings or --config
    # (tests/support/signing.py), which replace this file entirely.
    unsigned = home / "unsigned-config.toml"
    unsigned.write_text("allow_unsigned = true\n")
    monkeypatch.setenv("TUI_UPGRADER_CONFIG", str(unsigned))
    yield home


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """setup_logging replaces the package logger's handlers: put them back after."""
    root = logging.getLogger("tui_upgrader")
    handlers, level, configured = list(root.handlers), root.level, logsetup._configured
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        logsetup._configured = configured


@pytest.fixture(autouse=True)
def fresh_redactor() -> Iterator[None]:
    """The log redactor is process-wide (right for one upgrade per process):
    one test's ``.env`` values must not mask text another test asserts on."""
    before = logsetup.active_redactor()
    yield
    logsetup.install_redactor(before)

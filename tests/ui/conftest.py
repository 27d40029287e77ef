"""Fixtures for the UI tests: a real release store on 127.0.0.1 and a deploy dir."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from tests.support.ui_fixtures import no_cursor_blink, release_env, zh_cn  # noqa: F401 (fixtures)


@pytest.fixture
def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


Poll = Callable[[], bool]

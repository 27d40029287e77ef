"""Which Engine API version the tool speaks, and the one line when none fits."""

from __future__ import annotations

import pytest

from tui_upgrader.core.engine_api import NEWEST_TESTED_API, OLDEST_API, choose_api_version
from tui_upgrader.core.errors import EngineVersionError


@pytest.mark.parametrize(
    ("server_max", "server_min", "spoken"),
    [
        ("1.41", "1.12", "1.41"),  # Docker 20.10: its own newest
        ("1.45", "1.24", "1.45"),  # Docker 26.1
        ("1.52", "1.44", NEWEST_TESTED_API),  # Docker 29.0: capped at the newest tested
        ("1.53", None, NEWEST_TESTED_API),
    ],
)
def test_the_engines_newest_capped_at_the_newest_tested(
    server_max: str, server_min: str | None, spoken: str
) -> None:
    assert choose_api_version(server_max, server_min, "unix:///x.sock") == spoken


def test_an_engine_older_than_20_10_is_one_clear_line() -> None:
    with pytest.raises(EngineVersionError) as caught:
        choose_api_version("1.40", "1.12", "unix:///x.sock")
    message = str(caught.value)
    assert "too old" in message and "1.40" in message and OLDEST_API in message
    assert "unix:///x.sock" in message and "\n" not in message


def test_an_engine_refusing_every_tested_version_is_one_clear_line() -> None:
    with pytest.raises(EngineVersionError) as caught:
        choose_api_version("1.60", "1.50", "ssh://admin@host")
    message = str(caught.value)
    assert "too new" in message and "1.50" in message and NEWEST_TESTED_API in message
    assert "DOCKER_MIN_API_VERSION" in message and "\n" not in message

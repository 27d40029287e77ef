"""Fixtures of the zh_CN screen tests: the language, and the UI tests' release store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ui.conftest import no_cursor_blink, release_env  # noqa: F401 (fixtures)
from tui_upgrader.ops.language import install_language


@pytest.fixture
def zh_cn() -> Iterator[None]:
    assert install_language("zh_CN") == "zh_CN", "catalogue missing: run scripts/bootstrap.sh"
    try:
        yield
    finally:
        install_language(None, machine_output=True)

"""The zh_CN screen tests use the UI tests' fixtures: the language and the release store."""

from tests.support.ui_fixtures import no_cursor_blink, release_env, zh_cn  # noqa: F401 (fixtures)

"""Choosing and installing the language: environment, config key, --json, fallbacks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_upgrader.core import display, i18n
from tui_upgrader.core.errors import ConfigError
from tui_upgrader.core.strategy import Strategy, strategy_name
from tui_upgrader.ops import language
from tui_upgrader.ops.settings import load_settings


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    language.install_language(None, machine_output=True)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "zh_CN.GB18030"}, "zh_CN"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh_CN"),
        ({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, None),  # LC_ALL beats LANG
        ({"LANGUAGE": "de:zh_CN", "LANG": "C"}, "zh_CN"),  # first one we have
        ({"LANGUAGE": "en_GB:zh_CN"}, None),  # English comes first: no catalogue needed
        ({"LANG": "POSIX"}, None),
        ({"LANG": "fr_FR.UTF-8"}, None),
    ],
)
def test_the_environment_chooses_like_gettext(
    environ: dict[str, str], expected: str | None
) -> None:
    assert language.choose(None, environ) == expected


def test_the_config_key_beats_the_environment() -> None:
    assert language.choose("en", {"LANG": "zh_CN.UTF-8"}) is None
    assert language.choose("zh_CN", {"LANG": "C"}) == "zh_CN"


def test_installing_zh_cn_translates_core_text_and_humanize(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert language.install_language() == "zh_CN"
    assert i18n.active_language() == "zh_CN"
    assert strategy_name(Strategy.FULL) == "全量升级"
    assert display.size(None) == "大小未知"
    assert display.duration(75) == "1 分 15 秒"
    # humanize's own catalogue follows ours
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert "3" in display.age(now - timedelta(minutes=3), now)
    assert "minutes" not in display.age(now - timedelta(minutes=3), now)


def test_machine_output_stays_english_whatever_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert language.install_language("zh_CN", machine_output=True) == "en"
    assert strategy_name(Strategy.FULL) == "full"
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert display.age(now - timedelta(minutes=3), now) == "3 minutes ago"


def test_english_reads_no_catalogue(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(language, "LOCALE_DIR", tmp_path / "nowhere")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    with caplog.at_level(logging.INFO, logger="tui_upgrader"):
        assert language.install_language() == "en"
    assert not caplog.records  # nothing was looked for, so nothing was missing


def test_a_missing_catalogue_falls_back_to_english_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(language, "LOCALE_DIR", tmp_path / "nowhere")
    with caplog.at_level(logging.WARNING, logger="tui_upgrader"):
        assert language.install_language("zh_CN") == "en"
    assert strategy_name(Strategy.PATCH) == "patch"
    assert "catalogue for zh_CN not found" in caplog.text


def test_the_config_key_is_validated(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('language = "zh_CN"\n', encoding="utf-8")
    assert load_settings(config).language == "zh_CN"
    config.write_text('language = "klingon"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.toml: language: expected one of en, zh_CN"):
        load_settings(config)


def test_translated_tables_follow_the_language() -> None:
    from tui_upgrader.core.events import Step
    from tui_upgrader.ui.planview import STEP_TITLES

    assert STEP_TITLES[Step.LOADING_IMAGES] == "Load images"
    with i18n.installed(language.load("zh_CN"), "zh_CN"):
        assert STEP_TITLES[Step.LOADING_IMAGES] == "加载镜像"
        assert STEP_TITLES.get(Step.CREATING_BACKUP) == "备份"
    assert STEP_TITLES[Step.LOADING_IMAGES] == "Load images"


def test_the_ui_splits_a_translated_rollback_failure_at_its_seam() -> None:
    from tui_upgrader.core.errors import EXIT_ROLLBACK_FAILED
    from tui_upgrader.core.events import ResultEvent, Step
    from tui_upgrader.ops.upgrade._internal.commit_or_rollback import rollback_incomplete
    from tui_upgrader.ui.operations import Operation, describe

    def never(_emit: object, _cancel: object) -> ResultEvent:
        raise AssertionError("not run: only the outcome is described")

    op = Operation("recover", "", (Step.ROLLING_BACK,), never, None)
    with i18n.installed(language.load("zh_CN"), "zh_CN"):
        failure = rollback_incomplete("健康检查失败", "data/ 无法恢复", 3)
        result = ResultEvent(
            success=False,
            from_version="1.0.0",
            to_version="1.1.0",
            backup_id=3,
            rolled_back=False,
            error=failure.message,
            exit_code=EXIT_ROLLBACK_FAILED,
            put_back=("文件",),
            not_restored=("data/",),
            cause=failure.cause,
        )
        outcome = describe(op, result, Path("/l"), cancelled=False, stopped=True)
    assert "；回滚失败：data/ 无法恢复；服务栈可能已停止" in failure.message
    assert outcome.headline == "中断恢复失败，且回滚也失败了"
    assert outcome.lines[:3] == ("错误：健康检查失败", "未恢复：data/", "已还原：文件。")

"""Every text the admin sees in zh_CN is Chinese: each UI scene (tests/ui/drive.py)
is driven with Pilot in zh_CN at 80x24 and 120x40, everything visible is collected
(the painted screen, the full text of labels/statics that may be clipped, every
DataTable cell, footer keys, toasts, the command palette), and runs of English
prose are listed. Names, commands, paths, versions and hashes are not prose."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.command import CommandPalette
from textual.widgets import DataTable, Log, Static

from tests.support.ui_drive import SCENES, painted, wait_until

# Two or more words of letters in a row, e.g. "result: ok" -> no, "health check pending" -> yes.
PROSE = re.compile(r"[A-Za-z][a-z]+(?:[ ']+[A-Za-z][a-z]+)+")

# What stays as is in any language: names of tools, services and images, commands,
# key names and Textual's own key labels. Paths, URLs and file names are removed
# before matching (see _strip).
NAMES = re.compile(
    r"docker compose(?: [a-z]+)?|docker [a-z]+|tui-upgrader(?: [a-z]+)*(?: --[a-z-]+)*"
    r"|--[a-z-]+|Textual|Docker Compose|Docker"
)
# The release notes are the publisher's text, shown verbatim in any language.
NOTES_PREFIXES = ("What's new", "Faster start-up", "New `worker`", "New worker", "Config:",
                  "Upgrade notes", "The database schema", "the app container",
                  "hotfix for the upload", "the UI test release")  # fmt: skip
# Data the scenes pass in as the engine or the OS would word it in English (an
# OS error text, a reason built by the fixtures, not by the product).
FIXTURE_PHRASES = re.compile(
    r"connection refused|expected 'sha256:<64 hex digits>'|services not healthy within \d+ s"
    r"|changes the release|services not healthy: app"
)

URLISH = re.compile(
    r"(?:https?://\S+|(?:~|\.{0,2})?/[\w./@:+~…-]*|[\w.-]+\.(?:zip|tar|zst|json|toml|yaml|yml|"
    r"log|js|sh|conf|md|env|gz)\b|[\w.-]+:[\w.-]+|`[^`]*`)"
)


def _strip(text: str) -> str:
    return NAMES.sub(" ", URLISH.sub(" ", FIXTURE_PHRASES.sub(" ", text)))


def english_runs(text: str) -> list[str]:
    found: list[str] = []
    for line in text.splitlines():
        if any(p in line for p in NOTES_PREFIXES):
            continue
        for match in PROSE.finditer(_strip(line)):
            found.append(match.group(0).strip())
    return found


def visible_texts(app: App[Any]) -> list[str]:
    """The painted screen plus the whole text of widgets that may be clipped or scrolled."""
    texts = [painted(app)]
    for widget in app.screen.query("*"):
        if isinstance(widget, DataTable):
            for row in range(widget.row_count):
                texts.extend(str(cell) for cell in widget.get_row_at(row))
            texts.extend(str(column.label) for column in widget.columns.values())
        elif isinstance(widget, Log):
            texts.extend(widget.lines)  # whole lines: the pane clips them at 80 columns
        elif isinstance(widget, Static):
            visual = widget.visual
            plain = getattr(visual, "plain", None)
            texts.append(plain if isinstance(plain, str) else str(widget.render()))
    for notification in app._notifications:
        texts.extend((notification.title or "", notification.message))
    return texts


def untranslated(app: App[Any], where: str) -> list[str]:
    out: list[str] = []
    for text in visible_texts(app):
        out.extend(f"{where}: {run!r}" for run in english_runs(text))
    return out


def test_the_heuristic_finds_prose_and_spares_names() -> None:
    assert english_runs("结果：health check pending") == ["health check pending"]
    assert english_runs("Do you want to quit?") == ["Do you want to quit"]
    assert english_runs("运行 docker compose ps 于 /srv/demo/compose.yaml") == []
    assert english_runs("tui-upgrader 1.5.0 · demo/app:1.5.0 · x86_64.zip") == []
    assert english_runs("服务 app：healthy") == []  # one word: a name or a state, not prose


async def _scene_problems(name: str, tmp: Path, size: tuple[int, int]) -> list[str]:
    scene = SCENES[name]
    app = scene.build(tmp)
    async with app.run_test(size=size) as pilot:
        await scene.run_before(pilot)
        await pilot.pause()
        problems = untranslated(app, name)
        # A guessed key and the palette, from the screen the scene ends on.
        await pilot.press("ctrl+c")
        await pilot.pause()
        problems += untranslated(app, f"{name}+ctrl+c")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), 5)
        await pilot.pause()
        problems += untranslated(app, f"{name}+palette")
    return problems


@pytest.mark.usefixtures("zh_cn")
async def test_every_scene_is_chinese_at_80x24(tmp_path: Path) -> None:
    problems: list[str] = []
    for name in SCENES:
        problems += await _scene_problems(name, tmp_path / name, (80, 24))
    assert not problems, "untranslated visible text:\n" + "\n".join(sorted(set(problems)))


# --- journeys on the real runner, release server and backup store ----------------------
# (FakeDocker stands in for the engine, as in tests/ui/test_flows.py), so the
# words come from the product's ops code, not from scripted events.

from tests.support.ui_release import ReleaseEnv  # noqa: E402


@pytest.mark.usefixtures("zh_cn")
async def test_real_journeys_are_chinese(release_env: ReleaseEnv, tmp_path: Path) -> None:
    from tests.support.ui_drive import ended, loaded, upgrade_through_ui
    from tests.support.ui_release import engine_app
    from tui_upgrader.ui.screens.backups import BackupsScreen
    from tui_upgrader.ui.screens.confirm import ConfirmModal, RestoreModal

    app = engine_app(release_env, tmp_path)
    problems: list[str] = []
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: loaded(app))
        problems += untranslated(app, "manifest")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, BackupsScreen))
        backups = app.screen
        problems += untranslated(app, "backups")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        problems += untranslated(app, "backup-confirm")
        await pilot.press("y")
        await wait_until(pilot, lambda: ended(app))
        problems += untranslated(app, "backup-result")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is backups)
        await wait_until(pilot, lambda: isinstance(backups, BackupsScreen) and bool(backups.rows))
        await pilot.press("v")
        await wait_until(pilot, lambda: bool(app._notifications))
        problems += untranslated(app, "backups-verified")
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, RestoreModal))
        await pilot.press("d")
        problems += untranslated(app, "restore-modal")
        await pilot.press("y")
        await wait_until(pilot, lambda: ended(app))
        problems += untranslated(app, "restore-result")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BackupsScreen))
        await pilot.press("escape")
        release_env.docker.unhealthy_gates = 1  # the upgrade fails its gate and rolls back
        outcome = await upgrade_through_ui(pilot, timeout=30)
        problems += untranslated(app, "upgrade-rolled-back")
    assert outcome.headline == "升级失败：已回滚到 1.4.2", outcome  # the journey went there
    assert not problems, "untranslated visible text:\n" + "\n".join(sorted(set(problems)))


@pytest.mark.usefixtures("zh_cn")
async def test_the_missing_trusted_root_problem_is_chinese(tmp_path: Path) -> None:
    """The real planning with no pinned root: the trust error the admin meets first."""
    from tests.support.ui_drive import app_with, settled
    from tui_upgrader.ops.settings import Settings
    from tui_upgrader.ops.upgrade.planning import load_decision
    from tui_upgrader.ui.screens.manifest import ManifestScreen

    settings = Settings(
        manifest="http://127.0.0.1:9/manifest.json",  # never fetched: no root to check it
        deploy_dir=tmp_path / "deploy",
        data_dir=tmp_path / "data",  # no root pinned in it
    )
    app = app_with(
        tmp_path, settings=settings, load_plan=lambda s, force: load_decision(s, force_full=force)
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: settled(app))
        screen = app.screen
        assert isinstance(screen, ManifestScreen) and screen.problem is not None, screen
        assert "没有用于签名发布的受信任根" in str(screen.problem)
        problems = untranslated(app, "no-trusted-root")
    assert not problems, "untranslated visible text:\n" + "\n".join(sorted(set(problems)))

"""Backups screen on the real BackupStore (FakeDocker for the stack): create, restore
through the confirmation modal (data really comes back), verify, delete, and the
pre-upgrade backup switch reaching the runner."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from tests.support.ui_drive import ended, loaded, wait_until
from tests.support.ui_release import ReleaseEnv, engine_app
from tests.support.ui_scenarios import build_app
from tests.support.ui_scripted import SUCCESS, ScriptedRunner, happy_events
from tui_upgrader.ui.screens.backups import BackupsScreen
from tui_upgrader.ui.screens.confirm import ConfirmModal, RestoreModal
from tui_upgrader.ui.screens.progress import ProgressScreen
from tui_upgrader.ui.screens.strategy import StrategyScreen


def table_ids(screen: BackupsScreen) -> list[str]:
    table = screen.query_one("#backups", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_create_then_restore_data_only_through_the_modal(
    release_env: ReleaseEnv, tmp_path: Path
) -> None:
    deploy = release_env.deploy
    app = engine_app(release_env, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: loaded(app))
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, BackupsScreen))
        backups = app.screen
        assert isinstance(backups, BackupsScreen)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_until(pilot, lambda: ended(app))
        created = app.screen
        assert isinstance(created, ProgressScreen) and created.outcome is not None
        assert created.outcome.headline == "Backup #1 created", created.outcome
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is backups)
        await wait_until(pilot, lambda: table_ids(backups) == ["#1"])

        (deploy / "data/db.txt").write_text("rows written after the backup\n")
        (deploy / "app/server.sh").write_text("echo hand-edited\n")
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, RestoreModal))
        modal = app.screen
        full_text = str(modal.query_one("#restore-replaces").render())
        assert "compose file, .env" in full_text
        await pilot.press("d")
        data_text = str(modal.query_one("#restore-replaces").render())
        assert "Replaces only data/" in data_text
        await pilot.press("y")
        await wait_until(pilot, lambda: ended(app))
        progress = app.screen
        assert isinstance(progress, ProgressScreen) and progress.outcome is not None
        assert progress.outcome.tone == "success", progress.outcome
        assert progress.outcome.headline.startswith("Restored data of backup #1")
        await pilot.press("enter")
        # The deploy dir changed: a freshly loaded manifest with a new list on top.
        await wait_until(
            pilot, lambda: isinstance(app.screen, BackupsScreen) and app.screen is not backups
        )
        assert [type(s).__name__ for s in app.screen_stack][-2:] == [
            "ManifestScreen",
            "BackupsScreen",
        ]
        assert all(s is not progress for s in app.screen_stack)

    assert (deploy / "data/db.txt").read_text() == "rows of 1.4.2\n"
    assert (deploy / "app/server.sh").read_text() == "echo hand-edited\n"  # data only
    calls = [c for c, _ in release_env.docker.calls if c in ("down", "up", "wait_healthy")]
    # cold create, the restore's safety backup (on by default), then the restore
    assert calls == ["down", "up", "wait_healthy"] * 3
    manual, safety = sorted(release_env.store.list(), key=lambda r: r.id)[:2]
    assert manual.version is not None  # a manual backup records the installed version
    assert safety.id == 2 and "before restoring #1" in (safety.note or "")
    assert safety.version == manual.version


async def test_verify_and_delete(release_env: ReleaseEnv, tmp_path: Path) -> None:
    release_env.store.create(release_env.deploy, kind="manual", version="1.4.2.0")
    release_env.store.create(release_env.deploy, kind="manual", version="1.4.2.0")
    app = engine_app(release_env, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: loaded(app))
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, BackupsScreen))
        screen = app.screen
        assert isinstance(screen, BackupsScreen)
        await wait_until(pilot, lambda: len(table_ids(screen)) == 2)
        await pilot.press("v")
        await wait_until(pilot, lambda: any("#2 verified" in n.message for n in app._notifications))
        doomed = release_env.store.get(2).archive_path
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_until(pilot, lambda: table_ids(screen) == ["#1"])
    assert [r.id for r in release_env.store.list()] == [1]
    assert not doomed.exists()


async def test_pre_upgrade_backup_switch_reaches_the_runner(tmp_path: Path) -> None:
    runner = ScriptedRunner(happy_events(SUCCESS))
    app = build_app(tmp_path, runner=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: loaded(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, StrategyScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BackupsScreen))
        await pilot.press("p")
        assert app.make_backup is False
        await pilot.press("escape")  # the strategy screen now says the backup is skipped
        await wait_until(pilot, lambda: isinstance(app.screen, StrategyScreen))
        assert "SKIPPED" in str(app.screen.query_one("#strategy-plan").render())
        await pilot.press("enter", "s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "NO pre-upgrade backup" in " ".join(
            str(w.render()) for w in app.screen.query(".dialog-line")
        )
        await pilot.press("y")
        await wait_until(pilot, lambda: ended(app))
    assert [plan.make_backup for plan in runner.plans] == [False]


async def test_only_this_deploy_dirs_backups_and_a_foreign_restore_names_both(
    tmp_path: Path,
) -> None:
    from tests.support.ui_scenarios import backup_store

    store = backup_store(tmp_path / "data")
    store.catalogue.update(4, deploy_dir="/srv/other")  # #4, the newest
    app = build_app(tmp_path, store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: loaded(app))
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, BackupsScreen))
        screen = app.screen
        assert isinstance(screen, BackupsScreen)
        await wait_until(pilot, lambda: bool(screen.rows))
        assert table_ids(screen) == ["#3", "#2", "#1"]
        await pilot.press("a")
        assert table_ids(screen) == ["#4", "#3", "#2", "#1"]
        table = screen.query_one("#backups", DataTable)
        assert str(table.get_row_at(0)[-1]) == "/srv/other"
        table.move_cursor(row=0)
        await pilot.pause()
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        modal = app.screen
        text = " ".join(str(s.render()) for s in modal.query(".dialog-line"))
        assert "Backup #4 was taken of /srv/other." in text
        assert "This deploy dir is /srv/demo" in text
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")  # named both paths and confirmed: the usual restore question
        await wait_until(pilot, lambda: isinstance(app.screen, RestoreModal))


async def test_a_missing_deploy_dir_is_said_before_anything_is_offered(tmp_path: Path) -> None:
    from textual.widgets import Label

    from tui_upgrader.ops.settings import Settings
    from tui_upgrader.ui.screens.manifest import ManifestScreen

    missing = tmp_path / "deploy-typo"
    app = build_app(tmp_path, settings=Settings(deploy_dir=missing), check_deploy_dir=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ManifestScreen)
        await wait_until(pilot, lambda: screen.problem is not None)
        title = str(screen.query_one("#problem-title", Label).render())
        assert title == "The deploy dir does not exist"
        assert str(missing) in str(screen.problem)
        await pilot.press("enter")
        assert app.screen is screen  # nothing offered
        assert not loaded(app)
        missing.mkdir()
        await pilot.press("r")
        await wait_until(pilot, lambda: loaded(app))

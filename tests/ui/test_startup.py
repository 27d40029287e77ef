"""Start-up paths: the crash-journal modal, an unreachable server, the first-run wizard."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

from textual.widgets import Input

from tests.support.ui_drive import ended, loaded, wait_until
from tests.support.ui_release import ReleaseEnv, engine_app
from tests.support.ui_scenarios import build_app
from tui_upgrader.core.events import Step
from tui_upgrader.ops.settings import Settings, load_settings, write_initial_config
from tui_upgrader.ops.upgrade.journal import new_journal, read_journal, write_journal
from tui_upgrader.ops.upgrade.planning import Plan, load_decision
from tui_upgrader.ops.upgrade.recovery import recover
from tui_upgrader.ui.launch import real_deps
from tui_upgrader.ui.screens.error import ErrorModal
from tui_upgrader.ui.screens.journal import JournalModal
from tui_upgrader.ui.screens.manifest import ManifestScreen
from tui_upgrader.ui.screens.progress import ProgressScreen
from tui_upgrader.ui.screens.wizard import WizardScreen


async def test_interrupted_upgrade_opens_the_journal_modal_first(
    release_env: ReleaseEnv, tmp_path: Path
) -> None:
    deploy = release_env.deploy
    snapshot = release_env.docker.snapshot(deploy)
    journal = new_journal("full", "1.4.2.0", "1.5.0.0").advance(
        Step.APPLYING_UPDATE, stack_stopped=True, snapshot=snapshot
    )
    write_journal(deploy, journal)
    release_env.docker.calls.clear()
    app = engine_app(release_env, tmp_path, journal=None, read_journal=read_journal,
                     recover=recover)  # fmt: skip
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, JournalModal))
        assert isinstance(app.screen_stack[-2], ManifestScreen)
        text = " ".join(str(w.render()) for w in app.screen.query(".dialog-line"))
        assert "1.4.2 → 1.5.0" in text and "Apply" in text and "may still be down" in text
        await pilot.press("b")
        await wait_until(pilot, lambda: ended(app))
        screen = app.screen
        assert isinstance(screen, ProgressScreen) and screen.outcome is not None
        assert screen.outcome.headline == "Rolled back to 1.4.2", screen.outcome
        assert screen.outcome.tone == "success"
    assert read_journal(deploy) is None
    calls = [c for c, _ in release_env.docker.calls]
    assert "restore_snapshot" in calls and calls.index("restore_snapshot") < calls.index("up")


async def test_unreachable_server_shows_the_error_modal(tmp_path: Path, closed_port: int) -> None:
    settings = Settings(manifest=f"http://127.0.0.1:{closed_port}/manifest.json",
                        deploy_dir=tmp_path / "deploy", data_dir=tmp_path / "data",
                        connect_timeout_s=2, allow_unsigned=True)  # fmt: skip
    attempts: list[str] = []

    def load(s: Settings, force: bool) -> Plan:
        attempts.append(s.manifest or "")
        return load_decision(s, force_full=force)

    app = build_app(tmp_path, settings=settings, load_plan=load)
    async with app.run_test(size=(80, 24)) as pilot:
        # Composed, not only pushed: on a loaded box the query can come first.
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ErrorModal) and bool(app.screen.query("#error-message")),
        )
        message = str(app.screen.query_one("#error-message").render())
        assert f"127.0.0.1:{closed_port}" in message and "connection refused" in message
        await pilot.press("r")  # retry: same server, same answer
        await wait_until(pilot, lambda: len(attempts) == 2 and isinstance(app.screen, ErrorModal))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ManifestScreen))
        manifest = app.screen
        assert isinstance(manifest, ManifestScreen) and manifest.plan is None
        assert "connection refused" in str(manifest.query_one("#problem-text").render())
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        await pilot.press("q")
    assert app.return_code == 1 or app.return_value == 1


async def test_first_run_asks_and_saves_the_config(release_env: ReleaseEnv, tmp_path: Path) -> None:
    config = tmp_path / "conf" / "config.toml"
    url = release_env.settings.manifest or ""
    app = engine_app(
        release_env,
        tmp_path,
        settings=Settings(data_dir=tmp_path / "data"),
        needs_setup=True,
        write_config=lambda m, d, r, u: write_initial_config(
            m, d, config_file=config, trusted_root=r, allow_unsigned=u
        ),
        reload_settings=lambda: load_settings(config),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, WizardScreen))
        await pilot.press("ctrl+s")  # empty URL: refused in place
        problem = str(app.screen.query_one("#wizard-problem").render())
        assert "manifest URL is required" in problem
        await pilot.press("h", "t")  # typing reaches the focused field...
        assert app.screen.query_one("#manifest", Input).value == "ht"
        app.screen.query_one("#manifest", Input).value = url  # ...the rest is set directly
        await pilot.press("enter")  # next field
        assert app.screen.focused is app.screen.query_one("#deploy-dir", Input)
        app.screen.query_one("#deploy-dir", Input).value = str(release_env.deploy)
        await pilot.press("enter")  # next field: the publisher's root
        root = tmp_path / "keys" / "root.json"  # release_env signed its store with these keys
        app.screen.query_one("#trusted-root", Input).value = str(root)
        await pilot.press("enter")  # saves
        await wait_until(pilot, lambda: loaded(app))
        assert app.settings.deploy_dir == release_env.deploy
    saved = tomllib.loads(config.read_text())
    assert saved == {
        "manifest": url,
        "deploy_dir": str(release_env.deploy),
        "trusted_root": str(tmp_path / "keys" / "root.json"),
    }
    assert config.stat().st_mode & 0o777 == 0o600


def test_the_wizard_offers_the_real_trust_choices() -> None:
    """A root pinned now, or unsigned releases allowed explicitly; nothing is "trust later"."""
    from tui_upgrader.ui.screens.wizard import validate

    neither, problem = validate("https://u.example/m.json", "/srv/app", "", False)
    assert neither is None and "Allow unsigned releases" in problem
    pinned, _ = validate("https://u.example/m.json", "/srv/app", "/keys/root.json", False)
    assert pinned is not None and pinned.trusted_root == Path("/keys/root.json")
    assert not pinned.allow_unsigned
    unsigned, _ = validate("https://u.example/m.json", "/srv/app", "", True)
    assert unsigned is not None and unsigned.allow_unsigned and unsigned.trusted_root is None


def test_an_unsigned_choice_is_written_to_the_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    write_initial_config(
        "https://u.example/m.json", tmp_path, config_file=config, allow_unsigned=True
    )
    assert load_settings(config).allow_unsigned


def test_the_production_journal_reader_answers_none_fast_and_finds_a_real_journal(
    tmp_path: Path,
) -> None:
    settings = Settings(deploy_dir=tmp_path)
    deps = real_deps(argparse.Namespace(), settings=settings, needs_setup=False)
    assert deps.read_journal(tmp_path) is None

    write_journal(tmp_path, new_journal("full", "1.4.2.0", "1.5.0.0"))

    found = deps.read_journal(tmp_path)
    assert found is not None and found.to_version == "1.5.0.0"

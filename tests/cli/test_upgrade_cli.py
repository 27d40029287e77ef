"""Argument rules of ``upgrade`` and ``recover`` (no engine needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.manifests import enhanced
from tui_upgrader.core.events import Step
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.state import DeployState, write_state
from tui_upgrader.ops.upgrade.journal import deploy_lock, new_journal, read_journal, write_journal


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    (deploy / "docker-compose.yml").write_text("services: {}\n")
    write_state(deploy, DeployState(version=Version.parse("0.0.12")))
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps(enhanced()))
    return deploy, manifest


def test_no_backup_needs_yes(setup: tuple[Path, Path]) -> None:
    deploy, manifest = setup
    out = run_cli(
        "upgrade", "--no-backup", "--manifest", str(manifest), "--deploy-dir", str(deploy)
    )
    assert out.returncode == 2
    assert "--no-backup needs --yes" in out.stderr


def test_upgrade_without_yes_and_without_a_terminal_refuses(setup: tuple[Path, Path]) -> None:
    deploy, manifest = setup
    out = run_cli("upgrade", "--manifest", str(manifest), "--deploy-dir", str(deploy))
    assert out.returncode == 2
    assert "pass --yes" in out.stderr
    assert "Strategy:  full" in out.stdout  # the plan is shown before asking


def test_upgrade_refuses_over_an_unresolved_journal(setup: tuple[Path, Path]) -> None:
    deploy, manifest = setup
    write_journal(deploy, new_journal("full", "0.0.12.0", "0.0.13.2"))
    out = run_cli("upgrade", "--yes", "--manifest", str(manifest), "--deploy-dir", str(deploy))
    assert out.returncode == 2
    assert "recover --rollback" in out.stderr


def test_recover_without_journal_is_a_no_op(setup: tuple[Path, Path]) -> None:
    deploy, _ = setup
    out = run_cli("recover", "--rollback", "--deploy-dir", str(deploy))
    assert out.returncode == 0 and "Nothing to recover" in out.stdout


def test_recover_needs_a_mode_without_a_terminal(setup: tuple[Path, Path]) -> None:
    deploy, _ = setup
    write_journal(deploy, new_journal("full", "0.0.12.0", "0.0.13.2"))
    out = run_cli("recover", "--deploy-dir", str(deploy))
    assert out.returncode == 2 and "--rollback or --resume" in out.stderr
    assert "interrupted" in out.stdout


def test_recover_json_without_a_mode_still_ends_with_a_result(setup: tuple[Path, Path]) -> None:
    deploy, _ = setup
    write_journal(deploy, new_journal("full", "0.0.12.0", "0.0.13.2"))
    out = run_cli("recover", "--json", "--deploy-dir", str(deploy))
    assert out.returncode == 2
    result = json.loads(out.stdout.splitlines()[-1])
    assert set(result) == {
        "type", "success", "from_version", "to_version", "backup_id", "rolled_back", "error",
        "unclean_stop", "downtime_s", "settle_s",
    }  # fmt: skip
    assert result["success"] is False and result["rolled_back"] is False
    assert (result["from_version"], result["to_version"]) == ("0.0.12.0", "0.0.13.2")
    assert "--rollback or --resume" in result["error"]


def test_recover_json_while_another_run_holds_the_deploy_dir_ends_with_a_result(
    setup: tuple[Path, Path],
) -> None:
    deploy, _ = setup
    journal = new_journal("full", "0.0.12.0", "0.0.13.2")
    write_journal(deploy, journal.advance(Step.APPLYING_UPDATE, stack_stopped=True))
    with deploy_lock(deploy):
        out = run_cli("recover", "--rollback", "--json", "--deploy-dir", str(deploy))
    assert out.returncode == 2, "nothing was attempted"
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["type"] == "result" and result["success"] is False
    assert "another tui-upgrader" in result["error"]
    assert read_journal(deploy) is not None, "nothing was touched"


def test_rollback_and_resume_are_exclusive(setup: tuple[Path, Path]) -> None:
    deploy, _ = setup
    out = run_cli("recover", "--rollback", "--resume", "--deploy-dir", str(deploy))
    assert out.returncode == 2


def test_demo_without_an_engine_says_what_to_install(tmp_path: Path) -> None:
    out = run_cli("demo", "--headless", env_extra={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"})
    assert out.returncode == 1
    assert "apt-get install docker.io busybox-static" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_serve_port_in_use_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = run_cli("serve", str(tmp_path), "--port", str(port))
    assert out.returncode == 1
    assert out.stderr.strip() == (
        f"tui-upgrader: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


def test_serve_port_out_of_range_is_bad_input(tmp_path: Path) -> None:
    out = run_cli("serve", str(tmp_path), "--port", "65536")
    assert out.returncode == 2 and "expected 0 to 65535" in out.stderr


def test_json_mode_ends_with_a_result_even_without_a_plan(setup: tuple[Path, Path]) -> None:
    deploy, manifest = setup
    manifest.write_text('{"version": "1.2"}')
    out = run_cli(
        "upgrade", "--yes", "--json", "--manifest", str(manifest), "--deploy-dir", str(deploy)
    )
    assert out.returncode == 2
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert events[0] == {"type": "step", "step": "CheckingUpdates", "state": "started"}
    assert events[-1]["type"] == "result" and events[-1]["success"] is False
    assert events[-1]["from_version"] == "0.0.12.0" and "version" in events[-1]["error"]


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        ((), "pass --yes"),  # no terminal to confirm on
        (("--no-backup",), "--no-backup needs --yes"),
        (("--config", "/nonexistent/config.toml"), "config.toml"),
    ],
)
def test_every_json_refusal_ends_with_a_result(
    setup: tuple[Path, Path], flags: tuple[str, ...], says: str
) -> None:
    deploy, manifest = setup
    out = run_cli(
        "upgrade", "--json", *flags, "--manifest", str(manifest), "--deploy-dir", str(deploy)
    )

    assert out.returncode == 2
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert events[-1]["type"] == "result" and events[-1]["success"] is False
    assert says in events[-1]["error"]
    assert set(events[-1]) == {
        "type", "success", "from_version", "to_version", "backup_id", "rolled_back", "error",
        "unclean_stop", "downtime_s", "settle_s",
    }  # fmt: skip


def test_tui_without_a_terminal_refuses_instead_of_hanging(setup: tuple[Path, Path]) -> None:
    deploy, manifest = setup
    out = run_cli("--manifest", str(manifest), "--deploy-dir", str(deploy))
    assert out.returncode == 2 and "needs a terminal" in out.stderr

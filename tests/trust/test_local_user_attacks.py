"""Another local user against a tool that runs as root (#25), through the real CLI.

Dirs the tool keeps private files in are refused when a link leads there or
someone else owns them; the trust anchor likewise; and the pinned root does
not depend on whose HOME the tool runs under.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.trust_channel import Channel, channel_config, cli_with_config


def test_a_data_dir_reached_through_a_symlink_is_refused(channel: Channel) -> None:
    elsewhere = channel.tmp / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(channel.settings.data_dir)
    channel.settings.data_dir.symlink_to(elsewhere)
    proc = cli_with_config(
        channel_config(channel), "trust", str(channel.keys / "root.json"), "--yes"
    )
    assert proc.returncode == 2 and "symbolic link" in proc.stderr, proc.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_state_dir_owned_by_another_user_is_refused(channel: Channel) -> None:
    repos = channel.settings.data_dir / "trust" / "repos"
    repos.mkdir(exist_ok=True)
    os.chown(repos, 4242, 4242)
    proc = cli_with_config(channel_config(channel), "check")
    assert proc.returncode == 2 and "owned by uid 4242" in proc.stderr, proc.stderr


def test_a_root_anyone_may_rewrite_is_not_trusted(channel: Channel) -> None:
    os.chmod(channel.settings.data_dir / "trust" / "root.json", 0o666)
    proc = cli_with_config(channel_config(channel), "check")
    assert proc.returncode == 2 and "writable by others" in proc.stderr, proc.stderr


def test_a_system_root_is_found_whoever_runs_the_tool(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = channel.tmp / "etc" / "tui-upgrader" / "root.json"
    system.parent.mkdir(parents=True)
    system.write_bytes((channel.keys / "root.json").read_bytes())
    monkeypatch.setenv("TUI_UPGRADER_SYSTEM_ROOT", str(system))
    # Another HOME (sudo, cron): another data dir with nothing pinned in it.
    channel.settings = replace(channel.settings, data_dir=channel.tmp / "other-home-data")
    proc = cli_with_config(channel_config(channel, allow_unsigned=True), "check", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["signed"] is True


def test_unsigned_fallback_says_where_it_looked(channel: Channel) -> None:
    channel.settings = replace(channel.settings, data_dir=channel.tmp / "other-home-data")
    log_dir = channel.tmp / "log"
    proc = cli_with_config(
        channel_config(channel, allow_unsigned=True, log_dir=str(log_dir)), "check"
    )
    assert proc.returncode == 0, proc.stderr
    assert "UNSIGNED" in proc.stdout
    log = (log_dir / "tui-upgrader.log").read_text()
    assert f"no trusted root at {channel.tmp / 'other-home-data' / 'trust' / 'root.json'}" in log


def test_a_symlinked_trust_anchor_is_refused(channel: Channel, tmp_path: Path) -> None:
    anchor = channel.settings.data_dir / "trust" / "root.json"
    planted = tmp_path / "planted-root.json"
    anchor.rename(planted)
    anchor.symlink_to(planted)
    proc = cli_with_config(channel_config(channel), "check")
    assert proc.returncode == 2 and "symbolic link" in proc.stderr, proc.stderr

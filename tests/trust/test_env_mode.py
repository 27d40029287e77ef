"""``.env`` holds the admin's secrets: installed 0600 when there was none, and a merge
keeps the stricter of the live and the packaged mode (#25)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.support.release_trees import write_tree
from tests.support.trust_channel import Channel
from tests.support.ui_release import release_files
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.release.build import build_release


def _mode(channel: Channel) -> int:
    return os.stat(channel.settings.deploy_dir / ".env").st_mode & 0o777


def _package_env_mode(channel: Channel, mode: int) -> None:
    src = write_tree(channel.tmp / "src-env", release_files("1.5.0"))
    os.chmod(src / ".env", mode)
    shutil.rmtree(channel.store)
    build_release(src, version=Version.parse("1.5.0"), out=channel.store)
    channel.sign()
    channel.publish()


def test_a_first_env_is_installed_0600(channel: Channel) -> None:
    _package_env_mode(channel, 0o644)
    (channel.settings.deploy_dir / ".env").unlink()
    outcome = channel.attempt()
    assert outcome.error is None, outcome.error
    assert _mode(channel) == 0o600


@pytest.mark.parametrize(
    ("live", "packaged", "after"), [(0o666, 0o644, 0o644), (0o640, 0o644, 0o640)]
)
def test_a_merged_env_keeps_the_stricter_mode(
    channel: Channel,
    live: int,
    packaged: int,
    after: int,
) -> None:
    _package_env_mode(channel, packaged)
    os.chmod(channel.settings.deploy_dir / ".env", live)
    outcome = channel.attempt()
    assert outcome.error is None, outcome.error
    assert _mode(channel) == after

"""Fixtures the UI and the zh_CN screen tests share: no cursor blink, the language, and a
real release store on 127.0.0.1 with a deploy dir. Conftests re-export them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.support import signing
from tests.support.fakes import FakeDocker
from tests.support.tmp_settings import tmp_settings
from tests.support.ui_release import ReleaseEnv, release_files, write_tree
from tui_upgrader.core.arch import Arch
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.language import install_language
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.release.server import serve_directory
from tui_upgrader.ops.state import DeployState, write_state


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor makes two screenshots of the same state differ."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def zh_cn() -> Iterator[None]:
    """The process in Simplified Chinese for one test, then English again."""
    assert install_language("zh_CN") == "zh_CN", "catalogue missing: run scripts/bootstrap.sh"
    try:
        yield
    finally:
        install_language(None, machine_output=True)


@pytest.fixture
def release_env(tmp_path: Path) -> Iterator[ReleaseEnv]:
    """Deploy dir at 1.4.2 (with data/) and a served store offering 1.5.0."""
    src = write_tree(tmp_path / "src-1.5.0", release_files("1.5.0"))
    (src / "RELEASE_NOTES.md").write_text("## 1.5.0\n\n- the UI test release\n")
    store_dir = tmp_path / "store"
    build_release(
        src, version=Version.parse("1.5.0"), out=store_dir, arches=(Arch.X86_64, Arch.AARCH64)
    )
    deploy = write_tree(tmp_path / "deploy", release_files("1.4.2"))
    (deploy / "images/app.tar").unlink()
    write_tree(deploy, {"data/db.txt": "rows of 1.4.2\n"})
    write_state(deploy, DeployState(Version.parse("1.4.2")))
    with serve_directory(store_dir) as server:
        settings = tmp_settings(tmp_path, deploy, manifest=server.url_for("manifest.json"))
        # Signed like a real channel: the manifest screen shows who signed it.
        settings = signing.signed(settings, store_dir, tmp_path / "keys")
        yield ReleaseEnv(
            deploy,
            settings,
            FakeDocker(),
            BackupStore(settings),
            server,
        )

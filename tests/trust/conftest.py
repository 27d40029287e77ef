"""A signed channel served from a mirror on 127.0.0.1 that a test may tamper with.

The publisher signs ``store``; the mirror is a copy of it served by the
project's own ``serve``; the client pins the publisher's root. An attack
changes files in the mirror only, as a compromised mirror or CDN would."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import signing
from tests.support.release_trees import write_tree
from tests.support.tmp_settings import tmp_settings
from tests.support.trust_channel import Channel
from tests.support.ui_release import release_files
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.release.server import serve_directory
from tui_upgrader.ops.state import DeployState, write_state


@pytest.fixture
def channel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Channel]:
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    src = write_tree(tmp_path / "src-1.5.0", release_files("1.5.0"))
    store = tmp_path / "store"
    build_release(src, version=Version.parse("1.5.0"), out=store)
    keys = tmp_path / "keys"
    signing.sign(store, keys)
    mirror = tmp_path / "mirror"
    shutil.copytree(store, mirror)
    deploy = write_tree(tmp_path / "deploy", release_files("1.4.2"))
    write_state(deploy, DeployState(Version.parse("1.4.2")))
    with serve_directory(mirror) as server:
        settings = tmp_settings(tmp_path, deploy, manifest=server.url_for("manifest.json"))
        yield Channel(tmp_path, store, keys, mirror, server, signing.trust(settings, keys))

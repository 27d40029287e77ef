"""The publisher's commands as the README gives them, then a client on the bundle."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.release_trees import release
from tui_upgrader import cli


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert cli.main([*argv, "--json"]) == 0, capsys.readouterr().err
    body: dict[str, object] = json.loads(capsys.readouterr().out)
    return body


def test_keygen_build_sign_refresh_rotate_bundle_then_check_offline(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    restored_logging: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    src, store, keys = release(tmp_path / "src"), tmp_path / "store", tmp_path / "keys"
    made = _run(capsys, "release", "keygen", "--out", str(keys))
    assert Path(str(made["root"])).is_file()
    assert os.stat(keys / "timestamp.pem").st_mode & 0o777 == 0o600
    built = _run(
        capsys, "release", "build", str(src), "--version", "1.1.0", "--out", str(store),
        "--sign", str(keys), "--timestamp-days", "1",
    )  # fmt: skip
    assert built["signed"] == {
        "targets": 2,
        "versions": {"root": 1, "targets": 1, "snapshot": 1, "timestamp": 1},
    }
    refreshed = _run(capsys, "release", "refresh", "--keys", str(keys), "--out", str(store))
    assert refreshed["versions"] == {"root": 1, "targets": 1, "snapshot": 2, "timestamp": 2}
    _run(capsys, "release", "keygen", "--out", str(tmp_path / "keys-2"))
    rotated = _run(
        capsys, "release", "rotate-root", "--keys", str(keys), "--new-keys",
        str(tmp_path / "keys-2"), "--out", str(store),
    )  # fmt: skip
    assert rotated["versions"] == {"root": 2, "targets": 2, "snapshot": 3, "timestamp": 3}
    bundle = tmp_path / "usb" / "release.tar"
    bundled = _run(capsys, "release", "bundle", str(store), "--out", str(bundle))
    assert bundled["files"] == 2 + 6  # manifest + package, 2 roots + root.json + 3 roles

    # An air-gapped client that trusted the first root follows the rotation offline.
    config = tmp_path / "client.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\ncache_dir = "{tmp_path / "cache"}"\n')
    trust = ["--config", str(config), "trust", str(keys / "1.root.json"), "--yes"]
    assert cli.main(trust) == 0
    capsys.readouterr()
    body = _run(
        capsys, "--config", str(config), "check", "--manifest", str(bundle),
        "--deploy-dir", str(tmp_path / "deploy"),
    )  # fmt: skip
    assert body["signed"] is True and body["target_version"] == "1.1.0.0"

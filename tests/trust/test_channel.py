"""The life of a signed channel: rotation, refresh, air-gapped bundles, the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.trust_channel import Channel, assert_refused, channel_config
from tui_upgrader import cli
from tui_upgrader.ops.release.bundle import write_bundle
from tui_upgrader.ops.release.keys import generate_keys
from tui_upgrader.ops.release.signing import Expiry, refresh_store, rotate_root


def test_root_rotation_is_followed_by_a_client(channel: Channel) -> None:
    before = channel.plan().trust
    assert before.signed and before.root_version == 1
    new_keys = channel.tmp / "keys-new"
    generate_keys(new_keys)
    rotate_root(channel.store, channel.keys, new_keys)
    channel.publish()
    after = channel.plan().trust  # the client still pins root v1
    assert after.root_version == 2 and after.key_id != before.key_id
    # The old keys alone can no longer sign this channel.
    channel.keys, channel.settings = new_keys, channel.settings
    from tui_upgrader.ops.release.signing import sign_store

    sign_store(channel.store, channel.tmp / "keys")  # publisher error: old keys
    channel.publish()
    assert_refused(channel.attempt(), channel, "signed by an untrusted key")


def test_an_expired_channel_is_refreshed(channel: Channel) -> None:
    channel.sign(Expiry(timestamp_days=-1))
    channel.publish()
    assert_refused(channel.attempt(), channel, "timestamp.json expired")
    refresh_store(channel.store, channel.keys)
    channel.publish()
    outcome = channel.attempt()
    assert outcome.error is None and outcome.result is not None and outcome.result.success


def test_air_gapped_bundle_verifies_with_no_server(channel: Channel) -> None:
    from dataclasses import replace

    bundle = write_bundle(channel.store, channel.tmp / "usb" / "release.tar").path
    channel.server.shutdown()  # nothing to talk to
    channel.settings = replace(channel.settings, manifest=str(bundle))
    outcome = channel.attempt()
    assert outcome.error is None and outcome.result is not None and outcome.result.success
    assert channel.plan().trust.signed


def test_a_tampered_bundle_is_refused(channel: Channel) -> None:
    import tarfile
    from dataclasses import replace

    bundle = channel.tmp / "release.tar"
    with tarfile.open(bundle, "w") as tar:
        for path in sorted(channel.store.rglob("*")):
            if path.is_file() and path.name != "manifest.json":
                tar.add(path, arcname=str(path.relative_to(channel.store)))
        evil = channel.tmp / "evil.json"
        evil.write_text((channel.store / "manifest.json").read_text().replace("1.5.0", "9.9.9"))
        tar.add(evil, arcname="manifest.json")
    channel.settings = replace(channel.settings, manifest=str(bundle))
    assert_refused(channel.attempt(), channel, "manifest.json:")


def test_trust_then_check_json_says_signed(
    channel: Channel, tmp_path: Path, capsys: pytest.CaptureFixture[str], restored_logging: None
) -> None:
    (channel.settings.data_dir / "trust" / "root.json").unlink()  # start untrusted
    config = channel_config(channel)
    assert cli.main(["--config", str(config), "check", "--json"]) == 2
    assert "tui-upgrader trust ROOT.json" in capsys.readouterr().err
    root = channel.keys / "root.json"
    assert cli.main(["--config", str(config), "trust", str(root), "--yes"]) == 0
    out, err = capsys.readouterr()
    pinned = Path(out.strip())
    assert pinned.read_bytes() == root.read_bytes()
    assert os.stat(pinned).st_mode & 0o777 == 0o600
    assert os.stat(pinned.parent).st_mode & 0o777 == 0o700
    assert "targets" in err and "root v1" in err
    assert cli.main(["--config", str(config), "check", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["signed"] is True and body["strategy"] == "full"
    assert body["package"]["sha256"] == channel.plan().decision.package.sha256  # type: ignore[union-attr]


def test_unsigned_store_refused_unless_allowed(
    channel: Channel, capsys: pytest.CaptureFixture[str], restored_logging: None
) -> None:
    for name in ("timestamp.json", "snapshot.json", "targets.json", "root.json", "1.root.json"):
        (channel.mirror / name).unlink()
    config = channel_config(channel)
    assert cli.main(["--config", str(config), "check", "--json"]) == 2
    assert "timestamp.json: not found: the repository has no signed metadata" in (
        capsys.readouterr().err
    )
    (channel.settings.data_dir / "trust" / "root.json").unlink()
    config = channel_config(channel, allow_unsigned=True)
    assert cli.main(["--config", str(config), "check", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["signed"] is False and any("UNSIGNED" in w for w in body["warnings"])


def test_keygen_files_are_private(tmp_path: Path) -> None:
    result = generate_keys(tmp_path / "k", root_threshold=2)
    assert len(result.key_ids["root"]) == 2
    assert os.stat(result.keydir).st_mode & 0o777 == 0o700
    for pem in result.keydir.glob("*.pem"):
        assert os.stat(pem).st_mode & 0o777 == 0o600
    with pytest.raises(Exception, match="already holds keys"):
        generate_keys(tmp_path / "k")

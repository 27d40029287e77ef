"""One test per attack TUF defends against, each from a tampering mirror on 127.0.0.1.

Every attack must be refused with one line naming what was wrong, before any
service is stopped, with no package left in the cache under its final name.
"""

from __future__ import annotations

import json
import shutil

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, Root

from tests.support.http_servers import FaultServer
from tests.support.trust_channel import PACKAGE, Channel, assert_refused
from tui_upgrader.ops.release.keys import generate_keys, load_signers
from tui_upgrader.ops.release.signing import Expiry, sign_store


def _flip_middle_byte(path: object) -> None:
    from pathlib import Path

    assert isinstance(path, Path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_signed_channel_upgrades(channel: Channel) -> None:
    outcome = channel.attempt()
    assert outcome.error is None and outcome.result is not None and outcome.result.success
    assert channel.cached_package().is_file()


def test_arbitrary_package_is_refused(channel: Channel) -> None:
    _flip_middle_byte(channel.mirror / PACKAGE)  # same length, other bytes
    outcome = channel.attempt()
    assert_refused(
        outcome, channel, "package docker-x86_64.zip: sha256 differs from the signed targets"
    )


def test_tampered_manifest_is_refused(channel: Channel) -> None:
    path = channel.mirror / "manifest.json"
    text = path.read_text()
    body = json.loads(text)
    body["release_notes"] = "x" * len(body["release_notes"])  # same length, other bytes
    path.write_text(json.dumps(body, indent=2 if "\n  " in text else None))
    tampered = path.read_bytes()
    if len(tampered) != len((channel.store / "manifest.json").read_bytes()):
        path.write_bytes(tampered)  # a different length is refused all the same
    outcome = channel.attempt()
    assert_refused(outcome, channel, "manifest.json:")
    assert "signed" in outcome.error  # type: ignore[operator]


def test_rollback_to_older_signed_metadata_is_refused(channel: Channel) -> None:
    old = channel.tmp / "old-metadata"
    old.mkdir()
    for name in ("timestamp.json", "snapshot.json", "targets.json"):
        shutil.copy(channel.store / name, old / name)
    channel.sign()  # version 2 of everything
    channel.publish()
    assert channel.attempt().error is None  # the client has seen version 2
    channel.cached_package().unlink()
    for name in ("timestamp.json", "snapshot.json", "targets.json"):
        shutil.copy(old / name, channel.mirror / name)  # the mirror replays version 1
    assert_refused(channel.attempt(), channel, "timestamp.json", "rollback refused")


def test_freeze_with_an_expired_timestamp_is_refused(channel: Channel) -> None:
    channel.sign(Expiry(timestamp_days=-1))
    channel.publish()
    outcome = channel.attempt()
    assert_refused(outcome, channel, "timestamp.json expired on ", "release refresh")


def test_mix_and_match_snapshot_disagreeing_with_targets_is_refused(channel: Channel) -> None:
    old_snapshot = (channel.store / "snapshot.json").read_bytes()
    old_timestamp = (channel.store / "timestamp.json").read_bytes()
    channel.sign()  # targets v2: same length, other bytes
    channel.publish()
    (channel.mirror / "snapshot.json").write_bytes(old_snapshot)
    (channel.mirror / "timestamp.json").write_bytes(old_timestamp)
    outcome = channel.attempt()
    assert_refused(outcome, channel, "targets.json: length or hash differs from snapshot.json")


def test_endless_metadata_is_cut_at_its_signed_length(channel: Channel) -> None:
    with (channel.mirror / "targets.json").open("ab") as fh:
        fh.write(b" " * 10_000_000)
    outcome = channel.attempt()
    assert_refused(outcome, channel, "targets.json: served past its signed length")


def test_endless_package_is_cut_at_its_signed_length(channel: Channel) -> None:
    with (channel.mirror / PACKAGE).open("ab") as fh:
        fh.write(b"\0" * 5_000_000)
    outcome = channel.attempt()
    assert_refused(outcome, channel, "the signed targets says")
    part = channel.cached_package().with_name("docker-x86_64.zip.part")
    signed = (channel.store / PACKAGE).stat().st_size
    assert not part.exists() or part.stat().st_size <= signed


def test_signature_by_an_untrusted_key_is_refused(channel: Channel) -> None:
    path = channel.mirror / "timestamp.json"
    md = Metadata.from_file(str(path))
    md.signed.version += 1
    md.signatures.clear()
    md.sign(CryptoSigner.generate_ed25519())  # the attacker's own key
    path.write_bytes(md.to_bytes())
    outcome = channel.attempt()
    assert_refused(outcome, channel, "timestamp.json: signed by an untrusted key")


def test_fewer_signatures_than_the_threshold_are_refused(channel: Channel) -> None:
    keys = channel.tmp / "keys-2of2"
    generate_keys(keys, root_threshold=2)
    sign_store(channel.store, keys)
    channel.publish()
    # The client pins a root that needs 2 of its 2 root keys.
    from tests.support import signing

    channel.settings = signing.trust(channel.settings, keys)
    assert channel.attempt().error is None
    channel.cached_package().unlink()
    # Root v2 (new targets key) signed by one root key only: a stolen key alone.
    root_md = Metadata[Root].from_file(str(keys / "root.json"))
    root_md.signed.version = 2
    root_md.signatures.clear()
    root_md.sign(load_signers(keys)["root"][0])
    (channel.mirror / "2.root.json").write_bytes(root_md.to_bytes())
    outcome = channel.attempt()
    assert_refused(outcome, channel, "root.json v2: fewer signatures than the threshold (1 of 2")


def test_endless_package_stream_without_a_length_stops_at_the_signed_length(
    channel: Channel,
) -> None:
    genuine = (channel.store / PACKAGE).read_bytes()
    endless = FaultServer(genuine + b"\0" * 5_000_000, send_length=False)  # chunked, no length
    try:
        manifest = channel.store / "manifest.json"
        body = json.loads(manifest.read_text())
        body["platforms"]["x86_64"]["url"] = f"{endless.base_url}/{PACKAGE}"
        manifest.write_text(json.dumps(body))
        channel.sign()  # a publisher whose CDN now misbehaves
        channel.publish()
        outcome = channel.attempt()
    finally:
        endless.shutdown()
    assert_refused(outcome, channel, f"more than the {len(genuine)} bytes the signed targets allow")
    part = channel.cached_package().with_name("docker-x86_64.zip.part")
    assert not part.exists() or part.stat().st_size <= len(genuine)

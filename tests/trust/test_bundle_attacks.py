"""Hostile air-gapped bundles (a USB stick is the attacker), through the real CLI.

A bundle is read in place: whatever its layout, nothing is written anywhere
until TUF vouched for the bytes, and a refused bundle writes nothing at all.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from tests.support.trust_channel import Channel, channel_config, cli_with_config
from tui_upgrader.ops.release.bundle import write_bundle


def _tree(root: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every entry under ``root`` (links not followed) with its content, the log aside."""
    seen: dict[str, tuple[int, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if rel.startswith("home/state"):
                continue  # the log file, which says what was refused
            st = path.lstat()
            if path.is_symlink():
                seen[rel] = (st.st_mode, os.readlink(path))
            elif path.is_file():
                seen[rel] = (st.st_mode, path.read_bytes())
            else:
                seen[rel] = (st.st_mode, b"")
    return seen


def _add(tar: tarfile.TarFile, name: str, **kind: str) -> None:
    info = tarfile.TarInfo(name)
    data = b""
    if "dir" in kind:
        info.type, info.mode = tarfile.DIRTYPE, 0o777
    elif "symlink_to" in kind:
        info.type, info.linkname = tarfile.SYMTYPE, kind["symlink_to"]
    elif "hardlink_to" in kind:
        info.type, info.linkname = tarfile.LNKTYPE, kind["hardlink_to"]
    else:
        data = kind["content"].encode()
        info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _cve_2025_4517_bundle(out: Path, channel: Channel, unpack_dir: Path) -> None:
    """The public CVE-2025-4517 layout (CPython's test_realpath_limit_attack), aimed at
    ``channel.tmp``: a realpath() that stops at PATH_MAX lets a hard link escape."""
    steps = "abcdefghijklmnop"
    max_path = os.pathconf(str(channel.tmp), "PC_PATH_MAX")
    component = "d" * ((max_path - len(str(unpack_dir)) - 1) // (len(steps) + 1))
    # How far up from the unpack folder channel.tmp lies.
    ups = len(unpack_dir.relative_to(channel.tmp).parts)
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(channel.store.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=str(path.relative_to(channel.store)))
        prefix = ""
        for step in steps:
            _add(tar, os.path.join(prefix, component), dir="y")
            _add(tar, os.path.join(prefix, step), symlink_to=component)
            prefix = os.path.join(prefix, component)
        linkpath = os.path.join(*steps, "l" * 254)
        _add(tar, linkpath, symlink_to=os.path.join(*[".."] * len(steps)))
        _add(tar, "escape", symlink_to=os.path.join(linkpath, *[".."] * ups))
        _add(tar, "flaglink", hardlink_to=os.path.join("escape", "flag"))
        _add(tar, "flaglink", content="overwritten")
        _add(tar, "escape/newfile", content="created")


def test_cve_2025_4517_bundle_writes_nothing_anywhere(channel: Channel) -> None:
    flag = channel.tmp / "flag"
    flag.write_text("untouched")
    usb = channel.tmp / "usb"
    usb.mkdir()
    bundle = usb / "release.tar"
    # The old client unpacked into <cache>/bundles/<16 hex>.part.
    unpack_dir = channel.settings.cache_dir / "bundles" / ("0" * 16 + ".part")
    _cve_2025_4517_bundle(bundle, channel, unpack_dir)
    config = channel_config(channel)
    before = _tree(channel.tmp)
    for command in (["check", "--json"], ["fetch"], ["upgrade", "--yes", "--json"]):
        proc = cli_with_config(config, "--manifest", str(bundle), *command)
        assert proc.returncode == 2, (command, proc.returncode, proc.stderr)
        said = (proc.stdout + proc.stderr).strip().splitlines()
        assert "only regular files" in said[-1], said
    assert flag.read_text() == "untouched"
    assert not (channel.tmp / "newfile").exists()
    assert _tree(channel.tmp) == before


def test_a_bundle_with_a_symlink_is_refused_before_any_write(channel: Channel) -> None:
    bundle = channel.tmp / "release.tar"
    with tarfile.open(bundle, "w") as tar:
        for path in sorted(channel.store.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=str(path.relative_to(channel.store)))
        _add(tar, "1.5.0/notes.txt", symlink_to="/etc/passwd")
    config = channel_config(channel)
    before = _tree(channel.tmp)
    proc = cli_with_config(config, "--manifest", str(bundle), "check")
    assert proc.returncode == 2 and "notes.txt" in proc.stderr, proc.stderr
    assert _tree(channel.tmp) == before


def test_a_good_bundle_copies_out_only_signed_bytes(channel: Channel) -> None:
    bundle = write_bundle(channel.store, channel.tmp / "usb" / "release.tar").path
    with tarfile.open(bundle, "a") as tar:
        _add(tar, "stray.sh", content="#!/bin/sh\nrm -rf /\n")  # listed in no signed target
    proc = cli_with_config(channel_config(channel), "--manifest", str(bundle), "check", "--json")
    assert proc.returncode == 0, proc.stderr
    folders = list((channel.settings.cache_dir / "bundles").iterdir())
    assert len(folders) == 1
    names = sorted(str(p.relative_to(folders[0])) for p in folders[0].rglob("*") if p.is_file())
    assert names == ["1.5.0/docker-x86_64.zip", "manifest.json"]
    assert all(p.stat().st_mode & 0o077 == 0 for p in folders[0].rglob("*"))


def test_an_older_bundle_after_a_newer_one_is_refused(channel: Channel) -> None:
    old = write_bundle(channel.store, channel.tmp / "usb-old" / "release.tar").path
    channel.sign()  # version 2 of every role
    new = write_bundle(channel.store, channel.tmp / "usb-new" / "release.tar").path
    config = channel_config(channel)
    assert cli_with_config(config, "--manifest", str(new), "check").returncode == 0
    proc = cli_with_config(config, "--manifest", str(old), "check")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "rollback refused" in proc.stderr, proc.stderr


def test_rollback_protection_holds_across_url_spellings(channel: Channel) -> None:
    old = channel.tmp / "old-metadata"
    old.mkdir()
    for name in ("timestamp.json", "snapshot.json", "targets.json"):
        (old / name).write_bytes((channel.mirror / name).read_bytes())
    channel.sign()
    channel.publish()
    config = channel_config(channel)
    assert cli_with_config(config, "check").returncode == 0  # seen v2 at 127.0.0.1
    for name in ("timestamp.json", "snapshot.json", "targets.json"):
        (channel.mirror / name).write_bytes((old / name).read_bytes())
    other = channel.server.url_for("manifest.json").replace("127.0.0.1", "localhost")
    proc = cli_with_config(config, "--manifest", other, "check")
    assert proc.returncode == 2 and "rollback refused" in proc.stderr, proc.stderr


def _local_fetch(channel: Channel) -> subprocess.CompletedProcess[str] | None:
    """`fetch` from the store as a local folder (USB); None if it did not end in 20 s."""
    config, manifest = str(channel_config(channel)), str(channel.store / "manifest.json")
    try:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "tui_upgrader",
                "--config",
                config,
                "--manifest",
                manifest,
                "fetch",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None


def test_a_local_package_replaced_by_dev_zero_stops_at_the_signed_length(
    channel: Channel,
) -> None:
    package = channel.store / "1.5.0" / "docker-x86_64.zip"
    package.unlink()
    package.symlink_to("/dev/zero")
    proc = _local_fetch(channel)
    assert proc is not None, "the copy of /dev/zero did not stop"
    assert proc.returncode != 0 and "not a regular file" in proc.stderr, proc.stderr
    assert not list(channel.settings.packages_dir.rglob("*.zip*"))


def test_a_local_package_replaced_by_a_fifo_is_refused(channel: Channel) -> None:
    package = channel.store / "1.5.0" / "docker-x86_64.zip"
    package.unlink()
    os.mkfifo(package)
    proc = _local_fetch(channel)
    assert proc is not None, "the copy blocked on a FIFO"
    assert proc.returncode != 0 and "not a regular file" in proc.stderr, proc.stderr


def test_a_local_package_that_grew_is_cut_one_byte_past_its_signed_length(
    channel: Channel,
) -> None:
    package = channel.store / "1.5.0" / "docker-x86_64.zip"
    signed = package.stat().st_size
    with package.open("ab") as fh:
        fh.truncate(signed + 50_000_000)  # sparse: costs no disk
    proc = _local_fetch(channel)
    assert proc is not None and proc.returncode != 0, proc
    assert f"received {signed + 1} bytes" in proc.stderr, proc.stderr

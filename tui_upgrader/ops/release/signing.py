"""Sign a release store with TUF metadata (python-tuf's Metadata API).

Beside ``manifest.json`` the store gets ``N.root.json`` (the whole chain, so
clients can follow key rotations), ``targets.json`` (``manifest.json`` and
every package with length and SHA-256), ``snapshot.json`` and
``timestamp.json``, each version one higher than the last. Timestamp is
written last: a client that sees it finds everything it names.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from securesystemslib.exceptions import StorageError
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization import DeserializationError

from tui_upgrader.core.errors import InputError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.fsutil import atomic_write_bytes
from tui_upgrader.ops.release.keys import (
    PUBLIC,
    load_signers,
    new_root,
    save_root,
)
from tui_upgrader.ops.release.keys import (
    expiry as days_from_now,
)

_VERSIONED_ROOT = re.compile(r"^(\d+)\.root\.json$")
_Role = TypeVar("_Role", Targets, Snapshot, Timestamp)
METADATA_NAMES = frozenset({"root.json", "timestamp.json", "snapshot.json", "targets.json"})


@dataclass(frozen=True, slots=True)
class Expiry:
    """Days each role's metadata stays valid; timestamp is the freeze-attack window."""

    timestamp_days: float = 7
    snapshot_days: float = 30
    targets_days: float = 365


@dataclass(frozen=True, slots=True)
class SignResult:
    store: Path
    targets: int  # files listed in targets.json
    versions: dict[str, int]


def _is_metadata(name: str) -> bool:
    return name in METADATA_NAMES or _VERSIONED_ROOT.match(name) is not None


def target_files(store: Path) -> dict[str, Path]:
    """Every file of the store a client may fetch, by its path relative to the store."""
    found: dict[str, Path] = {}
    for path in sorted(store.rglob("*")):
        rel = path.relative_to(store)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if len(rel.parts) == 1 and _is_metadata(rel.name):
            continue
        found[rel.as_posix()] = path
    return found


def _version(store: Path, role: str) -> int:
    path = store / f"{role}.json"
    if not path.exists():
        return 0
    return int(Metadata.from_file(str(path)).signed.version)


def _write(store: Path, signed: _Role, signers: list[CryptoSigner]) -> MetaFile:
    md: Metadata[_Role] = Metadata(signed)
    for signer in signers:
        md.sign(signer, append=True)
    data = md.to_bytes()
    atomic_write_bytes(store / f"{signed.type}.json", data, PUBLIC)
    return MetaFile(signed.version, len(data), {"sha256": _sha256(data)})


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def publish_roots(keydir: Path, store: Path) -> int:
    """Copy the root chain into the store; return the newest version."""
    newest = 0
    for path in sorted(keydir.glob("*.root.json")):
        match = _VERSIONED_ROOT.match(path.name)
        if match is None:
            continue
        data = path.read_bytes()
        target = store / path.name
        if not target.exists() or target.read_bytes() != data:
            atomic_write_bytes(target, data, PUBLIC)
        newest = max(newest, int(match.group(1)))
    if newest == 0:
        raise InputError(
            _("{keydir}: no N.root.json (make the keys with `release keygen`)").format(
                keydir=keydir
            )
        )
    atomic_write_bytes(store / "root.json", (keydir / f"{newest}.root.json").read_bytes(), PUBLIC)
    return newest


def _timestamp_and_snapshot(
    store: Path, signers: dict[str, list[CryptoSigner]], targets_meta: MetaFile, expiry: Expiry
) -> dict[str, int]:
    snapshot = Snapshot(
        version=_version(store, "snapshot") + 1,
        expires=days_from_now(expiry.snapshot_days),
        meta={"targets.json": targets_meta},
    )
    snapshot_meta = _write(store, snapshot, signers["snapshot"])
    timestamp = Timestamp(
        version=_version(store, "timestamp") + 1,
        expires=days_from_now(expiry.timestamp_days),
        snapshot_meta=snapshot_meta,
    )
    _write(store, timestamp, signers["timestamp"])
    return {"snapshot": snapshot.version, "timestamp": timestamp.version}


def sign_store(store: Path, keydir: Path, expiry: Expiry | None = None) -> SignResult:
    """List every file of ``store`` in new targets and sign targets, snapshot, timestamp."""
    expiry = expiry or Expiry()
    if not (store / "manifest.json").is_file():
        raise InputError(
            _("{store}: no manifest.json to sign (run `release build` first)").format(store=store)
        )
    signers = load_signers(keydir)
    root_version = publish_roots(keydir, store)
    files = target_files(store)
    targets = Targets(
        version=_version(store, "targets") + 1,
        expires=days_from_now(expiry.targets_days),
        targets={
            rel: TargetFile.from_file(rel, str(path), ["sha256"]) for rel, path in files.items()
        },
    )
    targets_meta = _write(store, targets, signers["targets"])
    versions = {"root": root_version, "targets": targets.version}
    versions |= _timestamp_and_snapshot(store, signers, targets_meta, expiry)
    return SignResult(store, len(files), versions)


def refresh_store(store: Path, keydir: Path, expiry: Expiry | None = None) -> SignResult:
    """Re-sign snapshot and timestamp with fresh expiry; targets stay as they are."""
    expiry = expiry or Expiry()
    path = store / "targets.json"
    if not path.is_file():
        raise InputError(
            _("{store}: no targets.json: sign it first with `release build --sign`").format(
                store=store
            )
        )
    signers = load_signers(keydir)
    root_version = publish_roots(keydir, store)
    data = path.read_bytes()
    targets = Metadata[Targets].from_bytes(data).signed
    meta = MetaFile(targets.version, len(data), {"sha256": _sha256(data)})
    versions = {"root": root_version, "targets": targets.version}
    versions |= _timestamp_and_snapshot(store, signers, meta, expiry)
    return SignResult(store, len(targets.targets), versions)


def rotate_root(
    store: Path,
    old_keydir: Path,
    new_keydir: Path,
    *,
    root_days: float = 365,
    expiry: Expiry | None = None,
) -> SignResult:
    """Root N+1 with the keys of ``new_keydir``, signed by the old root keys and the new.

    Clients that trust root N verify N+1 with N's keys, then trust only the
    new keys. The store is re-signed with the new keys at once.
    """
    old_signers = load_signers(old_keydir)
    new_signers = load_signers(new_keydir)
    old = _key_folder_root(old_keydir)
    threshold = _key_folder_root(new_keydir).roles["root"].threshold
    md = Metadata(new_root(new_signers, old.version + 1, threshold, root_days))
    for signer in [*old_signers["root"], *new_signers["root"]]:
        md.sign(signer, append=True)
    # The new key folder carries the whole chain from now on.
    for path in old_keydir.glob("*.root.json"):
        atomic_write_bytes(new_keydir / path.name, path.read_bytes(), PUBLIC)
    save_root(new_keydir, md)
    return sign_store(store, new_keydir, expiry)


def _key_folder_root(keydir: Path) -> Root:
    """``KEYDIR/root.json``; a missing or broken one is bad input, named, not a StorageError."""
    path = keydir / "root.json"
    try:
        return Metadata[Root].from_file(str(path)).signed
    except (StorageError, DeserializationError, OSError, ValueError) as exc:
        raise InputError(
            _(
                "{path}: no readable root metadata (make the folder with `release keygen`): {exc}"
            ).format(path=path, exc=exc)
        ) from None

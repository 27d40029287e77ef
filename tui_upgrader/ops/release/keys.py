"""The publisher's signing keys: ed25519, one PEM file per key, 0600 in a 0700 folder.

``KEYDIR`` holds ``root.pem`` (or ``root-1.pem``, ``root-2.pem``, ... when the
root role has several keys), ``targets.pem``, ``snapshot.pem``,
``timestamp.pem``, and the root metadata they make: ``N.root.json`` for every
version and ``root.json`` (the newest), the file clients pin with
``tui-upgrader trust``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, Root

from tui_upgrader.core.errors import InputError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.fsutil import atomic_write_bytes, private_dir

ROLES = ("root", "targets", "snapshot", "timestamp")
PUBLIC = 0o644  # metadata is published: any web server must be able to read it


@dataclass(frozen=True, slots=True)
class KeyGenResult:
    keydir: Path
    root: Path  # KEYDIR/root.json: what clients pin
    key_ids: dict[str, tuple[str, ...]]


def expiry(days: float) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def load_signers(keydir: Path) -> dict[str, list[CryptoSigner]]:
    """Every role's signers from ``keydir``; InputError when a role has none."""
    signers: dict[str, list[CryptoSigner]] = {role: [] for role in ROLES}
    if not keydir.is_dir():
        raise InputError(
            _("{keydir}: no such key folder (make one with `release keygen`)").format(keydir=keydir)
        )
    for pem in sorted(keydir.glob("*.pem")):
        role = pem.stem.split("-", 1)[0]
        if role not in signers:
            continue
        try:
            key = load_pem_private_key(pem.read_bytes(), password=None)
            signers[role].append(CryptoSigner(key))
        except (ValueError, TypeError, OSError) as exc:
            raise InputError(
                _("{pem}: not a readable private key ({exc})").format(pem=pem, exc=exc)
            ) from exc
    missing = [role for role, found in signers.items() if not found]
    if missing:
        raise InputError(
            _("{keydir}: no key for {missing} (expected {first}.pem)").format(
                keydir=keydir, missing=", ".join(missing), first=missing[0]
            )
        )
    return signers


def save_root(keydir: Path, md: Metadata[Root]) -> Path:
    data = md.to_bytes()
    atomic_write_bytes(keydir / f"{md.signed.version}.root.json", data, PUBLIC)
    atomic_write_bytes(keydir / "root.json", data, PUBLIC)
    return keydir / "root.json"


def new_root(
    signers: dict[str, list[CryptoSigner]], version: int, threshold: int, days: float
) -> Root:
    root = Root(version=version, expires=expiry(days), consistent_snapshot=False)
    for role in ROLES:
        for signer in signers[role]:
            root.add_key(signer.public_key, role)
    root.roles["root"].threshold = threshold
    return root


def generate_keys(
    keydir: Path, *, root_threshold: int = 1, root_keys: int | None = None, root_days: float = 365
) -> KeyGenResult:
    """New keys for every role and root v1 signed by the root keys. Never overwrites keys."""
    count = root_keys or root_threshold
    if root_threshold < 1 or count < root_threshold:
        raise InputError(
            _(
                "--root-threshold {root_threshold} needs at least that many root keys (got {count})"
            ).format(root_threshold=root_threshold, count=count)
        )
    if keydir.exists() and any(keydir.glob("*.pem")):
        raise InputError(
            _("{keydir}: already holds keys; refusing to overwrite them").format(keydir=keydir)
        )
    private_dir(keydir)
    signers: dict[str, list[CryptoSigner]] = {}
    for role in ROLES:
        n = count if role == "root" else 1
        signers[role] = []
        for i in range(n):
            signer = CryptoSigner.generate_ed25519()
            name = f"{role}-{i + 1}.pem" if n > 1 else f"{role}.pem"
            atomic_write_bytes(keydir / name, signer.private_bytes, 0o600)
            signers[role].append(signer)
    md = Metadata(new_root(signers, 1, root_threshold, root_days))
    for signer in signers["root"]:
        md.sign(signer, append=True)
    path = save_root(keydir, md)
    ids = {role: tuple(s.public_key.keyid for s in found) for role, found in signers.items()}
    return KeyGenResult(keydir, path, ids)

"""The trust anchor: the root metadata the admin pinned, and where TUF keeps its state.

``tui-upgrader trust ROOT.json`` (or the first-run wizard) copies a root into
``<data_dir>/trust/root.json``; config ``trusted_root`` names one instead.
After that the root changes only through the signed chain (``N.root.json``
files on the server, each signed by the previous root's keys), which python-tuf
follows and keeps per repository under ``<data_dir>/trust/repos/``.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tui_upgrader.core.errors import ConfigError, InputError, TrustError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.bounded_read import read_capped
from tui_upgrader.ops.fsutil import atomic_write_bytes, private_dir
from tui_upgrader.ops.settings import Settings

MAX_ROOT_BYTES = 512_000  # python-tuf's own cap for root metadata


@dataclass(frozen=True, slots=True, kw_only=True)
class RootInfo:
    version: int
    expires: datetime
    threshold: int
    key_ids: tuple[str, ...]  # the root role's keys
    role_keys: dict[str, tuple[str, ...]]  # every role's keys


def trust_dir(settings: Settings) -> Path:
    return settings.data_dir / "trust"


# Where a root pinned for the whole machine lives: found whoever runs the tool
# (sudo, cron, Ansible become all change HOME and with it the data dir).
SYSTEM_ROOT = Path(os.environ.get("TUI_UPGRADER_SYSTEM_ROOT", "/etc/tui-upgrader/root.json"))


def pinned_root_path(settings: Settings) -> Path:
    """Where ``trust`` pins a root: ``trusted_root`` if set, else the data dir."""
    return settings.trusted_root or trust_dir(settings) / "root.json"


def root_candidates(settings: Settings) -> list[Path]:
    """Where a pinned root is looked for, in order."""
    if settings.trusted_root is not None:
        return [settings.trusted_root]
    return [trust_dir(settings) / "root.json", SYSTEM_ROOT]


def read_root(data: bytes, where: str) -> RootInfo:
    """Parse ``data`` as root metadata signed by its own keys (threshold met)."""
    # python-tuf only once a root is read: an unsigned release never loads it.
    from tuf.api.exceptions import RepositoryError, UnsignedMetadataError
    from tuf.api.metadata import Metadata, Root

    try:
        md = Metadata[Root].from_bytes(data)
        root = md.signed
        if not isinstance(root, Root):
            raise TrustError(
                _("{where}: not root metadata (type {type!r})").format(where=where, type=root.type)
            )
        root.verify_delegate(Root.type, md.signed_bytes, md.signatures)
    except UnsignedMetadataError as exc:
        raise TrustError(
            _("{where}: root metadata not signed by its own keys ({exc})").format(
                where=where, exc=exc
            )
        ) from None
    except (RepositoryError, ValueError, KeyError, TypeError) as exc:
        raise TrustError(
            _("{where}: not valid TUF root metadata ({exc})").format(where=where, exc=exc)
        ) from None
    roles = {name: tuple(role.keyids) for name, role in root.roles.items()}
    return RootInfo(
        version=root.version,
        expires=root.expires,
        threshold=root.roles[Root.type].threshold,
        key_ids=roles[Root.type],
        role_keys=roles,
    )


def read_root_file(path: Path) -> tuple[bytes, RootInfo]:
    try:
        # Capped on the bytes read: /dev/zero and a FIFO are refused, not waited on.
        data = read_capped(path, MAX_ROOT_BYTES)
    except InputError as exc:
        raise TrustError(_("{problem}, not a root").format(problem=exc.message)) from None
    except FileNotFoundError:
        raise ConfigError(_("{path}: trusted root file not found").format(path=path)) from None
    except OSError as exc:
        raise ConfigError(
            _("{path}: cannot read: {strerror}").format(path=path, strerror=exc.strerror)
        ) from exc
    return data, read_root(data, str(path))


def pinned_root(settings: Settings) -> bytes | None:
    """The pinned root's bytes, or None when nothing is trusted yet."""
    if settings.trusted_root is not None:
        return read_root_file(settings.trusted_root)[0]
    for path in root_candidates(settings):
        if os.path.lexists(path):
            _check_anchor(path)
            return read_root_file(path)[0]
    return None


def _check_anchor(path: Path) -> None:
    """The anchor decides what root installs: it must be a regular file in a dir
    that is not a link, owned by this user or root, writable by no one else."""
    st = os.lstat(path)
    parent = os.lstat(path.parent)
    for what, info in ((path, st), (path.parent, parent)):
        if stat.S_ISLNK(info.st_mode):
            raise TrustError(
                _("{path}: a symbolic link; a trusted root is never read through one").format(
                    path=what
                )
            )
        if info.st_uid not in (0, os.geteuid()) or info.st_mode & 0o022:
            raise TrustError(
                _(
                    "{path}: owned by uid {owner} or writable by others; not trusted as a root"
                ).format(path=what, owner=info.st_uid)
            )


def pin_root(settings: Settings, data: bytes, where: str) -> Path:
    """Make ``data`` the trust anchor (0600 in a 0700 dir, written atomically)."""
    read_root(data, where)
    if settings.trusted_root is not None:
        raise ConfigError(
            _("config sets trusted_root = {trusted_root}; change that file instead").format(
                trusted_root=settings.trusted_root
            )
        )
    path = pinned_root_path(settings)
    private_dir(path.parent)
    atomic_write_bytes(path, data, 0o600)
    return path


def repo_state_dir(settings: Settings, root: bytes) -> Path:
    """TUF's state for the repository this anchor names, wherever it is read from.

    Keyed by the pinned root alone, not by the URL: a root names one
    repository, so the versions seen (rollback and freeze protection) hold
    across mirrors, bundles and spellings of a URL (localhost vs 127.0.0.1).
    A re-pinned root starts afresh, so versions seen under a revoked anchor
    cannot block the new one."""
    key = hashlib.sha256(b"root\0" + root).hexdigest()[:24]
    repos = private_dir(private_dir(trust_dir(settings)) / "repos")
    path = private_dir(repos / key)
    private_dir(path / "root_history")
    return path

"""Air-gapped bundles: ``release bundle`` tars a signed store; the client reads it in place.

Nothing in the tar is trusted, its layout included: tarfile only parses the
headers (no ``extract``, so no link is ever followed or created, which is
what the 2025 filter bypasses such as CVE-2025-4517 need). A bundle may hold
only regular files with plain relative names, a bounded number of them and
bounded bytes. TUF reads the metadata and the manifest straight from the tar
(``HttpxFetcher`` with a ``BundleIndex``); only then are the signed targets
copied out, each cut at its signed length and checked against its signed
hash before it gets its name. Nothing is written for a bundle that fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tui_upgrader.core.errors import InputError, TrustError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.archive.policy import check_member_name
from tui_upgrader.ops.fsutil import fsync_dir, private_dir

MANIFEST_NAME = "manifest.json"
SCHEME = "tui-bundle:"  # TUF's base URL for a bundle: names are looked up in the tar
MAX_MEMBERS = 10_000
MAX_BYTES = 64 << 30
CHUNK = 1 << 20


def is_bundle(source: str) -> bool:
    path = Path(source.removeprefix("file://"))
    return path.suffix == ".tar" and path.is_file()


@dataclass(frozen=True, slots=True)
class Member:
    offset: int
    size: int


class BundleIndex:
    """The regular files of a bundle by name, read from the headers alone."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.members: dict[str, Member] = {}
        total = 0
        try:
            with tarfile.open(path, "r:") as tar:
                for count, info in enumerate(tar, 1):
                    if count > MAX_MEMBERS:
                        raise self._refuse(_("more than {limit} members").format(limit=MAX_MEMBERS))
                    name = self._check(info)
                    if name is None:
                        continue  # a directory entry: folders come from the signed names
                    total += info.size
                    if total > MAX_BYTES:
                        raise self._refuse(_("larger than {limit} bytes").format(limit=MAX_BYTES))
                    self.members[name] = Member(info.offset_data, info.size)
        except (tarfile.TarError, OSError) as exc:
            raise InputError(
                _("{bundle}: not a readable release bundle ({exc})").format(bundle=path, exc=exc)
            ) from exc
        if MANIFEST_NAME not in self.members:
            raise self._refuse(_("no {name} at the top of the bundle").format(name=MANIFEST_NAME))

    def _refuse(self, problem: str) -> InputError:
        return InputError(f"{self.path}: {problem}")

    def _check(self, info: tarfile.TarInfo) -> str | None:
        label = str(self.path)
        name = str(check_member_name(info.name, error_type=InputError, label=label))
        if info.isdir():
            return None
        if not info.isreg() or info.issparse():
            raise self._refuse(
                _("member {name!r}: only regular files may be in a bundle (links refused)").format(
                    name=info.name
                )
            )
        if name == "." or name in self.members:
            raise self._refuse(_("member {name!r}: duplicate or empty name").format(name=info.name))
        return name

    def read(self, name: str) -> Iterator[bytes]:
        """The member's bytes (FileNotFoundError if the bundle has none by that name)."""
        member = self.members.get(name)
        if member is None:
            raise FileNotFoundError(name)
        with self.path.open("rb") as fh:
            fh.seek(member.offset)
            left = member.size
            while left > 0:
                block = fh.read(min(CHUNK, left))
                if not block:
                    return  # truncated tar: the signed length check refuses it
                left -= len(block)
                yield block


def bundle_base(bundle: Path) -> str:
    return f"{SCHEME}//{bundle.resolve()}/"


def _folder(bundle: Path, bundles_dir: Path) -> Path:
    # Named after the tar's path, size and mtime: a new bundle on the same USB
    # path gets a new folder; an unchanged one is not copied out twice.
    stat = bundle.stat()
    key = hashlib.sha256(f"{bundle.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return bundles_dir / key.hexdigest()[:16]


def _write_verified(index: BundleIndex, name: str, length: int, sha256: str, dest: Path) -> None:
    digest = hashlib.sha256()
    done = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(dest, flags, 0o600)
    with os.fdopen(fd, "wb") as out:
        for block in index.read(name):
            block = block[: length - done]
            done += len(block)
            digest.update(block)
            out.write(block)
            if done >= length:
                break
        out.flush()
        os.fsync(out.fileno())
    if done != length or digest.hexdigest() != sha256:
        raise TrustError(_("{name}: differs from the signed targets (tampered)").format(name=name))


def copy_out(
    index: BundleIndex,
    manifest: bytes,
    signed: Callable[[str], tuple[int, str] | None],
    bundles_dir: Path,
) -> Path:
    """Write the verified manifest and the bundle's signed targets; return the manifest's path.

    ``signed(name)`` gives a member's signed (length, sha256), or None for
    what the targets do not list (metadata, strays), which is not copied.
    """
    dest = _folder(index.path, bundles_dir)
    if (dest / MANIFEST_NAME).is_file() and (dest / MANIFEST_NAME).read_bytes() == manifest:
        return dest / MANIFEST_NAME
    private_dir(bundles_dir)
    work = dest.with_name(dest.name + ".part")
    # Leftovers of a copy killed half-way are never reused.
    for stale in (work, dest):
        shutil.rmtree(stale, ignore_errors=True)
    private_dir(work)
    try:
        for name in sorted(index.members):
            if name == MANIFEST_NAME:
                continue
            target = signed(name)
            if target is None:
                continue
            path = work
            for part in PurePosixPath(name).parts[:-1]:
                path = path / part
                with contextlib.suppress(FileExistsError):
                    path.mkdir(mode=0o700)
            _write_verified(index, name, target[0], target[1], path / PurePosixPath(name).name)
        fd = os.open(work / MANIFEST_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(manifest)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    work.replace(dest)
    fsync_dir(bundles_dir)
    return dest / MANIFEST_NAME

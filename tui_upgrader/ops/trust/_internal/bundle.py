"""Air-gapped bundles: ``release bundle`` tars a signed store; the client unpacks it
into the cache and then verifies it exactly as it would verify the server."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
from pathlib import Path

from tui_upgrader.core.errors import InputError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.fsutil import private_dir

MANIFEST_NAME = "manifest.json"


def is_bundle(source: str) -> bool:
    path = Path(source.removeprefix("file://"))
    return path.suffix == ".tar" and path.is_file()


def unpack_bundle(bundle: Path, bundles_dir: Path) -> Path:
    """Unpack ``bundle`` (once per content) and return its manifest's path.

    The folder is named after the tar's size and mtime, so a new bundle on the
    same USB path unpacks afresh; nothing in it is trusted until TUF verified it.
    """
    stat = bundle.stat()
    key = hashlib.sha256(f"{bundle.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    dest = bundles_dir / key.hexdigest()[:16]
    manifest = dest / MANIFEST_NAME
    if manifest.is_file():
        return manifest
    private_dir(bundles_dir)
    work = dest.with_name(dest.name + ".part")
    # Leftovers of an unpack that was killed half-way are never reused.
    for stale in (work, dest):
        shutil.rmtree(stale, ignore_errors=True)
    try:
        with tarfile.open(bundle, "r:") as tar:
            # The stdlib "data" filter refuses absolute paths, "..", links out
            # of the folder and device files.
            tar.extractall(work, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise InputError(
            _("{bundle}: not a readable release bundle ({exc})").format(bundle=bundle, exc=exc)
        ) from exc
    if not (work / MANIFEST_NAME).is_file():
        raise InputError(
            _("{bundle}: no {name} at the top of the bundle").format(
                bundle=bundle, name=MANIFEST_NAME
            )
        )
    work.replace(dest)
    return manifest

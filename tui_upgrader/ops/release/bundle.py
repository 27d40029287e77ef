"""``release bundle DIR --out FILE.tar``: a signed store in one file for air-gapped sites.

The tar holds the metadata, ``manifest.json`` and the packages exactly as the
server would serve them; ``--manifest FILE.tar`` on the client unpacks it and
verifies it with the same TUF checks as online. Entries are sorted, owned by
0:0 and dated from their files, so the same store gives the same bundle.
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from pathlib import Path

from tui_upgrader.core.errors import InputError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.fsutil import atomic_file
from tui_upgrader.ops.release.signing import target_files

METADATA = ("root.json", "timestamp.json", "snapshot.json", "targets.json")


@dataclass(frozen=True, slots=True)
class BundleResult:
    path: Path
    files: int
    size: int


def _entries(store: Path) -> list[tuple[str, Path]]:
    roots = sorted(store.glob("*.root.json"), key=lambda p: int(p.name.split(".", 1)[0]))
    names = [(p.name, p) for p in roots] + [(n, store / n) for n in METADATA]
    return names + sorted(target_files(store).items())


def write_bundle(store: Path, out: Path) -> BundleResult:
    missing = [name for name in METADATA if not (store / name).is_file()]
    if missing:
        raise InputError(
            _(
                "{store}: not a signed store (no {missing}); sign it with "
                "`release build --sign KEYDIR` first"
            ).format(store=store, missing=", ".join(missing))
        )
    if out.resolve().is_relative_to(store.resolve()):
        raise InputError(
            _("--out {out}: must not lie inside the store {store}").format(out=out, store=store)
        )
    entries = _entries(store)
    with (
        atomic_file(out, 0o644) as fh,
        tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, path in entries:
            info = tar.gettarinfo(str(path), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o644
            with path.open("rb") as src:
                tar.addfile(info, src)
    return BundleResult(out, len(entries), out.stat().st_size)

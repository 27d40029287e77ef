"""The ``manifest.json`` a release store publishes (original server's enhanced form).

Shape written (every field the original reads, plus our ``hash``/``size``)::

    {"version": "1.1.0.1", "release_date": "<RFC 3339, UTC>", "release_notes": "...",
     "packages": {"full": {url, hash, signature, size}, "patch": null},
     "platforms": {"x86_64": {url, signature, hash: "sha256:<hex>", size}, ...},
     "patch": {"x86_64": {url, hash, signature, size, notes,
                          "operations": {"replace": {files, directories},
                                         "delete": {files, directories}}}},
     "min_version": "1.0.0"}                         # only when asked for

``packages.full`` points at the x86_64 package (else the first architecture
built), so legacy clients that only read ``packages`` still upgrade. Building
the same version again merges: architectures not rebuilt keep their entries.
A rebuilt architecture loses its old patch entry unless a new one is built.
A store never goes backwards: building an older version over a newer manifest
is refused.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui_upgrader.core.arch import Arch
from tui_upgrader.core.errors import InputError, ManifestError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.manifest import PatchOperations, parse_manifest_bytes
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.fsutil import atomic_write_bytes

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"


def package_url(base_url: str | None, rel: str) -> str:
    """``--base-url`` + relative path, else a server-root path (``/1.1.0/x.zip``)."""
    if base_url is None:
        return "/" + rel
    return base_url.rstrip("/") + "/" + rel


def package_entry(url: str, sha256: str, size: int) -> dict[str, Any]:
    return {"url": url, "signature": "", "hash": f"sha256:{sha256}", "size": size}


def patch_entry(
    url: str, sha256: str, size: int, ops: PatchOperations, notes: str
) -> dict[str, Any]:
    return {
        "url": url,
        "hash": f"sha256:{sha256}",
        "signature": "",
        "size": size,
        "operations": {
            "replace": {"files": list(ops.replace_files), "directories": list(ops.replace_dirs)},
            "delete": {"files": list(ops.delete_files), "directories": list(ops.delete_dirs)},
        },
        "notes": notes,
    }


def rfc3339_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _existing(path: Path, version: Version) -> dict[str, Any] | None:
    """The current manifest if it is for ``version`` (to merge into), else None."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(
            _("{path}: cannot read: {strerror}").format(path=path, strerror=exc.strerror)
        ) from exc
    try:
        current = parse_manifest_bytes(data, str(path))
    except ManifestError as exc:
        raise InputError(
            _("{path}: not a valid manifest ({exc}); remove it first").format(path=path, exc=exc)
        ) from exc
    if current.version > version:
        raise InputError(
            _(
                "{path} offers {short}, newer than {short2}; use another --out "
                "or remove the manifest"
            ).format(path=path, short=current.version.short, short2=version.short)
        )
    if current.version != version:
        logger.info("manifest: %s replaces %s", version.short, current.version.short)
        return None
    doc: dict[str, Any] = json.loads(data)
    return doc


def write_manifest(
    out: Path,
    *,
    version: Version,
    notes: str,
    platforms: Mapping[Arch, dict[str, Any]],
    patches: Mapping[Arch, dict[str, Any]],
    min_version: Version | None,
) -> Path:
    """Write (or merge into) ``out/manifest.json`` atomically; returns its path."""
    path = out / MANIFEST_NAME
    old = _existing(path, version) or {}
    merged_platforms: dict[str, Any] = dict(old.get("platforms") or {})
    merged_platforms.update({arch.value: entry for arch, entry in platforms.items()})
    # A rebuilt architecture's old patch was made against other bytes: drop it.
    rebuilt = {arch.value for arch in platforms}
    merged_patch: dict[str, Any] = {
        k: v for k, v in (old.get("patch") or {}).items() if k not in rebuilt
    }
    merged_patch.update({arch.value: entry for arch, entry in patches.items()})
    doc: dict[str, Any] = {
        "version": version.short,
        "release_date": rfc3339_now(),
        "release_notes": notes,
        "packages": {"full": _generic(merged_platforms), "patch": None},
        "platforms": dict(sorted(merged_platforms.items())),
    }
    if merged_patch:
        doc["patch"] = dict(sorted(merged_patch.items()))
    if min_version is not None:
        doc["min_version"] = min_version.short
    elif old.get("min_version") is not None:
        doc["min_version"] = old["min_version"]
    data = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
    parse_manifest_bytes(data, str(path))  # never publish what our own client would refuse
    atomic_write_bytes(path, data, mode=0o644)
    logger.info("manifest written: %s (version %s)", path, version.short)
    return path


def _generic(platforms: Mapping[str, Any]) -> dict[str, Any]:
    order: Sequence[str] = [Arch.X86_64.value, *sorted(platforms)]
    key = next(k for k in order if k in platforms)
    entry = platforms[key]
    return {k: entry[k] for k in ("url", "hash", "signature", "size")}

"""The package served by the fault server instead of ``serve``: a manifest pointing at it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.faults.case import Case
from tests.support.http_servers import FaultServer, Served

# The downloader writes what it reads as it reads it (httpx raw reads, at most 64 KiB);
# after a drop it may fetch again at most what was in flight: one chunk.
CHUNK = 64 * 1024


def faulty_manifest(case: Case, server: FaultServer) -> Path:
    """The store's manifest with the package URL on the fault server (a local file)."""
    doc = json.loads((case.world.store / "manifest.json").read_text(encoding="utf-8"))
    doc["platforms"]["x86_64"]["url"] = server.url
    doc.pop("patch", None)
    path = case.root / "faulty-manifest.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def bytes_resent(gets: list[Served], size: int) -> int:
    return sum(s.body_bytes for s in gets) - size

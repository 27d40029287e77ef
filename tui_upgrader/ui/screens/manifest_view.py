"""Rows and lines the manifest screen shows (pure: no widgets, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tui_upgrader.core import display

if TYPE_CHECKING:
    # Annotations only: the manifest worker loads these after the first frame.
    from tui_upgrader.core.manifest import Manifest
    from tui_upgrader.core.strategy import Decision
    from tui_upgrader.core.trust import TrustSummary


@dataclass(frozen=True, slots=True)
class PackageRow:
    key: str  # where in the manifest: platforms.x86_64, packages.full, patch.aarch64
    chosen: bool
    arch: str
    kind: str
    host: str
    size: str
    hash: str
    verifiable: bool


def host_of(url: str, source: str) -> str:
    if url.startswith("/"):
        base = urlsplit(source).hostname if source.startswith(("http://", "https://")) else None
        return base or "next to the manifest"
    return urlsplit(url).hostname or url


def package_rows(manifest: Manifest, decision: Decision, source: str) -> list[PackageRow]:
    chosen = decision.package.source if decision.package is not None else ""
    rows: list[PackageRow] = []

    def add(key: str, arch: str, kind: str, url: str, sha: str | None, size: int | None) -> None:
        rows.append(
            PackageRow(
                key,
                key == chosen,
                arch,
                kind,
                host_of(url, source),
                display.size(size) if size is not None else "?",
                display.short_hash(sha),
                sha is not None,
            )
        )

    for arch, info in (manifest.platforms or {}).items():
        add(f"platforms.{arch}", str(arch), "full", info.url, info.sha256, info.size)
    if manifest.full is not None:
        info = manifest.full
        add("packages.full", "any", "generic", info.url, info.sha256, info.size)
    for arch, patch in (manifest.patch or {}).items():
        add(f"patch.{arch}", str(arch), "patch", patch.url, patch.sha256, patch.size)
    return rows


def summary_lines(manifest: Manifest, decision: Decision, source: str, now: datetime) -> list[str]:
    installed = decision.current_version.short if decision.current_version else "nothing installed"
    released = f"{manifest.release_date:%Y-%m-%d} ({display.age(manifest.release_date, now)})"
    lines = [
        f"Installed {installed:<18} Offered {manifest.version.short}, released {released}",
        f"Source    {source or '-'} · this machine: {decision.arch}",
    ]
    if manifest.min_version is not None:
        lines.append(f"Requires  {manifest.min_version.short} or later installed first")
    return lines


def trust_line(trust: TrustSummary) -> str:
    """Who vouches for this release: the signature line, or the unsigned warning."""
    if not trust.signed:
        return "✗ UNSIGNED (allow_unsigned = true): whoever serves the URL picks what runs"
    expires = f"{trust.expires:%Y-%m-%d %H:%M} UTC" if trust.expires else "?"
    return f"Signed    ✓ key {trust.short_key_id} · root v{trust.root_version} · expires {expires}"


def patch_lines(manifest: Manifest) -> list[str]:
    lines: list[str] = []
    for arch, patch in (manifest.patch or {}).items():
        ops = patch.operations
        lines.append(f"Patch for {arch}:")
        if ops.replaced:
            lines.append("  replace " + ", ".join(ops.replaced))
        if ops.deleted:
            lines.append("  delete  " + ", ".join(ops.deleted))
        if patch.notes:
            lines.append("  notes   " + patch.notes)
    return lines


def problem_lines(manifest: Manifest, decision: Decision) -> list[str]:
    # The unsigned warning has its own red line (trust_line).
    lines = [w for w in decision.warnings if not w.startswith("UNSIGNED release")]
    unverifiable = [
        r.key for r in package_rows(manifest, decision, "") if not r.verifiable and not r.chosen
    ]
    if unverifiable:
        lines.append("No hash (unverifiable): " + ", ".join(unverifiable))
    return lines

"""Rows and lines the manifest screen shows (pure: no widgets, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tui_upgrader.core import display
from tui_upgrader.core.i18n import _
from tui_upgrader.ui.planview import shown

if TYPE_CHECKING:
    # Annotations only: the manifest worker loads these after the first frame.
    from tui_upgrader.core.manifest import Manifest
    from tui_upgrader.core.strategy import Decision
    from tui_upgrader.core.trust import TrustSummary


@dataclass(frozen=True, slots=True, kw_only=True)
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
        return base or _("next to the manifest")
    return urlsplit(url).hostname or url


def package_rows(manifest: Manifest, decision: Decision, source: str) -> list[PackageRow]:
    chosen = decision.package.source if decision.package is not None else ""
    rows: list[PackageRow] = []

    def add(key: str, arch: str, kind: str, url: str, sha: str | None, size: int | None) -> None:
        rows.append(
            PackageRow(
                key=key,
                chosen=key == chosen,
                arch=shown(arch),
                kind=kind,
                host=shown(host_of(url, source)),
                size=display.size(size) if size is not None else "?",
                hash=display.short_hash(sha),
                verifiable=sha is not None,
            )
        )

    for arch, info in (manifest.platforms or {}).items():
        add(f"platforms.{arch}", str(arch), _("full"), info.url, info.sha256, info.size)
    if manifest.full is not None:
        info = manifest.full
        add("packages.full", _("any"), _("generic"), info.url, info.sha256, info.size)
    for arch, patch in (manifest.patch or {}).items():
        add(f"patch.{arch}", str(arch), _("patch"), patch.url, patch.sha256, patch.size)
    return rows


def arch_line(decision: Decision) -> str:
    """The architecture the package was chosen for, and who said so (#19): the
    engine runs the images, so its word is not "this machine" over ssh://."""
    if decision.arch_source == "engine":
        return _("engine: {arch}").format(arch=decision.arch)
    if decision.arch_source == "TUI_UPGRADER_ARCH":
        return f"TUI_UPGRADER_ARCH: {decision.arch}"
    return _("this machine: {arch}").format(arch=decision.arch)


def summary_lines(manifest: Manifest, decision: Decision, source: str, now: datetime) -> list[str]:
    installed = (
        decision.current_version.short if decision.current_version else _("nothing installed")
    )
    released = f"{manifest.release_date:%Y-%m-%d} ({display.age(manifest.release_date, now)})"
    # The labels line up in terminal cells whatever their language.
    labels = (_("Installed"), _("Source"), _("Requires"))
    width = max(display.cells(label) for label in labels) + 1
    installed_label, source_label, requires_label = (display.pad(x, width) for x in labels)
    lines = [
        installed_label
        + display.pad(installed, 18)
        + " "
        + _("Offered {version}, released {released}").format(
            version=manifest.version.short, released=released
        ),
        source_label + f"{source or '-'} · {arch_line(decision)}",
    ]
    if manifest.min_version is not None:
        lines.append(
            requires_label
            + _("{version} or later installed first").format(version=manifest.min_version.short)
        )
    return [shown(line) for line in lines]


def trust_line(trust: TrustSummary) -> str:
    """Who vouches for this release: the signature line, or the unsigned warning."""
    if not trust.signed:
        return "✗ " + _("UNSIGNED (allow_unsigned = true): whoever serves the URL picks what runs")
    expires = f"{trust.expires:%Y-%m-%d %H:%M} UTC" if trust.expires else "?"
    return _("Signed    ✓ key {key} · root v{version} · expires {expires}").format(
        key=trust.short_key_id, version=trust.root_version, expires=expires
    )


def patch_lines(manifest: Manifest, width: int | None = None) -> list[str]:
    """The patch's notes, then what it replaces and deletes.

    ``width``: the cells a line gets. A path list then keeps to one line ("… and
    N more"), so a long list cannot push the notes out of the box's few rows.
    """
    lines: list[str] = []
    for arch, patch in (manifest.patch or {}).items():
        ops = patch.operations
        lines.append(_("Patch for {arch}:").format(arch=arch))
        labels = (_("replace"), _("delete"), _("notes"))
        label_width = max(display.cells(label) for label in labels) + 1
        replace_label, delete_label, notes_label = (display.pad(x, label_width) for x in labels)
        room = None if width is None else width - 2 - label_width
        if patch.notes:
            lines.append("  " + notes_label + patch.notes)
        if ops.replaced:
            lines.append("  " + replace_label + _one_line(ops.replaced, room))
        if ops.deleted:
            lines.append("  " + delete_label + _one_line(ops.deleted, room))
    return [shown(line) for line in lines]


def _one_line(paths: Sequence[str], room: int | None) -> str:
    text = ", ".join(paths)
    if room is None or display.cells(text) <= room:
        return text
    for count in range(len(paths) - 1, 0, -1):
        more = _("… and {count} more").format(count=len(paths) - count)
        text = ", ".join(paths[:count]) + " " + more
        if display.cells(text) <= room:
            return text
    return _("{count} paths").format(count=len(paths))


def problem_lines(manifest: Manifest, decision: Decision) -> list[str]:
    # The unsigned warning has its own red line (trust_line).
    from tui_upgrader.core.trust import UNSIGNED_WARNING

    lines = [w for w in decision.warnings if w != _(UNSIGNED_WARNING)]
    unverifiable = [
        r.key for r in package_rows(manifest, decision, "") if not r.verifiable and not r.chosen
    ]
    if unverifiable:
        lines.append(_("No hash (unverifiable): {keys}").format(keys=", ".join(unverifiable)))
    return [shown(line) for line in lines]

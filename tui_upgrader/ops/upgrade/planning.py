"""Gather facts about this machine and deploy dir, then let core decide."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, replace
from pathlib import Path

from tui_upgrader.core.arch import Arch, parse_arch
from tui_upgrader.core.i18n import _
from tui_upgrader.core.image_index import ThinEstimate
from tui_upgrader.core.manifest import Manifest, parse_manifest_bytes
from tui_upgrader.core.strategy import Decision, Deployment, PackageRef, decide, resolve_url
from tui_upgrader.core.trust import UNSIGNED, UNSIGNED_WARNING, TrustSummary
from tui_upgrader.ops.deploy_files import find_compose_file
from tui_upgrader.ops.download.manifest import fetch_manifest, is_remote
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.trust import bind_package, open_release
from tui_upgrader.ops.trust.client import bind_index
from tui_upgrader.ops.upgrade.journal import read_journal


def detect_arch() -> Arch:
    # A test/override hook: lets an admin or a test pretend to be another
    # machine (e.g. to fetch the aarch64 package for an offline transfer).
    return parse_arch(os.environ.get("TUI_UPGRADER_ARCH") or platform.machine())


@dataclass(frozen=True, slots=True)
class Plan:
    manifest: Manifest
    decision: Decision
    source: str
    # Downtimes of this deploy dir's past upgrades (state.toml), oldest first:
    # what the progress screen expects the next one to take.
    past_downtimes: tuple[float | None, ...] = ()
    trust: TrustSummary = UNSIGNED
    # What a full upgrade downloads here, thin or full (thin_stage.with_download_estimate).
    download: ThinEstimate | None = None


def load_decision(settings: Settings, *, force_full: bool = False) -> Plan:
    # Through TUF first: nothing of the manifest is parsed before it is verified.
    release = open_release(settings)
    source = release.source
    if release.manifest_bytes is not None:
        manifest = parse_manifest_bytes(release.manifest_bytes, source)
    else:
        manifest = fetch_manifest(source, settings)
    state = read_state(settings.deploy_dir)
    deployment = Deployment(
        installed=state.version,
        has_compose_file=find_compose_file(settings.deploy_dir) is not None,
        exists=settings.deploy_dir.is_dir(),
    )
    decision = decide(
        state.version,
        manifest,
        deployment,
        detect_arch(),
        force_full=force_full,
        allow_unverified=settings.allow_unverified,
    )
    if decision.package is not None:
        package = decision.package
        if release.trust.signed:
            package = bind_package(release, package)
            package = replace(package, images=bind_index(release, package.images))
        if package.images is not None:
            package = replace(package, images=_locate(package.images, source))
        decision = replace(decision, package=_locate(package, source))
    if not release.trust.signed:
        decision = replace(decision, warnings=(_(UNSIGNED_WARNING), *decision.warnings))
    journal = read_journal(settings.deploy_dir)
    if journal is not None:
        # Every command but `recover` refuses to run now; the dry run says why.
        interrupted = (
            f"An upgrade to {journal.to_version} was interrupted at {journal.step.value}: "
            "run `tui-upgrader recover` before anything else"
        )
        decision = replace(decision, warnings=(*decision.warnings, interrupted))
    return Plan(
        manifest=manifest,
        decision=decision,
        source=source,
        trust=release.trust,
        past_downtimes=tuple(entry.downtime_s for entry in state.history),
    )


def _locate(package: PackageRef, manifest_source: str) -> PackageRef:
    """Absolute URL for HTTP manifests; for a manifest file (USB, air-gapped), a
    ``/path`` that does not exist on this machine is taken relative to the
    manifest's own folder, so a copied release folder works as it is."""
    if is_remote(manifest_source):
        return resolve_url(package, manifest_source)
    if package.url.startswith("/") and not Path(package.url).exists():
        folder = Path(manifest_source.removeprefix("file://")).resolve().parent
        local = folder / package.url.lstrip("/")
        if local.exists():
            return replace(package, url=str(local))
    return package


def package_cache_path(packages_dir: Path, decision: Decision) -> Path:
    """``<cache>/packages/<version>/<full|patch>/<file>`` for the chosen package."""
    if decision.package is None:
        raise ValueError("no package: the decision is 'none'")
    pkg = decision.package
    # The short form, as the release store names its folders (1.1.0/, 1.1.0.1/).
    return packages_dir / decision.target_version.short / pkg.kind / pkg.file_name

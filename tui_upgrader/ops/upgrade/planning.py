"""Gather facts about this machine and deploy dir, then let core decide."""

from __future__ import annotations

import logging
import os
import platform
from dataclasses import dataclass, replace
from pathlib import Path

from tui_upgrader.core.arch import Arch, named_arch, parse_arch
from tui_upgrader.core.errors import DockerError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.image_index import ThinEstimate
from tui_upgrader.core.manifest import Manifest, parse_manifest_bytes
from tui_upgrader.core.strategy import Decision, Deployment, PackageRef, decide, resolve_url
from tui_upgrader.core.trust import UNSIGNED, UNSIGNED_WARNING, TrustSummary
from tui_upgrader.ops.deploy_files import find_compose_file
from tui_upgrader.ops.download.manifest import fetch_manifest, is_remote
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.trust.client import bind_index, bind_package, open_release
from tui_upgrader.ops.upgrade.journal import interrupted_message, read_journal

logger = logging.getLogger(__name__)


ARCH_ENV = "TUI_UPGRADER_ARCH"


def resolve_arch() -> tuple[Arch | str, str]:
    """The architecture packages are chosen for, and where it came from.

    The engine's (``docker info``, through DOCKER_HOST / the context like every
    engine call): with ``DOCKER_HOST=ssh://arm64-host`` the images run there,
    not here. ``TUI_UPGRADER_ARCH`` overrides it (e.g. to fetch the aarch64
    package for an offline transfer); with no engine answering, ``check``
    still decides, for this machine, and says so.
    """
    override = os.environ.get(ARCH_ENV, "").strip()
    if override:
        return named_arch(override), ARCH_ENV
    # The docker SDK only when asked: the TUI's first screen does not wait for it.
    from tui_upgrader.ops.images.arch_check import engine_architecture

    try:
        return engine_architecture(), "engine"
    except DockerError as exc:
        logger.info("architecture from this machine: %s", exc)
        return named_arch(platform.machine()), "machine"


def detect_arch() -> Arch:
    """A shipped architecture or a StrategyError (the demo builds for it)."""
    return parse_arch(str(resolve_arch()[0]))


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
    arch, arch_source = resolve_arch()
    decision = decide(
        state.version,
        manifest,
        deployment,
        arch,
        force_full=force_full,
        allow_unverified=settings.allow_unverified,
    )
    decision = replace(decision, arch_source=arch_source)
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
        interrupted = interrupted_message(settings.deploy_dir, journal, "check")
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
    if package.url.startswith("/") and not _exists(Path(package.url)):
        folder = Path(manifest_source.removeprefix("file://")).resolve().parent
        local = folder / package.url.lstrip("/")
        if _exists(local):
            return replace(package, url=str(local))
    return package


def _exists(path: Path) -> bool:
    """``Path.exists`` that answers False for a name the OS cannot hold (ENAMETOOLONG, NUL)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def package_cache_path(packages_dir: Path, decision: Decision) -> Path:
    """``<cache>/packages/<version>/<full|patch>/<file>`` for the chosen package."""
    if decision.package is None:
        raise ValueError("no package: the decision is 'none'")
    pkg = decision.package
    # The short form, as the release store names its folders (1.1.0/, 1.1.0.1/).
    return packages_dir / decision.target_version.short / pkg.kind / pkg.file_name

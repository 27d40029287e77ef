"""Thin image delivery in the runner: plan against the engine, fetch, load, or fall back.

Before the download the engine is asked which layer chains it has; when the
release publishes an image index and that makes the download smaller, the
runner fetches the files package and only the missing blobs (each verified
against the index, whose hash the manifest or the signed targets vouch for),
then loads a thin archive and checks the result with ``image inspect``. When
the thin path cannot work (no index, the containerd image store, a layer gone
between planning and loading, a load that does not verify), one log line says
why and the full package is used: everything happens before the stop.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urljoin

import docker

from tui_upgrader.core import display
from tui_upgrader.core.arch import docker_arch
from tui_upgrader.core.errors import (
    CancelledError,
    DiskSpaceError,
    DownloadError,
    HashMismatchError,
    UpgraderError,
)
from tui_upgrader.core.events import Emit, Step, discard
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.core.image_index import (
    BLOB_DIR,
    Blob,
    ImageIndex,
    ThinEstimate,
    ThinPlan,
    parse_index,
    plan_thin,
    static_reason,
)
from tui_upgrader.core.stages import Stage
from tui_upgrader.core.strategy import Decision, PackageRef, Strategy
from tui_upgrader.ops.archive.package import unpack
from tui_upgrader.ops.backup.swap import sync_filesystem
from tui_upgrader.ops.deploy_files import find_compose_file
from tui_upgrader.ops.download.fetch import download, local_source
from tui_upgrader.ops.download.many import Wanted, download_many
from tui_upgrader.ops.images.arch_check import check_image_architectures, refuse_foreign
from tui_upgrader.ops.images.arch_files import image_files_for_arch
from tui_upgrader.ops.images.archive_tags import check_archive_tags, check_tags
from tui_upgrader.ops.images.thin import (
    ThinLoadError,
    load_thin,
    present_chains,
    uses_containerd_store,
)
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.stack.real_docker import RealDocker
from tui_upgrader.ops.upgrade._internal.steps import Context
from tui_upgrader.ops.upgrade.plan import UpgradePlan
from tui_upgrader.ops.upgrade.planning import Plan, package_cache_path

logger = logging.getLogger(__name__)

IMAGE_INDEX = N_("the image index")


def _beside(index_url: str, rel: str) -> str:
    source = local_source(index_url)
    if source is not None and not index_url.startswith("file://"):
        return str((source.parent / rel).resolve())
    return urljoin(index_url, rel)


def blob_cache(settings: Settings) -> Path:
    return settings.cache_dir / BLOB_DIR


def estimate(
    settings: Settings, decision: Decision, client: docker.DockerClient | None, emit: Emit = discard
) -> ThinEstimate:
    """Ask the engine and the image index whether a thin download is possible and smaller."""
    package = decision.package
    full = package.size if package is not None else None
    reason = static_reason(decision)
    if reason is not None or package is None or package.images is None:
        return ThinEstimate(full, None, reason or "")
    if find_compose_file(settings.deploy_dir) is None:
        return ThinEstimate(full, None, _("first install: nothing to build on"))
    if client is None:
        return ThinEstimate(full, None, _("no Docker engine to ask"))
    try:
        if uses_containerd_store(client):
            return ThinEstimate(
                full, None, _("the engine uses the containerd image store (no thin loads)")
            )
        index = _fetch_index(settings, decision, package.images, emit)
        holders = present_chains(client)
    except CancelledError:
        raise
    except UpgraderError as exc:
        return ThinEstimate(full, None, str(exc))
    plan = plan_thin(index, holders, full or 0)
    layers = sum(len(im.layers) for im in index.images)
    have = layers - sum(sum(plan.needs(im)) for im in index.images)
    counts = _("the engine has {have} of {layers} layers").format(have=have, layers=layers)
    if full is None or plan.thin_bytes >= full:
        return ThinEstimate(full, None, _("{counts}: thin is not smaller").format(counts=counts))
    return ThinEstimate(full, plan, counts)


def _fetch_index(settings: Settings, decision: Decision, ref: PackageRef, emit: Emit) -> ImageIndex:
    dest = package_cache_path(settings.packages_dir, decision).parent.parent / "images"
    result = download(
        ref.url,
        dest / ref.file_name,
        expected_sha256=ref.sha256,
        expected_size=ref.size,
        settings=settings,
        emit=emit,
        expected_from=ref.verified_by,
    )
    return parse_index(result.path.read_bytes(), ref.url)


class ThinDelivery:
    """One upgrade's thin path: ``fetch`` the files package and blobs, then ``load``."""

    def __init__(
        self, plan: UpgradePlan, ctx: Context, client: docker.DockerClient, thin: ThinPlan
    ):
        self.plan, self.ctx, self.client, self.thin = plan, ctx, client, thin
        package = plan.decision.package
        assert package is not None and package.images is not None
        self.index_url = package.images.url
        self.blobs = blob_cache(plan.settings)

    def blob_path(self, blob: Blob) -> Path:
        return self.blobs / blob.hex

    def fetch(self) -> Path | None:
        """The verified files package (every missing blob verified in the cache), or
        None when the store cannot serve them: the full package is used then.

        A blob that does not match the index is refused, not worked around.
        """
        try:
            return self._fetch()
        except HashMismatchError:
            raise
        except DownloadError as exc:
            fall_back(self.ctx, str(exc))
            return None

    def _fetch(self) -> Path:
        settings, thin = self.plan.settings, self.thin
        files = thin.index.files
        dest = package_cache_path(settings.packages_dir, self.plan.decision)
        wanted = [
            Wanted(
                _beside(self.index_url, files.name),
                dest.parent.parent / "files" / files.name,
                files.sha256,
                files.size,
            )
        ]
        wanted += [
            Wanted(
                _beside(self.index_url, f"../{BLOB_DIR}/{b.hex}"), self.blob_path(b), b.hex, b.size
            )
            for b in thin.blobs
        ]
        label = _("{count} blobs").format(count=len(thin.blobs))
        self.ctx.note(Stage.DOWNLOAD_START, url=wanted[0].url, size=display.size(thin.thin_bytes))
        download_many(
            wanted,
            settings=settings,
            emit=self.ctx.emit,
            cancel=self.ctx.cancel,
            label=label,
            expected_from=IMAGE_INDEX,
        )
        self.ctx.note(
            Stage.DOWNLOAD_DONE,
            size=display.size(thin.thin_bytes),
            sha256=files.sha256,
            verified_by=_(IMAGE_INDEX),
        )
        return wanted[0].dest

    def load(self, allowed_tags: Sequence[str]) -> None:
        """Load the thin archive, or fall back to the full package's images.

        ``allowed_tags``: the images the release's compose file uses; the index may
        name no other tag (as the full path checks its archives)."""
        ctx = self.ctx
        index_name = self.index_url.rsplit("/", 1)[-1]
        check_tags(index_name, (t for im in self.thin.index.images for t in im.tags), allowed_tags)
        for image in self.thin.index.images:  # as the full path checks its tars
            config = json.loads(self.blob_path(image.config).read_bytes())
            have = str(config.get("architecture") or "")
            refuse_foreign(index_name, image.label, have, self.plan.decision.arch)
        try:
            names = load_thin(self.client, self.thin, self.blob_path, ctx.emit, ctx.cancel)
        except ThinLoadError as exc:
            fall_back(ctx, str(exc))
            self.load_full(allowed_tags)
            return
        ctx.note(Stage.LOAD_PARSED, names=", ".join(names))

    def load_full(self, allowed_tags: Sequence[str]) -> None:
        ctx, decision = self.ctx, self.plan.decision
        assert decision.package is not None
        package = decision.package
        result = download(
            package.url,
            package_cache_path(self.plan.settings.packages_dir, decision),
            expected_sha256=package.sha256,
            expected_size=package.size,
            expected_from=package.verified_by,
            settings=self.plan.settings,
            emit=ctx.emit,
            cancel=ctx.cancel,
            step=Step.LOADING_IMAGES,
        )
        work = Path(tempfile.mkdtemp(prefix="thin-fallback-", dir=result.path.parent))
        try:
            unpacked = unpack(result.path, work / "pkg", ctx.cancel)
            tars = image_files_for_arch(unpacked / "images", docker_arch(decision.arch))
            check_archive_tags(tars, allowed_tags)
            check_image_architectures(tars, decision.arch)
            for tar in tars:
                ctx.note(Stage.LOAD_EXEC, tar=tar.name, size=display.size(tar.stat().st_size))
                loaded = ctx.docker.load_image(tar, ctx.emit, ctx.cancel)
                ctx.note(Stage.LOAD_PARSED, names=", ".join(loaded) or tar.name)
                ctx.check_cancel()
        finally:
            shutil.rmtree(work, ignore_errors=True)


def fall_back(ctx: Context, reason: str) -> None:
    text = _("full package: {reason}").format(reason=reason)
    logger.info("%s", text)
    ctx.log("info", text)


def plan_delivery(plan: UpgradePlan, ctx: Context) -> ThinDelivery | None:
    """The thin path for this upgrade, or None (one log line says why) for the full package."""
    decision = plan.decision
    if decision.strategy is not Strategy.FULL or decision.package is None:
        return None
    client = ctx.docker.client if isinstance(ctx.docker, RealDocker) else None
    try:
        found = estimate(plan.settings, decision, client, ctx.emit)
    except DiskSpaceError as exc:
        found = ThinEstimate(None, None, str(exc))
    if found.plan is None or client is None:
        fall_back(ctx, found.reason)
        return None
    ctx.log(
        "info",
        _("thin download: {thin} instead of {full} ({reason})").format(
            thin=display.size(found.plan.thin_bytes),
            full=display.size(found.full_bytes or 0),
            reason=found.reason,
        ),
    )
    return ThinDelivery(plan, ctx, client, found.plan)


def with_download_estimate(plan: Plan, settings: Settings) -> Plan:
    """``plan`` with what a full upgrade would download here (thin or full), for
    ``check --json`` and the screens; asks the engine only when an index exists."""
    decision = plan.decision
    package = decision.package
    if decision.strategy is not Strategy.FULL or package is None:
        return plan
    client: docker.DockerClient | None = None
    if package.images is not None and find_compose_file(settings.deploy_dir) is not None:
        try:
            client = RealDocker().client
        except UpgraderError as exc:
            logger.info("no engine to plan a thin download with: %s", exc)
    try:
        found = estimate(settings, decision, client)
    except UpgraderError as exc:  # e.g. no disk space for the index
        found = ThinEstimate(package.size, None, str(exc))
    finally:
        if client is not None:
            client.close()
    return replace(plan, download=found)


def drop_staged_image_tars(staged: Path, decision: Decision) -> None:
    """A release that publishes an image index leaves no ``images/*.tar`` in the deploy
    dir, whichever way its images came (thin or full): the engine has them, the
    blobs stay in the cache, and both ways end in the same tree."""
    package = decision.package
    if decision.strategy is not Strategy.FULL or package is None or package.images is None:
        return
    tars = [p for p in (staged / "images").glob("*.tar*") if p.is_file()]
    for path in tars:
        path.unlink()
    if tars:
        sync_filesystem(staged)

"""``run_upgrade(plan, ports, emit, cancel)``: the single step machine.

Stage before stop: everything slow and fallible (download, verify, extract,
image load) runs while the old stack still serves. A failure there changes
nothing. From the stop on, ``_internal.commit_or_rollback`` finishes the upgrade or rolls it
back as one unit. The UI and the headless CLI both call this, from a thread.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui_upgrader.core import display
from tui_upgrader.core.arch import docker_arch
from tui_upgrader.core.envfile import merge_env
from tui_upgrader.core.errors import (
    JournalError,
    OperationError,
    PackageError,
    RollbackFailedError,
    StateError,
    StrategyError,
    UnverifiableError,
    UpgraderError,
    error_text,
)
from tui_upgrader.core.events import FORWARD_STEPS, Emit, ResultEvent, Step
from tui_upgrader.core.i18n import _
from tui_upgrader.core.stages import Stage
from tui_upgrader.core.strategy import Strategy, strategy_name
from tui_upgrader.ops.archive.package import check_full, check_patch, unpack
from tui_upgrader.ops.deploy_files import find_compose_file
from tui_upgrader.ops.download.fetch import download
from tui_upgrader.ops.images.arch_check import check_image_architectures
from tui_upgrader.ops.images.arch_files import image_files_for_arch
from tui_upgrader.ops.images.archive_tags import check_archive_tags
from tui_upgrader.ops.upgrade._internal.apply import (
    discard_work_dirs,
    missing_parents,
    plan_full_moves,
    plan_patch_moves,
    staging_dir,
)
from tui_upgrader.ops.upgrade._internal.commit_or_rollback import (
    finish_upgrade,
    rollback_incomplete,
)
from tui_upgrader.ops.upgrade._internal.host_requests import announce_host_access
from tui_upgrader.ops.upgrade._internal.notifying import notify_result
from tui_upgrader.ops.upgrade._internal.steps import Context
from tui_upgrader.ops.upgrade.journal import (
    Journal,
    clear_journal,
    new_journal,
    write_journal,
)
from tui_upgrader.ops.upgrade.outage import mark_stop
from tui_upgrader.ops.upgrade.plan import Ports, UpgradePlan
from tui_upgrader.ops.upgrade.planning import package_cache_path
from tui_upgrader.ops.upgrade.stack_guard import stack_guard
from tui_upgrader.ops.upgrade.thin_stage import (
    ThinDelivery,
    drop_staged_image_tars,
    plan_delivery,
)
from tui_upgrader.ops.upgrade.two_pass import discard_snapshot, precopy

if TYPE_CHECKING:
    from tui_upgrader.ops.backup.store import BackupStore

logger = logging.getLogger(__name__)


def _default_backups(plan: UpgradePlan) -> BackupStore:
    from tui_upgrader.ops.backup.store import BackupStore

    return BackupStore(plan.settings)


def run_upgrade(
    plan: UpgradePlan, ports: Ports, emit: Emit, cancel: threading.Event
) -> ResultEvent:
    backups = ports.backups if ports.backups is not None else _default_backups(plan)
    ctx = Context.for_run(plan.settings, ports.docker, backups, emit, cancel)
    upgrade = _Upgrade(plan, ctx)
    deploy = plan.settings.deploy_dir
    first_install = not deploy.exists()
    try:
        with stack_guard(ctx, "upgrade"):
            result = upgrade.run()
    except JournalError as exc:
        result = upgrade._failed(exc)
    if first_install and not result.success:
        # The lock made the deploy dir; a first install refused before it wrote
        # anything (no hash, a bad package) leaves nothing behind, not an empty dir.
        with contextlib.suppress(OSError):
            deploy.rmdir()
    # Errors quote compose and container output: the same mask as the events.
    result = ctx.redactor.result(result)
    notify_result(plan.settings, result, ctx.emit)
    ctx.emit(result)
    return result


class _Upgrade:
    def __init__(self, plan: UpgradePlan, ctx: Context) -> None:
        self.plan = plan
        self.ctx = ctx
        d = plan.decision
        self.from_version = str(d.current_version) if d.current_version else None
        self.to_version = str(d.target_version)
        self.journal: Journal | None = None
        self.thin: ThinDelivery | None = None

    def _failed(self, exc: Exception) -> ResultEvent:
        return ResultEvent.failure(exc, from_version=self.from_version, to_version=self.to_version)

    def run(self) -> ResultEvent:
        ctx = self.ctx
        try:
            if not self._check():
                for step in FORWARD_STEPS[1:-1]:
                    ctx.skip(step, "no upgrade needed")
                with ctx.step(Step.COMPLETED):
                    pass
                return ResultEvent(
                    success=True,
                    from_version=self.from_version,
                    to_version=self.from_version,
                    backup_id=None,
                    rolled_back=False,
                    error=None,
                )
            ctx.check_cancel()
            archive = self._download()
            ctx.check_cancel()
            self._extract(archive)
            ctx.check_cancel()
            self._load_images()
            ctx.check_cancel()
            assert self.journal is not None
            self.journal = precopy(ctx, self.journal)
            ctx.check_cancel()
        except Exception as exc:  # before the stop: undo staging, leave the stack running
            return self._abort_before_stop(exc)
        return self._critical_section()

    # --- before the stop --------------------------------------------------------

    def _check(self) -> bool:
        ctx, d = self.ctx, self.plan.decision
        with ctx.step(Step.CHECKING_UPDATES):
            ctx.note(
                Stage.STRATEGY_BEGIN,
                current=d.current_version.short if d.current_version else "nothing installed",
                target=d.target_version.short,
            )
            if d.blocked_by is not None:
                raise StrategyError(
                    _("{short} needs {short2} installed first").format(
                        short=d.target_version.short, short2=d.blocked_by.short
                    )
                )
            reason = "; ".join(d.reasons)
            if d.strategy is Strategy.NONE:
                ctx.note(Stage.STRATEGY_NONE, reason=reason)
                return False
            chosen = Stage.STRATEGY_FULL if d.strategy is Strategy.FULL else Stage.STRATEGY_PATCH
            ctx.note(chosen, reason=reason)
            assert d.package is not None
            if d.package.sha256 is None and not self.plan.settings.allow_unverified:
                raise UnverifiableError(
                    _(
                        "{url}: the manifest gives no sha256 for this package{where}; set "
                        "allow_unverified = true to install it anyway"
                    ).format(
                        url=d.package.url,
                        where=f" ({d.package.hash_note})" if d.package.hash_note else "",
                    )
                )
            version = ctx.docker.engine_version()
            ctx.log(
                "info",
                _("Docker engine {version}; {strategy} upgrade to {target_version}").format(
                    version=version,
                    strategy=strategy_name(d.strategy),
                    target_version=d.target_version,
                ),
            )
        return True

    def _download(self) -> Path:
        ctx, d = self.ctx, self.plan.decision
        assert d.package is not None
        dest = package_cache_path(self.plan.settings.packages_dir, d)
        with ctx.step(Step.DOWNLOADING_UPDATE):
            self.thin = plan_delivery(self.plan, ctx)
            files = self.thin.fetch() if self.thin is not None else None
            if files is not None:
                return files
            self.thin = None
            result = download(
                d.package.url,
                dest,
                expected_sha256=d.package.sha256,
                expected_size=d.package.size,
                expected_from=d.package.verified_by,
                settings=self.plan.settings,
                emit=ctx.emit,
                cancel=ctx.cancel,
            )
            if d.package.sha256 is None:
                # Only reachable with allow_unverified (checked in _check): say
                # so loudly, never "verified".
                ctx.log(
                    "warning",
                    _(
                        "package NOT verified: the manifest gives no sha256 for {url}; "
                        "going on because allow_unverified = true is set (sha256 of the "
                        "download: {sha256})"
                    ).format(url=d.package.url, sha256=result.sha256),
                )
            else:
                ctx.note(
                    Stage.DOWNLOAD_DONE,
                    size=display.size(result.size),
                    sha256=result.sha256,
                    verified_by=_(d.package.verified_by),
                )
        return result.path

    def _extract(self, archive: Path) -> None:
        ctx, d = self.ctx, self.plan.decision
        deploy = ctx.deploy_dir
        staged = staging_dir(deploy)
        keep = self.plan.settings.keep_paths
        with ctx.step(Step.EXTRACTING_UPDATE):
            # Recorded before the staging dir exists: a kill mid-extraction must
            # be found by ``recover`` (which drops the staging), not left behind.
            started = new_journal(d.strategy.value, self.from_version, self.to_version)
            write_journal(deploy, started.advance(Step.EXTRACTING_UPDATE))
            unpack(archive, staged, ctx.cancel)
            if d.strategy is Strategy.FULL:
                check_full(staged, archive.name)
                self._merge_env(staged)
                deploy.mkdir(parents=True, exist_ok=True)
                moves = plan_full_moves(deploy, staged, keep)
            else:
                assert d.operations is not None
                check_patch(staged, d.operations, archive.name)
                if ".env" in d.operations.replaced:
                    # Merged before planning: the plan flushes staging to disk.
                    self._merge_env(staged)
                moves, skipped = plan_patch_moves(deploy, d.operations, keep)
                for path in skipped:
                    ctx.log(
                        "warning",
                        _("{path} is a protected path: the patch will not change it").format(
                            path=path
                        ),
                    )
            journal = new_journal(d.strategy.value, self.from_version, self.to_version)
            self.journal = replace(
                journal,
                moves=tuple(moves),
                created_dirs=tuple(missing_parents(deploy, moves)),
                extra={"make_backup": self.plan.make_backup},
            )
            # The staged .env may bring values the live one has not got.
            ctx.learn_secrets()
            words = {"replace": _("replace {path}"), "delete": _("delete {path}")}
            changed = ", ".join(
                words.get(m.action, m.action + " {path}").format(path=m.path) for m in moves
            ) or _("nothing")
            ctx.log("info", _("apply plan: {changed}").format(changed=changed))

    def _merge_env(self, staged: Path) -> None:
        live, new = self.ctx.deploy_dir / ".env", staged / ".env"
        if not new.is_file() or new.is_symlink():
            return
        if not live.is_file():
            # Packages carry .env as 0644: installed, it holds the admin's secrets.
            new.chmod(0o600)
            return
        # The live one is the deploy's (bad input, exit 2); the staged one the package's.
        merged = merge_env(
            _env_text(live, StateError), _env_text(new, PackageError), self.to_version
        )
        staged_mode = new.stat().st_mode
        new.write_text(merged.text, encoding="utf-8")
        # The stricter of the two: bits either copy lacks stay off (the owner keeps rw).
        new.chmod((live.stat().st_mode & staged_mode & 0o777) | 0o600)
        if merged.added_keys:
            self.ctx.log(
                "info",
                _(".env: new keys added: {added_keys}").format(
                    added_keys=", ".join(merged.added_keys)
                ),
            )
        if merged.kept_keys:
            self.ctx.log(
                "info",
                _(".env: kept your values for {count} key(s)").format(count=len(merged.kept_keys)),
            )

    def _load_images(self) -> None:
        ctx, deploy = self.ctx, self.ctx.deploy_dir
        assert self.journal is not None
        snapshot = ctx.docker.snapshot(deploy) if find_compose_file(deploy) else None
        # From here on the engine's tags may change: record the snapshot first
        # so a crash or failure can put the old tags back.
        self.journal = self.journal.advance(Step.LOADING_IMAGES, snapshot=snapshot)
        write_journal(deploy, self.journal)
        staged = staging_dir(deploy)
        replaced = {m.path for m in self.journal.moves if m.action == "replace"}
        tars = [
            t
            for t in image_files_for_arch(staged / "images", docker_arch(self.plan.decision.arch))
            if self.plan.decision.strategy is Strategy.FULL
            or "images" in replaced
            or f"images/{t.name}" in replaced
        ]
        with ctx.step(Step.LOADING_IMAGES):
            compose_dir = staged if find_compose_file(staged) else deploy
            services = ctx.docker.compose_services(compose_dir)
            live = (
                ctx.docker.compose_services(deploy)
                if compose_dir != deploy and find_compose_file(deploy)
                else None
            )
            announce_host_access(
                ctx, services, live, refuse_new=self.plan.settings.refuse_new_host_access
            )
            allowed_tags = [s.image for s in services if s.image]
            check_archive_tags(tars, allowed_tags)
            # Before anything is loaded: an image for another engine is refused
            # while the old stack runs and every tag is as it was.
            check_image_architectures(tars, self.plan.decision.arch)
            if self.thin is not None:
                self.thin.load(allowed_tags)  # the files package has no images/: tars is empty
            for tar in tars:
                ctx.note(Stage.LOAD_EXEC, tar=tar.name, size=display.size(tar.stat().st_size))
                loaded = ctx.docker.load_image(tar, ctx.emit, ctx.cancel)
                ctx.note(Stage.LOAD_PARSED, names=", ".join(loaded) or f"{tar.name} (untagged)")
                ctx.check_cancel()
            drop_staged_image_tars(staged, self.plan.decision)
            for service in services:
                if service.image and not ctx.docker.image_exists(service.image):
                    ctx.note(Stage.PULL_START, image=service.image, service=service.name)
                    ctx.docker.pull_image(service.image, ctx.emit, ctx.cancel)
                    ctx.check_cancel()

    def _abort_before_stop(self, exc: Exception) -> ResultEvent:
        ctx = self.ctx
        message = str(exc) or type(exc).__name__
        if not isinstance(exc, UpgraderError):
            logger.exception("unexpected error before the stop")
        if isinstance(exc, JournalError):
            return self._failed(exc)
        try:
            if self.journal is not None and self.journal.snapshot is not None:
                snapshot = self.journal.snapshot
                ctx.engine_retry(
                    "putting the old image tags back", lambda: ctx.docker.restore_snapshot(snapshot)
                )
            discard_work_dirs(ctx.deploy_dir)
            discard_snapshot(ctx.deploy_dir)
            clear_journal(ctx.deploy_dir)
        except Exception as cleanup:  # the stack still runs; say what is left over
            ctx.log(
                "warning",
                _("could not clean up the staging area: {cleanup}").format(cleanup=cleanup),
            )
            # The journal stays, so ``recover`` can finish the job: the result says so,
            # not only the log (the admin reads the one line of the result).
            text = _(
                "{message}; nothing was stopped, but putting the old image tags back and "
                "clearing the staging area failed ({cleanup}): run "
                "'tui-upgrader recover' once the cause is fixed"
            ).format(message=message, cleanup=error_text(cleanup))
            ctx.log("error", text)
            return self._failed(OperationError(text))
        ctx.log("error", _("{message}; nothing was stopped or changed").format(message=message))
        return self._failed(exc)

    # --- the stop and after ---------------------------------------------------------

    def _critical_section(self) -> ResultEvent:
        ctx, deploy = self.ctx, self.ctx.deploy_dir
        assert self.journal is not None
        journal = self.journal.advance(Step.STOPPING_SERVICES, stack_stopped=True)
        mark_stop(journal)
        try:
            write_journal(deploy, journal)
        except Exception as exc:  # e.g. ENOSPC: nothing is stopped yet, so undo the staging
            return self._abort_before_stop(exc)
        try:
            return finish_upgrade(ctx, journal, make_backup=self.plan.make_backup)
        except RollbackFailedError as exc:
            return replace(self._failed(exc), backup_id=exc.backup_id)
        except Exception as exc:
            # finish_upgrade rolls back on every failure; reaching this means the
            # rollback itself broke in an unforeseen way: the worst case, said so.
            logger.exception("unexpected error after the stop")
            failure = rollback_incomplete(
                "upgrade failed after the stop", error_text(exc), journal.backup_id
            )
            return replace(self._failed(failure), backup_id=journal.backup_id)


def _env_text(path: Path, error: type[UpgraderError]) -> str:
    """A ``.env`` as text: merging needs UTF-8, and a file that is not is named, in one line."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            _("{path}: not UTF-8 text (byte {start}); .env files are merged as text").format(
                path=path, start=exc.start
            )
        ) from None

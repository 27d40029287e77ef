"""The upgrade journal: what step is in progress, so a killed process is found.

``<deploy-dir>/.tui-upgrader/journal.json`` is written atomically before each
step that changes something. Its presence at start-up means an upgrade did not
finish; ``ops.upgrade.recovery`` turns it into exactly the old or exactly the new
version.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tui_upgrader.core.errors import JournalError
from tui_upgrader.core.events import ResultEvent, Step
from tui_upgrader.core.i18n import N_, Translated, _
from tui_upgrader.core.paths import JOURNAL_FILE_NAME, normalise_operation_path
from tui_upgrader.core.stack import ServiceImage, StackSnapshot
from tui_upgrader.ops.fsutil import atomic_write_text, private_dir
from tui_upgrader.ops.state import state_dir

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Move:
    """One path the apply step swaps: ``replace`` or ``delete``."""

    path: str
    action: str  # replace | delete
    existed: bool  # the live path existed before the apply


@dataclass(frozen=True, slots=True, kw_only=True)
class Journal:
    step: Step
    strategy: str
    from_version: str | None
    to_version: str
    started_at: str
    stack_stopped: bool = False
    backup_id: int | None = None
    # Where the pre-upgrade backup is, independent of any settings: recovery may
    # run under another HOME, XDG dir, --config or sudo, whose catalogue is not
    # the one this backup was recorded in. None in journals from before #15.
    backup_archive: str | None = None
    backup_sha256: str | None = None
    backup_catalogue: str | None = None
    moves: tuple[Move, ...] = ()
    created_dirs: tuple[str, ...] = ()
    snapshot: StackSnapshot | None = None
    committed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def advance(self, step: Step, **changes: Any) -> Journal:
        return replace(self, step=step, **changes)


def journal_path(deploy_dir: Path) -> Path:
    return state_dir(deploy_dir) / JOURNAL_FILE_NAME


def new_journal(strategy: str, from_version: str | None, to_version: str) -> Journal:
    return Journal(
        step=Step.CHECKING_UPDATES,
        strategy=strategy,
        from_version=from_version,
        to_version=to_version,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def write_journal(deploy_dir: Path, journal: Journal) -> None:
    private_dir(state_dir(deploy_dir))
    data = asdict(journal)
    data["step"] = journal.step.value
    atomic_write_text(journal_path(deploy_dir), json.dumps(data, indent=1))


def _snapshot(raw: Any) -> StackSnapshot | None:
    if raw is None:
        return None
    return StackSnapshot(
        project=raw["project"],
        services=tuple(ServiceImage(**s) for s in raw["services"]),
    )


def _relative(raw: Any) -> str:
    """A path from the journal, held to the manifest's rules before anything moves:
    the journal is our own file, but apply and undo rename and delete what it names."""
    if not isinstance(raw, str) or normalise_operation_path(raw) != raw:
        raise ValueError(_("path {raw!r} is not a plain relative path").format(raw=raw))
    return raw


def _move(raw: Any) -> Move:
    if not isinstance(raw, dict) or raw.get("action") not in ("replace", "delete"):
        raise ValueError(_("move {raw!r}: not a replace or delete").format(raw=raw))
    if not isinstance(raw.get("existed"), bool):
        raise ValueError(_("move {raw!r}: 'existed' is not true or false").format(raw=raw))
    return Move(_relative(raw.get("path")), raw["action"], raw["existed"])


def read_journal(deploy_dir: Path) -> Journal | None:
    path = journal_path(deploy_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Journal(
            step=Step(raw["step"]),
            strategy=raw["strategy"],
            from_version=raw["from_version"],
            to_version=raw["to_version"],
            started_at=raw["started_at"],
            stack_stopped=bool(raw.get("stack_stopped", False)),
            backup_id=raw.get("backup_id"),
            backup_archive=raw.get("backup_archive"),
            backup_sha256=raw.get("backup_sha256"),
            backup_catalogue=raw.get("backup_catalogue"),
            moves=tuple(_move(m) for m in raw.get("moves", [])),
            created_dirs=tuple(_relative(d) for d in raw.get("created_dirs", [])),
            snapshot=_snapshot(raw.get("snapshot")),
            committed=bool(raw.get("committed", False)),
            extra=dict(raw.get("extra", {})),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise JournalError(
            _("{path}: unreadable journal ({exc}); inspect it by hand").format(path=path, exc=exc)
        ) from exc


def clear_journal(deploy_dir: Path) -> None:
    try:
        os.unlink(journal_path(deploy_dir))
    except FileNotFoundError:
        return


def _flock_holder(st: os.stat_result) -> str:
    """The pid holding a flock on this inode, from /proc/locks ("?" if unknown)."""
    key = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    with contextlib.suppress(OSError), open("/proc/locks", encoding="ascii") as locks:
        for line in locks:
            fields = line.split()
            if len(fields) > 5 and fields[1] == "FLOCK" and fields[5] == key:
                return fields[4]
    return "?"


@contextlib.contextmanager
def deploy_lock(deploy_dir: Path) -> Iterator[None]:
    """One upgrade, recovery, backup or restore per deploy dir at a time.

    An admin who reconnects after an SSH drop may start a second run while the
    first still works; without this it would wipe the first one's staging
    dir. The lock is a flock on the deploy dir itself, so taking it writes
    nothing (a refused or no-op run leaves the tree exactly as it was) and the
    kernel drops it when the holder dies, even by SIGKILL.
    """
    deploy_dir.mkdir(parents=True, exist_ok=True)  # a first install starts empty
    fd = os.open(deploy_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _flock_holder(os.fstat(fd))
            raise JournalError(
                _(
                    "{deploy_dir}: another tui-upgrader (pid {holder}) is upgrading, "
                    "recovering, backing up or restoring this deploy dir; wait for "
                    "it to finish"
                ).format(deploy_dir=deploy_dir, holder=holder)
            ) from None
        yield
    finally:
        os.close(fd)


UNCLEAN_STOP = (
    "unclean_stop"  # extra: services killed during the stop (ops.upgrade._internal.checked_stop)
)


def journal_result(
    journal: Journal,
    *,
    success: bool,
    rolled_back: bool,
    error: str | None,
    downtime_s: float | None = None,
    rollback_healthy: bool | None = None,
    exit_code: int = 0,
    settle_s: float | None = None,
) -> ResultEvent:
    """The outcome of the run this journal records (versions and backup from it)."""
    return ResultEvent(
        success=success,
        from_version=journal.from_version,
        to_version=journal.to_version,
        backup_id=journal.backup_id,
        rolled_back=rolled_back,
        error=error,
        downtime_s=downtime_s,
        rollback_healthy=rollback_healthy,
        exit_code=exit_code,
        unclean_stop=tuple(str(name) for name in journal.extra.get(UNCLEAN_STOP) or ()),
        settle_s=settle_s,
    )


Refused = Literal["check", "upgrade", "backup", "restore"]

_INTERRUPTED_WHY = Translated(
    {
        "check": N_("nothing else runs until then"),
        "upgrade": N_("an upgrade now would start from a half-applied tree"),
        "backup": N_("a backup now would capture a half-applied tree"),
        "restore": N_("a restore now would fight the recovery"),
    }
)


def interrupted_message(deploy_dir: Path, journal: Journal, action: Refused) -> str:
    """What every refusal (and ``check``'s warning) says about an interrupted upgrade."""
    return _(
        "{deploy_dir}: an upgrade to {to_version} was interrupted "
        "({step}); run `tui-upgrader recover --rollback` or `--resume` first: {why}"
    ).format(
        deploy_dir=deploy_dir,
        to_version=journal.to_version,
        step=journal.step.value,
        why=_INTERRUPTED_WHY[action],
    )


def refuse_interrupted(deploy_dir: Path, action: Refused) -> None:
    """A half-applied upgrade belongs to ``recover``, not to another operation."""
    journal = read_journal(deploy_dir)
    if journal is not None:
        raise JournalError(interrupted_message(deploy_dir, journal, action))

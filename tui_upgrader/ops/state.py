"""Installed version and upgrade history: ``<deploy-dir>/.tui-upgrader/state.toml``.

Written atomically with tomli-w (the file is ours, never hand-edited). An absent
file means a first install.
"""

from __future__ import annotations

import logging
import math
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from tui_upgrader.core.errors import StateError, VersionError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.paths import STATE_DIR_NAME
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.bounded_read import read_capped
from tui_upgrader.ops.fsutil import atomic_write_text, private_dir

logger = logging.getLogger(__name__)

STATE_FILE = "state.toml"
MAX_STATE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    from_version: str | None
    to_version: str
    strategy: str
    at: str
    backup_id: int | None = None
    downtime_s: float | None = None
    # A rolled-back attempt: the version did not change, the outage still counts
    # (it is the expensive case the expected downtime must learn).
    rolled_back: bool = False
    settle_s: float | None = None
    backup_s: float | None = None  # the backup's share of downtime_s (inside the stop)


@dataclass(frozen=True, slots=True)
class DeployState:
    version: Version | None
    history: tuple[HistoryEntry, ...] = field(default_factory=tuple)


def state_dir(deploy_dir: Path) -> Path:
    return deploy_dir / STATE_DIR_NAME


def state_path(deploy_dir: Path) -> Path:
    return state_dir(deploy_dir) / STATE_FILE


def read_state(deploy_dir: Path) -> DeployState:
    path = state_path(deploy_dir)
    try:
        # Capped like every input: a history of thousands of upgrades is far below it.
        text = read_capped(path, MAX_STATE_BYTES).decode("utf-8")
    except FileNotFoundError:
        return DeployState(version=None)
    except UnicodeDecodeError as exc:
        raise StateError(
            _("{path}: not UTF-8 text (byte {start})").format(path=path, start=exc.start)
        ) from None
    except OSError as exc:
        raise StateError(
            _("{path}: cannot read: {strerror}").format(path=path, strerror=exc.strerror)
        ) from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StateError(_("{path}: invalid TOML: {exc}").format(path=path, exc=exc)) from exc
    version = None
    if raw.get("version") is not None:
        try:
            version = Version.parse(raw["version"])
        except VersionError as exc:
            raise StateError(
                _("{path}: version: {message}").format(path=path, message=exc.message)
            ) from exc
    history = []
    entries = raw.get("history", [])
    if not isinstance(entries, list):
        raise StateError(_("{path}: history: expected an array of tables").format(path=path))
    for index, item in enumerate(entries):
        where = f"{path}: history[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("to_version"), str):
            raise StateError(
                _("{path}: history[{index}]: expected a table with to_version").format(
                    path=path, index=index
                )
            )
        history.append(
            HistoryEntry(
                from_version=_opt_str(item, "from_version", where),
                to_version=item["to_version"],
                strategy=str(item.get("strategy", "")),
                at=str(item.get("at", "")),
                backup_id=_opt_number(item, "backup_id", where, int),
                downtime_s=_opt_number(item, "downtime_s", where, float),
                rolled_back=item.get("rolled_back") is True,
                settle_s=_opt_number(item, "settle_s", where, float),
                backup_s=_opt_number(item, "backup_s", where, float),
            )
        )
    return DeployState(version=version, history=tuple(history))


def _opt_str(item: dict[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise StateError(_("{where}.{key}: expected a string").format(where=where, key=key))
    return value


def _opt_number(item: dict[str, Any], key: str, where: str, kind: type) -> Any:
    """A non-negative int (an id SQLite can hold) or finite float, or None."""
    value = item.get(key)
    if value is None:
        return None
    ok = not isinstance(value, bool) and isinstance(value, int | float)
    if kind is int:
        ok = ok and isinstance(value, int) and 0 <= value < 2**63
    else:
        ok = ok and math.isfinite(value) and value >= 0
    if not ok:
        raise StateError(
            _("{where}.{key}: out of range or not a number").format(where=where, key=key)
        )
    return kind(value)


def _entry_dict(entry: HistoryEntry) -> dict[str, Any]:
    out: dict[str, Any] = {
        "to_version": entry.to_version,
        "strategy": entry.strategy,
        "at": entry.at,
    }
    if entry.from_version is not None:
        out["from_version"] = entry.from_version
    if entry.backup_id is not None:
        out["backup_id"] = entry.backup_id
    if entry.downtime_s is not None:
        out["downtime_s"] = round(entry.downtime_s, 3)
    if entry.settle_s is not None:
        out["settle_s"] = round(entry.settle_s, 3)
    if entry.backup_s is not None:
        out["backup_s"] = round(entry.backup_s, 3)
    if entry.rolled_back:
        out["rolled_back"] = True
    return out


def write_state(deploy_dir: Path, state: DeployState) -> None:
    private_dir(state_dir(deploy_dir))
    doc: dict[str, Any] = {}
    if state.version is not None:
        doc["version"] = str(state.version)
    if state.history:
        doc["history"] = [_entry_dict(h) for h in state.history]
    atomic_write_text(state_path(deploy_dir), tomli_w.dumps(doc))
    logger.info("state written: version=%s", state.version)


def record_upgrade(
    deploy_dir: Path,
    *,
    from_version: Version | None,
    to_version: Version,
    strategy: str,
    backup_id: int | None,
    downtime_s: float | None,
    settle_s: float | None = None,
    backup_s: float | None = None,
) -> DeployState:
    """Set the installed version and append history; called only after the health gate."""
    old = read_state(deploy_dir)
    entry = HistoryEntry(
        from_version=str(from_version) if from_version is not None else None,
        to_version=str(to_version),
        strategy=strategy,
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        backup_id=backup_id,
        downtime_s=downtime_s,
        settle_s=settle_s,
        backup_s=backup_s,
    )
    new = DeployState(version=to_version, history=(*old.history, entry))
    write_state(deploy_dir, new)
    return new


def record_outage(
    deploy_dir: Path,
    *,
    from_version: str | None,
    to_version: str,
    strategy: str,
    downtime_s: float,
    settle_s: float | None,
    backup_s: float | None = None,
) -> None:
    """Append a rolled-back attempt to the history; the installed version stays."""
    old = read_state(deploy_dir)
    entry = HistoryEntry(
        from_version=from_version,
        to_version=to_version,
        strategy=strategy,
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        downtime_s=downtime_s,
        rolled_back=True,
        settle_s=settle_s,
        backup_s=backup_s,
    )
    write_state(deploy_dir, DeployState(version=old.version, history=(*old.history, entry)))

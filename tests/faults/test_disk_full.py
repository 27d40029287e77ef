"""Fault class 4: a full disk under the cache, the staging area or the backups.

Each lives on a small tmpfs for the case. Before the stop the upgrade must fail
with one clear line and change nothing; after it, roll back fully.
"""

from __future__ import annotations

import json
from urllib.parse import urljoin

import pytest

from tests.faults.case import Case, Events
from tests.faults.invariant import check_invariant
from tests.support.tmpfs import small_tmpfs, used_bytes

pytestmark = pytest.mark.engine

NO_SPACE = ("space", "ENOSPC", "No space")


def _stopped(events: Events) -> bool:
    return any(e.get("step") == "StoppingServices" for e in events)


def _failed_clearly(case: Case, *, may_stop: bool) -> Events:
    code, events, err = case.run("upgrade", "--yes", "--json")
    result = events[-1]
    assert code == 1 and result["type"] == "result", f"exit {code}: {err}\n{result}"
    error = result["error"] or ""
    assert any(word in error for word in NO_SPACE), error
    assert "\n" not in error, "one line"
    if _stopped(events):
        assert may_stop, f"the stack was stopped although the disk was known to be full: {error}"
        assert result["rolled_back"] is True, result  # healthy: the invariant checks it
    return events


def _download_bytes(case: Case) -> int:
    """What this engine's upgrade downloads: thin (only missing layers) or full (#23)."""
    code, events, err = case.run("check", "--json")
    assert code == 0, err
    return int(events[-1]["download"]["download_bytes"])


def _full_package_only(case: Case) -> None:
    """The store without its image index: the full package, as before #23 (the staged
    images are what fills the disk here; a thin upgrade stages only the files)."""
    doc = json.loads((case.world.store / "manifest.json").read_text(encoding="utf-8"))
    entry = doc["platforms"]["x86_64"]
    del entry["images"]
    entry["url"] = urljoin(case.world.manifest_url, entry["url"])
    path = case.root / "manifest-full.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    case.configure(str(path))


def test_cache_on_a_full_disk_fails_before_the_stop(case: Case) -> None:
    # Smaller than what is downloaded, whichever way the images come.
    with small_tmpfs(case.cache_dir, min(256 * 1024, _download_bytes(case) // 2)):
        events = _failed_clearly(case, may_stop=False)
        assert not _stopped(events)
        assert check_invariant(case) == "old"


def test_staging_on_a_full_disk_fails_before_the_stop(case: Case) -> None:
    _full_package_only(case)
    case.compose("down", "--timeout", "2")
    size = used_bytes(case.deploy) + 512 * 1024
    with small_tmpfs(case.deploy, size):
        case.compose("up", "-d", "--wait", "--wait-timeout", "60")
        events = _failed_clearly(case, may_stop=False)
        assert not _stopped(events)
        assert check_invariant(case) == "old"
        case.compose("down", "--timeout", "2")


def test_backups_on_a_full_disk_roll_back(case: Case) -> None:
    # The cold path writes the archive inside the stop: a full disk there rolls back.
    case.configure(backup_precopy=False)
    with small_tmpfs(case.data_dir, 512 * 1024):
        _failed_clearly(case, may_stop=True)
        assert check_invariant(case) == "old"


def test_two_pass_archive_on_a_full_disk_keeps_the_new_version_and_its_snapshot(
    case: Case,
) -> None:
    """The two-pass path (#21) writes the archive after the commit: a full backups disk
    then fails the archive, not the upgrade. The new version stays, healthy, and the
    snapshot stays as the pre-upgrade copy until `recover --resume` writes the archive:
    a snapshot or a verified archive, never neither."""
    with small_tmpfs(case.data_dir, 512 * 1024):
        code, events, err = case.run("upgrade", "--yes", "--json")
        result = events[-1]
        assert code == 1 and result["type"] == "result", f"exit {code}: {err}\n{result}"
        error = result["error"] or ""
        assert any(word in error for word in NO_SPACE), error
        assert "\n" not in error and "recover --resume" in error, error
        assert result["rolled_back"] is False, result
        assert case.tree() == case.world.new_tree
        snapshot = case.deploy / ".tui-upgrader" / "snapshot"
        assert snapshot.is_dir() and any(snapshot.iterdir()), "the snapshot was removed"

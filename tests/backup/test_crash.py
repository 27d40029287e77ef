"""A killed create or restore leaves the live tree intact and nothing half-done.

The child process is SIGKILLed at a chosen point through the test-only hook
``TUI_UPGRADER_TEST_CRASH_AT`` (no timing games).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.backup_trees import make_runtime_items, make_tree, runtime_item, snapshot
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.backup.swap import recover_leftovers
from tui_upgrader.ops.settings import Settings

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from pathlib import Path
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.settings import Settings
settings = Settings(deploy_dir=Path(sys.argv[2]), data_dir=Path(sys.argv[3]))
store = BackupStore(settings)
if sys.argv[1] == "create":
    store.create(settings.deploy_dir, kind="manual", version=None)
else:
    store.restore(int(sys.argv[4]), settings.deploy_dir)
"""


def _run_child(settings: Settings, crash_at: str, *args: str, data_only: bool = False) -> int:
    env = {**os.environ, "TUI_UPGRADER_TEST_CRASH_AT": crash_at, "PYTHONPATH": str(REPO)}
    env.pop("TUI_UPGRADER_TEST_NO_EXCHANGE", None)
    if crash_at.startswith("restore-between-renames"):
        env["TUI_UPGRADER_TEST_NO_EXCHANGE"] = "1"
    child = CHILD
    if data_only:
        child = CHILD.replace(
            "store.restore(int(sys.argv[4]), settings.deploy_dir)",
            "store.restore(int(sys.argv[4]), settings.deploy_dir, data_only=True)",
        )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            child,
            args[0],
            str(settings.deploy_dir),
            str(settings.data_dir),
            *args[1:],
        ],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return proc.returncode


def _leftovers(settings: Settings) -> list[str]:
    beside = [p.name for p in settings.deploy_dir.parent.iterdir() if "tui-restore" in p.name]
    inside = [p.name for p in settings.deploy_dir.iterdir() if "tui-restore" in p.name]
    return beside + inside


@pytest.mark.parametrize(
    ("crash_at", "data_only"),
    [
        ("restore-extracting@5", False),
        ("restore-before-swap", False),
        ("restore-between-renames", False),  # the two-rename fallback, killed between them
        ("restore-extracting@3", True),
        ("restore-before-swap", True),
        ("restore-between-renames", True),  # live data/ parked inside the staging dir
    ],
)
def test_killed_restore_leaves_the_live_tree_intact(
    store: BackupStore, settings: Settings, crash_at: str, data_only: bool
) -> None:
    deploy = settings.deploy_dir
    make_tree(deploy)
    make_runtime_items(deploy)
    record = store.create(deploy, kind="manual", version=None)
    backed_up = snapshot(deploy, skip=runtime_item)
    (deploy / "data" / "db" / "rows.sql").write_text("live data, newer than the backup")
    (deploy / "app" / "run.sh").write_text("live app")
    live = snapshot(deploy)

    code = _run_child(settings, crash_at, "restore", str(record.id), data_only=data_only)

    assert code == -signal.SIGKILL
    if crash_at == "restore-between-renames":
        # Killed with the live tree renamed aside: the next run puts it back.
        assert not (deploy / "data" if data_only else deploy).exists()
        recover_leftovers(deploy)  # what the next create or restore starts with
    else:
        assert _leftovers(settings), "the kill should have left a staging dir behind"
    after = snapshot(deploy, skip=lambda rel: rel.startswith(".tui-restore-"))
    if data_only:
        # Its staging dir sits inside the deploy dir (the only place sure to
        # share data/'s filesystem), which changes the deploy dir's mtime.
        del live["."], after["."]
    assert after == live

    # The next restore clears the leftovers first and then works.
    store.restore(record.id, deploy)
    assert snapshot(deploy, skip=runtime_item) == backed_up
    assert _leftovers(settings) == []
    assert (deploy / "images" / "app-amd64.tar").exists()


def test_killed_after_the_swap_keeps_the_restored_tree(
    store: BackupStore, settings: Settings
) -> None:
    deploy = settings.deploy_dir
    make_tree(deploy)
    record = store.create(deploy, kind="manual", version=None)
    backed_up = snapshot(deploy)
    (deploy / "app" / "run.sh").write_text("live app")

    assert _run_child(settings, "restore-after-swap", "restore", str(record.id)) == -signal.SIGKILL

    assert snapshot(deploy) == backed_up  # the swap happened: the restore took effect
    assert _leftovers(settings)  # the old tree, not yet removed
    store.list()
    store.restore(record.id, deploy)  # clears it on the way
    assert _leftovers(settings) == []


def test_killed_create_is_marked_failed_without_a_partial_file(
    store: BackupStore, settings: Settings
) -> None:
    make_tree(settings.deploy_dir)

    assert _run_child(settings, "create-writing@2", "create") == -signal.SIGKILL

    assert [r.status for r in store.catalogue.all()] == ["in_progress"]
    (record,) = store.list()  # the next call notices the dead writer
    assert record.status == "failed" and record.error == "interrupted before it completed"
    assert [p.name for p in settings.backups_dir.iterdir() if p.name != ".lock"] == []

"""The step machine against FakeDocker and the real backup store: every path, fast.

Real files, real zips, real hashes; only the Docker engine is faked here
(tests/upgrade/test_upgrade_engine.py runs the same flows on a real engine).
"""

from __future__ import annotations

import hashlib
import threading
import zipfile
from pathlib import Path

import pytest

from tests.support.upgrade_env import NEW_FILES, Env, make_zip, tree, unhealthy_once
from tui_upgrader.core.errors import BackupError
from tui_upgrader.core.events import FORWARD_STEPS, ResultEvent, Step
from tui_upgrader.core.manifest import (
    PatchOperations,
    PatchPackage,
)
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.upgrade.journal import new_journal, read_journal, write_journal


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    return Env(tmp_path)


def test_full_upgrade_runs_every_step_in_order(env: Env) -> None:
    pkg = env.tmp / "docker-x86_64.zip"
    sha = make_zip(pkg, NEW_FILES)
    result = env.run(env.manifest("1.1.0", pkg, sha))
    assert result.success and result.error is None, result
    assert (result.from_version, result.to_version) == ("1.0.0.0", "1.1.0.0")
    finished = [s for s, state in env.steps() if state == "finished"]
    assert finished == [s.value for s in FORWARD_STEPS]
    assert env.events[-1] is result
    assert str(read_state(env.deploy).version) == "1.1.0.0"
    assert (env.deploy / "app/app.txt").read_text() == "app 1.1.0"
    assert not (env.deploy / "app/legacy.txt").exists()
    assert (env.deploy / "data/db.txt").read_text() == "precious data"
    env_text = (env.deploy / ".env").read_text()
    assert "SECRET=admin-value" in env_text and "NEW_KEY=1" in env_text
    assert "release-default" not in env_text
    assert read_journal(env.deploy) is None
    assert not (env.deploy / ".tui-upgrader/staging").exists()
    assert result.backup_id is not None and result.downtime_s is not None
    # stage before stop: the image was loaded before the stack went down
    names = [c for c, _ in env.docker.calls]
    assert names.index("load_image") < names.index("down") < names.index("up")


def test_secrets_never_reach_events(env: Env) -> None:
    pkg = env.tmp / "p.zip"
    env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    text = repr(env.events)
    assert "admin-value" not in text and "release-default" not in text


def test_patch_upgrade_changes_exactly_the_listed_paths(env: Env) -> None:
    before = tree(env.deploy)
    pkg = env.tmp / "x86_64-patch.zip"
    sha = make_zip(pkg, {"app/app.txt": "patched", "www/index.html": "new"})
    ops = PatchOperations(
        replace_files=("app/app.txt",), replace_dirs=("www",), delete_files=("app/legacy.txt",)
    )
    patch = PatchPackage(str(pkg), sha, "", ops)
    result = env.run(env.manifest("1.0.0.1", env.tmp / "unused.zip", "0" * 64, patch))
    assert result.success, result
    after = tree(env.deploy)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {"app/app.txt", "app/legacy.txt", "www", "www/index.html"}
    assert str(read_state(env.deploy).version) == "1.0.0.1"


def test_health_failure_rolls_back_to_the_identical_tree(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree(env.deploy)
    pkg = env.tmp / "p.zip"
    unhealthy_once(env.docker, monkeypatch)
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    assert not result.success and result.rolled_back
    assert result.exit_code == 1
    assert "not healthy" in (result.error or "")
    assert result.rollback_healthy is True
    assert tree(env.deploy) == before
    assert str(read_state(env.deploy).version) == "1.0.0.0"
    assert env.docker.called("restore_snapshot") == 1
    assert ("RollingBack", "finished") in env.steps()
    assert read_journal(env.deploy) is None


def test_hash_mismatch_is_refused_before_any_stop(env: Env) -> None:
    before = tree(env.deploy)
    pkg = env.tmp / "p.zip"
    make_zip(pkg, NEW_FILES)
    result = env.run(env.manifest("1.1.0", pkg, "f" * 64))
    assert not result.success and not result.rolled_back
    assert "sha256 mismatch" in (result.error or "") or "mismatch" in (result.error or "")
    assert env.docker.called("down") == 0
    assert tree(env.deploy) == before


@pytest.mark.parametrize(
    "evil",
    [{"../escape.txt": "x"}, {"/abs.txt": "x"}],
    ids=["dotdot", "absolute"],
)
def test_unsafe_package_is_refused_before_any_stop(env: Env, evil: dict[str, str]) -> None:
    before = tree(env.deploy)
    pkg = env.tmp / "p.zip"
    sha = make_zip(pkg, {**NEW_FILES, **evil}, prefix="")
    result = env.run(env.manifest("1.1.0", pkg, sha))
    assert not result.success and not result.rolled_back
    assert env.docker.called("down") == 0
    assert tree(env.deploy) == before
    assert not (env.tmp / "escape.txt").exists()


def test_full_package_without_compose_file_is_refused(env: Env) -> None:
    pkg = env.tmp / "p.zip"
    sha = make_zip(pkg, {"app/app.txt": "x"})
    result = env.run(env.manifest("1.1.0", pkg, sha))
    assert not result.success and "no compose file" in (result.error or "")
    assert env.docker.called("down") == 0


def test_cancel_before_the_stop_changes_nothing(env: Env) -> None:
    before = tree(env.deploy)
    pkg = env.tmp / "p.zip"
    sha = make_zip(pkg, NEW_FILES)
    cancel = threading.Event()
    gate = threading.Event()
    env.docker.hold["load_image"] = gate
    env.docker.holding.clear()
    box: list[ResultEvent] = []
    worker = threading.Thread(
        target=lambda: box.append(env.run(env.manifest("1.1.0", pkg, sha), cancel=cancel))
    )
    worker.start()
    assert env.docker.holding.wait(10)
    cancel.set()
    worker.join(10)
    result = box[0]
    assert not result.success and "cancelled" in (result.error or "")
    assert env.docker.called("down") == 0
    assert tree(env.deploy) == before
    assert read_journal(env.deploy) is None
    assert env.docker.called("restore_snapshot") == 1


def test_unresolved_journal_refuses_a_new_upgrade(env: Env) -> None:
    write_journal(env.deploy, new_journal("full", "1.0.0.0", "1.1.0.0"))
    pkg = env.tmp / "p.zip"
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    assert not result.success and "recover" in (result.error or "")
    assert result.exit_code == 2
    assert env.docker.called("down") == 0


def test_no_upgrade_does_nothing(env: Env) -> None:
    before = tree(env.deploy)
    pkg = env.tmp / "p.zip"
    result = env.run(env.manifest("1.0.0", pkg, make_zip(pkg, NEW_FILES)))
    assert result.success
    assert [c for c, _ in env.docker.calls] == []
    assert tree(env.deploy) == before
    skipped = [s for s, state in env.steps() if state == "skipped"]
    assert Step.STOPPING_SERVICES.value in skipped


def test_unverifiable_package_is_refused(env: Env) -> None:
    pkg = env.tmp / "p.zip"
    make_zip(pkg, NEW_FILES)
    result = env.run(env.manifest("1.1.0", pkg, None))
    assert not result.success and result.exit_code == 2
    assert "allow_unverified" in (result.error or "")


def test_no_backup_still_restores_files_on_failure(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree(env.deploy)
    pkg = env.tmp / "p.zip"
    unhealthy_once(env.docker, monkeypatch)
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)), make_backup=False)
    assert result.rolled_back and result.backup_id is None
    assert tree(env.deploy) == before
    assert ("CreatingBackup", "skipped") in env.steps()


def test_unhealthy_old_stack_after_rollback_is_exit_3(env: Env) -> None:
    pkg = env.tmp / "p.zip"
    env.docker.healthy = False
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    assert not result.rolled_back and result.rollback_healthy is False
    assert result.exit_code == 3


def test_backup_failure_after_stop_restarts_the_old_stack(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree(env.deploy)
    pkg = env.tmp / "p.zip"

    def full_disk(*_a: object, **_k: object) -> None:
        raise BackupError("backups: disk full")

    monkeypatch.setattr(env.backups, "create", full_disk)
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    assert result.rolled_back and "disk full" in (result.error or "")
    assert tree(env.deploy) == before
    assert env.docker.running


def test_a_failing_stop_still_ends_in_a_result_and_a_rollback(env: Env) -> None:
    before = tree(env.deploy)
    pkg = env.tmp / "p.zip"
    env.docker.fail["down"] = "compose down: engine hiccup"
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    assert env.events[-1] is result
    assert result.rolled_back and "engine hiccup" in (result.error or "")
    assert tree(env.deploy) == before
    assert env.docker.called("up") == 1, "the old stack is started again"


def test_rollback_failure_still_names_the_backup(env: Env) -> None:
    pkg = env.tmp / "p.zip"
    env.docker.healthy = False
    env.docker.fail["restore_snapshot"] = "tag refused"
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    assert result.exit_code == 3 and not result.rolled_back
    assert result.backup_id is not None
    assert f"#{result.backup_id}" in (result.error or "")


def test_installed_files_get_the_install_time_not_the_package_time(env: Env) -> None:
    import time

    pkg = env.tmp / "p.zip"
    with zipfile.ZipFile(pkg, "w") as zf:  # reproducible build: every entry dated 1980
        for name, body in NEW_FILES.items():
            zf.writestr(zipfile.ZipInfo("docker/" + name, (1980, 1, 1, 0, 0, 0)), body)
    sha = hashlib.sha256(pkg.read_bytes()).hexdigest()
    before = time.time() - 5
    assert env.run(env.manifest("1.1.0", pkg, sha)).success
    assert (env.deploy / "app/app.txt").stat().st_mtime >= before
    assert (env.deploy / "docker-compose.yml").stat().st_mtime >= before


def test_a_live_env_that_is_not_utf8_is_one_line_before_any_stop(env: Env) -> None:
    (env.deploy / ".env").write_bytes(b"SECRET=\xff\xfe\n")
    before = tree(env.deploy)
    pkg = env.tmp / "p.zip"
    sha = make_zip(pkg, NEW_FILES)
    result = env.run(env.manifest("1.1.0", pkg, sha))
    assert not result.success and not result.rolled_back
    assert ".env: not UTF-8 text (byte 7)" in (result.error or ""), result.error
    assert "UnicodeDecodeError" not in (result.error or "")
    assert env.docker.called("down") == 0 and env.docker.called("stop") == 0
    assert tree(env.deploy) == before

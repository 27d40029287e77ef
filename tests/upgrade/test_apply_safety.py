"""The apply's safety rules, through the whole step machine (FakeDocker, real files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.upgrade_env import NEW_FILES, Env, make_zip, tree, write_tree
from tui_upgrader.core.events import ResultEvent, Step
from tui_upgrader.core.manifest import PatchOperations, PatchPackage
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.upgrade._internal import apply
from tui_upgrader.ops.upgrade.journal import read_journal


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    return Env(tmp_path)


def run_patch(env: Env, files: dict[str, str], ops: PatchOperations) -> ResultEvent:
    pkg = env.tmp / "x86_64-patch.zip"
    patch = PatchPackage(str(pkg), make_zip(pkg, files), "", ops)
    return env.run(env.manifest("1.0.0.1", env.tmp / "unused.zip", "0" * 64, patch))


def test_a_patch_with_a_path_inside_another_is_refused_before_the_stop(env: Env) -> None:
    write_tree(env.deploy, {"app/plugins/x": "old x", "app/plugins/y": "the admin's plugin"})
    before = tree(env.deploy)
    result = run_patch(
        env,
        {"app/plugins/x": "new x", "app/plugins/z": "new z"},
        PatchOperations(replace_files=("app/plugins/x",), replace_dirs=("app/plugins",)),
    )
    assert not result.success and not result.rolled_back
    assert "lies inside app/plugins" in (result.error or "")
    assert env.docker.called("down") == 0
    assert tree(env.deploy) == before


def test_a_full_package_without_env_keeps_the_admins(env: Env) -> None:
    pkg = env.tmp / "p.zip"
    files = {k: v for k, v in NEW_FILES.items() if k != ".env"}
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, files)))
    assert result.success, result
    assert (env.deploy / ".env").read_text() == "SECRET=admin-value\n"


def test_a_patched_env_keeps_the_admins_values_and_adds_new_keys(env: Env) -> None:
    result = run_patch(
        env,
        {".env": "SECRET=release-default\nNEW_KEY=1\n", "app/app.txt": "patched"},
        PatchOperations(replace_files=(".env", "app/app.txt")),
    )
    assert result.success, result
    text = (env.deploy / ".env").read_text()
    assert text.startswith("SECRET=admin-value\n") and "NEW_KEY=1" in text
    assert "release-default" not in text


def test_the_original_clients_protected_names_survive_a_full_upgrade(env: Env) -> None:
    names = ("upload", "project_workspace", "project_zips", "project_nginx", "project_init")
    for name in (*names, "uv_cache"):
        write_tree(env.deploy, {f"{name}/user-file": f"work in {name}"})
    assert env.settings.keep_paths == Settings().keep_paths  # the default list
    pkg = env.tmp / "p.zip"
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    assert result.success, result
    for name in (*names, "uv_cache"):
        assert (env.deploy / name / "user-file").read_text() == f"work in {name}"


def test_a_package_holding_the_state_dir_is_refused_before_the_stop(env: Env) -> None:
    before = tree(env.deploy)
    state = (env.deploy / ".tui-upgrader/state.toml").read_text()
    pkg = env.tmp / "p.zip"
    files = {**NEW_FILES, ".tui-upgrader/state.toml": 'version = "9.9.9"\n'}
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, files)))
    assert not result.success and not result.rolled_back
    assert ".tui-upgrader/, the tool's own state dir" in (result.error or "")
    assert env.docker.called("down") == 0
    assert tree(env.deploy) == before
    assert (env.deploy / ".tui-upgrader/state.toml").read_text() == state


def test_files_reach_the_disk_before_the_stop_and_before_the_journal_moves_on(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncs: list[tuple[Path, bool, Step | None, str]] = []

    def record(path: Path) -> None:
        journal = read_journal(env.deploy)
        step = journal.step if journal is not None else None
        stopped = env.docker.called("down") > 0
        syncs.append((path, stopped, step, str(read_state(env.deploy).version)))

    monkeypatch.setattr(apply, "sync_filesystem", record)
    pkg = env.tmp / "p.zip"
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    assert result.success, result
    staged = apply.staging_dir(env.deploy)
    assert syncs == [
        # the staged tree, while the old stack runs (the journal already names the step,
        # so a kill here is found by recover)
        (staged, False, Step.EXTRACTING_UPDATE, "1.0.0.0"),
        (env.deploy, True, Step.APPLYING_UPDATE, "1.0.0.0"),  # installed, before moving on
    ]


def test_a_patch_never_deletes_through_a_link_an_earlier_release_shipped(env: Env) -> None:
    # 1.0.0 shipped ``cache`` -> ``data`` (a keep path); the patch "deletes cache/db".
    write_tree(env.deploy, {"data/db": "the admin's data"})
    (env.deploy / "cache").symlink_to("data")
    before = tree(env.deploy)
    result = run_patch(
        env,
        {"app/app.txt": "patched"},
        PatchOperations(replace_files=("app/app.txt",), delete_files=("cache/db",)),
    )
    assert not result.success and not result.rolled_back
    assert "cache is a symbolic link" in (result.error or "")
    assert env.docker.called("down") == 0
    assert tree(env.deploy) == before and (env.deploy / "data/db").read_text() == "the admin's data"


def test_a_patch_never_writes_through_a_link_out_of_the_deploy_dir(env: Env) -> None:
    outside = env.tmp / "etc"
    outside.mkdir()
    (env.deploy / "conf").symlink_to(outside)
    result = run_patch(
        env,
        {"conf/cron.d/evil": "* * * * * root sh"},
        PatchOperations(replace_files=("conf/cron.d/evil",)),
    )
    assert not result.success and "conf is a symbolic link" in (result.error or "")
    assert list(outside.iterdir()) == []

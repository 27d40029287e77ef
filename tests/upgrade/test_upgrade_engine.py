"""End to end on the real engine and a real release server on 127.0.0.1.

Each test starts the demo stack at 1.0.0 in its own compose project, then
drives ``tui-upgrader`` as a subprocess, exactly as an admin would.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.support.engine_env import EngineEnv
from tui_upgrader.core.events import FORWARD_STEPS
from tui_upgrader.core.versions import Version
from tui_upgrader.demo.broken import build_broken_release
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.release.server import serve_directory
from tui_upgrader.ops.state import read_state

pytestmark = pytest.mark.engine


@pytest.fixture
def env(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[EngineEnv]:
    with EngineEnv.installed(tmp_path, docker_client) as e:
        yield e


def _data_digest(deploy: Path) -> dict[str, str]:
    return {
        str(p.relative_to(deploy)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((deploy / "data").rglob("*"))
        if p.is_file()
    }


def _store_offering_110(env: EngineEnv) -> Path:
    out = env.tmp / "store110"
    build_release(env.layout.sources["1.1.0"], version=Version.parse("1.1.0"), out=out)
    return out


@pytest.mark.compat
def test_full_then_patch_upgrade_over_http(env: EngineEnv) -> None:
    data_before = _data_digest(env.deploy)
    old_images = env.running_images()
    with serve_directory(_store_offering_110(env)) as server:
        env.write_config(server.url_for("manifest.json"))
        code, events, err = env.cli("upgrade", "--yes", "--json")
    assert code == 0, err
    result = events[-1]
    assert result["type"] == "result" and result["success"] is True
    assert (result["from_version"], result["to_version"]) == ("1.0.0.0", "1.1.0.0")
    assert isinstance(result["backup_id"], int) and result["rolled_back"] is False
    finished = [e["step"] for e in events if e["type"] == "step" and e["state"] == "finished"]
    assert finished == [s.value for s in FORWARD_STEPS]
    layers = [e for e in events if e["type"] == "layer"]
    assert layers and all(e["phase"] == "loading" for e in layers)
    last: dict[tuple[str, str], dict[str, Any]] = {}
    for e in layers:
        last[e["image"], e["layer"]] = e
    # Each layer of the archive, on either store (the containerd store sends no
    # per-layer load events: the bytes sent drive it), ends at its full size.
    assert len(last) >= 2 and all(e["total"] and e["done"] == e["total"] for e in last.values())
    assert str(read_state(env.deploy).version) == "1.1.0.0"
    assert _data_digest(env.deploy) == data_before, "data/ is kept byte for byte"
    new_images = env.running_images()
    assert set(new_images) == set(old_images)
    expected = env.client.images.get(env.layout.images["1.1.0"]).id
    assert new_images["web"] == expected != old_images["web"]
    assert env.layout.secret not in json.dumps(events) + err

    # patch 1.1.0 -> 1.1.0.1 from the demo's own store: exactly the listed paths change
    before = env.tree()
    with serve_directory(env.layout.store) as server:
        env.write_config(server.url_for("manifest.json"))
        code, events, err = env.cli("upgrade", "--yes", "--json")
    assert code == 0, err
    assert events[-1]["to_version"] == "1.1.0.1"
    after = env.tree()
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    ops = env.layout.patch_operations
    listed = set(ops.replaced) | set(ops.deleted)
    assert changed, "the patch changed something"
    for path in changed:
        assert any(path == p or path.startswith(p + "/") for p in listed), path
    for path in ops.replace_files:
        assert path in changed or before.get(path) == after.get(path)
    assert str(read_state(env.deploy).version) == "1.1.0.1"
    assert env.running_images()["web"] == expected


@pytest.mark.compat
def test_unhealthy_release_rolls_back_to_the_identical_tree(env: EngineEnv) -> None:
    before = env.tree()
    old_images = env.running_images()
    broken = build_broken_release(env.layout, failure="unhealthy", store=env.tmp / "broken")
    env.write_config(broken.manifest, health_timeout_s=40)
    code, events, err = env.cli("upgrade", "--yes", "--json")
    assert code == 1, err
    result = events[-1]
    assert result["success"] is False and result["rolled_back"] is True
    assert "web" in (result["error"] or "")
    assert "rollback failed" not in (result["error"] or "")  # the old stack came back healthy
    assert env.tree() == before
    assert str(read_state(env.deploy).version) == "1.0.0.0"
    assert env.running_images() == old_images
    assert env.containers()["web"].attrs["State"]["Health"]["Status"] == "healthy"


def _assert_untouched(env: EngineEnv, before: dict[str, str], ids: dict[str, str]) -> None:
    assert env.tree() == before
    assert {n: c.id for n, c in env.containers().items()} == ids, "no container was recreated"
    assert all(c.status == "running" for c in env.containers().values())


def _tamper_hash(manifest: Path) -> None:
    doc = json.loads(manifest.read_text())
    for entry in doc["platforms"].values():
        entry["hash"] = "sha256:" + "0" * 64
    manifest.write_text(json.dumps(doc))


def _corrupt_image(manifest: Path) -> None:
    import zipfile

    doc = json.loads(manifest.read_text())
    url = doc["platforms"]["x86_64"]["url"]
    pkg = manifest.parent / url.lstrip("/")
    rebuilt = pkg.with_suffix(".new")
    with zipfile.ZipFile(pkg) as src, zipfile.ZipFile(rebuilt, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(".tar"):
                data = b"this is not a docker image archive" * 100
            dst.writestr(info, data)
    rebuilt.replace(pkg)
    digest = hashlib.sha256(pkg.read_bytes()).hexdigest()
    doc["platforms"]["x86_64"].update(hash=f"sha256:{digest}", size=pkg.stat().st_size)
    manifest.write_text(json.dumps(doc))


def _zip_slip(manifest: Path) -> None:
    import zipfile

    doc = json.loads(manifest.read_text())
    pkg = manifest.parent / doc["platforms"]["x86_64"]["url"].lstrip("/")
    with zipfile.ZipFile(pkg, "a") as zf:
        zf.writestr("docker/../../escaped.txt", "owned")
    digest = hashlib.sha256(pkg.read_bytes()).hexdigest()
    doc["platforms"]["x86_64"].update(hash=f"sha256:{digest}", size=pkg.stat().st_size)
    manifest.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("spoil", "message"),
    [(_tamper_hash, "sha256"), (_corrupt_image, "web"), (_zip_slip, "escaped.txt")],
    ids=["hash-mismatch", "corrupt-image-tar", "zip-slip"],
)
def test_bad_packages_are_refused_before_any_stop(env: EngineEnv, spoil, message: str) -> None:  # type: ignore[no-untyped-def]
    before = env.tree()
    ids = {n: c.id for n, c in env.containers().items()}
    store = _store_offering_110(env)
    # These attacks are on the full package: a store without an image index
    # (thin delivery is attacked in tests/upgrade/test_thin_engine.py).
    doc = json.loads((store / "manifest.json").read_text())
    del doc["platforms"]["x86_64"]["images"]
    (store / "manifest.json").write_text(json.dumps(doc))
    spoil(store / "manifest.json")
    env.write_config(store / "manifest.json")
    code, events, err = env.cli("upgrade", "--yes", "--json")
    assert code in (1, 2), err
    assert events, err
    result = events[-1]
    assert result["success"] is False and result["rolled_back"] is False
    steps = {(e["step"], e["state"]) for e in events if e["type"] == "step"}
    assert ("StoppingServices", "started") not in steps
    _assert_untouched(env, before, ids)
    assert not (env.tmp / "escaped.txt").exists()


KILL_POINTS = [
    ("LoadingImages", "rollback"),
    ("StoppingServices:end", "resume"),
    ("CreatingBackup:end", "rollback"),
    ("ApplyingUpdate", "rollback"),
    ("ApplyingUpdate:end", "resume"),
    ("StartingServices:end", "rollback"),
    ("VerifyingServices:end", "resume"),
    ("CleaningUp", "rollback"),
]
# Also run on Docker 26 (both stores): a rollback after the load, a resume, a rollback
# of started services (old images re-tagged, old containers back).
COMPAT_KILLS = {("LoadingImages", "rollback"), ("ApplyingUpdate:end", "resume"),
                ("StartingServices:end", "rollback")}  # fmt: skip


@pytest.mark.parametrize(
    ("point", "mode"),
    [
        pytest.param(p, m, id=f"{p}-{m}", marks=[pytest.mark.compat] * ((p, m) in COMPAT_KILLS))
        for p, m in KILL_POINTS
    ],
)
def test_sigkill_then_recover_is_exactly_old_or_new(env: EngineEnv, point: str, mode: str) -> None:
    old_tree = env.tree()
    old_images = env.running_images()
    store = _store_offering_110(env)
    env.write_config(store / "manifest.json")
    code, _, _ = env.cli("upgrade", "--yes", "--json", env={"TUI_UPGRADER_TEST_CRASH_AT": point})
    assert code == -signal.SIGKILL
    refused, _, _ = env.cli("upgrade", "--yes", "--json")
    assert refused == 2, "a new upgrade is refused over an unresolved journal"
    code, _events, err = env.cli("recover", f"--{mode}", "--json")
    assert code == 0, err
    version = str(read_state(env.deploy).version)
    images = env.running_images()
    if version == "1.0.0.0":
        assert env.tree() == old_tree, "exactly the old version"
        assert images == old_images
    else:
        assert version == "1.1.0.0"
        assert images["web"] == env.client.images.get(env.layout.images["1.1.0"]).id
        assert (env.deploy / "docker-compose.yml").read_text() == (
            env.layout.sources["1.1.0"] / "docker-compose.yml"
        ).read_text()
    assert all(c.status == "running" for c in env.containers().values())
    assert not (env.deploy / ".tui-upgrader/journal.json").exists()


def test_sigint_before_the_stop_cancels_cleanly(env: EngineEnv) -> None:
    before = env.tree()
    ids = {n: c.id for n, c in env.containers().items()}
    store = _store_offering_110(env)
    env.write_config(store / "manifest.json")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui_upgrader",
            "upgrade",
            "--yes",
            "--json",
            "--config",
            str(env.config),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TUI_UPGRADER_TEST_PAUSE_AT": "LoadingImages"},
    )
    assert proc.stdout is not None
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1] == {"type": "step", "step": "LoadingImages", "state": "started"}:
            proc.send_signal(signal.SIGINT)
            break
    rest, _ = proc.communicate(timeout=120)
    events += [json.loads(line) for line in rest.splitlines() if line.startswith("{")]
    assert proc.returncode == 1
    assert events[-1]["type"] == "result" and "cancelled" in events[-1]["error"]
    assert ("StoppingServices", "started") not in {(e.get("step"), e.get("state")) for e in events}
    _assert_untouched(env, before, ids)
    assert not (env.deploy / ".tui-upgrader/journal.json").exists()

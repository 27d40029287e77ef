"""Hostile state on the real engine, through the real CLI (#25).

The journal is the tool's own file, but ``recover`` renames and deletes what
it names: a path that leaves the deploy dir is refused before anything moves.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import signal
import tarfile
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.support.engine_env import EngineEnv, release_with_compose
from tui_upgrader.core.stack import PIN_REPOSITORY
from tui_upgrader.core.versions import Version
from tui_upgrader.demo import content
from tui_upgrader.demo.images import build_busybox_image_tar
from tui_upgrader.ops.fault_points import CRASH_HOOK_ENV
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.upgrade.journal import journal_path

pytestmark = pytest.mark.engine


@pytest.fixture
def env(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[EngineEnv]:
    with EngineEnv.installed(tmp_path, docker_client) as e:
        yield e


def test_a_journal_path_out_of_the_deploy_dir_is_refused_before_anything_moves(
    env: EngineEnv,
) -> None:
    store = env.tmp / "store110"
    build_release(env.layout.sources["1.1.0"], version=Version.parse("1.1.0"), out=store)
    env.write_config(store / "manifest.json")
    code, _, _ = env.cli("upgrade", "--yes", "--json", env={CRASH_HOOK_ENV: "StartingServices:end"})
    assert code == -signal.SIGKILL
    victim = env.deploy.parent / "victim"
    victim.mkdir()
    (victim / "precious").write_text("keep me\n")
    path = journal_path(env.deploy)
    journal = json.loads(path.read_text())
    journal["moves"].append({"path": "../victim", "action": "replace", "existed": False})
    path.write_text(json.dumps(journal))
    before = env.tree()

    code, events, err = env.cli("recover", "--rollback", "--json")

    assert code == 2, (code, err)
    said = [e.get("error") or e.get("message") for e in events] + err.splitlines()
    assert any("../victim" in (text or "") for text in said), (events, err)
    assert (victim / "precious").read_text() == "keep me\n"
    assert env.tree() == before  # nothing moved
    assert path.exists()  # still there for a fixed recover


def _add_repo_tag(tar_path: Path, extra: str) -> None:
    """The package's image archive also names ``extra`` (its manifest.json's RepoTags)."""
    members = []
    with tarfile.open(tar_path) as tar:
        for member in tar:
            data = tar.extractfile(member).read() if member.isfile() else None  # type: ignore[union-attr]
            if member.name == "manifest.json" and data is not None:
                doc = json.loads(data)
                doc[0]["RepoTags"].append(extra)
                data = json.dumps(doc).encode()
                member.size = len(data)
            members.append((member, data))
    with tarfile.open(tar_path, "w") as tar:
        for member, data in members:
            tar.addfile(member, io.BytesIO(data) if data is not None else None)


def _tags_of(env: EngineEnv) -> dict[str, str | None]:
    """This test's tags (the engine is shared) and what each names; the tool's own
    rollback pins aside."""
    return {
        tag: image.id
        for image in env.client.images.list()
        for tag in image.tags
        if env.project in tag and not tag.startswith(PIN_REPOSITORY)
    }


def test_an_image_archive_that_re_tags_a_foreign_image_is_refused_before_loading(
    env: EngineEnv,
) -> None:
    foreign = f"othervendor/{env.project}:1"
    installed = env.client.images.get(env.layout.images["1.0.0"])
    installed.tag(foreign)
    try:
        folder = env.tmp / "sources" / "1.2.0"
        shutil.copytree(env.layout.sources["1.1.0"], folder)
        ref = f"{env.layout.images['1.1.0'].rsplit(':', 1)[0]}:1.2.0"
        build_busybox_image_tar(ref, folder / "images" / "web.tar", layers=1)
        _add_repo_tag(folder / "images" / "web.tar", foreign)
        compose = folder / content.COMPOSE_FILE
        compose.write_text(compose.read_text().replace(env.layout.images["1.1.0"], ref))
        store = env.tmp / "store120"
        build_release(folder, version=Version.parse("1.2.0"), out=store)
        env.write_config(store / "manifest.json")
        tags_before = _tags_of(env)

        code, events, err = env.cli("upgrade", "--yes", "--json")

        assert code == 1, err
        result = events[-1]
        assert result["success"] is False and result["rolled_back"] is False
        assert foreign in (result["error"] or "") and "refused before loading" in result["error"]
        assert env.client.images.get(foreign).id == installed.id
        assert _tags_of(env) == tags_before
        assert str(read_state(env.deploy).version) == "1.0.0.0"
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            env.client.images.remove(foreign)


def test_what_a_release_asks_of_the_host_is_said_before_the_stop(env: EngineEnv) -> None:
    def compose(ref: str) -> str:
        text = content.compose_text(env.layout.project, ref)
        anchor = "      - ./config:/config:ro\n"
        assert anchor in text
        text = text.replace(anchor, anchor + "      - /etc/hostname:/host-hostname:ro\n", 1)
        return text.replace("    init: true\n", "    init: true\n    cap_add: [NET_ADMIN]\n", 1)

    store = release_with_compose(env, "1.2.0", compose)
    env.write_config(store / "manifest.json")

    code, events, err = env.cli("upgrade", "--yes", "--json")

    assert code == 0, err  # said, not refused
    stop = next(
        i
        for i, e in enumerate(events)
        if e.get("step") == "StoppingServices" and e["type"] == "step"
    )
    said = [(e["level"], e["message"]) for e in events[:stop] if e["type"] == "log"]
    assert (
        "warning",
        "web asks the host for bind /etc/hostname (ro): new since the installed release",
    ) in said
    assert (
        "warning",
        "web asks the host for cap_add NET_ADMIN: new since the installed release",
    ) in said
    # Host networking was there before and is common: said, not called out.
    assert ("info", "web asks the host for network_mode: host") in said


def test_a_setting_makes_new_host_access_a_refusal_before_anything_is_loaded(
    env: EngineEnv,
) -> None:
    def compose(ref: str) -> str:
        text = content.compose_text(env.layout.project, ref)
        return text.replace("    init: true\n", "    init: true\n    pid: host\n", 1)

    store = release_with_compose(env, "1.2.0", compose)
    env.write_config(store / "manifest.json", refuse_new_host_access=True)
    before = _tags_of(env)

    code, events, err = env.cli("upgrade", "--yes", "--json")

    assert code == 1, err
    result = events[-1]
    assert not result["success"] and not result["rolled_back"]
    assert "web: pid: host" in result["error"] and "refuse_new_host_access" in result["error"]
    assert not any(e.get("step") == "StoppingServices" for e in events)
    assert _tags_of(env) == before
    assert str(read_state(env.deploy).version) == "1.0.0.0"

"""Hostile state on the real engine, through the real CLI (#25).

The journal is the tool's own file, but ``recover`` renames and deletes what
it names: a path that leaves the deploy dir is refused before anything moves.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.upgrade.engine_env import EngineEnv
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.upgrade.journal import CRASH_HOOK_ENV, journal_path

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

"""The fleet playbook (examples/ansible) run by ansible-core against three local "hosts".

Each host is its own deploy dir, config and compose project on the real engine,
reached with ``ansible_connection: local``. host1 is offered a good release,
host2 one whose health gate fails, host3 the good one again: the rollout must
upgrade host1, roll host2 back to a healthy 1.0.0 and stop there, so host3 is
never touched (its tool never even ran: no log file).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.support.engine_env import EngineEnv
from tests.support.receiver import NotifyReceiver
from tui_upgrader.demo.broken import build_broken_release
from tui_upgrader.ops.state import read_state

pytestmark = [pytest.mark.engine, pytest.mark.slow]

PLAYBOOK = Path(__file__).resolve().parents[2] / "examples" / "ansible" / "upgrade-fleet.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
TOOL = [sys.executable, "-m", "tui_upgrader"]


@pytest.fixture
def hosts(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[list[EngineEnv]]:
    with contextlib.ExitStack() as stack:
        envs = [
            stack.enter_context(EngineEnv.installed(tmp_path / name, docker_client))
            for name in ("host1", "host2", "host3")
        ]
        yield envs


def _inventory(tmp: Path, hosts: list[EngineEnv]) -> Path:
    entries = {}
    for number, host in enumerate(hosts, start=1):
        entries[f"host{number}"] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "tui_upgrader_command": TOOL,
            "tui_upgrader_args": ["--config", str(host.config)],
            "tui_upgrader_environment": {"TUI_UPGRADER_ARCH": "x86_64"},
        }
    path = tmp / "inventory.yml"
    # JSON is YAML: no YAML writer needed.
    path.write_text(json.dumps({"fleet": {"hosts": entries}}, indent=1))
    return path


def _run_playbook(tmp: Path, inventory: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_SHOW_CUSTOM_STATS": "1",
        "ANSIBLE_LOCAL_TEMP": str(tmp / "ansible-tmp"),
        "ANSIBLE_REMOTE_TEMP": str(tmp / "ansible-remote-tmp"),
        "ANSIBLE_CONFIG": str(tmp / "no-ansible.cfg"),  # ignore any ansible.cfg around
    }
    return subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(PLAYBOOK)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def _report(stdout: str, host: str) -> str:
    found = re.findall(rf"fleet: {host} (.*?)\"", stdout)
    assert len(found) == 1, f"one report line for {host} in:\n{stdout}"
    return str(found[0])


def test_the_rollout_stops_at_the_first_host_that_rolled_back(
    tmp_path: Path, hosts: list[EngineEnv], notify_receiver: NotifyReceiver
) -> None:
    good, broken, untouched = hosts
    bad = build_broken_release(broken.layout, failure="unhealthy", store=broken.tmp / "broken")
    for name, host, manifest in (
        ("host1", good, good.layout.manifest),
        ("host2", broken, bad.manifest),
        ("host3", untouched, untouched.layout.manifest),
    ):
        hook = notify_receiver.url("json", name)
        host.write_config(manifest, log_dir=str(host.tmp / "log"), notify=[hook])
    broken_images = broken.running_images()
    untouched_tree = untouched.tree()
    untouched_ids = {name: c.id for name, c in untouched.containers().items()}

    proc = _run_playbook(tmp_path, _inventory(tmp_path, hosts))
    out = proc.stdout
    assert proc.returncode == 2, f"ansible-playbook exit {proc.returncode}\n{out}\n{proc.stderr}"

    # host1: upgraded, reported with its versions and backup id
    assert str(read_state(good.deploy).version) == "1.1.0.1"
    line = _report(out, "host1")
    assert re.match(r"upgraded 1\.0\.0\.0 -> 1\.1\.0\.1 backup \d+ exit 0$", line), line
    assert re.search(r"^host1\s*:.*changed=1 ", out, re.MULTILINE), out
    assert good.running_images()["web"] == good.client.images.get(good.layout.images["1.1.0.1"]).id

    # host2: rolled back, healthy, and the rollout stopped there (no backup id: the
    # two-pass rollback swaps the pre-copy snapshot in and writes no archive, #21)
    line = _report(out, "host2")
    assert re.match(r"ROLLED BACK 1\.0\.0\.0 -> 1\.2\.0\.0 backup None exit 1 error: ", line), line
    assert "the remaining hosts are left as they are" in out
    assert str(read_state(broken.deploy).version) == "1.0.0.0"
    assert broken.running_images() == broken_images
    assert broken.containers()["web"].attrs["State"]["Health"]["Status"] == "healthy"

    # host3: never run
    assert "fleet: host3" not in out
    assert not re.search(r"^host3\s*:", out, re.MULTILINE), "host3 is not in the recap"
    assert not (untouched.tmp / "log").exists(), "the tool never ran on host3"
    assert str(read_state(untouched.deploy).version) == "1.0.0.0"
    assert untouched.tree() == untouched_tree
    assert {name: c.id for name, c in untouched.containers().items()} == untouched_ids

    # one notification per host that ran, saying what happened there
    by_host = {r.path: r.json() for r in notify_receiver.wait_for(2)}
    assert sorted(by_host) == ["/host1", "/host2"]
    assert by_host["/host1"]["title"].endswith(": upgraded")
    rolled = by_host["/host2"]
    assert rolled["title"].endswith(": failed, rolled back; the old stack is healthy")
    assert f"deploy dir: {broken.deploy}" in rolled["message"].splitlines()

    # the recap's custom stats name every host that ran
    stats = out[out.index("CUSTOM STATS") :]
    assert "host1" in stats and "host2" in stats and "host3" not in stats

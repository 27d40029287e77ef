"""No secret in any output of a failing upgrade (real CLI, real engine, #25).

Secrets in three places at once: the manifest URL (userinfo and a query
token, inherited by the package URL), ``.env`` (a one-line value and a
multi-line one the crashing container prints) and the notify URLs (a
receiver's password, a dead receiver's password). Every channel is read:
stdout (``--json`` events and the result), stderr, the log file, what the
notification receiver got, the tool's state and sidecar files, and the
output of ``check`` and ``check --json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.support.engine import free_port
from tests.support.engine_env import EngineEnv, release_with_compose
from tests.support.receiver import NotifyReceiver
from tui_upgrader.demo import content
from tui_upgrader.ops.release.server import serve_directory

pytestmark = pytest.mark.engine

URL_PASS = "urlpass-8d1f"
URL_TOKEN = "urltoken-77ab"
NOTIFY_PASS = "notifypass-3c9e"
DEAD_PASS = "deadpass-5e2a"
MULTI_LINE_2 = "second-line-of-a-key-91f0"


@pytest.fixture
def env(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[EngineEnv]:
    with EngineEnv.installed(tmp_path, docker_client) as e:
        yield e


def _state_files(env: EngineEnv) -> dict[str, bytes]:
    """What the tool itself wrote: state, journal, catalogue, trust, download
    sidecars; not packages or backups, which hold the release's own ``.env``."""
    roots = [env.tmp / "state", env.tmp / "cache", env.deploy / ".tui-upgrader"]
    found = {}
    for root in roots:
        for path in root.rglob("*") if root.exists() else ():
            if path.is_file() and not path.name.endswith((".zip", ".tar", ".zst", ".gz")):
                found[str(path)] = path.read_bytes()
    return found


def test_a_failing_upgrade_leaks_no_secret_anywhere(
    env: EngineEnv, notify_receiver: NotifyReceiver
) -> None:
    with (env.deploy / ".env").open("a") as fh:
        fh.write(f'MULTI_KEY="first-line-of-a-key-22c4\n{MULTI_LINE_2}\nend-of-the-key-0d3b"\n')
    secrets = [env.layout.secret, URL_PASS, URL_TOKEN, NOTIFY_PASS, DEAD_PASS, MULTI_LINE_2]

    def compose(ref: str) -> str:
        text = content.compose_text(
            env.layout.project,
            ref,
            web_command='["sh", "-c", "echo key: \\"$${MULTI}\\"; echo $${DEMO_SECRET}; exit 3"]',
        )
        anchor = "      DEMO_SECRET: ${DEMO_SECRET}\n"
        return text.replace(anchor, anchor + "      MULTI: ${MULTI_KEY}\n", 1)

    store = release_with_compose(env, "1.2.0", compose)
    log_dir = env.tmp / "logs"
    with serve_directory(store) as server:
        manifest = f"http://admin:{URL_PASS}@127.0.0.1:{server.port}/manifest.json"
        env.write_config(
            f"{manifest}?token={URL_TOKEN}",
            log_dir=str(log_dir),
            notify=[
                notify_receiver.url("json", "fleet").replace("//", f"//hook:{NOTIFY_PASS}@"),
                f"form://hook:{DEAD_PASS}@127.0.0.1:{free_port()}/gone",
            ],
        )
        code, events, err = env.cli("upgrade", "--yes", "--json")
        outputs = {"upgrade stdout": json.dumps(events), "upgrade stderr": err}
        for args in (["check"], ["check", "--json"]):
            proc = subprocess.run(
                [sys.executable, "-m", "tui_upgrader", *args, "--config", str(env.config)],
                capture_output=True,
                text=True,
                env={**os.environ, "TUI_UPGRADER_ARCH": "x86_64"},
                timeout=120,
                check=False,
            )
            assert proc.returncode == 0, proc.stderr
            outputs[" ".join(args)] = proc.stdout + proc.stderr

    assert code == 1, err
    result = events[-1]
    assert result["type"] == "result" and result["rolled_back"] is True
    (message,) = notify_receiver.wait_for(1)
    outputs["notification"] = message.body.decode() + message.path
    outputs["log"] = "".join(p.read_text(errors="replace") for p in log_dir.glob("*.log*"))
    outputs |= {p: b.decode(errors="replace") for p, b in _state_files(env).items()}
    # The channels carried the things the secrets ride on, masked.
    shown = "\n".join(outputs.values())
    assert f"127.0.0.1:{server.port}" in outputs["log"]
    assert "***@127.0.0.1" in shown and "token=***" in shown
    assert "failed" in outputs["upgrade stdout"]
    for where, text in outputs.items():
        for secret in secrets:
            assert secret not in text, f"{secret} in {where}"

"""A second, private dockerd the engine-trouble cases may restart, kill or unplug.

The shared engine is never touched: this one has its own data root, exec root
(and so its own managed containerd), pid file and unix socket under a short temp
dir, no bridge and no iptables rules (the stacks use host or no networking).

``Binaries`` picks another dockerd than the system's: tests/support/engines.py
runs the Docker 26 unpacked by scripts/setup_docker26.sh this way, with the
classic or the containerd image store, for the compatibility selection.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from tests.support.waiting import wait_for


@dataclass(frozen=True, slots=True)
class Binaries:
    """Where a dockerd and its containerd, shims and init live (None: the system's)."""

    root: Path | None = None  # an unpacked Debian tree: ROOT/usr/sbin/dockerd, ROOT/usr/bin/...
    containerd_store: bool = False  # the containerd image store instead of graph drivers

    def dockerd(self) -> str:
        return "dockerd" if self.root is None else str(self.root / "usr/sbin/dockerd")

    def environ(self) -> dict[str, str]:
        """dockerd finds containerd and containerd its shim on PATH: ours first."""
        env = dict(os.environ)
        if self.root is not None:
            ours = [str(self.root / "usr/bin"), str(self.root / "usr/sbin")]
            env["PATH"] = os.pathsep.join([*ours, env.get("PATH", "/usr/sbin:/usr/bin")])
        return env

    def daemon_config(self) -> dict[str, object]:
        config: dict[str, object] = {}
        if self.root is not None:
            # `init: true` services need docker-init; the tree's static tini is one.
            config["init-path"] = str(self.root / "usr/bin/tini-static")
        if self.containerd_store:
            config["features"] = {"containerd-snapshotter": True}
        return config


class PrivateEngine:
    def __init__(self, root: Path, binaries: Binaries | None = None) -> None:
        self.root = root
        self.binaries = binaries or Binaries()
        self.socket = root / "docker.sock"
        self.host = f"unix://{self.socket}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def argv(self) -> list[str]:
        r = self.root
        config = r / "daemon.json"
        # Always our own file: the system's /etc/docker/daemon.json is not for us.
        config.write_text(json.dumps(self.binaries.daemon_config()), encoding="utf-8")
        return [
            self.binaries.dockerd(),
            "--config-file", str(config),
            "--data-root", str(r / "data"),
            "--exec-root", str(r / "exec"),
            "--pidfile", str(r / "dockerd.pid"),
            "-H", self.host,
            "--bridge=none", "--iptables=false", "--ip-masq=false", "--ip-forward=false",
            "--cgroup-parent", f"tuifaults-{r.name}",
        ]  # fmt: skip

    def start(self) -> None:
        self.socket.unlink(missing_ok=True)
        log = (self.root / "dockerd.log").open("ab")
        self.proc = subprocess.Popen(
            self.argv(), stdout=log, stderr=log, env=self.binaries.environ()
        )
        wait_for(self.answers, timeout_s=60, what=f"the private dockerd on {self.socket}")

    def answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            tail = (self.root / "dockerd.log").read_text(errors="replace")[-2000:]
            raise AssertionError(f"the private dockerd exited ({self.proc.returncode}): {tail}")
        try:
            client = docker.DockerClient(base_url=self.host, timeout=5)
        except (docker.errors.DockerException, OSError):
            return False
        try:
            return bool(client.ping())
        except (docker.errors.DockerException, OSError):
            return False
        finally:
            client.close()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(sig)
        self.proc.wait(timeout=90)
        self.proc = None

    def restart(self, sig: int = signal.SIGTERM) -> None:
        self.stop(sig)
        self.start()
        self.restarts += 1

    def unplug(self) -> None:
        """The socket gone while the daemon runs (a botched restart, an rm -rf)."""
        self.socket.unlink()

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.host, timeout=120)


@contextlib.contextmanager
def private_engine(binaries: Binaries | None = None) -> Iterator[PrivateEngine]:
    # Short: a unix socket path must fit in 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="tuifd-", dir="/tmp"))
    engine = PrivateEngine(root, binaries)
    try:
        engine.start()
        yield engine
    finally:
        dispose(engine)


def dispose(engine: PrivateEngine) -> None:
    """Stop ``engine`` and remove everything it had, mounts first."""
    if engine.proc is None:
        with contextlib.suppress(AssertionError):
            engine.start()  # to let it stop its containers cleanly
    engine.stop()
    unmount_below(engine.root)
    shutil.rmtree(engine.root, ignore_errors=True)


def unmount_below(root: Path) -> None:
    """What dockerd mounted under its roots (netns, overlays), deepest first."""
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        points = [line.split()[1] for line in mounts]
    mine = sorted((p for p in points if p.startswith(f"{root}/")), key=len, reverse=True)
    for point in mine:
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def docker_env(engine: PrivateEngine) -> dict[str, str]:
    return {"DOCKER_HOST": engine.host}

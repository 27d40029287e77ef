"""A second, private dockerd the engine-trouble cases may restart, kill or unplug.

The shared engine is never touched: this one has its own data root, exec root
(and so its own managed containerd), pid file and unix socket under a short temp
dir, no bridge and no iptables rules (the stacks use host or no networking).
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors

from tests.faults.waiting import wait_for


class PrivateEngine:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "docker.sock"
        self.host = f"unix://{self.socket}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def argv(self) -> list[str]:
        r = self.root
        return [
            "dockerd",
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
        self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=log)
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
def private_engine() -> Iterator[PrivateEngine]:
    # Short: a unix socket path must fit in 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="tuifd-", dir="/tmp"))
    engine = PrivateEngine(root)
    try:
        engine.start()
        yield engine
    finally:
        if engine.proc is None:
            with contextlib.suppress(AssertionError):
                engine.start()  # to let it stop its containers cleanly
        engine.stop()
        unmount_below(root)
        shutil.rmtree(root, ignore_errors=True)


def unmount_below(root: Path) -> None:
    """What dockerd mounted under its roots (netns, overlays), deepest first."""
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        points = [line.split()[1] for line in mounts]
    mine = sorted((p for p in points if p.startswith(f"{root}/")), key=len, reverse=True)
    for point in mine:
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def docker_env(engine: PrivateEngine) -> dict[str, str]:
    return {"DOCKER_HOST": engine.host}

"""A real OpenSSH server on 127.0.0.1 in front of this machine's engine (pytest plugin).

``ssh_engine`` starts ``sshd`` (Debian's openssh-server, scripts/setup_engine.sh)
on a free port with its own host key and config, and a client key that only it
accepts, all in the test's tmp dir and HOME. ``DOCKER_HOST=ssh://USER@127.0.0.1:PORT``
then reaches the local engine through ``docker system dial-stdio`` exactly as a
remote one would. The SDK's paramiko reads ``$HOME/.ssh``; the OpenSSH client
the docker CLI runs reads the passwd home instead, so ``path`` holds an ``ssh``
wrapper naming the test's key and known_hosts. Nothing outside tmp is touched
but sshd's privilege-separation dir (/run/sshd), which it needs to exist.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.engine import free_port
from tests.support.engines import selected

SSHD = Path("/usr/sbin/sshd")


@dataclass(frozen=True, slots=True)
class SshEngine:
    url: str  # ssh://user@127.0.0.1:port
    path: str  # PATH with the ssh wrapper first

    def environ(self) -> dict[str, str]:
        return {"DOCKER_HOST": self.url, "PATH": self.path}


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise AssertionError(f"sshd exited with {proc.returncode}: {err}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"sshd did not listen on 127.0.0.1:{port}")


def _remote_engine_env() -> str:
    """The "remote" side's `docker system dial-stdio` reaches the session's engine
    (a private Docker 26 under ``--engine``), not always the default socket."""
    engine = selected().engine
    return "" if engine is None else f"SetEnv DOCKER_HOST={engine.host}\n"


@pytest.fixture
def ssh_engine(tmp_path: Path, isolated_env: Path) -> Iterator[SshEngine]:
    if not SSHD.exists() or shutil.which("ssh") is None:
        if os.environ.get("CI"):
            pytest.fail("no sshd/ssh: run scripts/setup_engine.sh (openssh-server)", pytrace=False)
        pytest.skip("no sshd/ssh: run scripts/setup_engine.sh (openssh-server)")
    work = tmp_path / "sshd"
    work.mkdir()
    dot_ssh = isolated_env / ".ssh"
    dot_ssh.mkdir(mode=0o700)
    _keygen(work / "host_key")
    _keygen(dot_ssh / "id_ed25519")
    (work / "authorized_keys").write_text((dot_ssh / "id_ed25519.pub").read_text())
    port = free_port()
    user = getpass.getuser()
    (work / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {work / 'host_key'}\n"
        f"AuthorizedKeysFile {work / 'authorized_keys'}\nPidFile {work / 'sshd.pid'}\n"
        f"AllowUsers {user}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nStrictModes no\nUsePAM no\n" + _remote_engine_env()
    )
    host_key = (work / "host_key.pub").read_text().split()
    (dot_ssh / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    wrappers = work / "bin"
    wrappers.mkdir()
    wrapper = wrappers / "ssh"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"exec {shutil.which('ssh')} -F none -o BatchMode=yes -i {dot_ssh / 'id_ed25519'} "
        f'-o UserKnownHostsFile={dot_ssh / "known_hosts"} "$@"\n'
    )
    wrapper.chmod(0o755)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    proc = subprocess.Popen(
        [str(SSHD), "-D", "-e", "-f", str(work / "sshd_config")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_listening(port, proc)
        yield SshEngine(
            f"ssh://{user}@127.0.0.1:{port}", f"{wrappers}{os.pathsep}{os.environ['PATH']}"
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

"""What a compose service asks of the host, beyond its own container (pure).

A release is trusted to run what it ships, but some of what a compose file
can say reaches past the container: a bind mount of a host path outside the
deploy dir (``/``, ``/etc``, the Docker socket), ``privileged``, the host's
PID / IPC / network namespace, added capabilities, devices. The runner shows
each of these before the stop, and calls out the ones the installed release
did not ask for. Host networking is common (and what the test stacks use):
shown like the others, never refused by itself.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any


def _outside(source: str, project_dir: str) -> bool:
    path = PurePosixPath(source)
    return not (path == PurePosixPath(project_dir) or PurePosixPath(project_dir) in path.parents)


def host_access(body: dict[str, Any], project_dir: str) -> tuple[str, ...]:
    """One short phrase per thing ``body`` (a service of ``compose config``) asks of the host."""
    found: list[str] = []
    if body.get("privileged"):
        found.append("privileged")
    for key in ("pid", "ipc", "network_mode", "userns_mode", "uts"):
        if body.get(key) == "host":
            found.append(f"{key}: host")
    found.extend(f"cap_add {cap}" for cap in body.get("cap_add") or [])
    for device in body.get("devices") or []:
        source = device.get("source") if isinstance(device, dict) else str(device).split(":")[0]
        found.append(f"device {source}")
    for volume in body.get("volumes") or []:
        if not isinstance(volume, dict) or volume.get("type") != "bind":
            continue
        source = str(volume.get("source", ""))
        if _outside(source, project_dir):
            mode = "ro" if volume.get("read_only") else "rw"
            found.append(f"bind {source} ({mode})")
    return tuple(found)


def is_notable(request: str) -> bool:
    """Host networking is shown but never called out as a risk by itself."""
    return request != "network_mode: host"

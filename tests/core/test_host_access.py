"""What a compose service asks of the host (#25)."""

from __future__ import annotations

from tui_upgrader.core.host_access import host_access, is_notable


def test_every_kind_of_host_access_is_named_and_project_binds_are_not() -> None:
    body = {
        "privileged": True,
        "pid": "host",
        "ipc": "host",
        "network_mode": "host",
        "cap_add": ["SYS_ADMIN"],
        "devices": [{"source": "/dev/fuse", "target": "/dev/fuse"}, "/dev/kvm:/dev/kvm"],
        "volumes": [
            {"type": "bind", "source": "/", "target": "/host", "read_only": False},
            {"type": "bind", "source": "/srv/app/data", "target": "/data"},
            {"type": "volume", "source": "named", "target": "/x"},
        ],
    }
    assert host_access(body, "/srv/app") == (
        "privileged",
        "pid: host",
        "ipc: host",
        "network_mode: host",
        "cap_add SYS_ADMIN",
        "device /dev/fuse",
        "device /dev/kvm",
        "bind / (rw)",
    )
    assert not is_notable("network_mode: host") and is_notable("privileged")

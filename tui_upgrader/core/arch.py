"""Machine architectures and their aliases."""

from __future__ import annotations

import enum

from tui_upgrader.core.errors import StrategyError
from tui_upgrader.core.i18n import _


class Arch(enum.StrEnum):
    X86_64 = "x86_64"
    AARCH64 = "aarch64"

    @property
    def docker_name(self) -> str:
        """The name Docker uses (and image tar suffixes use)."""
        return "amd64" if self is Arch.X86_64 else "arm64"


_ALIASES = {
    "x86_64": Arch.X86_64,
    "amd64": Arch.X86_64,
    "x64": Arch.X86_64,
    "aarch64": Arch.AARCH64,
    "arm64": Arch.AARCH64,
    "armv8": Arch.AARCH64,
}


def arch_for_name(name: str) -> Arch | None:
    """The architecture an alias names (case-insensitive), or None."""
    return _ALIASES.get(name.strip().lower())


def alias_list() -> str:
    """``x86_64/amd64/x64, aarch64/arm64/armv8``: for messages."""
    return ", ".join("/".join(n for n, a in _ALIASES.items() if a is arch) for arch in Arch)


def parse_arch(name: str) -> Arch:
    """Case-insensitive; raises StrategyError for anything we ship no packages for."""
    arch = arch_for_name(name)
    if arch is None:
        raise StrategyError(
            _(
                "unsupported architecture {name!r}: packages exist for x86_64 and aarch64 only"
            ).format(name=name)
        )
    return arch


def named_arch(name: str) -> Arch | str:
    """``Arch`` for the names we ship for; anything else kept as its lower-case name
    (riscv64 still decides a legacy manifest or a generic package)."""
    return arch_for_name(name) or name.strip().lower()


def docker_arch(arch: Arch | str) -> str:
    """The name image configs and tar suffixes use: ``amd64``, ``arm64``, or the name."""
    return arch.docker_name if isinstance(arch, Arch) else arch

"""Which compose files a deploy dir holds, found the way Docker Compose finds them."""

from __future__ import annotations

from pathlib import Path

from tui_upgrader.core.paths import COMPOSE_FILE_NAMES, COMPOSE_OVERRIDE_NAMES


def _first(deploy_dir: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        candidate = deploy_dir / name
        if candidate.is_file():
            return candidate
    return None


def find_compose_file(deploy_dir: Path) -> Path | None:
    """The compose file in the configured deploy dir (never the cwd)."""
    return _first(deploy_dir, COMPOSE_FILE_NAMES)


def find_override_file(deploy_dir: Path) -> Path | None:
    return _first(deploy_dir, COMPOSE_OVERRIDE_NAMES)

"""Relative paths inside the deploy dir, as manifests and packages name them."""

from __future__ import annotations

from pathlib import PurePosixPath

from tui_upgrader.core.i18n import _

# Never touched by any upgrade operation: it holds our own state and journal.
STATE_DIR_NAME = ".tui-upgrader"
JOURNAL_FILE_NAME = "journal.json"

# Docker Compose's own search order, so we always pick the file compose would.
COMPOSE_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
# The admin's customisations; compose loads the first that exists unless -f is
# given, so we pass it explicitly and a full upgrade never removes it.
COMPOSE_OVERRIDE_NAMES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)


def normalise_operation_path(raw: str) -> str:
    """``./app//x/`` -> ``app/x``; raises ValueError for anything that could escape.

    Rejects absolute paths (POSIX or Windows drive), backslashes and any ``..``
    segment, wherever it stands (the original only looked at the start).
    """
    text = raw.strip()
    if not text:
        raise ValueError(_("path must not be empty"))
    if "\\" in text or (len(text) > 1 and text[1] == ":"):
        raise ValueError(_("path {raw!r} uses Windows syntax").format(raw=raw))
    if text.startswith("/"):
        raise ValueError(_("path {raw!r} is absolute").format(raw=raw))
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise ValueError(_("path {raw!r} contains a '..' segment").format(raw=raw))
    if not parts:
        raise ValueError(_("path {raw!r} names the deploy dir itself").format(raw=raw))
    if "\x00" in text:
        raise ValueError(_("path contains a NUL byte"))
    if parts[0] == STATE_DIR_NAME:
        raise ValueError(_("path {raw!r} is inside the tool's own state dir").format(raw=raw))
    return str(PurePosixPath(*parts))


def is_under(path: str, roots: tuple[str, ...]) -> bool:
    """True when ``path`` equals one of ``roots`` or lies below it."""
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)

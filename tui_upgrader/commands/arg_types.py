"""argparse types that validate a value completely before any command runs.

Raising ``ArgumentTypeError`` makes the parser's one-line usage error (exit 2)
name the argument: nothing is created or changed for a refused value.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from tui_upgrader.core.errors import ConfigError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.settings import PROJECT_NAME, check_path_text


def path_arg(text: str) -> Path:
    """Any path the OS can hold: not empty, no NUL byte, within PATH_MAX / NAME_MAX."""
    if not text:
        # Path("") is the cwd: an empty --deploy-dir must not mean "here".
        raise argparse.ArgumentTypeError(_("an empty path"))
    try:
        check_path_text(text, repr(text))
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    return Path(text)


def _kind(path: Path) -> str | None:
    try:
        if path.is_dir():
            return "dir"
        return "other" if path.exists() or path.is_symlink() else None
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"{path}: {exc.strerror}") from None


def out_dir(text: str) -> Path:
    """A directory to write into: may not exist yet, must not be a file."""
    path = path_arg(text)
    if _kind(path) == "other":
        raise argparse.ArgumentTypeError(
            _("{path} exists and is not a directory").format(path=path)
        )
    return path


def existing_dir(text: str) -> Path:
    path = path_arg(text)
    if _kind(path) != "dir":
        raise argparse.ArgumentTypeError(_("{path}: no such directory").format(path=path))
    return path


def out_file(text: str) -> Path:
    path = path_arg(text)
    if _kind(path) == "dir":
        raise argparse.ArgumentTypeError(_("{path} is a directory").format(path=path))
    return path


def days(text: str) -> float:
    """A positive, finite number of days (``nan`` and ``inf`` parse as floats)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= 36500):
        raise argparse.ArgumentTypeError(
            _("invalid number of days {text!r}: expected more than 0, at most 36500").format(
                text=text[:40]
            )
        )
    return value


def small_count(text: str) -> int:
    """1 to 255: key counts and thresholds."""
    value = int(text) if text.isascii() and text.isdigit() and len(text) < 4 else 0
    if not 1 <= value <= 255:
        raise argparse.ArgumentTypeError(
            _("invalid count {text!r}: expected 1 to 255").format(text=text[:40])
        )
    return value


def port(text: str) -> int:
    value = int(text) if text.isascii() and text.isdigit() and len(text) < 6 else -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            _("invalid port {text!r}: expected 0 to 65535").format(text=text[:40])
        )
    return value


def project(text: str) -> str:
    """A compose project name, by compose's own rule."""
    if not PROJECT_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            _(
                "{text!r} is not a compose project name (lower-case letters, digits, - and _)"
            ).format(text=text[:40])
        )
    return text

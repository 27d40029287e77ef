"""Logging: always a rotating file in the log dir; never stderr under the TUI.

The log holds container output and compose's stderr, so it is private (dir
0700, every file 0600, after a rotation too) and every record passes the
active ``Redactor``, which masks the deploy dir's ``.env`` values.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import logging.handlers
import os
from pathlib import Path

from tui_upgrader.core.errors import UpgraderError
from tui_upgrader.core.paths import COMPOSE_FILE_NAMES, STATE_DIR_NAME
from tui_upgrader.core.redact import Redactor, env_values, escape_controls, project_name_keys
from tui_upgrader.ops.fsutil import private_dir
from tui_upgrader.ops.settings import Settings, default_log_dir, load_settings

logger = logging.getLogger(__name__)

LOG_FILE_NAME = "tui-upgrader.log"
BACKUP_COUNT = 3
_configured: Path | None = None
# What the file handler (and health/compose output) is masked with: the
# engine installs its run's redactor; until then the deploy dir's .env values.
_active = Redactor()


# --- redaction ---------------------------------------------------------------------


def env_files(deploy_dir: Path) -> tuple[Path, ...]:
    """The live ``.env``, the staged one (new keys of a release) and the one an
    apply moved aside: during an upgrade or a recovery any of them may be in use."""
    state = deploy_dir / STATE_DIR_NAME
    return (deploy_dir / ".env", state / "staging" / ".env", state / "previous" / ".env")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""  # absent (no staging yet) or unreadable: nothing to learn from it


def learn_env_secrets(redactor: Redactor, deploy_dir: Path) -> Redactor:
    """Add the secret values of every ``.env`` of ``deploy_dir`` that can be read now
    (not the project name: ``core.redact`` says why)."""
    for path in env_files(deploy_dir):
        text = _read(path)
        if not text:
            continue
        compose = "\n".join(_read(path.parent / name) for name in COMPOSE_FILE_NAMES)
        redactor.add(env_values(text, project_name_keys(compose)))
    return redactor


def install_redactor(redactor: Redactor) -> None:
    """From now on the log file, health and compose output are masked with ``redactor``."""
    global _active
    _active = redactor


def active_redactor() -> Redactor:
    return _active


def redact(text: str) -> str:
    """``text`` masked with the active redactor (for ops code outside the engine)."""
    return _active.redact(text)


class RedactingFilter(logging.Filter):
    """Masks secrets in the message, the traceback and the stack of each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        redactor = _active  # URLs are masked even when .env has no values
        try:
            message = record.getMessage()
            masked = escape_controls(redactor.redact(message))
            if masked != message:
                record.msg, record.args = masked, ()
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redactor.redact(record.exc_text)
            if record.stack_info:
                record.stack_info = redactor.redact(record.stack_info)
        except Exception:  # a bad format string: the handler reports it, as it would anyway
            return True
        return True


# --- the file ----------------------------------------------------------------------


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Creates each log file 0600 itself: the stock handler opens the file that
    follows a rotation with the process umask (0644 as a rule)."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        try:
            os.fchmod(fd, 0o600)  # a file left by an older version may be 0644
            # "a" whatever self.mode says: a rotating handler always appends.
            return open(fd, "a", encoding=self.encoding, errors=self.errors)
        except BaseException:
            os.close(fd)
            raise


def _make_private(log_dir: Path, path: Path) -> None:
    # The same checks as the state dirs: the log holds container output, and a
    # dir another user owns (or a link one planted) would let them read or aim it.
    private_dir(log_dir)
    for rotated in (path.with_name(f"{path.name}.{n}") for n in range(1, BACKUP_COUNT + 1)):
        with contextlib.suppress(OSError):
            os.chmod(rotated, 0o600)


def log_file(log_dir: Path | None = None) -> Path:
    return (log_dir or _configured_dir() or default_log_dir()) / LOG_FILE_NAME


def _configured_dir() -> Path | None:
    return _configured.parent if _configured is not None else None


def readable_settings(args: argparse.Namespace | None) -> Settings | None:
    """The settings when the config is readable; a bad config is reported by the
    command itself, not here."""
    try:
        return load_settings(
            getattr(args, "config", None), deploy_dir=getattr(args, "deploy_dir", None)
        )
    except UpgraderError:
        return None


def setup_logging(args: argparse.Namespace | None = None, settings: Settings | None = None) -> Path:
    """Attach the rotating file handler once and arm redaction; returns the log file path.

    ``settings``: the caller's ``readable_settings(args)``, to read the config once.
    """
    global _configured
    if settings is None:
        settings = readable_settings(args)
    if settings is not None:
        # Every command may log container or compose output of this deploy dir.
        install_redactor(learn_env_secrets(Redactor(), settings.deploy_dir))
    path = (settings.log_dir if settings is not None else default_log_dir()) / LOG_FILE_NAME
    if _configured == path:
        return path
    _make_private(path.parent, path)
    handler = PrivateRotatingFileHandler(
        path, maxBytes=5 * 1024 * 1024, backupCount=BACKUP_COUNT, encoding="utf-8"
    )
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("tui_upgrader")
    root.setLevel(
        logging.DEBUG if args is not None and getattr(args, "dev", False) else logging.INFO
    )
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    _configured = path
    return path

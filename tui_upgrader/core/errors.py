"""One error hierarchy for the whole tool.

Third-party exceptions (httpx, docker, tarfile, sqlite3, OSError) are translated
into these at the edge of ``ops`` so the CLI and the UI handle one family.
Every message is a single line that says what went wrong and where.
"""

from __future__ import annotations

from tui_upgrader.core.i18n import N_, _
from tui_upgrader.core.text import shorten_words

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_ROLLBACK_FAILED = 3


class UpgraderError(Exception):
    """Base of every error this tool raises on purpose."""

    exit_code: int = EXIT_FAILED

    def __init__(self, message: str) -> None:
        # One line, always: multi-line third-party text would break the
        # headless JSON stream and the TUI's error modal layout.
        # A 5,000-character URL or path is cut in the middle: the line stays readable.
        super().__init__(shorten_words(" ".join(message.split())))

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


# --- bad input (exit 2) -----------------------------------------------------


class InputError(UpgraderError):
    """The user, the config or the server gave us something we cannot use."""

    exit_code = EXIT_BAD_INPUT


class VersionError(InputError):
    """A version string is not 3 or 4 numeric parts."""


class ManifestError(InputError):
    """The release manifest is malformed; the message names the JSON path."""

    def __init__(self, path: str, problem: str) -> None:
        self.json_path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


class ConfigError(InputError):
    """The config file or a command-line option is invalid."""


class StrategyError(InputError):
    """No usable package for this machine (unknown arch, missing entries)."""


class UnverifiableError(InputError):
    """The package has no hash and ``allow_unverified`` is not set."""


class StateError(InputError):
    """The deployment state file is unreadable or inconsistent."""


class TrustError(InputError):
    """The release is not signed as the trusted root demands (TUF): tampered, expired,
    rolled back, signed by the wrong keys, or unsigned while signing is required."""


# --- operational failures (exit 1) -------------------------------------------


class OperationError(UpgraderError):
    """Something failed while doing the work."""


class NetworkError(OperationError):
    """Could not talk to the release server (DNS, connect, TLS, HTTP status)."""


class DownloadError(NetworkError):
    """A package download failed after its retries."""


class HashMismatchError(DownloadError):
    """The downloaded bytes do not hash to what the manifest promised."""

    def __init__(self, what: str, expected: str, actual: str, against: str | None = None) -> None:
        self.expected = expected
        self.actual = actual
        if against is None:
            text = _("{what}: sha256 mismatch, expected {expected}, got {actual}")
        else:
            text = _("{what}: sha256 differs from {against} (signed {expected}, got {actual})")
        super().__init__(text.format(what=what, against=against, expected=expected, actual=actual))


class DiskSpaceError(OperationError):
    """Not enough free space for the operation."""


class PackageError(OperationError):
    """A release package is unsafe or incomplete (zip-slip, missing compose file, ...)."""


class BackupError(OperationError):
    """Creating, verifying or restoring a backup failed."""


class DockerError(OperationError):
    """The Docker engine refused or failed an operation."""


class EngineUnavailableError(DockerError):
    """No Docker engine answers."""


class EngineVersionError(DockerError):
    """The engine speaks no Engine API version the tool was tested with."""


class ComposeError(DockerError):
    """``docker compose`` failed or is missing."""


class HealthGateError(DockerError):
    """Services did not become healthy in time."""


class UncleanStopError(DockerError):
    """A service was killed during the stop and ``unclean_stop = "refuse"``."""


class JournalError(OperationError):
    """An interrupted upgrade must be resolved first (``recover``)."""

    # Not a failed upgrade: nothing was attempted, the admin must act first.
    exit_code = EXIT_BAD_INPUT


class CancelledError(OperationError):
    """The user cancelled before the point of no return."""


# --- the worst case (exit 3) -----------------------------------------------------


# The seam in every rollback-failed message between what failed and what the
# rollback could not do; a reader wanting the parts reads the error's fields.
ROLLBACK_FAILED = N_("; rollback failed: ")


class RollbackFailedError(UpgraderError):
    """The upgrade failed and so did the rollback: the admin must act.

    The message says it all in one line; the parts travel as fields: ``cause``
    (what the rollback was for), ``backup_id`` (the way back by hand, when there
    is one), ``restored`` and ``not_restored`` (when known, what is back and what is not).
    """

    exit_code = EXIT_ROLLBACK_FAILED

    def __init__(
        self,
        message: str,
        *,
        cause: str,
        backup_id: int | None = None,
        restored: tuple[str, ...] = (),
        not_restored: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.cause = cause
        self.backup_id = backup_id
        self.restored = restored
        self.not_restored = not_restored


def error_text(exc: BaseException) -> str:
    """One line for the admin: ours as they are, anything else with its type."""
    if isinstance(exc, UpgraderError):
        return exc.message
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def exit_code_of(exc: BaseException) -> int:
    """The CLI exit code for an error: ours say; anything unexpected is a failure."""
    return exc.exit_code if isinstance(exc, UpgraderError) else EXIT_FAILED

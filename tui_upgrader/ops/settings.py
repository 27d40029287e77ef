"""Tool settings: config TOML at the platformdirs path, overridden by the CLI.

The config file is the admin's: we read it with tomllib and never rewrite it
(tomli-w would drop their comments). Only the first-run wizard writes a new
file, and only when none exists.
"""

from __future__ import annotations

import logging
import math
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from tui_upgrader.core.errors import ConfigError
from tui_upgrader.core.i18n import ENGLISH, LANGUAGES, _
from tui_upgrader.core.paths import STATE_DIR_NAME, normalise_operation_path
from tui_upgrader.core.text import shorten
from tui_upgrader.ops.bounded_read import read_capped
from tui_upgrader.ops.fsutil import atomic_write_bytes

logger = logging.getLogger(__name__)

APP_NAME = "tui-upgrader"
UNCLEAN_STOP_CHOICES = ("warn", "refuse")


def config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "config.toml"


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def default_cache_dir() -> Path:
    return platformdirs.user_cache_path(APP_NAME, appauthor=False)


def default_log_dir() -> Path:
    return platformdirs.user_log_path(APP_NAME, appauthor=False)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every key here may appear in config.toml (documented in README)."""

    manifest: str | None = None  # URL or local path of the release manifest
    deploy_dir: Path = Path("/opt/service/docker")
    project_name: str | None = None  # compose project; default: compose `name:` or dir name
    allow_unverified: bool = False
    # Signed releases (TUF): the pinned root (default <data_dir>/trust/root.json,
    # written by `tui-upgrader trust`); unsigned repositories only with allow_unsigned.
    trusted_root: Path | None = None
    allow_unsigned: bool = False
    # What a release newly asks of the host (privileged, binds of host paths...): a warning
    # before the stop, or with this set a refusal.
    refuse_new_host_access: bool = False
    # Never replaced or deleted by an upgrade: the original client's protected names.
    keep_paths: tuple[str, ...] = (
        "data",
        "upload",
        "project_workspace",
        "project_zips",
        "project_nginx",
        "project_init",
        "uv_cache",
    )
    data_dir: Path = field(default_factory=default_data_dir)
    cache_dir: Path = field(default_factory=default_cache_dir)
    log_dir: Path = field(default_factory=default_log_dir)  # where the rotating log lives
    # backups
    backup_codec: str = "zstd"  # zstd | gzip
    backup_level: int | None = None  # None = codec default (zstd 3, gzip 6)
    backup_keep: int = 5  # newest pre-upgrade backups kept after a successful upgrade
    backup_excludes: tuple[str, ...] = ()
    # Copy the deploy dir while the stack serves, then only what changed after the
    # stop (README "Backups"); false: the whole cold backup inside the stop.
    backup_precopy: bool = True
    # downloads
    download_retries: int = 5
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    # health gate
    health_timeout_s: float = 120.0
    health_settle_s: float = 10.0
    # stop: the compose file's stop_grace_period per service, at least this long (None: as is)
    stop_timeout_s: float | None = None
    # a service SIGKILLed during the stop: "warn" (go on, say so everywhere) or "refuse"
    # (start the unchanged old stack again, exit 1)
    unclean_stop: str = "warn"
    # None = follow the environment (LANGUAGE / LC_ALL / LC_MESSAGES / LANG)
    language: str | None = None
    # Apprise URLs told about every finished upgrade, rollback and restore
    notify: tuple[str, ...] = ()

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def catalogue_path(self) -> Path:
        return self.data_dir / "catalogue.sqlite3"

    @property
    def packages_dir(self) -> Path:
        return self.cache_dir / "packages"

    @property
    def state_dir(self) -> Path:
        return self.deploy_dir / STATE_DIR_NAME


_PATH_KEYS = {"deploy_dir", "data_dir", "cache_dir", "log_dir", "trusted_root"}
_TUPLE_KEYS = {"keep_paths", "backup_excludes"}


def _notify_urls(source: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(
            _("{source}: notify: expected a list of Apprise URLs").format(source=source)
        )
    for index, url in enumerate(value):
        # Never echo the value: an Apprise URL often holds a token or password.
        if not isinstance(url, str) or "://" not in url:
            raise ConfigError(
                _(
                    "{source}: notify[{index}]: expected an Apprise URL like "
                    "ntfy://ntfy.sh/topic or json://host/path"
                ).format(source=source, index=index)
            )
    return tuple(value)


# Sane bounds: a value past them is a typo, not a wish (10**23 retries, an
# infinite timeout that crashes httpx). Inclusive; floats must also be finite.
_RANGES: dict[str, tuple[float, float]] = {
    "connect_timeout_s": (0.001, 3600.0),
    "read_timeout_s": (0.001, 3600.0),
    "health_timeout_s": (0.0, 86400.0),
    "health_settle_s": (0.0, 3600.0),
    "download_retries": (0, 1000),
    "backup_keep": (0, 100000),
    "backup_level": (1, 22),
}
PROJECT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
# Linux's PATH_MAX and NAME_MAX: longer names fail in the OS with ENAMETOOLONG.
PATH_MAX = 4096
NAME_MAX = 255


def check_path_text(value: str, what: str) -> None:
    """A path string the OS can hold: no NUL byte, within PATH_MAX / NAME_MAX."""
    if "\x00" in value:
        raise ConfigError(_("{what}: a path cannot contain a NUL byte").format(what=what))
    try:
        encoded = os.fsencode(value)
    except UnicodeEncodeError:  # a lone surrogate: no file can have this name
        raise ConfigError(_("{what}: not a valid file name").format(what=what)) from None
    if len(encoded) > PATH_MAX or any(len(part) > NAME_MAX for part in encoded.split(b"/")):
        raise ConfigError(
            _("{what}: path too long (at most {name_max} bytes a name, {path_max} in all)").format(
                what=what, name_max=NAME_MAX, path_max=PATH_MAX
            )
        )


def _in_range(source: str, key: str, value: float) -> None:
    low, high = _RANGES.get(key, (0, float("inf")))
    if not (math.isfinite(value) and low <= value <= high):
        raise ConfigError(
            _("{source}: {key}: {value} is out of range ({low} to {high})").format(
                source=source, key=key, value=shorten(str(value), 30), low=low, high=high
            )
        )


def _coerce(source: str, key: str, value: Any, default: Any) -> Any:
    if key == "notify":
        return _notify_urls(source, value)
    if isinstance(value, str) and "\x00" in value:
        raise ConfigError(
            _("{source}: {key}: a NUL byte is not allowed").format(source=source, key=key)
        )
    if key in _PATH_KEYS:
        if not isinstance(value, str) or not value:
            raise ConfigError(
                _("{source}: {key}: expected a path string").format(source=source, key=key)
            )
        check_path_text(value, f"{source}: {key}")
        # Relative to the config file, never to the cwd: the same config must
        # name the same deploy dir from cron, from /, or from a home dir.
        return Path(source).parent / Path(os.path.expanduser(value))
    if key in _TUPLE_KEYS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(
                _("{source}: {key}: expected a list of strings").format(source=source, key=key)
            )
        try:
            paths = tuple(normalise_operation_path(v) for v in value)
        except ValueError as exc:
            raise ConfigError(f"{source}: {key}: {exc}") from None
        if key == "keep_paths" and any("/" in p for p in paths):
            # The full upgrade swaps whole top-level entries; a nested keep
            # path would silently go with its parent.
            raise ConfigError(
                _("{source}: keep_paths: only top-level names (like data, upload)").format(
                    source=source
                )
            )
        return paths
    if isinstance(default, bool) or key == "allow_unverified":
        if not isinstance(value, bool):
            raise ConfigError(
                _("{source}: {key}: expected true or false").format(source=source, key=key)
            )
        return value
    if isinstance(default, float) or key == "stop_timeout_s":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(
                _("{source}: {key}: expected a non-negative number").format(source=source, key=key)
            )
        _in_range(source, key, value)
        return float(value)
    if isinstance(default, int) or key == "backup_level":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(
                _("{source}: {key}: expected a non-negative integer").format(source=source, key=key)
            )
        _in_range(source, key, value)
        return value
    if not isinstance(value, str):
        raise ConfigError(_("{source}: {key}: expected a string").format(source=source, key=key))
    if key == "project_name" and not PROJECT_NAME.fullmatch(value):
        # Compose's own rule; refused here rather than by `docker compose` mid-upgrade.
        raise ConfigError(
            _(
                "{source}: project_name: {value!r} is not a compose project name (lower-case "
                "letters, digits, - and _, starting with a letter or digit)"
            ).format(source=source, value=shorten(value, 60))
        )
    return value


def load_settings(
    config_file: Path | None = None,
    *,
    deploy_dir: Path | None = None,
    manifest: str | None = None,
) -> Settings:
    """Defaults <- config file <- command-line overrides."""
    path = config_file or Path(os.environ.get("TUI_UPGRADER_CONFIG", "") or config_path())
    values: dict[str, Any] = {}
    if _exists(path):
        try:
            raw = tomllib.loads(read_capped(path, MAX_CONFIG_BYTES).decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(
                _("{path}: not UTF-8 text (byte {start})").format(path=path, start=exc.start)
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(_("{path}: invalid TOML: {exc}").format(path=path, exc=exc)) from exc
        except OSError as exc:
            raise ConfigError(
                _("{path}: cannot read: {strerror}").format(path=path, strerror=exc.strerror)
            ) from exc
        defaults = Settings()
        known = {f.name for f in fields(Settings)}
        for key, value in raw.items():
            if key not in known:
                raise ConfigError(_("{path}: unknown key {key!r}").format(path=path, key=key))
            values[key] = _coerce(str(path), key, value, getattr(defaults, key))
        source = values.get("manifest")
        if isinstance(source, str) and "://" not in source and not Path(source).is_absolute():
            values["manifest"] = str(path.parent / source)
        if values.get("backup_codec", "zstd") not in ("zstd", "gzip"):
            raise ConfigError(
                _("{path}: backup_codec: expected 'zstd' or 'gzip'").format(path=path)
            )
        if values.get("unclean_stop", "warn") not in UNCLEAN_STOP_CHOICES:
            raise ConfigError(
                _("{path}: unclean_stop: expected 'warn' or 'refuse'").format(path=path)
            )
        if values.get("language", ENGLISH) not in LANGUAGES:
            raise ConfigError(
                _("{path}: language: expected one of {languages}").format(
                    path=path, languages=", ".join(LANGUAGES)
                )
            )
        if values.get("backup_codec") == "gzip" and values.get("backup_level", 1) > 9:
            raise ConfigError(_("{path}: backup_level: gzip levels are 1 to 9").format(path=path))
        for key in ("data_dir", "cache_dir", "log_dir"):
            # Created later, on first use: a file there (or above it) must be a
            # config error now, not a NotADirectoryError half-way through a command.
            if key in values and (blocker := _file_in_the_way(values[key])) is not None:
                raise ConfigError(
                    _("{path}: {key}: {value} exists and is not a directory").format(
                        path=path, key=key, value=blocker
                    )
                )
    elif config_file is not None:
        raise ConfigError(_("{config_file}: config file not found").format(config_file=config_file))
    if deploy_dir is not None:
        check_path_text(str(deploy_dir), "--deploy-dir")
        # Relative to the cwd once, here: compose runs in the deploy dir and
        # would read a relative path against it a second time.
        deploy_dir = deploy_dir.absolute()
    if manifest is not None and "\x00" in manifest:
        raise ConfigError(_("--manifest: a NUL byte is not allowed"))
    settings = Settings(**values)
    if deploy_dir is not None:
        settings = replace(settings, deploy_dir=deploy_dir)
    if manifest is not None:
        settings = replace(settings, manifest=manifest)
    return settings


# A config is a few hundred bytes; /dev/zero as --config must not fill memory.
MAX_CONFIG_BYTES = 1024 * 1024


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError) as exc:  # ENAMETOOLONG, NUL byte, EACCES on a parent
        raise ConfigError(
            _("{path}: cannot use this path: {problem}").format(
                path=path, problem=getattr(exc, "strerror", None) or exc
            )
        ) from None


def _file_in_the_way(directory: Path) -> Path | None:
    """The nearest existing ancestor-or-self of ``directory`` when it is not a directory."""
    for candidate in (directory, *directory.parents):
        if _exists(candidate):
            return None if candidate.is_dir() else candidate
    return None


def write_initial_config(
    manifest: str,
    deploy_dir: Path,
    config_file: Path | None = None,
    trusted_root: Path | None = None,
    allow_unsigned: bool = False,
) -> Path:
    """First-run wizard: write a new config file. Never overwrites one."""
    import tomli_w

    path = config_file or config_path()
    if path.exists():
        raise ConfigError(_("{path}: already exists; edit it by hand").format(path=path))
    values: dict[str, str | bool] = {"manifest": manifest, "deploy_dir": str(deploy_dir)}
    if trusted_root is not None:
        values["trusted_root"] = str(trusted_root)
    if allow_unsigned:
        values["allow_unsigned"] = True
    body = tomli_w.dumps(values)
    atomic_write_bytes(path, b"# Written by tui-upgrader's first-run setup.\n" + body.encode())
    return path

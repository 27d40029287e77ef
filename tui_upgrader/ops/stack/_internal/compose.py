"""Docker Compose through its CLI: argument lists only, never a shell.

Discovery order: ``docker compose`` (v2 plugin), a ``docker-compose`` v2
binary, then legacy ``docker-compose`` v1 with a warning (v1 has no JSON
output, so it only gets service names). Every call names the compose file,
the project directory and, when a ``.env`` exists, ``--env-file`` explicitly,
so the working directory of this process never matters. The engine is named
explicitly too (``DOCKER_HOST`` or ``DOCKER_CONTEXT``, resolved once with the
SDK's ``resolve_engine``), so compose and the SDK always talk to the same one,
local, ``tcp://`` or ``ssh://``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_upgrader.core.errors import ComposeError, EngineUnavailableError
from tui_upgrader.core.host_access import host_access
from tui_upgrader.core.i18n import _
from tui_upgrader.core.paths import COMPOSE_FILE_NAMES
from tui_upgrader.core.redact import Redactor
from tui_upgrader.core.stack import ServiceSpec
from tui_upgrader.ops.deploy_files import find_compose_file, find_override_file
from tui_upgrader.ops.images.engine import EngineTarget, resolve_engine
from tui_upgrader.ops.logsetup import active_redactor, learn_env_secrets

logger = logging.getLogger(__name__)

ENGINE_GONE = "Cannot connect to the Docker daemon"  # what the docker CLI and compose say

# Compose's own search order.
DEFAULT_TIMEOUT_S = 600.0
_SWARM_RESTART = {"any": "always", "on-failure": "on-failure", "none": "no"}


@dataclass(frozen=True, slots=True)
class ComposeCli:
    argv: tuple[str, ...]  # e.g. ("/usr/bin/docker", "compose")
    version: str  # e.g. "2.40.3"
    legacy: bool  # docker-compose v1 (Python): no JSON output

    def describe(self) -> str:
        return f"{' '.join(self.argv)} {self.version}" + (" (legacy v1)" if self.legacy else "")


def _version_of(argv: list[str]) -> str | None:
    try:
        proc = subprocess.run(
            [*argv, "version", "--short"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.debug("%s: %s", argv, exc)
        return None
    if proc.returncode != 0:
        return None
    version = proc.stdout.strip().removeprefix("v")
    return version if re.match(r"^\d+\.\d+", version) else None


KEPT_VARIABLES = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "LANG", "TMPDIR", "XDG_RUNTIME_DIR", "TZ"}
    # An ssh:// engine: compose runs ssh, which needs the agent.
    | {"SSH_AUTH_SOCK", "SSH_AGENT_PID"}
)
KEPT_PREFIXES = ("DOCKER_", "COMPOSE_", "LC_")


def minimal_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables compose and the docker CLI need: engine, config, locale, ssh agent."""
    return {
        key: value
        for key, value in environ.items()
        if key in KEPT_VARIABLES or key.startswith(KEPT_PREFIXES)
    }


def discover_compose() -> ComposeCli:
    """The best compose CLI on PATH; ComposeError when there is none."""
    docker_bin = shutil.which("docker")
    if docker_bin is not None:
        version = _version_of([docker_bin, "compose"])
        if version is not None:
            return ComposeCli((docker_bin, "compose"), version, legacy=False)
    standalone = shutil.which("docker-compose")
    if standalone is not None:
        version = _version_of([standalone])
        if version is not None:
            legacy = int(version.split(".")[0]) < 2
            if legacy:
                logger.warning(
                    "only legacy docker-compose %s found; install the compose v2 plugin", version
                )
            return ComposeCli((standalone,), version, legacy=legacy)
    raise ComposeError(
        _(
            "no Docker Compose found: neither `docker compose` nor "
            "`docker-compose` runs; install the compose v2 plugin (see "
            "scripts/setup_engine.sh)"
        )
    )


def compose_file_in(project_dir: Path) -> Path:
    found = find_compose_file(project_dir)
    if found is None:
        names = " or ".join(COMPOSE_FILE_NAMES)
        raise ComposeError(
            _("no compose file ({names}) in {project_dir}").format(
                names=names, project_dir=project_dir
            )
        )
    return found


def _stderr_reason(proc: subprocess.CompletedProcess[str]) -> str:
    """The last line compose wrote: its error; earlier lines are progress."""
    for stream in (proc.stderr, proc.stdout):
        lines = [line.strip() for line in (stream or "").splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return f"exit status {proc.returncode}"


def legacy_project_name(project_dir: Path) -> str:
    """What compose v1 derives from a directory name."""
    return re.sub(r"[^a-z0-9_-]", "", project_dir.resolve().name.lower()) or "default"


def service_spec(name: str, body: dict[str, Any], project_dir: Path | None = None) -> ServiceSpec:
    restart = body.get("restart")
    if restart is None:
        condition = ((body.get("deploy") or {}).get("restart_policy") or {}).get("condition")
        restart = _SWARM_RESTART.get(str(condition), "no") if condition else "no"
    health = body.get("healthcheck") or {}
    has_check = bool(health.get("test")) and not health.get("disable", False)
    if health.get("test") in (["NONE"], "NONE"):
        has_check = False
    access = host_access(body, str(project_dir)) if project_dir is not None else ()
    return ServiceSpec(name, body.get("image"), str(restart), has_check, access)


class Compose:
    """One project directory's compose stack."""

    def __init__(
        self,
        cli: ComposeCli,
        project_dir: Path,
        project_name: str | None = None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        engine: EngineTarget | None = None,
        config_cache: dict[tuple[object, ...], dict[str, Any]] | None = None,
    ) -> None:
        self.cli = cli
        self.project_dir = project_dir
        self.explicit_name = project_name
        self.timeout_s = timeout_s
        self._engine = engine
        # Shared by the Compose objects of one run (RealDocker's): an unchanged
        # compose file is not parsed again by a process each time a name is needed.
        self._config_cache = config_cache

    @property
    def engine(self) -> EngineTarget:
        if self._engine is None:
            self._engine = resolve_engine()
        return self._engine

    def environ(self) -> dict[str, str]:
        """The environment compose runs in: what it needs of this process's, with the
        engine named. Not the whole of it: compose interpolates the compose file
        from the environment before ``.env``, so any variable root happens to
        have (a token in a cron job's env, ``PORT``, ``IMAGE``) would win."""
        return {**self.engine.environ(minimal_environ(os.environ)), "COMPOSE_ANSI": "never"}

    def argv(self, *args: str) -> list[str]:
        argv = [*self.cli.argv, "--project-directory", str(self.project_dir)]
        argv += ["-f", str(compose_file_in(self.project_dir))]
        override = find_override_file(self.project_dir)
        if override is not None:
            # An explicit -f turns off compose's own override lookup: pass it too.
            argv += ["-f", str(override)]
        env_file = self.project_dir / ".env"
        if env_file.is_file():
            argv += ["--env-file", str(env_file)]
        if self.explicit_name:
            argv += ["-p", self.explicit_name]
        return [*argv, *args]

    def run(self, *args: str, timeout_s: float | None = None) -> subprocess.CompletedProcess[str]:
        argv = self.argv(*args)
        what = f"docker compose {args[0] if args else ''} in {self.project_dir}"
        env = self.environ()
        logger.info("running %s on %s", argv, self.engine.describe())
        try:
            proc = subprocess.run(
                argv,
                cwd=self.project_dir,
                env=env,
                # No terminal: the ssh of an ssh:// engine must fail, not prompt on
                # the screen the TUI owns, and Ctrl-C is the engine's to interpret.
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                capture_output=True,
                text=True,
                timeout=timeout_s or self.timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ComposeError(
                _("{what} timed out after {timeout:.0f}s").format(what=what, timeout=exc.timeout)
            ) from exc
        except OSError as exc:
            raise ComposeError(
                _("{what}: cannot run {argv}: {strerror}").format(
                    what=what, argv=argv[0], strerror=exc.strerror
                )
            ) from exc
        if proc.returncode != 0:
            # Compose quotes interpolated .env values in its errors (`cpus:
            # ${SECRET}` -> 'parsing "s3cret": invalid syntax'): mask them before
            # the text leaves this method, whoever called it (upgrade, backup, TUI).
            mask = self._secrets()
            logger.error(
                "%s failed (%d): %s", what, proc.returncode, mask.redact(proc.stderr.strip())
            )
            reason = mask.redact(_stderr_reason(proc))
            text = _("{what} failed: {redact}").format(what=what, redact=reason)
            if ENGINE_GONE in proc.stderr:
                # Not the stack's fault: the engine restarted or went away under compose.
                raise EngineUnavailableError(text)
            raise ComposeError(text)
        return proc

    def _secrets(self) -> Redactor:
        # The project may be a staged release whose .env nobody has read yet.
        return learn_env_secrets(Redactor(active_redactor().values), self.project_dir)

    # --- commands ---------------------------------------------------------------

    def up(self) -> None:
        self.run("up", "-d", "--remove-orphans")

    def down(self) -> None:
        # Never --volumes: named volumes hold the service's data.
        self.run("down", "--remove-orphans")

    def stop(self) -> None:
        self.run("stop")

    def config(self) -> dict[str, Any]:
        """The resolved compose model (``config --format json``); v2 only."""
        if self.cli.legacy:
            raise ComposeError(
                _("legacy {describe} cannot print the config as JSON").format(
                    describe=self.cli.describe()
                )
            )
        key = self._config_key()
        if self._config_cache is not None and key in self._config_cache:
            return self._config_cache[key]
        out = self.run("config", "--format", "json").stdout
        try:
            model: dict[str, Any] = json.loads(out)
        except json.JSONDecodeError as exc:
            raise ComposeError(
                _("docker compose config in {project_dir}: bad JSON: {exc}").format(
                    project_dir=self.project_dir, exc=exc
                )
            ) from exc
        if self._config_cache is not None:
            self._config_cache[key] = model
        return model

    def _config_key(self) -> tuple[object, ...]:
        """What ``config`` reads: the files by identity and version (an apply renames
        new ones into place), the options and the engine."""
        files = [compose_file_in(self.project_dir), find_override_file(self.project_dir)]
        stats: list[object] = []
        for path in [*files, self.project_dir / ".env"]:
            try:
                st = path.stat() if path is not None else None
            except FileNotFoundError:
                st = None
            stats.append((str(path), st.st_ino, st.st_mtime_ns, st.st_size) if st else None)
        return (str(self.project_dir), self.explicit_name, *stats)

    def services(self) -> list[ServiceSpec]:
        if self.cli.legacy:
            names = self.run("config", "--services").stdout.split()
            return [ServiceSpec(name, None) for name in names]
        body = self.config().get("services") or {}
        return [
            service_spec(name, body[name], self.project_dir.absolute()) for name in sorted(body)
        ]

    def project_and_services(self) -> tuple[str, list[ServiceSpec]]:
        """Both from one ``config`` call (the health gate needs both)."""
        if self.cli.legacy:
            return self.project_name(), self.services()
        model = self.config()
        body = model.get("services") or {}
        name = self.explicit_name or str(model["name"])
        return name, [service_spec(n, body[n], self.project_dir.absolute()) for n in sorted(body)]

    def project_name(self) -> str:
        """``-p``/config, else the compose ``name:``, else the directory name."""
        if self.explicit_name:
            return self.explicit_name
        if self.cli.legacy:
            return os.environ.get("COMPOSE_PROJECT_NAME") or legacy_project_name(self.project_dir)
        return str(self.config()["name"])

    def ps(self, *, all_states: bool = True) -> list[dict[str, Any]]:
        """Containers of the project as compose reports them (v2 JSON)."""
        if self.cli.legacy:
            ids = self.run("ps", "-q", *(["-a"] if all_states else [])).stdout.split()
            return [{"ID": cid} for cid in ids]
        out = self.run("ps", "--format", "json", *(["-a"] if all_states else [])).stdout.strip()
        if not out:
            return []
        # Compose < 2.21 printed one JSON array; newer versions one object per line.
        if out.startswith("["):
            rows: list[dict[str, Any]] = json.loads(out)
            return rows
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def logs(self, service: str, *, tail: int = 20) -> str:
        # "--": a service named "-f" (or "--follow") is a name, not a flag.
        return self.run("logs", "--no-color", "--tail", str(tail), "--", service).stdout

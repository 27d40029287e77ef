"""The Docker engine through the ``docker`` SDK: connect, tag, inspect (pulls: ``pull``).

Image loading with progress lives in ``ops.images.load``. Every SDK exception is
translated here into ``DockerError`` / ``EngineUnavailableError`` with one line
that names the operation and the engine.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests
from docker.context import ContextAPI
from docker.context.config import get_current_context_name
from docker.tls import TLSConfig
from docker.utils import parse_repository_tag
from docker.utils.config import find_config_file

from tui_upgrader.core.engine_api import choose_api_version
from tui_upgrader.core.errors import DockerError, EngineUnavailableError, EngineVersionError
from tui_upgrader.core.i18n import _

logger = logging.getLogger(__name__)

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
DEFAULT_TIMEOUT_S = 60
ARCH_TAG_SUFFIXES = ("-amd64", "-arm64", "-x86_64", "-aarch64")


# --- connecting ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EngineTarget:
    """The one engine both the SDK and compose talk to, found as the Docker CLI finds it.

    ``DOCKER_HOST`` first (it wins over ``DOCKER_CONTEXT``, as in the CLI), then
    ``DOCKER_CONTEXT`` / the ``currentContext`` of ~/.docker/config.json, then
    the default socket. ``context`` is the context's name when one was used.
    """

    host: str
    context: str | None = None
    tls: TLSConfig | None = field(default=None, compare=False)

    def describe(self) -> str:
        return f"{self.host} (Docker context {self.context})" if self.context else self.host

    def environ(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` with exactly this engine named, for the SDK and for compose."""
        env = {k: v for k, v in base.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
        # Named explicitly either way, so a currentContext in ~/.docker/config.json
        # cannot send compose elsewhere than the SDK.
        if self.context is not None:
            env["DOCKER_CONTEXT"] = self.context
        else:
            env["DOCKER_HOST"] = self.host
        return env

    @property
    def is_ssh(self) -> bool:
        return self.host.startswith("ssh://")


def resolve_engine(environ: Mapping[str, str] | None = None) -> EngineTarget:
    env = os.environ if environ is None else environ
    if env.get("DOCKER_HOST"):
        return EngineTarget(env["DOCKER_HOST"])
    name = env.get("DOCKER_CONTEXT") or get_current_context_name()
    if not name or name == "default":
        return EngineTarget(DEFAULT_SOCKET)
    try:
        found = _load_context(name, env)
    except (docker.errors.DockerException, OSError, ValueError, KeyError) as exc:
        raise EngineUnavailableError(
            _("cannot read the Docker context {name!r}: {exc}").format(name=name, exc=exc)
        ) from exc
    if found is None:
        raise EngineUnavailableError(
            _(
                "the Docker context {name!r} (DOCKER_CONTEXT or `docker context "
                "use`) does not exist: `docker context ls` lists the ones there "
                "are"
            ).format(name=name)
        )
    return EngineTarget(found[0], name, found[1])


def _load_context(name: str, env: Mapping[str, str]) -> tuple[str, TLSConfig | None] | None:
    """(host, TLS) of the context ``name``, or None when there is no such context.

    The SDK finds the context store next to ~/.docker/config.json and looks in
    ./contexts when that file does not exist (a fresh machine where `docker
    context create` ran but `docker context use` did not): it would miss the
    context and silently fall back to the local socket, while compose (the
    docker CLI) uses the context. Without a config file we read the CLI's store
    ourselves, as the CLI does.
    """
    if find_config_file() is not None:
        context = ContextAPI.get_context(name)
        if context is None:
            return None
        return str(context.Host or DEFAULT_SOCKET), context.TLSConfig
    store = Path(env.get("DOCKER_CONFIG") or Path.home() / ".docker") / "contexts"
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta_file = store / "meta" / digest / "meta.json"
    if not meta_file.is_file():
        return None
    endpoint = json.loads(meta_file.read_text(encoding="utf-8"))["Endpoints"]["docker"]
    tls_dir = store / "tls" / digest / "docker"
    pem = {p.name[:-4]: str(p) for p in tls_dir.glob("*.pem")} if tls_dir.is_dir() else {}
    tls = None
    if {"ca", "cert", "key"} <= pem.keys():
        verify = None if endpoint.get("SkipTLSVerify", False) else True
        tls = TLSConfig(client_cert=(pem["cert"], pem["key"]), ca_cert=pem["ca"], verify=verify)
    return str(endpoint.get("Host") or DEFAULT_SOCKET), tls


def engine_host(environ: Mapping[str, str] | None = None) -> str:
    """The engine address the SDK will try, as the Docker CLI would pick it."""
    try:
        return resolve_engine(environ).host
    except EngineUnavailableError as exc:
        logger.warning("%s", exc)
        return DEFAULT_SOCKET


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, its causes, and the exceptions requests/urllib3 (``args``) and
    paramiko (``errors``: one per address tried) tuck away."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        cur = todo.pop()
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        todo += [e for e in (cur.__cause__, cur.__context__) if e is not None]
        for arg in cur.args:
            todo += [
                a
                for a in (arg if isinstance(arg, tuple) else (arg,))
                if isinstance(a, BaseException)
            ]
        per_address = getattr(cur, "errors", None)
        if isinstance(per_address, dict):
            todo += [e for e in per_address.values() if isinstance(e, BaseException)]


def _root_cause(exc: BaseException) -> str:
    """The most telling reason in an exception chain (the OSError, usually)."""
    for cur in _chain(exc):
        if isinstance(cur, FileNotFoundError):
            return "socket not found"
        if isinstance(cur, PermissionError):
            return "permission denied (run as root or join the docker group)"
        if isinstance(cur, ConnectionRefusedError):
            return "connection refused"
    for cur in _chain(exc):
        if isinstance(cur, OSError) and cur.strerror:
            return cur.strerror.lower()
    text = str(exc)
    return text.rsplit(": ", 1)[-1] if text else type(exc).__name__


def unavailable(target: EngineTarget | str, exc: BaseException) -> EngineUnavailableError:
    if isinstance(target, str):
        target = EngineTarget(target)
    if target.is_ssh:
        hint = _(
            "check that `ssh HOST docker version` works without a prompt (key in the agent "
            "or ~/.ssh/config, host key in ~/.ssh/known_hosts)"
        )
    else:
        hint = _("start it (e.g. `systemctl start docker`)")
    via = _(" (Docker context {name})").format(name=target.context) if target.context else ""
    return EngineUnavailableError(
        _(
            "no Docker engine answers at {host}: {cause}{via}; {hint} "
            "or point DOCKER_HOST / `docker context use` at it"
        ).format(host=target.host, cause=_root_cause(exc), via=via, hint=hint)
    )


def connect(
    timeout_s: int = DEFAULT_TIMEOUT_S, target: EngineTarget | None = None
) -> docker.DockerClient:
    """A client for the engine DOCKER_HOST or the current context names.

    The API version is the engine's newest, capped at the newest tested
    (core.engine_api: a clear error when the engine is too old or too new). ``ssh://``
    engines go through paramiko (the SDK's own transport): unlike the SDK's
    shell-out to ``ssh`` it never prompts and never writes to the terminal the
    TUI owns, and its failures say why.
    """
    target = target or resolve_engine()
    client = _connect(target, timeout_s, None)
    chosen = _api_version(client, target)
    if chosen != client.api.api_version:
        client.close()
        client = _connect(target, timeout_s, chosen)
    logger.info(
        "connected to Docker engine at %s (API %s)", target.describe(), client.api.api_version
    )
    return client


def _api_version(client: docker.DockerClient, target: EngineTarget) -> str:
    """The engine's newest API version capped at the newest tested (core.engine_api)."""
    try:
        answer: dict[str, Any] = client.api.version(api_version=False)
    except Exception as exc:  # as in _connect: whatever the transport raises
        client.close()
        raise unavailable(target, exc) from exc
    server_max = str(answer.get("ApiVersion") or client.api.api_version)
    server_min = answer.get("MinAPIVersion")
    try:
        return choose_api_version(
            server_max, str(server_min) if server_min else None, target.describe()
        )
    except EngineVersionError:
        client.close()
        raise


def _connect(target: EngineTarget, timeout_s: int, version: str | None) -> docker.DockerClient:
    """Open and ping; ``version`` None: the engine's newest (docker-py asks it)."""
    try:
        if target.context is not None:
            client = docker.DockerClient(
                base_url=target.host, tls=target.tls or False, timeout=timeout_s, version=version
            )
        else:  # DOCKER_HOST, with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH as the CLI reads them
            client = docker.from_env(
                version=version, timeout=timeout_s, environment=target.environ(os.environ)
            )
        client.ping()
    except docker.errors.DockerException as exc:
        if "paramiko" in str(exc):
            raise EngineUnavailableError(
                _("{describe}: an ssh:// engine needs paramiko: pip install paramiko").format(
                    describe=target.describe()
                )
            ) from exc
        raise unavailable(target, exc) from exc
    except Exception as exc:  # socket errors via requests, paramiko's SSHException ...
        logger.debug("connecting to %s", target.describe(), exc_info=True)
        raise unavailable(target, exc) from exc
    return client


@contextlib.contextmanager
def docker_errors(what: str) -> Iterator[None]:
    """Translate SDK failures in the block into ``DockerError``: '<what>: <reason>'."""
    try:
        yield
    except docker.errors.APIError as exc:
        reason = exc.explanation or str(exc)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise DockerError(f"{what}: {reason}") from exc
    except docker.errors.DockerException as exc:
        raise DockerError(f"{what}: {exc}") from exc
    except requests.exceptions.ConnectionError as exc:
        raise lost(what, exc) from exc
    except (ConnectionError, OSError) as exc:
        raise DockerError(f"{what}: {_root_cause(exc)}") from exc


def lost(what: str, exc: BaseException) -> EngineUnavailableError:
    """The engine went away mid-operation (restarted, socket removed): say which and where."""
    return EngineUnavailableError(
        f"{what}: no Docker engine answers at {engine_host()} ({_root_cause(exc)})"
    )


def api(client: docker.DockerClient) -> Any:
    """The low-level API client; the stubs leave most of it untyped."""
    return client.api


# --- references and tags ----------------------------------------------------------


def split_ref(ref: str) -> tuple[str, str | None]:
    """'host:5000/a/b:1.0' -> ('host:5000/a/b', '1.0'); digests stay in the repo part."""
    repo, tag = parse_repository_tag(ref)
    return repo, tag


def with_tag(ref: str) -> str:
    """'app' -> 'app:latest', as the engine reads a reference without a tag."""
    if "@" in ref:
        return ref
    repo, tag = split_ref(ref)
    return f"{repo}:{tag or 'latest'}"


def normalise_ref(ref: str) -> str:
    """Drop an architecture suffix from the tag as the original did.

    'app:1.2.0-amd64' -> 'app:1.2.0'; 'app:-arm64' -> 'app:latest'; no tag -> ':latest'.
    """
    if "@" in ref:
        return ref
    repo, tag = split_ref(ref)
    tag = tag or "latest"
    for suffix in ARCH_TAG_SUFFIXES:
        if tag.endswith(suffix):
            tag = tag[: -len(suffix)] or "latest"
            break
    return f"{repo}:{tag}"


def tag_image(client: docker.DockerClient, source: str, target: str) -> bool:
    """``docker tag source target``; False (nothing done) when the names are equal."""
    if source == target:
        return False
    repo, tag = split_ref(target)
    with docker_errors(f"tagging {source} as {target}"):
        if not api(client).tag(source, repo, tag or "latest", force=True):
            raise DockerError(
                _("tagging {source} as {target}: the engine refused").format(
                    source=source, target=target
                )
            )
    logger.info("tagged %s as %s", source, target)
    return True


def image_id(client: docker.DockerClient, ref: str) -> str | None:
    """The image ID ``ref`` points at, or None when the engine has no such image."""
    try:
        return str(api(client).inspect_image(ref)["Id"])
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.NotFound:
        return None
    except docker.errors.APIError as exc:
        # A malformed reference is an answer too: no such image.
        if exc.status_code == 400:
            return None
        raise DockerError(
            _("inspecting image {ref}: {value}").format(ref=ref, value=exc.explanation or exc)
        ) from exc
    except docker.errors.DockerException as exc:
        raise DockerError(_("inspecting image {ref}: {exc}").format(ref=ref, exc=exc)) from exc
    except requests.exceptions.ConnectionError as exc:
        raise lost(f"inspecting image {ref}", exc) from exc


# --- pull -----------------------------------------------------------------------------


def event_error(event: Mapping[str, Any]) -> str | None:
    if "error" not in event and "errorDetail" not in event:
        return None
    detail = event.get("errorDetail") or {}
    return str(event.get("error") or detail.get("message") or "unknown engine error")

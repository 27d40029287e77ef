"""The Docker engine through the ``docker`` SDK: connect, tag, inspect (pulls: ``pull``).

Image loading with progress lives in ``ops.images.load``. Every SDK exception is
translated here into ``DockerError`` / ``EngineUnavailableError`` with one line
that names the operation and the engine.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any

import docker
import docker.errors
from docker.context import ContextAPI
from docker.utils import parse_repository_tag

from tui_upgrader.core.errors import DockerError, EngineUnavailableError
from tui_upgrader.core.i18n import _

logger = logging.getLogger(__name__)

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
DEFAULT_TIMEOUT_S = 60
ARCH_TAG_SUFFIXES = ("-amd64", "-arm64", "-x86_64", "-aarch64")


# --- connecting ---------------------------------------------------------------


def engine_host(environ: Mapping[str, str] | None = None) -> str:
    """The engine address the SDK will try, as the Docker CLI would pick it.

    ``DOCKER_HOST`` first, then ``DOCKER_CONTEXT`` / the ``currentContext`` of
    ~/.docker/config.json, then the default socket.
    """
    env = os.environ if environ is None else environ
    if env.get("DOCKER_HOST"):
        return env["DOCKER_HOST"]
    try:
        host = ContextAPI.kwargs_from_context(environment=env).get("base_url")
    except docker.errors.DockerException as exc:
        logger.warning("cannot read the Docker context: %s", exc)
        host = None
    return str(host) if host else DEFAULT_SOCKET


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, its causes, and the exceptions requests/urllib3 tuck into ``args``."""
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


def _root_cause(exc: BaseException) -> str:
    """The most telling reason in an exception chain (the OSError, usually)."""
    for cur in _chain(exc):
        if isinstance(cur, FileNotFoundError):
            return "socket not found"
        if isinstance(cur, PermissionError):
            return "permission denied (run as root or join the docker group)"
        if isinstance(cur, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cur, OSError) and cur.strerror:
            return cur.strerror.lower()
    text = str(exc)
    return text.rsplit(": ", 1)[-1] if text else type(exc).__name__


def unavailable(host: str, exc: BaseException) -> EngineUnavailableError:
    return EngineUnavailableError(
        _(
            "no Docker engine answers at {host}: {cause}; start it "
            "(e.g. `systemctl start docker`) or point DOCKER_HOST / `docker "
            "context use` at it"
        ).format(host=host, cause=_root_cause(exc))
    )


def connect(timeout_s: int = DEFAULT_TIMEOUT_S) -> docker.DockerClient:
    """A client for the engine DOCKER_HOST or the current context names.

    The API version is negotiated with the engine, never pinned.
    """
    host = engine_host()
    try:
        client = docker.from_env(timeout=timeout_s)
        client.ping()
    except docker.errors.DockerException as exc:
        raise unavailable(host, exc) from exc
    except OSError as exc:  # requests may surface socket errors directly
        raise unavailable(host, exc) from exc
    logger.info("connected to Docker engine at %s (API %s)", host, client.api.api_version)
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
    except (ConnectionError, OSError) as exc:
        raise DockerError(f"{what}: {_root_cause(exc)}") from exc


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


# --- pull -----------------------------------------------------------------------------


def event_error(event: Mapping[str, Any]) -> str | None:
    if "error" not in event and "errorDetail" not in event:
        return None
    detail = event.get("errorDetail") or {}
    return str(event.get("error") or detail.get("message") or "unknown engine error")

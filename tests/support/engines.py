"""Which engine the engine tests run on (pytest plugin, see tests/conftest.py).

``--engine`` (or ``$TUI_UPGRADER_TEST_ENGINE``) picks one of ``ENGINES``:

    20.10          the system engine (default; DOCKER_HOST is left as it is)
    26-classic     a private Docker 26.1 with the classic graph-driver store
    26-containerd  a private Docker 26.1 with the containerd image store

A private engine is started once for the session (tests/faults/private_engine.py,
from the tree scripts/setup_docker26.sh unpacks) and stopped at the end; it has
its own socket, data root, exec root, pid file and managed containerd, so the
system engine's state is never touched. ``DOCKER_HOST`` is pointed at it for the
whole session, so the SDK, ``docker compose`` and every CLI run the tests start
talk to it. It cannot start: the run stops with an error (never skips).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.private_engine import Binaries, PrivateEngine, dispose

SYSTEM = "20.10"
ENGINES = (SYSTEM, "26-classic", "26-containerd")
ENGINE_ENV = "TUI_UPGRADER_TEST_ENGINE"
CACHE_ENV = "TUI_UPGRADER_DOCKER26_CACHE"
DEFAULT_CACHE = Path("/var/cache/tui-upgrader/docker26")


@dataclass
class Selection:
    name: str = SYSTEM
    engine: PrivateEngine | None = None
    host_before: str | None = None

    @property
    def containerd_store(self) -> bool:
        return self.name.endswith("-containerd")

    def binaries(self) -> Binaries:
        """What a test's own private dockerd (fault suite) should run: the same engine."""
        if self.name == SYSTEM:
            return Binaries()
        return Binaries(docker26_root(), containerd_store=self.containerd_store)


_selection = Selection()


def selected() -> Selection:
    return _selection


def docker26_root() -> Path:
    root = Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE) / "root"
    if not (root / "usr/sbin/dockerd").is_file():
        raise pytest.UsageError(
            f"no Docker 26 in {root}: run `sudo scripts/setup_docker26.sh` "
            "(scripts/setup_engine.sh runs it too)"
        )
    return root


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine",
        choices=ENGINES,
        default=os.environ.get(ENGINE_ENV) or SYSTEM,
        help=f"engine for the engine tests (default: ${ENGINE_ENV} or {SYSTEM}, the system's)",
    )


def pytest_configure(config: pytest.Config) -> None:
    name = str(config.getoption("--engine"))
    if name not in ENGINES:
        raise pytest.UsageError(f"{ENGINE_ENV}={name!r}: expected one of {', '.join(ENGINES)}")
    _selection.name = name
    if name == SYSTEM or hasattr(config, "workerinput"):
        return
    root = Path(tempfile.mkdtemp(prefix=f"tuie{name[3:6]}-", dir="/tmp"))
    engine = PrivateEngine(root, _selection.binaries())
    try:
        engine.start()
    except AssertionError as exc:
        raise pytest.UsageError(f"the private Docker {name} engine did not start: {exc}") from exc
    _selection.engine = engine
    _selection.host_before = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = engine.host


def pytest_unconfigure(config: pytest.Config) -> None:
    engine = _selection.engine
    if engine is None:
        return
    if _selection.host_before is None:
        os.environ.pop("DOCKER_HOST", None)
    else:
        os.environ["DOCKER_HOST"] = _selection.host_before
    _selection.engine = None
    dispose(engine)


def pytest_report_header(config: pytest.Config) -> str:
    engine = _selection.engine
    if engine is None:
        return f"engine: {SYSTEM} (system, DOCKER_HOST={os.environ.get('DOCKER_HOST', 'unset')})"
    store = "containerd image store" if _selection.containerd_store else "classic store"
    return f"engine: private Docker {_selection.name} ({store}) at {engine.host}"

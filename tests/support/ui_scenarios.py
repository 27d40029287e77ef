"""Demo-like, deterministic fixtures shared by the UI tests, snapshots and screenshots.

Everything time-based comes from a FrozenClock, plans are built with the real
``decide`` (no network), and the runner is scripted so a snapshot can be taken
at an exact point of an upgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

from tests.support.fakes import FakeDocker
from tests.support.ui_scripted import SUCCESS, ScriptedRunner, happy_events
from tui_upgrader.core.arch import Arch
from tui_upgrader.core.events import (
    ResultEvent,
    Step,
)
from tui_upgrader.core.manifest import parse_manifest
from tui_upgrader.core.strategy import Deployment, decide
from tui_upgrader.core.trust import TrustSummary
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.backup.catalogue import Kind, Status
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade.journal import Journal
from tui_upgrader.ops.upgrade.planning import Plan
from tui_upgrader.ui.app import UpgraderApp
from tui_upgrader.ui.deps import FrozenClock, UiDeps

NOW = datetime(2026, 6, 4, 9, 30, tzinfo=UTC)
SOURCE = "http://127.0.0.1:8765/manifest.json"
SHA = "3f" * 32
NOTES = """\
## What's new in 1.5.0

- **Faster start-up**: the app container is ready in half the time.
- New `worker` service for background jobs.
- Config: `MAX_UPLOAD_MB` is now read from `.env` (default 64).

### Upgrade notes

The database schema changes; a pre-upgrade backup is made before the apply step.
"""


def manifest_doc(version: str = "1.5.0", **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": version,
        "release_date": "2026-06-01T10:00:00Z",
        "release_notes": NOTES,
        "packages": {"full": {"url": "/releases/1.5.0/full.zip", "hash": SHA, "size": 48 << 20}},
        "platforms": {
            "x86_64": {"url": f"/releases/{version}/x86_64.zip", "hash": f"sha256:{SHA}",
                       "size": 46 << 20},
            "aarch64": {"url": f"https://mirror.example.org/{version}/aarch64.zip",
                        "hash": "external", "size": 45 << 20},
        },
    }  # fmt: skip
    doc.update(extra)
    return doc


def patch_section(version: str) -> dict[str, Any]:
    return {
        "x86_64": {
            "url": f"/releases/{version}/patch-x86_64.zip",
            "hash": f"sha256:{SHA}",
            "size": 3 << 20,
            "notes": "hotfix for the upload limit",
            "operations": {
                "replace": {"files": ["app/server.js", "config/app.toml"], "directories": []},
                "delete": {"files": ["app/legacy.js"], "directories": []},
            },
        }
    }


# A fixed signature, so screenshots do not change with the clock.
SIGNED = TrustSummary(
    signed=True,
    key_id="5c1f0e9a7b3d2c4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e",
    expires=datetime(2026, 12, 9, 12, 0, tzinfo=UTC),
    root_version=1,
    metadata_bytes=2061,
)


def make_plan(installed: str | None = "1.4.2", doc: dict[str, Any] | None = None) -> Plan:
    manifest = parse_manifest(doc or manifest_doc())
    current = Version.parse(installed) if installed else None
    decision = decide(current, manifest, Deployment(current, installed is not None), Arch.X86_64)
    # As planning sets it: the architecture the engine reported.
    decision = replace(decision, arch_source="engine")
    # Three past upgrades of this deploy dir: the progress screen predicts the downtime.
    return Plan(
        manifest=manifest,
        decision=decision,
        source=SOURCE,
        trust=SIGNED,
        past_downtimes=(13.1, 15.8, 14.2),
    )


def unsigned_plan() -> Plan:
    """allow_unsigned = true and a store without TUF metadata."""

    from tui_upgrader.core.i18n import _
    from tui_upgrader.core.trust import UNSIGNED, UNSIGNED_WARNING

    plan = make_plan()
    # As ops.upgrade.planning adds it: translated where it is built.
    warnings = (_(UNSIGNED_WARNING), *plan.decision.warnings)
    return replace(plan, trust=UNSIGNED, decision=replace(plan.decision, warnings=warnings))


def patch_plan() -> Plan:
    return make_plan("1.5.0", manifest_doc("1.5.0.1", patch=patch_section("1.5.0.1")))


def blocked_plan() -> Plan:
    return make_plan("1.2.0", manifest_doc(min_version="1.4.0"))


SCENE_DEPLOY_DIR = Path("/srv/demo")

# id order = insertion order: (age in days, kind, version, status, archive on disk)
_SCENE_BACKUPS: tuple[tuple[float, Kind, str, Status, bool], ...] = (
    (40, "manual", "1.3.0", "completed", False),
    (12, "pre-upgrade", "1.4.0", "completed", True),
    (5.2, "pre-upgrade", "1.4.1", "failed", True),
    (0.3, "manual", "1.4.2", "completed", True),
)


def backup_store(data_dir: Path) -> BackupStore:
    """A real store whose catalogue holds the scenes' backups #1-#4 of /srv/demo.

    Written through the catalogue, not ``create``: the records need fixed ages,
    sizes and a failed one. #1's archive is absent (the screen says MISSING);
    the others are a few bytes, enough for ``archive_exists``.
    """
    store = BackupStore(store_settings(data_dir))
    if store.catalogue.all():
        raise AssertionError(f"{data_dir}: seeded twice, the ids would not be #1-#4")
    insert = partial(
        store.catalogue.insert, codec="zstd", note="", from_version=None, to_version=None
    )
    for days, kind, version, status, present in _SCENE_BACKUPS:

        def name(i: int, _created: datetime, kind: str = kind, version: str = version) -> Path:
            return store.dir / f"{i:04d}-{kind}-{version}.tar.zst"

        record = insert(kind=kind, version=version, deploy_dir=SCENE_DEPLOY_DIR, archive_for=name)
        if present:
            record.archive_path.write_bytes(b"scene archive")
        store.catalogue.update(
            record.id,
            status=status,
            size=210_000_000 + record.id * 3_100_000,
            created=(NOW - timedelta(days=days)).isoformat(timespec="microseconds"),
        )
    return store


def store_settings(data_dir: Path) -> Settings:
    """What the UI tests' backup stores run with: a quick health gate after a
    backup's restart (FakeDocker answers at once anyway)."""
    return Settings(data_dir=data_dir, health_timeout_s=5, health_settle_s=0)


def interrupted_journal() -> Journal:
    """The journal of an upgrade killed while applying (what the start-up modal shows)."""
    return Journal(
        step=Step.APPLYING_UPDATE,
        strategy="full",
        from_version="1.4.2.0",
        to_version="1.5.0.0",
        started_at="2026-06-04T09:12:00+00:00",
        stack_stopped=True,
        backup_id=5,
    )


def _not_scripted(*_args: object) -> NoReturn:
    raise AssertionError("this test did not script a recovery")


def build_app(
    tmp: Path,
    *,
    plan: Plan | None = None,
    runner: Callable[..., ResultEvent] | None = None,
    docker: FakeDocker | None = None,
    store: BackupStore | None = None,
    journal: Journal | None = None,
    load_plan: Callable[[Settings, bool], Plan] | None = None,
    settings: Settings | None = None,
    **overrides: Any,
) -> UpgraderApp:
    """An app on fakes; nothing touches the network, Docker or the real clock."""
    the_plan = plan or make_plan()
    the_docker = docker or FakeDocker()
    the_store = store if store is not None else BackupStore(store_settings(tmp / "data"))
    the_settings = settings or Settings(
        manifest=SOURCE,
        deploy_dir=SCENE_DEPLOY_DIR,
        # Fixed, never written to: the paths appear on screen.
        data_dir=Path("/var/lib/tui-upgrader"),
        cache_dir=Path("/var/cache/tui-upgrader"),
        log_dir=Path("/var/log/tui-upgrader"),
    )
    config_file = Path("/home/admin/.config/tui-upgrader/config.toml")
    written: dict[str, Any] = {}  # the wizard's answers; nothing is written to disk

    def write_config(
        manifest: str, deploy_dir: Path, _root: Path | None, _allow_unsigned: bool
    ) -> Path:
        written.update(manifest=manifest, deploy_dir=deploy_dir)
        return config_file

    values: dict[str, Any] = {
        "settings": the_settings,
        "docker": lambda _s: the_docker,
        "run_upgrade": runner or ScriptedRunner(happy_events(SUCCESS)),
        "backups": lambda _s: the_store,
        "read_journal": lambda _d: journal,
        "load_plan": load_plan or (lambda _s, _f: the_plan),
        "clock": FrozenClock(NOW),
        "log_path": Path("/var/log/tui-upgrader/tui-upgrader.log"),
        "config_file": config_file,
        "recover": _not_scripted,
        "write_config": write_config,
        "reload_settings": lambda: replace(the_settings, **written),
    }
    values.update(overrides)
    return UpgraderApp(UiDeps(**values))

"""A real database through the real CLI on the real engine: examples/postgres (#24).

PostgreSQL 15 (Debian's packages, image made with debootstrap + docker import by
examples/postgres/build_base.sh, cached) and an app that migrates its schema at
start, released with `release build`, served with `serve`, installed and
upgraded with `upgrade --yes --json`:

1. first install of 1.0.0: no pre-upgrade backup (``backup_id`` null), the
   stage line names the compose project; data written;
2. upgrade to 1.1.0 (a schema migration);
3. 1.2.0, whose migration commits destructive changes and then fails: rolled
   back, every table's checksum as before, PostgreSQL started without crash
   recovery, owners and the 0700 mode of the cluster kept;
4. ``backup restore`` of the first pre-upgrade backup (1.0.0's data);
5. an upgrade while a client session is open: PostgreSQL's smart shutdown
   waits for it and Docker kills it after its grace period; with
   ``unclean_stop = "refuse"`` the old stack is started again (exit 1), with
   "warn" the upgrade goes on and says so (warning line, ``unclean_stop``, the
   backup's "crash-consistent" note, which pg_controldata confirms).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import pytest
import zstandard
from docker.models.containers import Container

from tests.support.engine import free_port, unique_name
from tests.support.waiting import wait_for

pytestmark = pytest.mark.engine

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "postgres"
CLI = (sys.executable, "-m", "tui_upgrader")
VERSIONS = ("1.0.0", "1.1.0", "1.2.0")
PG_UID, PG_GID = 100, 102  # the postgres user of the Debian image
CRASH_RECOVERY = ("not properly shut down", "automatic recovery in progress")


@pytest.fixture(scope="module")
def base_image() -> str:
    """Built once per machine (cached by the recipe's hash), loaded from the cache after."""
    started = time.monotonic()
    proc = subprocess.run(
        ["bash", str(EXAMPLE / "build_base.sh")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"examples/postgres/build_base.sh failed: {proc.stderr[-2000:]}")
    print(f"base image ready in {time.monotonic() - started:.1f} s")
    return proc.stdout.strip().splitlines()[-1]


@dataclass
class Site:
    root: Path
    client: docker.DockerClient
    image: str
    project: str = field(default_factory=lambda: unique_name("h24pg"))
    pg_port: int = field(default_factory=free_port)
    app_port: int = field(default_factory=free_port)
    server: subprocess.Popen[bytes] | None = None
    base_url: str = ""

    @property
    def deploy(self) -> Path:
        return self.root / "deploy"

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def build(self) -> None:
        env = {
            "PG_IMAGE": self.image,
            "PG_PORT": str(self.pg_port),
            "APP_PORT": str(self.app_port),
        }
        for version in VERSIONS:
            src = self.root / "src" / version
            self.run(
                sys.executable,
                str(EXAMPLE / "make_release.py"),
                version,
                str(src),
                *(f"--env={k}={v}" for k, v in env.items()),
            )
            self.cli("release", "build", str(src), "--version", version, "--out", str(self.store))
            # The store's manifest names the newest release; keep each one's.
            shutil.copy2(self.store / "manifest.json", self.store / f"manifest-{version}.json")
        self.config.write_text(
            "\n".join(
                [
                    f'deploy_dir = "{self.deploy}"',
                    f'project_name = "{self.project}"',
                    f'data_dir = "{self.root / "state"}"',
                    f'cache_dir = "{self.root / "cache"}"',
                    f'log_dir = "{self.root / "log"}"',
                    "allow_unsigned = true",
                    "health_timeout_s = 180",
                    "health_settle_s = 2",
                ]
            )
            + "\n",
            encoding="utf-8",
        )
        port = free_port()
        self.server = subprocess.Popen(
            [*CLI, "serve", str(self.store), "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base_url = f"http://127.0.0.1:{port}"
        wait_for(self._serving, timeout_s=30, what="tui-upgrader serve")

    def _serving(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/manifest.json", timeout=2) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    def run(self, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "TUI_UPGRADER_ARCH": "x86_64", "LANG": "C.UTF-8"}
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
        return proc

    def cli(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = self.run(*CLI, *args)
        if ok and proc.returncode != 0:
            raise AssertionError(f"tui-upgrader {' '.join(args)}: {proc.stderr[-3000:]}")
        return proc

    def upgrade(
        self, version: str, *, config: Path | None = None
    ) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
        proc = self.cli(
            "upgrade",
            "--yes",
            "--json",
            "--config",
            str(config or self.config),
            "--manifest",
            f"{self.base_url}/manifest-{version}.json",
            ok=False,
        )
        events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        assert events and events[-1]["type"] == "result", proc.stderr[-3000:]
        return proc.returncode, events[-1], events

    def container(self, service: str) -> Container:
        found = self.client.containers.list(
            filters={
                "label": [
                    f"com.docker.compose.project={self.project}",
                    f"com.docker.compose.service={service}",
                ]
            }
        )
        assert len(found) == 1, f"{service}: {found}"
        return found[0]

    def psql(self, sql: str) -> str:
        db = self.container("db")
        code, out = db.exec_run(
            ["psql", "-X", "-h", "/tmp", "-p", str(self.pg_port), "-At", "-v", "ON_ERROR_STOP=1",
             "-c", sql],
            user="postgres",
        )  # fmt: skip
        assert isinstance(out, bytes)  # not streamed
        text = out.decode("utf-8", "replace")
        assert code == 0, text
        return text.strip()

    def checksums(self) -> dict[str, str]:
        """md5 of every table's rows in a fixed order (its whole content)."""
        tables = self.psql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        ).split()
        return {
            t: self.psql(f"SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) "
                         f"FROM {t} x")
            for t in tables
        }  # fmt: skip

    def owners_and_modes(self) -> tuple[tuple[int, int, int], set[tuple[int, int]]]:
        cluster = self.deploy / "data" / "pg"
        st = cluster.stat()
        owners = {(p.lstat().st_uid, p.lstat().st_gid) for p in cluster.rglob("*")}
        return (st.st_uid, st.st_gid, st.st_mode & 0o7777), owners

    def open_session(self) -> None:
        """A client holding a session: PostgreSQL's smart shutdown waits for it."""
        self.container("db").exec_run(
            ["psql", "-X", "-h", "/tmp", "-p", str(self.pg_port), "-c", "SELECT pg_sleep(600)"],
            user="postgres",
            detach=True,
        )
        sql = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()"
        )
        wait_for(lambda: self.psql(sql) == "1", timeout_s=30, what="the open client session")

    def backup(self, backup_id: int) -> dict[str, Any]:
        listed = json.loads(
            self.cli("backup", "list", "--json", "--config", str(self.config)).stdout
        )
        return next(r for r in listed["backups"] if r["id"] == backup_id)

    def cluster_state_in_backup(self, backup_id: int) -> str:
        """``pg_controldata``'s "Database cluster state" of the cluster a backup holds."""
        archive = Path(self.backup(backup_id)["archive_path"])
        control = self.root / f"control-{backup_id}" / "global"
        control.mkdir(parents=True)
        with (
            archive.open("rb") as raw,
            zstandard.ZstdDecompressor().stream_reader(raw) as plain,
            tarfile.open(fileobj=plain, mode="r|") as tar,
        ):
            for member in tar:
                if member.name.endswith("data/pg/global/pg_control"):
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    (control / "pg_control").write_bytes(extracted.read())
                    break
        out = self.client.containers.run(
            self.image,
            ["/usr/lib/postgresql/15/bin/pg_controldata", "/cluster"],
            volumes={str(control.parent): {"bind": "/cluster", "mode": "ro"}},
            network_mode="none",
            remove=True,
        )
        text = out.decode("utf-8", "replace")
        return next(
            line.split(":", 1)[1].strip()
            for line in text.splitlines()
            if line.startswith("Database cluster state")
        )

    def db_log(self) -> str:
        raw: bytes = self.container("db").logs(stdout=True, stderr=True)
        return raw.decode("utf-8", "replace")

    def installed(self) -> str:
        text = (self.deploy / ".tui-upgrader" / "state.toml").read_text(encoding="utf-8")
        return next(line for line in text.splitlines() if line.startswith("version"))

    def down(self) -> None:
        if (self.deploy / "docker-compose.yml").exists():
            self.run("docker", "compose", "--project-directory", str(self.deploy), "-p",
                     self.project, "down", "--timeout", "2", timeout=120)  # fmt: skip
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=10)


@pytest.fixture
def site(
    tmp_path: Path, docker_client: docker.DockerClient, compose_cli: list[str], base_image: str
) -> Iterator[Site]:
    s = Site(tmp_path, docker_client, base_image)
    try:
        s.build()
        yield s
    finally:
        s.down()


def _messages(events: list[dict[str, Any]], level: str | None = None) -> list[str]:
    return [
        str(e["message"])
        for e in events
        if e["type"] == "log" and (level is None or e["level"] == level)
    ]


@pytest.mark.timeout(600)  # about 2.5 min here (three 100 MB packages built, five runs)
def test_postgres_release_set_install_upgrade_rollback_restore_unclean_stop(site: Site) -> None:
    timings: dict[str, float] = {}
    t = time.monotonic()

    # 1. first install: nothing to back up; the compose project is named
    code, result, events = site.upgrade("1.0.0")
    assert code == 0 and result["success"], result
    assert result["backup_id"] is None and result["unclean_stop"] == []
    started = [m for m in _messages(events) if "containers started" in m]
    assert started == [f"🚀 containers started for project {site.project}"], started
    site.psql(
        "INSERT INTO items (name, qty, note) "
        "SELECT 'item-' || g, g, repeat('n', g % 40) FROM generate_series(1, 3000) g"
    )
    data_100 = site.checksums()
    assert set(data_100) == {"items", "schema_migrations"}
    timings["install"] = time.monotonic() - t
    t = time.monotonic()

    # 2. a schema migration
    code, result, events = site.upgrade("1.1.0")
    assert code == 0 and result["success"], result
    first_backup = result["backup_id"]
    assert isinstance(first_backup, int) and result["unclean_stop"] == []
    assert not _messages(events, "warning"), _messages(events, "warning")
    assert site.psql("SELECT count(*) FROM items WHERE sku IS NULL") == "0"
    site.psql("INSERT INTO orders (item_id) SELECT id FROM items WHERE id % 3 = 0")
    before = site.checksums()
    assert set(before) == {"items", "orders", "schema_migrations"}
    cluster_before = site.owners_and_modes()
    assert cluster_before[0] == (PG_UID, PG_GID, 0o700)
    timings["upgrade"] = time.monotonic() - t
    t = time.monotonic()

    # 3. a migration that commits destructive changes, then fails: rolled back
    code, result, events = site.upgrade("1.2.0")
    assert code == 1 and result["rolled_back"] and not result["success"], result
    # data/ came back from the pre-copy snapshot (#21: a constant-time swap, so no
    # archive is written for a rolled-back upgrade); that it held a cluster that was
    # shut down is what the clean start below shows (no crash recovery).
    assert result["backup_id"] is None, result
    assert "app" in result["error"] and "division by zero" in result["error"], result["error"]
    assert site.installed() == 'version = "1.1.0.0"'
    assert site.checksums() == before
    assert site.owners_and_modes() == cluster_before
    log = site.db_log()
    assert "database system was shut down at" in log, log
    assert not any(mark in log for mark in CRASH_RECOVERY), log
    timings["failed upgrade + rollback"] = time.monotonic() - t
    t = time.monotonic()

    # 4. the first pre-upgrade backup back: 1.0.0 with its data
    site.cli("backup", "restore", str(first_backup), "--yes", "--start", "--config",
             str(site.config))  # fmt: skip
    assert site.installed() == 'version = "1.0.0.0"'
    assert site.checksums() == data_100
    assert site.owners_and_modes()[0] == (PG_UID, PG_GID, 0o700)
    timings["restore"] = time.monotonic() - t
    t = time.monotonic()

    # 5. an open client session during the stop: with "refuse", the old stack again
    refuse = site.root / "refuse.toml"
    refuse.write_text(site.config.read_text() + 'unclean_stop = "refuse"\n', encoding="utf-8")
    site.open_session()
    code, result, events = site.upgrade("1.1.0", config=refuse)
    assert code == 1 and result["rolled_back"] and result["unclean_stop"] == ["db"], result
    assert 'unclean_stop = "refuse"' in result["error"]
    assert site.installed() == 'version = "1.0.0.0"'
    assert site.checksums() == data_100
    timings["refused unclean stop"] = time.monotonic() - t
    t = time.monotonic()

    # 6. the same with "warn": killed, the upgrade goes on and says so everywhere
    site.open_session()
    code, result, events = site.upgrade("1.1.0")
    assert code == 0 and result["success"], result
    assert result["unclean_stop"] == ["db"]
    warnings = _messages(events, "warning")
    assert any(
        "not shut down cleanly: db (killed after its 5 s grace period, exit 137)" in w
        for w in warnings
    ), warnings
    record = site.backup(result["backup_id"])
    assert str(record["note"]).startswith("crash-consistent: db (killed"), record
    assert site.cluster_state_in_backup(result["backup_id"]) == "in production"
    # PostgreSQL agrees: the cluster it started on had not been shut down
    assert any(mark in site.db_log() for mark in CRASH_RECOVERY)
    timings["unclean stop upgrade"] = time.monotonic() - t
    print("timings:", json.dumps({k: round(v, 1) for k, v in timings.items()}))

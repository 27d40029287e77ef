"""Downtime vs data size: the two-pass backup against the cold one, seen from outside.

The demo's full upgrade 1.0.0 -> 1.1.0.1 on the real engine with ``data/``
holding 0, 1 and 4 GiB (database-like files plus 100,000 small files; 1 % of
the small files are written between the pre-copy and the stop, as the running
service would), while an outside client polls the web port every 20 ms. For
the two-pass path (``backup_precopy = true``, the default) and the cold path
(``false``, the reference, in the same run) it prints the longest outage the
client saw, the reported downtime and settle window, and the backup's time
inside the stop (the final pass, or the cold archive); then, at the largest
size, an upgrade whose health gate fails, timing the rollback's data restore.

Last line: {"extra_outage_4g_s", "ratio", ...}: ``extra_outage_4g_s`` = the
client's outage at the largest size minus at 0 (two-pass); ``ratio`` = the
two-pass outage at the largest size over the cold one (lower is better).
``--quick``: 0 and 64 MiB with 2,000 small files (CI).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from tui_upgrader.core.events import Event, LogEvent, ResultEvent, Step, StepEvent, discard
from tui_upgrader.demo.broken import build_broken_release
from tui_upgrader.demo.releases import build_demo
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.stack.real_docker import RealDocker
from tui_upgrader.ops.upgrade.plan import Ports, UpgradePlan
from tui_upgrader.ops.upgrade.planning import load_decision
from tui_upgrader.ops.upgrade.runner import run_upgrade

PROJECT = "tuiup-h21-downtime"
PORT = 18921
GIB = 1024**3
MIB = 1024**2
POLL_S = 0.02


@dataclass(frozen=True, slots=True)
class Size:
    name: str
    db_bytes: int
    small_files: int


FULL = (Size("0", 0, 0), Size("1g", 1 * GIB, 100_000), Size("4g", 4 * GIB, 100_000))
QUICK = (Size("0", 0, 0), Size("64m", 64 * MIB, 2_000))


class Client(threading.Thread):
    """GET / every 20 ms; the longest run of failures, from the last answer before it
    to the first answer after it."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.longest = 0.0
        self.outages = 0

    def _ok(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.settimeout(0.2)
                sock.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                return sock.recv(12).startswith(b"HTTP/1.")
        except OSError:
            return False

    def run(self) -> None:
        last_ok = time.monotonic()
        down = False
        while not self.stop.is_set():
            ok = self._ok()
            now = time.monotonic()
            if ok:
                if down:
                    self.longest = max(self.longest, now - last_ok)
                    self.outages += 1
                down = False
                last_ok = now
            else:
                down = True
            self.stop.wait(POLL_S)


def make_data(where: Path, size: Size) -> None:
    where.mkdir(parents=True)
    block = os.urandom(64 * MIB)  # incompressible within zstd's window
    for index in range((size.db_bytes + GIB - 1) // GIB):
        left = min(GIB, size.db_bytes - index * GIB)
        with (where / f"db-{index}.ibd").open("wb") as fh:
            while left > 0:
                fh.write(block[: min(left, len(block))])
                left -= len(block)
    small = where / "small"
    for index in range(size.small_files):
        folder = small / f"{index // 1000:03d}"
        if index % 1000 == 0:
            folder.mkdir(parents=True)
        (folder / f"f{index % 1000:04d}").write_bytes(block[index : index + 1024])


def write_one_percent(where: Path, size: Size, seed: int) -> int:
    rng = random.Random(seed)
    picked = rng.sample(range(size.small_files), size.small_files // 100)
    for index in picked:
        path = where / "small" / f"{index // 1000:03d}" / f"f{index % 1000:04d}"
        path.write_bytes(os.urandom(1024))
    return len(picked)


@dataclass(slots=True)
class Figures:
    outage_s: float
    downtime_s: float | None
    settle_s: float | None
    backup_in_stop_s: float | None
    restore_s: float | None = None


def _step_s(events: list[tuple[float, Event]], step: Step) -> float | None:
    marks: dict[str, float] = {}
    for t, e in events:
        if isinstance(e, StepEvent) and e.step is step and e.state in ("started", "finished"):
            marks.setdefault(e.state, t)
    if "started" in marks and "finished" in marks:
        return marks["finished"] - marks["started"]
    return None


def upgrade(settings: Settings, docker: RealDocker, data: Path, size: Size, seed: int) -> Figures:
    plan = load_decision(settings)
    events: list[tuple[float, Event]] = []
    written = threading.Event()

    def emit(event: Event) -> None:
        events.append((time.monotonic(), event))
        if isinstance(event, LogEvent) and event.message.startswith(
            ("final pass", "pre-copy done")
        ):
            print(f"    {event.message}", file=sys.stderr)
        # What the running service writes after the pre-copy (or, cold path, before the stop).
        stop_begins = isinstance(event, StepEvent) and event.step is Step.STOPPING_SERVICES
        if size.small_files and not written.is_set():
            precopied = isinstance(event, LogEvent) and "pre-copy done" in event.message
            if precopied or (stop_begins and not settings.backup_precopy):
                write_one_percent(data, size, seed)
                written.set()

    client = Client(PORT)
    client.start()
    try:
        result = run_upgrade(
            UpgradePlan(settings, plan.manifest, plan.decision),
            Ports(docker),
            emit,
            threading.Event(),
        )
    finally:
        client.stop.set()
        client.join()
    assert isinstance(result, ResultEvent)
    if not (result.success or result.rolled_back):
        raise SystemExit(f"upgrade failed: {result.error}")
    return Figures(
        client.longest,
        result.downtime_s,
        result.settle_s,
        _step_s(events, Step.CREATING_BACKUP),
        _step_s(events, Step.RESTORING_BACKUP),
    )


def run_size(
    root: Path, docker: RealDocker, size: Size, precopy: bool, rollback: bool
) -> dict[str, Figures]:
    tag = f"{size.name}-{'two' if precopy else 'cold'}"
    layout = build_demo(root / tag, port=PORT, project=PROJECT, image_repo="tuih21/web")
    master = root / f"data-{size.name}"
    data = layout.deploy_dir / "data" / "bench"
    os.rename(master, data)
    try:
        for tar in layout.installed_images:
            docker.load_image(tar, discard, None)
        docker.up(layout.deploy_dir)
        docker.wait_healthy(layout.deploy_dir, timeout_s=60, settle_s=1, emit=discard, cancel=None)
        settings = Settings(
            manifest=str(layout.manifest),
            deploy_dir=layout.deploy_dir,
            project_name=PROJECT,
            data_dir=root / f"state-{tag}",
            cache_dir=root / "cache",
            health_timeout_s=60,
            health_settle_s=2,
            backup_precopy=precopy,
            allow_unsigned=True,  # the demo's plain release store
        )
        up = upgrade(settings, docker, data, size, seed=1)
        out = {f"{tag}": up}
        if rollback:
            broken = build_broken_release(layout, failure="unhealthy", store=root / "broken")
            back = upgrade(replace(settings, manifest=str(broken.manifest)), docker, data, size, 2)
            out[f"{tag}-rollback"] = back
    finally:
        docker.down(layout.deploy_dir)
        os.rename(data, master)
        shutil.rmtree(root / tag, ignore_errors=True)
        shutil.rmtree(root / f"state-{tag}", ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dir", default=None, help="where the data goes (default: a temp dir)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    base = Path(args.dir) if args.dir else None
    with tempfile.TemporaryDirectory(prefix="bench-downtime-", dir=base) as tmp:
        root = Path(tmp)
        docker = RealDocker(project_name=PROJECT)
        figures: dict[str, Figures] = {}
        for size in sizes:
            t0 = time.monotonic()
            make_data(root / f"data-{size.name}", size)
            print(f"data {size.name}: made in {time.monotonic() - t0:.1f} s", file=sys.stderr)
            for precopy in (True, False):
                rollback = precopy and size is sizes[-1]
                got = run_size(root, docker, size, precopy, rollback)
                for name, fig in got.items():
                    figures[name] = fig
                    print(
                        f"{name:>16}: client outage {fig.outage_s:.2f} s, reported downtime "
                        f"{fig.downtime_s or 0:.2f} s (settle {fig.settle_s or 0:.2f} s), backup "
                        f"in the stop {fig.backup_in_stop_s or 0:.2f} s"
                        + (f", data restore {fig.restore_s:.3f} s" if fig.restore_s else ""),
                        file=sys.stderr,
                    )
            shutil.rmtree(root / f"data-{size.name}")
    big = sizes[-1].name
    two0, two_big, cold_big = figures["0-two"], figures[f"{big}-two"], figures[f"{big}-cold"]
    rolled = figures[f"{big}-two-rollback"]
    out = {
        f"extra_outage_{big}_s": round(two_big.outage_s - two0.outage_s, 3),
        f"extra_outage_{big}_cold_s": round(cold_big.outage_s - figures["0-cold"].outage_s, 3),
        f"rollback_data_restore_{big}_s": None
        if rolled.restore_s is None
        else round(rolled.restore_s, 3),
        # Upgrades only: a rolled-back run's failed version answers the client while
        # unhealthy, which the reported downtime rightly counts as down.
        "max_report_error_s": round(
            max(
                abs((f.downtime_s or 0) - f.outage_s)
                for name, f in figures.items()
                if not name.endswith("rollback")
            ),
            3,
        ),
        **{
            f"{name}": {
                "outage_s": round(f.outage_s, 3),
                "downtime_s": None if f.downtime_s is None else round(f.downtime_s, 3),
                "settle_s": None if f.settle_s is None else round(f.settle_s, 3),
                "backup_in_stop_s": None
                if f.backup_in_stop_s is None
                else round(f.backup_in_stop_s, 3),
            }
            for name, f in figures.items()
        },
        "ratio": round(two_big.outage_s / cold_big.outage_s, 3) if cold_big.outage_s else None,
    }
    if not args.quick:
        out = {"extra_outage_4g_s": out.pop("extra_outage_4g_s"), **out}
    print(json.dumps(out))


if __name__ == "__main__":
    main()

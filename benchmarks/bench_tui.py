"""TUI benchmarks (issue 7 item 9).

1. Start-up: wall time from process start until ``tui-upgrader``'s first screen
   shows a loaded manifest (the real wiring of ``ui.launch``, a manifest file on
   disk), against a minimal Textual app until its first refresh. Both headless,
   interleaved, medians of ``--rounds``. Target: startup_ratio <= 1.5.
2. UI-thread CPU share during a 1 GiB local download: the real downloader
   (``ops.download.fetch.download``) fetches a 1 GiB package from ``tui-upgrader
   serve`` on 127.0.0.1 inside the progress screen's thread worker; the UI
   thread's CPU seconds (``time.thread_time`` on the event loop's thread)
   divided by the download's wall time. Target: ui_cpu_share <= 0.1. The same
   download without the UI is timed as the reference (``ui_overhead``).
3. Flood (information): a job that emits one ProgressEvent per 64 KiB of a
   1 GiB transfer as fast as it can, to show what the throttle and
   ``can_replace`` coalescing leave for the UI thread.

    .venv/bin/python benchmarks/bench_tui.py [--rounds 7] [--size-mib 1024]

Last line: JSON with startup_ratio, ui_cpu_share and ratio (= startup_ratio).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, check, emit_result, median, python_env, run_child, start_server

sys.path.insert(0, str(REPO))

# Each child prints "MARK <name> <time.time()>" after the first refresh (paint)
# that follows the state it waits for; the parent
# subtracts its own time.time() just before spawning. Shutdown is not counted
# (a still-running worker thread would otherwise be billed to start-up).
MINIMAL = """
import asyncio, time
from textual.app import App
from textual.widgets import Label

class Minimal(App[None]):
    def compose(self):
        yield Label("hello")

async def painted(app):
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(done.set_result, None)
    await done

async def pilot(p):
    await painted(p.app)
    print("MARK screen", time.time(), flush=True)
    p.app.exit()

Minimal().run(headless=True, size=(80, 24), auto_pilot=pilot)
"""

# ``tui-upgrader --manifest M --deploy-dir D``: what cli.main does before it
# calls run_tui, then run_tui's own two lines, with a pilot that marks the first
# screen (painted, manifest loading) and the manifest shown.
OURS = """
import asyncio, sys, time
from tui_upgrader.cli import parse_args
from tui_upgrader.ops.logsetup import setup_logging
args = parse_args(["--manifest", sys.argv[1], "--deploy-dir", sys.argv[2], "--config", sys.argv[3]])
setup_logging(args)
from tui_upgrader.ui.app import UpgraderApp
from tui_upgrader.ui.launch import real_deps
from tui_upgrader.ui.screens.manifest import ManifestScreen

async def painted(app):
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(done.set_result, None)
    await done

async def pilot(p):
    app = p.app
    while not isinstance(app.screen, ManifestScreen):
        await asyncio.sleep(0.001)
    await painted(app)
    print("MARK screen", time.time(), flush=True)
    while app.screen.plan is None:
        if app.screen.problem is not None:  # fail loudly rather than wait forever
            raise SystemExit(f"the manifest did not load: {app.screen.problem}")
        await asyncio.sleep(0.001)
    await painted(app)
    print("MARK loaded", time.time(), flush=True)
    app.exit()

UpgraderApp(real_deps(args)).run(headless=True, size=(80, 24), auto_pilot=pilot)
"""

# run_tui alone, without cli.py's parser: what the UI itself costs.
OURS_UI = OURS.replace(
    "from tui_upgrader.cli import parse_args", "import argparse, pathlib"
).replace(
    'args = parse_args(["--manifest", sys.argv[1], "--deploy-dir", sys.argv[2], '
    '"--config", sys.argv[3]])',
    "args = argparse.Namespace(config=pathlib.Path(sys.argv[3]), manifest=sys.argv[1], dev=False,"
    " deploy_dir=pathlib.Path(sys.argv[2]))",
)
assert OURS_UI.count("argparse.Namespace") == 1

MANIFEST = {
    "version": "1.5.0",
    "release_date": "2026-06-01T10:00:00Z",
    "release_notes": "## 1.5.0\n\n- benchmark release\n",
    "packages": {"full": {"url": "/p/full.zip", "hash": "ab" * 32, "size": 1024}},
}


def marks(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    spawned = time.time()
    run = check(run_child(argv, env=env, cwd=REPO), argv[2][:40])
    found = re.findall(r"^MARK (\w+) ([\d.]+)$", run.stdout, re.M)
    return {name: float(at) - spawned for name, at in found}


def startup(rounds: int, home: Path) -> dict[str, float]:
    env = python_env(home)
    manifest = home / "manifest.json"
    manifest.write_text(json.dumps(MANIFEST))
    deploy = home / "deploy"
    deploy.mkdir(exist_ok=True)
    # The benchmark's manifest is a plain file, not a signed TUF store.
    config = home / "config.toml"
    config.write_text("allow_unsigned = true\n")
    times: dict[str, list[float]] = {"screen": [], "loaded": [], "ui": [], "minimal": []}
    for _ in range(rounds):
        ours = marks([sys.executable, "-c", OURS, str(manifest), str(deploy), str(config)], env)
        times["screen"].append(ours["screen"])
        times["loaded"].append(ours["loaded"])
        ui = marks([sys.executable, "-c", OURS_UI, str(manifest), str(deploy), str(config)], env)
        times["ui"].append(ui["screen"])
        times["minimal"].append(marks([sys.executable, "-c", MINIMAL], env)["screen"])
    return {name: median(values) for name, values in times.items()}


# --- the download ------------------------------------------------------------------


def sparse_package(path: Path, size: int) -> str:
    with path.open("wb") as fh:
        fh.truncate(size)
    digest = hashlib.sha256()
    block = bytes(4 << 20)
    left = size
    while left:
        take = min(left, len(block))
        digest.update(block[:take])
        left -= take
    return digest.hexdigest()


def bench_app() -> Any:
    """A bare host for the progress screen: the App's start-up flow is not measured here."""
    from textual.app import App

    from tui_upgrader.ops.settings import Settings
    from tui_upgrader.ui.deps import UiDeps

    def unused(*_args: Any) -> Any:
        raise AssertionError("the progress screen reads no other dependency")

    class Host(App[int]):
        CSS_PATH = str(REPO / "tui_upgrader/ui/app.tcss")

        def __init__(self) -> None:
            super().__init__()
            self.deps = UiDeps(
                settings=Settings(),
                docker=unused,
                run_upgrade=unused,
                backups=unused,
                recover=unused,
                read_journal=unused,
                load_plan=unused,
                write_config=unused,
                reload_settings=unused,
            )
            self.settings = self.deps.settings
            self.make_backup = True

        def record_result(self, code: int) -> None:
            self.code = code

        async def restart_flow(self) -> None:
            return None

        def open_backups(self) -> None:
            return None

    return Host()


async def run_in_ui(job: Callable[..., Any]) -> tuple[float, float, Any]:
    """(UI-thread CPU s, wall s, screen) for ``job`` run by a ProgressScreen worker."""
    from tui_upgrader.core.events import Step
    from tui_upgrader.ui.operations import Operation
    from tui_upgrader.ui.screens.progress import ProgressScreen

    app = bench_app()
    operation = Operation("backup", "Download", (Step.DOWNLOADING_UPDATE,), job, Step.COMPLETED)
    async with app.run_test(size=(120, 36)):
        screen = ProgressScreen(operation)
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        await app.push_screen(screen)
        while screen.result is None:
            await asyncio.sleep(0.05)
        cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
        return cpu, wall, screen


def download_job(url: str, dest: Path, sha: str, size: int) -> Callable[..., Any]:
    from tui_upgrader.core.events import ResultEvent
    from tui_upgrader.ops.download.fetch import download
    from tui_upgrader.ops.settings import Settings

    def job(emit: Any, cancel: threading.Event) -> Any:
        dest.unlink(missing_ok=True)
        download(url, dest, expected_sha256=sha, expected_size=size, settings=Settings(),
                 emit=emit, cancel=cancel)  # fmt: skip
        result = ResultEvent(
            success=True,
            from_version=None,
            to_version=None,
            backup_id=None,
            rolled_back=False,
            error=None,
        )
        emit(result)
        return result

    return job


def flood_job(size: int, counter: list[int]) -> Callable[..., Any]:
    from tui_upgrader.core.events import ProgressEvent, ResultEvent, Step

    def job(emit: Any, cancel: threading.Event) -> Any:
        chunk = 64 * 1024
        for done in range(0, size + 1, chunk):
            emit(ProgressEvent(Step.DOWNLOADING_UPDATE, done, size, "flood"))
            counter[0] += 1
        result = ResultEvent(
            success=True,
            from_version=None,
            to_version=None,
            backup_id=None,
            rolled_back=False,
            error=None,
        )
        emit(result)
        return result

    return job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument(
        "--quick", action="store_true", help="small size, for CI (scripts/bench_quick.sh)"
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.size_mib = 1, 64
    size = args.size_mib * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        start = startup(args.rounds, home)
        ours, loaded, minimal = start["screen"], start["loaded"], start["minimal"]
        print(f"start-up: tui-upgrader first screen {ours:.3f} s (manifest shown {loaded:.3f} s; "
              f"run_tui without the CLI parser {start['ui']:.3f} s), "
              f"minimal Textual app {minimal:.3f} s")  # fmt: skip

        store = Path(tmp) / "store"
        store.mkdir()
        sha = sparse_package(store / "big.zip", size)
        server, base = start_server(store, python_env(home))
        try:
            from tui_upgrader.core.events import discard

            dest = Path(tmp) / "cache" / "big.zip"
            job = download_job(base + "big.zip", dest, sha, size)
            headless_runs: list[float] = []
            for _ in range(2):  # before and after, so page-cache warmth is fair
                t0 = time.perf_counter()
                job(discard, threading.Event())
                headless_runs.append(time.perf_counter() - t0)
                if len(headless_runs) == 1:
                    ui_cpu, wall, screen = asyncio.run(run_in_ui(job))
                    assert screen.result is not None and screen.result.success, screen.result
            headless = min(headless_runs)
        finally:
            server.terminate()
            server.wait(timeout=30)
        mib = size / (1024 * 1024)
        print(f"download {mib:.0f} MiB: headless {headless:.2f} s, in the TUI {wall:.2f} s; "
              f"UI thread CPU {ui_cpu:.3f} s ({ui_cpu / wall:.1%} of the wall time)")  # fmt: skip

        counter = [0]
        flood_cpu, flood_wall, _ = asyncio.run(run_in_ui(flood_job(size, counter)))
        print(f"flood: {counter[0]} progress events in {flood_wall:.2f} s cost the UI thread "
              f"{flood_cpu:.3f} s")  # fmt: skip
    startup_ratio = ours / minimal
    emit_result(
        {
            "startup_ratio": round(startup_ratio, 3),
            "ui_cpu_share": round(ui_cpu / wall, 4),
            "ratio": round(startup_ratio, 3),
            "startup_s": round(ours, 3),
            "startup_minimal_s": round(minimal, 3),
            "startup_loaded_s": round(loaded, 3),
            "startup_loaded_ratio": round(loaded / minimal, 3),
            "startup_ui_s": round(start["ui"], 3),
            "startup_ui_ratio": round(start["ui"] / minimal, 3),
            "download_mib": round(mib),
            "download_ui_s": round(wall, 3),
            "download_headless_s": round(headless, 3),
            "ui_overhead": round(wall / headless, 3),
            "ui_cpu_s": round(ui_cpu, 3),
            "flood_events": counter[0],
            "flood_ui_cpu_s": round(flood_cpu, 3),
            "flood_wall_s": round(flood_wall, 3),
            "cpus": os.cpu_count(),
        }
    )


if __name__ == "__main__":
    main()

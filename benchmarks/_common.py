"""Shared helpers for the benchmarks: timing children, peak RSS, the final JSON line.

Benchmarks run from the repository root (``python benchmarks/bench_x.py``);
each prints human lines, then exactly one JSON object as its last line.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    peak_rss_mb: float  # of this child alone (wait4 rusage), not of its siblings
    returncode: int
    stdout: str
    stderr: str


def run_child(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Run:
    """Wall time and peak RSS of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env) if env is not None else None,
        cwd=cwd,
    )
    # communicate() would reap the child itself and lose its rusage, so drain
    # the pipes in threads and reap it with wait4.
    out_err: dict[str, bytes] = {}

    def drain(name: str, stream: Any) -> None:
        out_err[name] = stream.read()

    threads = [
        threading.Thread(target=drain, args=("out", proc.stdout)),
        threading.Thread(target=drain, args=("err", proc.stderr)),
    ]
    for thread in threads:
        thread.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    for thread in threads:
        thread.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        seconds=seconds,
        peak_rss_mb=usage.ru_maxrss / 1024.0,  # KiB on Linux
        returncode=proc.returncode,
        stdout=out_err.get("out", b"").decode(errors="replace"),
        stderr=out_err.get("err", b"").decode(errors="replace"),
    )


def check(run: Run, what: str) -> Run:
    if run.returncode != 0:
        sys.stderr.write(run.stdout + run.stderr)
        raise SystemExit(f"{what} failed with exit code {run.returncode}")
    return run


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def python_env(home: Path) -> dict[str, str]:
    """An environment whose config, data, cache and logs live under ``home``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["HOME"] = str(home)
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        env[var] = str(home / sub)
    env.pop("TUI_UPGRADER_CONFIG", None)
    return env


def emit_result(result: Mapping[str, Any]) -> None:
    """The last line of every benchmark: one JSON object."""
    print(json.dumps(dict(result), sort_keys=False), flush=True)


def start_server(root: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """``tui-upgrader serve ROOT --port 0`` as a child; returns it and its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_upgrader", "serve", str(root), "--port", "0"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
    if match is None:
        proc.kill()
        raise SystemExit(f"serve did not start: {line!r}")
    return proc, match.group(1)

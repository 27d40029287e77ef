"""Backup create/restore speed against GNU tar, in the same run, on the same tree.

    .venv/bin/python benchmarks/bench_backup.py [--scale 1.0] [--reps 3] [--workdir DIR]

Builds a ~1 GiB mixed tree (benchmarks/_tree.py), then, interleaved per
repetition so background load hits both sides alike:

- create zstd: ``BackupStore.create`` vs ``tar -I 'zstd -3 -T0' -cf``
- create gzip: ``BackupStore.create`` (codec gzip) vs ``tar -czf`` (gzip -6)
- restore:     ``BackupStore.restore`` of our zstd archive into a new deploy dir
               vs ``tar -I zstd -xf`` of the same archive into an empty dir

Ours does more than tar: it hashes the archive, fsyncs it (create), verifies
the hash and flushes the filesystem before its atomic swap (restore). For
like-for-like durability the reference timings include ``sync FILE`` after a
create and ``sync -f DIR`` after an extraction; the ratios without those are
printed too (``*_nosync``), and CPU-time ratios (``*_cpu``). The box is shared
and noisy: each comparison runs ours and tar back to back (who goes first
alternates; before each run: ``sync``, and the tree and archive are read into
the page cache), and a ratio is the median over the
repetitions of those paired ratios. Every "ours" step runs in a child process
whose peak RSS is measured with wait4().

Last line: one JSON object with create_ratio_zstd, create_ratio_gzip,
restore_ratio_zstd, peak_rss_mb and ratio (the worst of the three ratios).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._tree import build_tree  # noqa: E402


def _settings(work: Path, codec: str, deploy: Path) -> object:
    from tui_upgrader.ops.settings import Settings

    return Settings(deploy_dir=deploy, data_dir=work / f"data-{codec}", backup_codec=codec)


def child(argv: list[str]) -> None:
    """Runs in a child process: one create or restore with our code."""
    from tui_upgrader.ops.backup.store import BackupStore
    from tui_upgrader.ops.settings import Settings

    op, codec, work, deploy = argv[0], argv[1], Path(argv[2]), Path(argv[3])
    settings = _settings(work, codec, deploy)
    assert isinstance(settings, Settings)
    store = BackupStore(settings)
    if op == "create":
        record = store.create(deploy, kind="manual", version="1.4.2.3")
        print(record.id, record.archive_path, flush=True)
    else:
        store.restore(int(argv[4]), deploy)


def run_timed(argv: list[str], cwd: Path | None = None) -> tuple[float, float, float, str]:
    """wall s, cpu s (children included), peak rss MiB, stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, cwd=cwd)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed with status {status}")
    proc.returncode = 0
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def ours(
    op: str, codec: str, work: Path, deploy: Path, *extra: str
) -> tuple[float, float, float, str]:
    return run_timed(
        [sys.executable, __file__, "--child", op, codec, str(work), str(deploy), *extra]
    )


def shell(*commands: list[str]) -> tuple[float, float]:
    """Wall and CPU of several commands run back to back (CPU from rusage of children)."""
    before = os.times()
    start = time.perf_counter()
    for argv in commands:
        subprocess.run(argv, check=True)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return time.perf_counter() - start, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--child", nargs="+")
    parser.add_argument(
        "--quick", action="store_true", help="small size, for CI (scripts/bench_quick.sh)"
    )
    args = parser.parse_args()
    if args.quick:
        args.scale, args.reps = 0.01, 1
    if args.child:
        child(args.child)
        return
    base = args.workdir or Path(tempfile.gettempdir())
    work = Path(tempfile.mkdtemp(prefix="bench-backup-", dir=base))
    try:
        t = time.perf_counter()
        tree = work / "deploy"
        counts = build_tree(tree, args.scale)
        print(f"tree: {counts} built in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        subprocess.run(["cat", *map(str, tree.rglob("*.log"))], stdout=subprocess.DEVNULL)
        results: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        rss: list[float] = []

        def note(key: str, wall: float, used: float) -> None:
            results.setdefault(key, []).append(wall)
            cpu.setdefault(key, []).append(used)

        def ours_create(codec: str) -> None:
            wall, used, peak, out = ours("create", codec, work, tree)
            note(f"ours_create_{codec}", wall, used)
            rss.append(peak)
            Path(out.split()[1]).unlink()

        def ref_create(codec: str) -> None:
            ref = work / f"ref.tar.{codec}"
            flags = ["-I", "zstd -3 -T0"] if codec == "zstd" else ["-z"]
            wall, used = shell(["tar", *flags, "-cf", str(ref), "-C", str(tree), "."])
            note(f"ref_create_{codec}_nosync", wall, used)
            w2, u2 = shell(["sync", str(ref)])
            note(f"ref_create_{codec}", wall + w2, used + u2)
            ref.unlink()

        # One archive of ours that both sides extract.
        _w, _u, _p, out = ours("create", "zstd", work, tree)
        restore_id, archive = out.split()

        def ours_restore() -> None:
            target = work / "restored"
            wall, used, peak, _ = ours("restore", "zstd", work, target, restore_id)
            note("ours_restore_zstd", wall, used)
            rss.append(peak)
            shutil.rmtree(target)

        def ref_restore() -> None:
            plain = work / "tar-x"
            plain.mkdir()
            wall, used = shell(["tar", "-I", "zstd", "-xf", archive, "-C", str(plain)])
            note("ref_restore_zstd_nosync", wall, used)
            w2, u2 = shell(["sync", "-f", str(plain)])
            note("ref_restore_zstd", wall + w2, used + u2)
            shutil.rmtree(plain)

        pairs: tuple[tuple[Callable[[], None], Callable[[], None]], ...] = (
            (lambda: ours_create("zstd"), lambda: ref_create("zstd")),
            (lambda: ours_create("gzip"), lambda: ref_create("gzip")),
            (ours_restore, ref_restore),
        )

        def warm() -> None:
            """Tree and archive in the page cache, no dirty pages: equal starts.

            (This VM reclaims idle page cache quickly; without this, whoever
            runs first pays for reading the tree back from disk.)"""
            os.sync()
            script = 'tar -cf - -C "$1" . | cat > /dev/null; cat "$2" > /dev/null'
            subprocess.run(
                ["sh", "-c", script, "-", str(tree), archive],
                check=True,
            )

        for rep in range(args.reps):
            for first, second in pairs:
                # Alternate who goes first as well.
                for run in (first, second) if rep % 2 == 0 else (second, first):
                    warm()
                    run()
            print(
                f"rep {rep + 1}: " + ", ".join(f"{k}={v[-1]:.2f}" for k, v in results.items()),
                file=sys.stderr,
            )

        def paired(ours_key: str, ref_key: str, table: dict[str, list[float]]) -> float:
            """Median over repetitions of ours/ref measured back to back."""
            return round(
                statistics.median(
                    o / r for o, r in zip(table[ours_key], table[ref_key], strict=True)
                ),
                3,
            )

        ratios: dict[str, float] = {}
        for name, ours_key, ref_key in (
            ("create_ratio_zstd", "ours_create_zstd", "ref_create_zstd"),
            ("create_ratio_gzip", "ours_create_gzip", "ref_create_gzip"),
            ("restore_ratio_zstd", "ours_restore_zstd", "ref_restore_zstd"),
        ):
            ratios[name] = paired(ours_key, ref_key, results)
            ratios[name + "_nosync"] = paired(ours_key, ref_key + "_nosync", results)
            ratios[name + "_cpu"] = paired(ours_key, ref_key, cpu)
        summary: dict[str, object] = dict(ratios)
        summary["seconds_median"] = {
            k: round(statistics.median(v), 2) for k, v in sorted(results.items())
        }
        summary["cpu_seconds_median"] = {
            k: round(statistics.median(v), 2) for k, v in sorted(cpu.items())
        }
        summary["tree_bytes"] = counts["bytes"]
        summary["tree_files"] = counts["files"]
        summary["reps"] = args.reps
        summary["peak_rss_mb"] = round(max(rss), 1)
        summary["ratio"] = max(
            ratios[k] for k in ("create_ratio_zstd", "create_ratio_gzip", "restore_ratio_zstd")
        )
        print(json.dumps(summary))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

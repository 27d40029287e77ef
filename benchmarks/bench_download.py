"""Verified download speed: ``tui-upgrader fetch`` vs ``curl`` + ``sha256sum``.

A 512 MiB package is served by ``tui-upgrader serve`` on 127.0.0.1. Each
round times, in turn:
  ours       ``tui-upgrader fetch --json`` (manifest -> strategy -> download
             with SHA-256 verification, from an empty cache)
  curl       ``curl -s -o FILE URL`` (no verification)
  sha256sum  ``sha256sum FILE``
Three rounds, medians. Targets (issue 3): ratio = ours / (curl + sha256sum)
<= 0.8, limit_ratio = ours / max(curl, sha256sum) <= 1.2, peak RSS <= 100 MB.

    .venv/bin/python benchmarks/bench_download.py [--size-mib 512] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, check, emit_result, median, python_env, run_child, start_server

VERSION = "9.9.9.1"


def write_package(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    block = 4 * 1024 * 1024
    with path.open("wb") as fh:
        left = size
        while left:
            data = os.urandom(min(block, left))
            fh.write(data)
            digest.update(data)
            left -= len(data)
    return digest.hexdigest()


def write_manifest(root: Path, url: str, sha: str, size: int) -> None:
    manifest = {
        "version": VERSION,
        "release_date": "2026-01-01T00:00:00Z",
        "release_notes": "benchmark",
        "packages": {
            "full": {"url": url, "hash": f"sha256:{sha}", "signature": "", "size": size},
            "patch": None,
        },
    }
    (root / "manifest.json").write_text(json.dumps(manifest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp dir")
    parser.add_argument(
        "--quick", action="store_true", help="small size, for CI (scripts/bench_quick.sh)"
    )
    args = parser.parse_args()
    if args.quick:
        args.size_mib, args.rounds = 16, 1
    for tool in ("curl", "sha256sum"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is required for the comparison")

    size = args.size_mib * 1024 * 1024
    work = Path(tempfile.mkdtemp(prefix="bench-download-", dir=args.workdir))
    server = None
    try:
        release, deploy, home = work / "release", work / "deploy", work / "home"
        for path in (release, deploy, home):
            path.mkdir()
        env = python_env(home)
        print(f"writing a {args.size_mib} MiB package in {release}", flush=True)
        sha = write_package(release / "docker.zip", size)
        server, base = start_server(release, env)
        write_manifest(release, base + "docker.zip", sha, size)
        # An unsigned store: this measures the transfer, bench_verify the signed channel.
        config = home / "config.toml"
        config.write_text("allow_unsigned = true\n")
        fetch = [
            sys.executable, "-m", "tui_upgrader", "fetch", "--json",
            "--manifest", base + "manifest.json", "--deploy-dir", str(deploy),
            "--config", str(config),
        ]  # fmt: skip
        curl_out = work / "curl.bin"
        ours_s: list[float] = []
        curl_s: list[float] = []
        hash_s: list[float] = []
        peak_rss = 0.0
        for round_no in range(1, args.rounds + 1):
            shutil.rmtree(home / "cache", ignore_errors=True)  # a cold cache every round
            ours = check(run_child(fetch, env=env, cwd=REPO), "tui-upgrader fetch")
            result = json.loads(ours.stdout.strip().splitlines()[-1])
            if result["sha256"] != sha or result["bytes_transferred"] != size:
                raise SystemExit(f"fetch returned an unexpected result: {result}")
            curl_out.unlink(missing_ok=True)
            curl = check(
                run_child(["curl", "-s", "-o", str(curl_out), base + "docker.zip"]), "curl"
            )
            hashed = check(run_child(["sha256sum", str(curl_out)]), "sha256sum")
            if not hashed.stdout.startswith(sha):
                raise SystemExit("curl's copy does not hash to the package's sha256")
            ours_s.append(ours.seconds)
            curl_s.append(curl.seconds)
            hash_s.append(hashed.seconds)
            peak_rss = max(peak_rss, ours.peak_rss_mb)
            print(
                f"round {round_no}: ours {ours.seconds:.2f} s (rss {ours.peak_rss_mb:.0f} MB), "
                f"curl {curl.seconds:.2f} s, sha256sum {hashed.seconds:.2f} s",
                flush=True,
            )
            shutil.rmtree(Path(result["path"]).parent, ignore_errors=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    ours_m, curl_m, hash_m = median(ours_s), median(curl_s), median(hash_s)
    emit_result(
        {
            "benchmark": "download",
            "size_mib": args.size_mib,
            "rounds": args.rounds,
            "ours_s": round(ours_m, 3),
            "curl_s": round(curl_m, 3),
            "sha256sum_s": round(hash_m, 3),
            "ratio": round(ours_m / (curl_m + hash_m), 3),
            "limit_ratio": round(ours_m / max(curl_m, hash_m), 3),
            "peak_rss_mb": round(peak_rss, 1),
            "targets": {"ratio": 0.8, "limit_ratio": 1.2, "peak_rss_mb": 100},
        }
    )


if __name__ == "__main__":
    main()

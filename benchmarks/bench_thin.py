"""Thin image delivery vs the full package: bytes downloaded and wall time, on the real engine.

Two releases of one service are built into one store (``release build``): the
image is busybox + a large shared base layer (random, so incompressible) + a
small application layer that changes between the releases. The engine holds
release 1's image. Each mode then delivers release 2's image into the engine
from an empty cache, timed from the first request to the image being loaded:

  full  download the full package (verified), unpack it, ``docker load`` its
        image tars with per-layer progress (what every upgrade did before #23)
  thin  fetch the image index, ask the engine for its layer chains, download
        the files package and the missing blobs (verified), stream the thin
        archive to the engine and check the result with ``image inspect``

over loopback (the project's ``serve``) and through the test suite's fault
server throttled to a slow link. The new image is removed after each run
(release 1's layers stay). Last line: JSON with ``ratio`` = thin bytes / full
bytes (target <= 0.1) and ``thin_faster_throttled``.

    .venv/bin/python benchmarks/bench_thin.py [--base-mb 200] [--app-mb 10] [--rate-mbps 20]
    .venv/bin/python benchmarks/bench_thin.py --quick
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

import docker

from benchmarks._common import emit_result
from tests.support.http_servers import FaultServer
from tests.support.images import ImageDef, base_layer, write_image_tar, write_random_file
from tui_upgrader.core.events import discard
from tui_upgrader.core.image_index import BLOB_DIR, parse_index, plan_thin
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.archive.package import unpack
from tui_upgrader.ops.download.fetch import download
from tui_upgrader.ops.download.many import Wanted, download_many
from tui_upgrader.ops.images.engine import connect
from tui_upgrader.ops.images.load import load_image_tar, tag_loaded
from tui_upgrader.ops.images.thin import load_thin, present_chains
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.release.server import serve_directory
from tui_upgrader.ops.settings import Settings

MB = 1_000_000
FULL_SHA256: list[str] = []  # the full package's, from the manifest: verified like thin
COMPOSE = "services:\n  app:\n    image: {ref}\n    network_mode: none\n"


def _release(work: Path, name: str, ref: str, base: Path, app_mb: float) -> Path:
    src = work / name
    (src / "images").mkdir(parents=True)
    (src / "compose.yaml").write_text(COMPOSE.format(ref=ref))
    app = write_random_file(work / f"{name}-app.bin", int(app_mb * MB))
    stack = ({**base_layer(), "data/base.bin": base}, {"app/app.bin": app})
    write_image_tar(src / "images" / "app.tar", [ImageDef((ref,), stack)])
    app.unlink()
    return src


def _build(work: Path, base_mb: float, app_mb: float, repo: str) -> Path:
    base = write_random_file(work / "base.bin", int(base_mb * MB))
    store = work / "store"
    for version in ("1.0.0", "1.1.0"):
        src = _release(work, version, f"{repo}:{version}", base, app_mb)
        build_release(src, version=Version.parse(version), out=store)
        if version == "1.1.0":
            break
        shutil.rmtree(src)
    base.unlink()
    return store


def _full(client: docker.DockerClient, base_url: str, settings: Settings) -> int:
    pkg = settings.cache_dir / "docker-x86_64.zip"
    result = download(
        f"{base_url}/1.1.0/docker-x86_64.zip",
        pkg,
        expected_sha256=FULL_SHA256[0],
        settings=settings,
    )
    staged = unpack(pkg, settings.cache_dir / "staged")
    for tar in sorted((staged / "images").glob("*.tar")):
        tag_loaded(client, load_image_tar(client, tar, discard))
    return result.bytes_transferred


def _thin(client: docker.DockerClient, base_url: str, settings: Settings) -> int:
    cache = settings.cache_dir
    index_result = download(
        f"{base_url}/1.1.0/images-x86_64.json",
        cache / "images-x86_64.json",
        expected_sha256=None,
        settings=settings,
    )
    index = parse_index(index_result.path.read_bytes())
    plan = plan_thin(index, present_chains(client), full_bytes=0)
    blobs = cache / "blobs"
    wanted = [
        Wanted(
            f"{base_url}/1.1.0/{index.files.name}",
            cache / index.files.name,
            index.files.sha256,
            index.files.size,
        )
    ]
    wanted += [
        Wanted(f"{base_url}/{BLOB_DIR}/{b.hex}", blobs / b.hex, b.hex, b.size) for b in plan.blobs
    ]
    results = download_many(
        wanted,
        settings=settings,
        emit=discard,
        cancel=threading.Event(),
        label="blobs",
        expected_from="the image index",
    )
    load_thin(client, plan, lambda blob: blobs / blob.hex, discard)
    return index_result.bytes_transferred + sum(r.bytes_transferred for r in results)


def _timed(
    run: Callable[[docker.DockerClient, str, Settings], int],
    client: docker.DockerClient,
    base_url: str,
    work: Path,
    ref: str,
) -> tuple[int, float]:
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work))
    settings = Settings(cache_dir=cache)
    started = time.perf_counter()
    fetched = run(client, base_url, settings)
    seconds = time.perf_counter() - started
    assert client.images.get(ref).attrs["RootFS"]["Layers"], ref
    client.images.remove(ref, force=True)
    shutil.rmtree(cache)
    return fetched, seconds


@contextlib.contextmanager
def _servers(store: Path, rate_bps: int) -> Iterator[list[tuple[str, str]]]:
    loopback = serve_directory(store)
    throttled = FaultServer(b"")
    throttled.serve_directory(store, rate_bps)
    try:
        yield [("loopback", loopback.url_for("").rstrip("/")), ("throttled", throttled.base_url)]
    finally:
        loopback.shutdown()
        throttled.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-mb", type=float, default=200)
    parser.add_argument("--app-mb", type=float, default=10)
    parser.add_argument("--rate-mbps", type=float, default=20, help="throttled link, MB/s")
    parser.add_argument("--quick", action="store_true", help="small sizes (CI)")
    args = parser.parse_args()
    if args.quick:
        args.base_mb, args.app_mb, args.rate_mbps = 16, 0.8, 4
    client = connect()
    repo = f"tuibench/thin-{uuid.uuid4().hex[:8]}"
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-thin-") as tmp:
        work = Path(tmp)
        store = _build(work, args.base_mb, args.app_mb, repo)
        manifest = json.loads((store / "manifest.json").read_bytes())
        FULL_SHA256.append(manifest["platforms"]["x86_64"]["hash"])
        old = store / "1.0.0" / "docker-x86_64.zip"
        staged = unpack(old, work / "old")
        for tar in staged.glob("images/*.tar"):
            tag_loaded(client, load_image_tar(client, tar, discard))
        try:
            with _servers(store, int(args.rate_mbps * MB)) as servers:
                for link, base_url in servers:
                    for mode, run in (("full", _full), ("thin", _thin)):
                        fetched, seconds = _timed(run, client, base_url, work, f"{repo}:1.1.0")
                        results[f"{mode}_{link}"] = {"bytes": fetched, "seconds": seconds}
                        print(f"{mode:4} {link:9} {fetched / MB:9.1f} MB  {seconds:7.2f} s")
        finally:
            with contextlib.suppress(docker.errors.DockerException):
                client.images.remove(f"{repo}:1.0.0", force=True)
    ratio = results["thin_loopback"]["bytes"] / results["full_loopback"]["bytes"]
    faster = results["thin_throttled"]["seconds"] < results["full_throttled"]["seconds"]
    summary = {
        "base_mb": args.base_mb,
        "app_mb": args.app_mb,
        "rate_mbps": args.rate_mbps,
        **{f"{k}_{m}": round(v[m], 3) for k, v in results.items() for m in ("bytes", "seconds")},
        "thin_faster_throttled": faster,
        "ratio": round(ratio, 4),
    }
    emit_result(summary)
    if ratio > 0.1 or not faster:
        raise SystemExit(f"target missed: ratio {ratio:.3f} (<= 0.1), thin faster: {faster}")


if __name__ == "__main__":
    main()

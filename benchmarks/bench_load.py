"""Image load speed: our streamed load with per-layer progress vs ``docker load -i``.

A ~200 MB image with 5 layers of random data (so nothing compresses away) is
written in the ``docker save`` format. Each round times, in turn:
  ours        ops.images.load.load_image_tar + tag_loaded, in this process (the
              tool is already running when it loads images), counting events
  docker_cli  ``docker load -i TAR``
removing the image (and so its layers) after every load. Three rounds,
medians. Target (issue 5): ratio = ours / docker_cli <= 1.1.

    .venv/bin/python benchmarks/bench_load.py [--size-mb 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

import docker

from benchmarks._common import check, emit_result, median, run_child
from tests.support.images import (
    FileContent,
    ImageDef,
    base_layer,
    write_image_tar,
    write_random_file,
)
from tui_upgrader.core.events import Event, LayerEvent
from tui_upgrader.ops.images.engine import connect, image_id
from tui_upgrader.ops.images.load import load_image_tar, tag_loaded

LAYERS = 5


def build_tar(work: Path, ref: str, size_mb: int) -> tuple[Path, str]:
    per_layer = size_mb * 1_000_000 // LAYERS
    stack: list[dict[str, FileContent]] = []
    for n in range(LAYERS):
        files: dict[str, FileContent] = base_layer() if n == 0 else {}
        files[f"data/blob-{n}.bin"] = write_random_file(work / f"blob-{n}.bin", per_layer)
        stack.append(files)
    tar = work / "bench-amd64.tar"
    image = ImageDef((ref,), tuple(stack), labels={"tui-upgrader.bench": uuid.uuid4().hex})
    (info,) = write_image_tar(tar, [image])
    for n in range(LAYERS):
        (work / f"blob-{n}.bin").unlink()
    return tar, info.image_id


def remove(client: docker.DockerClient, ref: str, image: str) -> None:
    for name in (ref, image):
        with contextlib.suppress(docker.errors.NotFound):
            client.images.remove(name, force=True)
    if image_id(client, image) is not None:
        raise SystemExit(f"could not remove {image} between rounds")


def time_ours(client: docker.DockerClient, tar: Path) -> tuple[float, int]:
    events: list[Event] = []
    started = time.perf_counter()
    result = load_image_tar(client, tar, events.append)
    tag_loaded(client, result)
    seconds = time.perf_counter() - started
    layer_events = [e for e in events if isinstance(e, LayerEvent)]
    finals = {e.layer: e.done == e.total for e in layer_events}
    if len(finals) != LAYERS or not all(finals.values()):
        raise SystemExit(f"layer progress incomplete: {finals}")
    return seconds, len(layer_events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None, help="where the tar is written")
    parser.add_argument(
        "--quick", action="store_true", help="small size, for CI (scripts/bench_quick.sh)"
    )
    args = parser.parse_args()
    if args.quick:
        args.size_mb, args.rounds = 20, 1
    docker_bin = shutil.which("docker") or "docker"
    client = connect()
    ref = f"tuitest/bench-load-{uuid.uuid4().hex[:10]}:1.0.0-amd64"
    with tempfile.TemporaryDirectory(prefix="bench-load-", dir=args.workdir) as tmp:
        work = Path(tmp)
        tar, image = build_tar(work, ref, args.size_mb)
        size_mb = tar.stat().st_size / 1e6
        print(f"archive: {tar} {size_mb:.1f} MB, {LAYERS} layers, image {image[:19]}")
        # Both sides read the archive from the page cache.
        subprocess.run(["cat", str(tar)], stdout=subprocess.DEVNULL, check=True)
        ours: list[float] = []
        cli: list[float] = []
        try:
            remove(client, ref, image)
            for n in range(1, args.rounds + 1):
                # Alternate who goes first: the engine's clean-up of the last
                # removal (overlay2 dirs, page cache) must not favour one side.
                for side in ("ours", "cli") if n % 2 else ("cli", "ours"):
                    os.sync()  # the last removal's writeback must not land in a timing
                    if side == "ours":
                        seconds, count = time_ours(client, tar)
                        ours.append(seconds)
                    else:
                        run = check(run_child([docker_bin, "load", "-i", str(tar)]), "docker load")
                        cli.append(run.seconds)
                    remove(client, ref, image)
                print(
                    f"round {n}: ours {ours[-1]:.2f}s ({count} layer events), "
                    f"docker load {cli[-1]:.2f}s"
                )
        finally:
            remove(client, ref, image)
            with contextlib.suppress(docker.errors.NotFound):
                client.images.remove(ref.replace("-amd64", ""), force=True)
    ours_s, cli_s = median(ours), median(cli)
    print(f"median: ours {ours_s:.2f}s, docker load {cli_s:.2f}s ({size_mb / ours_s:.0f} MB/s)")
    emit_result(
        {
            "size_mb": round(size_mb, 1),
            "layers": LAYERS,
            "rounds": args.rounds,
            "ours_runs_s": [round(s, 3) for s in ours],
            "docker_cli_runs_s": [round(s, 3) for s in cli],
            "ours_s": round(ours_s, 3),
            "docker_cli_s": round(cli_s, 3),
            "ratio": round(ours_s / cli_s, 3),
        }
    )


if __name__ == "__main__":
    main()

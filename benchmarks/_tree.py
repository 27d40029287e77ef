"""A deterministic mixed deploy-dir-like tree for the backup benchmark.

``build_tree(root, scale)``: at scale 1.0 about 1 GiB: incompressible "jars",
an SQL dump and logs (compressible), ~24,000 small files in nested upload
folders, plus symlinks, hard links, empty directories and non-ASCII names.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

MIB = 1 << 20


def _text_block(rnd: random.Random, size: int, kind: str) -> bytes:
    lines: list[str] = []
    total = 0
    words = ["alpha", "beta", "gamma", "delta", "user", "order", "invoice", "päckchen", "日志"]
    while total < size:
        if kind == "sql":
            line = (
                f"INSERT INTO orders VALUES ({rnd.randrange(10**9)},'{rnd.choice(words)}',"
                f"{rnd.randrange(10**6) / 100:.2f},'2025-0{rnd.randrange(1, 10)}-"
                f"{rnd.randrange(10, 29)} 12:{rnd.randrange(10, 60)}:00');\n"
            )
        else:
            stamp = f"{rnd.randrange(10, 60)}:{rnd.randrange(10, 60)}.{rnd.randrange(1000):03d}"
            line = (
                f"2025-09-01T08:{stamp}Z "
                f"INFO [{rnd.choice(words)}] request id={rnd.getrandbits(64):016x} "
                f"took {rnd.randrange(2000)} ms status={rnd.choice((200, 200, 200, 404, 500))}\n"
            )
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()[:size]


def build_tree(root: Path, scale: float = 1.0, seed: int = 7) -> dict[str, int]:
    rnd = random.Random(seed)
    root.mkdir(parents=True)
    counts = {"files": 0, "bytes": 0, "symlinks": 0, "hardlinks": 0, "dirs": 0}

    def put(rel: str, data: bytes) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        counts["files"] += 1
        counts["bytes"] += len(data)

    def put_big(rel: str, total: int, kind: str) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            done = 0
            while done < total:
                n = min(4 * MIB, total - done)
                fh.write(rnd.randbytes(n) if kind == "random" else _text_block(rnd, n, kind))
                done += n
        counts["files"] += 1
        counts["bytes"] += total

    put("compose.yaml", b"services:\n  web:\n    image: demo/app:1.0.0\n")
    put(".env", b"FRONTEND_HOST_PORT=8080\nDB_PASSWORD=secret\n")
    for i in range(8):
        put_big(f"app/lib/module-{i}.jar", int(32 * MIB * scale), "random")
    put_big("data/db/dump.sql", int(320 * MIB * scale), "sql")
    for i in range(6):
        put_big(f"logs/app-{i}.log", int(32 * MIB * scale), "log")
    n_small = int(24000 * scale)
    for i in range(n_small):
        size = rnd.randrange(1024, 16 * 1024)
        rel = f"upload/{i % 40:02d}/{(i // 40) % 6}/f{i:06d}.{'txt' if i % 3 else 'bin'}"
        data = rnd.randbytes(size) if i % 3 == 0 else _text_block(rnd, size, "log")
        put(rel, data)
    for i in range(int(200 * scale)):
        put(f"config/conf.d/über-{i:03d}.yml", f"key: {i}\nname: Ölung {i}\n".encode())
    for i in range(int(400 * scale)):
        link = root / f"upload/{i % 40:02d}/link-{i}"
        os.symlink(f"{(i // 40) % 6}/f{i:06d}.{'txt' if i % 3 else 'bin'}", link)
        counts["symlinks"] += 1
    for i in range(int(100 * scale)):
        os.link(root / f"config/conf.d/über-{i:03d}.yml", root / f"config/conf.d/hard-{i}.yml")
        counts["hardlinks"] += 1
    for i in range(40):
        (root / f"data/empty/{i:02d}").mkdir(parents=True)
        counts["dirs"] += 1
    (root / ".tui-upgrader").mkdir()
    put(".tui-upgrader/state.toml", b'version = "1.4.2.3"\n')
    return counts

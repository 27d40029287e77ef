"""Assemble one release folder of the PostgreSQL example, ready for `tui-upgrader release build`.

    python3 examples/postgres/make_release.py 1.1.0 /tmp/pg/1.1.0 [--env PG_PORT=54400 ...]

Every release is release/ with the migrations up to its version (1.0.0: the
items table; 1.1.0: orders and a SKU column; 1.2.0: broken on purpose, a
destructive migration that commits, then one that fails). ``--env`` sets
values of the release's .env (ports, project name, image, password).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIGRATIONS = {
    "1.0.0": ("001_items.sql",),
    "1.1.0": ("001_items.sql", "002_orders.sql"),
    "1.2.0": ("001_items.sql", "002_orders.sql", "003_prune.sql", "004_rescale.sql"),
}
NOTES = {
    "1.0.0": "First release: items.",
    "1.1.0": "Orders, and a SKU for every item (schema migration at start).",
    "1.2.0": "Broken on purpose: prunes items (committed), then a migration fails.",
}


def make_release(version: str, out: Path, env: dict[str, str] | None = None) -> Path:
    if version not in MIGRATIONS:
        raise SystemExit(f"unknown version {version}; one of {', '.join(MIGRATIONS)}")
    shutil.copytree(
        HERE / "release", out, ignore=shutil.ignore_patterns("migrations", "__pycache__")
    )
    (out / "app" / "migrations").mkdir()
    for name in MIGRATIONS[version]:
        shutil.copy2(HERE / "release" / "app" / "migrations" / name, out / "app" / "migrations")
    (out / "RELEASE_NOTES.md").write_text(NOTES[version] + "\n", encoding="utf-8")
    if env:
        lines = (out / ".env").read_text(encoding="utf-8").splitlines()
        values = dict(line.split("=", 1) for line in lines if "=" in line)
        values.update(env)
        text = "".join(f"{key}={value}\n" for key, value in values.items())
        (out / ".env").write_text(text, encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", choices=sorted(MIGRATIONS))
    parser.add_argument("out", type=Path)
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    print(make_release(args.version, args.out, env))


if __name__ == "__main__":
    main()

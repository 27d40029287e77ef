"""Regenerate screenshots/*.svg (embedded in the README) from the demo-like scenes.

    .venv/bin/python -m tests.make_screenshots [--size 120x36] [--out screenshots]
        [--language zh_CN] [NAME ...]

The scenes are the snapshot tests' (tests/support/ui_drive.py): a FrozenClock, a
parked runner fed events on the UI thread and fixed paths, so running this
twice writes identical files. Nothing touches Docker or the network.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from textual.widgets import Input

from tests.support.ui_drive import SCENES
from tui_upgrader.ops.language import install_language

ROOT = Path(__file__).resolve().parent.parent

# Which scenes the README shows, and under which file name.
SHOTS = {
    "manifest": "manifest",
    "manifest-unsigned": "manifest-unsigned",
    "strategy": "strategy",
    "backups": "backups",
    "restore-modal": "restore",
    "progress": "progress",
    "result-success": "result",
    "result-rollback": "rollback",
    "journal": "journal",
    "error-unreachable": "error",
    "first-run": "first-run",
}


async def shoot(
    scene_name: str, out: Path, size: tuple[int, int], tmp: Path, suffix: str = ""
) -> Path:
    scene = SCENES[scene_name]
    app = scene.build(tmp)
    async with app.run_test(size=size) as pilot:
        await scene.run_before(pilot)
        await pilot.pause()
        name = f"{SHOTS.get(scene_name, scene_name)}{suffix}.svg"
        app.save_screenshot(filename=name, path=str(out))
    return out / name


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help=f"scenes (default: {', '.join(SHOTS)})")
    parser.add_argument("--size", default="120x36", help="terminal size, WIDTHxHEIGHT")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument(
        "--language", default="en", help="zh_CN: the scenes in Chinese, saved as NAME-zh_CN.svg"
    )
    args = parser.parse_args(argv)
    if install_language(args.language) != args.language:
        parser.error(f"no catalogue for {args.language}: run scripts/bootstrap.sh")
    suffix = "" if args.language == "en" else f"-{args.language}"
    width, height = (int(part) for part in args.size.split("x"))
    unknown = [n for n in args.names if n not in SCENES]
    if unknown:
        parser.error(f"unknown scene(s) {', '.join(unknown)}; known: {', '.join(SCENES)}")
    # A blinking cursor would make two runs differ.
    Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]
    out = args.out.resolve()  # before the chdir below
    out.mkdir(parents=True, exist_ok=True)
    for name in args.names or list(SHOTS):
        # A fresh dir a scene, and the cwd in it: the scenes' backup paths are
        # relative to the cwd, as in the snapshots.
        with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
            path = asyncio.run(shoot(name, out, (width, height), Path(tmp), suffix))
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The layering rule, checked at run time: headless code never loads Textual."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEADLESS_MODULES = [
    "tui_upgrader.core",
    "tui_upgrader.core.strategy",
    "tui_upgrader.ops",
    "tui_upgrader.headless",
    "tui_upgrader.cli",
]


@pytest.mark.parametrize("module", HEADLESS_MODULES)
def test_headless_import_leaves_textual_out(module: str) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"mod = importlib.import_module({module!r})\n"
        "if hasattr(mod, '__path__'):\n"
        "    for info in pkgutil.walk_packages(mod.__path__, mod.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')\n"
        "             or m.startswith('tui_upgrader.ui'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} pulled in: {out.stdout.strip()}"


def test_commands_import_leaves_textual_out() -> None:
    code = (
        "import sys\n"
        "from tui_upgrader.cli import build_parser\n"
        "build_parser()\n"
        "print(any(m.startswith('textual') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

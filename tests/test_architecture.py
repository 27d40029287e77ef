"""The layering rule, checked at run time: headless code never loads Textual; faces agree."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

HEADLESS_MODULES = [
    "tui_upgrader.core",
    "tui_upgrader.core.strategy",
    "tui_upgrader.ops",
    "tui_upgrader.headless",
    "tui_upgrader.cli",
]


def _fresh_python(code: str) -> str:
    """What ``code`` prints in a new interpreter (nothing imported yet)."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


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
    pulled = _fresh_python(code)
    assert pulled == "", f"{module} pulled in: {pulled}"


def test_commands_import_leaves_textual_out() -> None:
    code = (
        "import sys\n"
        "from tui_upgrader.cli import build_parser\n"
        "build_parser()\n"
        "print(any(m.startswith('textual') for m in sys.modules))\n"
    )
    assert _fresh_python(code) == "False"


def _faces() -> list[Path]:
    ops = Path(__file__).resolve().parents[1] / "tui_upgrader" / "ops"
    return sorted(p for p in ops.glob("*/__init__.py"))


def _face_tables(init: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(names imported under TYPE_CHECKING -> submodule, lazy_face table)."""
    tree = ast.parse(init.read_text())
    typed: dict[str, str] = {}
    table: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If):
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.module is not None
                for alias in imp.names:
                    typed[alias.name] = imp.module.rsplit(".", 1)[1]
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            literal = node.value.args[1]
            assert isinstance(literal, ast.Dict)
            table = {ast.literal_eval(k): ast.literal_eval(v)  # type: ignore[arg-type]
                     for k, v in zip(literal.keys, literal.values, strict=True)}  # fmt: skip
    return typed, table


def test_every_capability_has_a_face() -> None:
    names = {p.parent.name for p in _faces()}
    assert names == {
        "archive", "backup", "download", "images", "notify", "release", "stack", "trust",
        "upgrade",
    }  # fmt: skip


@pytest.mark.parametrize("init", _faces(), ids=lambda p: p.parent.name)
def test_a_face_lists_each_name_once_and_each_name_resolves(init: Path) -> None:
    typed, table = _face_tables(init)
    assert typed and typed == table, f"{init}: TYPE_CHECKING imports and lazy table disagree"
    package = importlib.import_module(f"tui_upgrader.ops.{init.parent.name}")
    for name, module in table.items():
        real = getattr(importlib.import_module(f"{package.__name__}.{module}"), name)
        assert getattr(package, name) is real
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = package.missing


def test_a_face_loads_only_the_module_of_the_name_asked_for() -> None:
    code = (
        "import sys\n"
        "from tui_upgrader.ops.upgrade import load_decision\n"
        "print(','.join(m for m in ('tui_upgrader.ops.upgrade.runner', "
        "'tui_upgrader.ops.backup.store', 'docker') if m in sys.modules))\n"
    )
    assert _fresh_python(code) == ""


def test_apprise_loads_only_when_a_notification_is_sent() -> None:
    """It takes most of a second to import; the TUI and the runner must not pay for it."""
    code = (
        "import sys\n"
        "import tui_upgrader.ui.app, tui_upgrader.ops.upgrade.runner\n"
        "import tui_upgrader.ops.upgrade.recovery, tui_upgrader.ops.upgrade.backup_with_stack\n"
        "print('apprise' in sys.modules)\n"
    )
    assert _fresh_python(code) == "False"

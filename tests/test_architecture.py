"""The layering rule, checked at run time: headless code never loads Textual, and the
first screen and `check` load the engine libraries only when they need them."""

from __future__ import annotations

import json
import os
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


def _fresh_python(code: str, env: dict[str, str] | None = None) -> str:
    """What ``code`` prints in a new interpreter (nothing imported yet)."""
    environ = {**os.environ, **(env or {})}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environ
    )
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


def test_apprise_loads_only_when_a_notification_is_sent() -> None:
    """It takes most of a second to import; the TUI and the runner must not pay for it."""
    code = (
        "import sys\n"
        "import tui_upgrader.ui.app, tui_upgrader.ops.upgrade.runner\n"
        "import tui_upgrader.ops.upgrade.recovery, tui_upgrader.ops.upgrade.backup_with_stop\n"
        "print('apprise' in sys.modules)\n"
    )
    assert _fresh_python(code) == "False"


# What the first screen and a dry run must not wait for: the docker SDK, httpx,
# python-tuf (and the engine modules behind them) load when a step needs them.
ENGINE_LIBRARIES = ("docker", "httpx", "tuf")
_LOADED = f"print(','.join(m for m in {ENGINE_LIBRARIES!r} if m in sys.modules))\n"


def test_the_parser_registers_every_subcommand_without_their_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from tui_upgrader.cli import COMMANDS, build_parser\n"
        "sub = build_parser()._subparsers._group_actions[0].choices\n"
        "assert set(sub) == set(COMMANDS), sorted(sub)\n"
        "heavy = ('werkzeug', 'tui_upgrader.ops.upgrade.runner', 'tui_upgrader.ops.backup.store',\n"
        "         'tui_upgrader.ops.release.build', 'docker', 'httpx', 'tuf')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    assert _fresh_python(code) == ""


def test_the_first_screen_loads_no_engine_library() -> None:
    code = (
        "import sys\n"
        "import tui_upgrader.ui.launch, tui_upgrader.ui.app\n"
        "from tui_upgrader.ui.screens import wizard, manifest, journal, error\n" + _LOADED
    )
    assert _fresh_python(code) == ""


def test_check_of_an_unsigned_local_release_loads_no_engine_library(tmp_path: Path) -> None:
    """``check`` against a manifest file needs neither HTTP, TUF nor the engine library
    when the architecture is given (TUI_UPGRADER_ARCH); without it the engine is asked
    (``docker info``, #19), which is the SDK's job."""
    from tests.support.manifests import enhanced

    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(enhanced()))
    config = tmp_path / "config.toml"
    config.write_text("allow_unsigned = true\n")
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    argv = ["--config", str(config), "check", "--json", "--manifest", str(manifest)]
    argv += ["--deploy-dir", str(deploy)]
    code = (
        "import contextlib, io, os, sys\n"
        "os.environ['TUI_UPGRADER_ARCH'] = 'x86_64'\n"
        "from tui_upgrader.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    assert main({argv!r}) == 0\n"
        "assert '\"strategy\"' in out.getvalue(), out.getvalue()\n" + _LOADED
    )
    assert _fresh_python(code, {"TUI_UPGRADER_ARCH": "x86_64"}) == ""


def _ops_calls(name: str) -> list[str]:
    """The ops modules whose code calls ``name(...)``."""
    ops = Path(__file__).resolve().parents[1] / "tui_upgrader" / "ops"
    return sorted(
        str(path.relative_to(ops)) for path in ops.rglob("*.py") if f"{name}(" in path.read_text()
    )


def test_one_guard_takes_the_deploy_lock_and_one_context_emits_step_events() -> None:
    # Everything that stops the stack goes through stack_guard (lock, journal refusal,
    # temp sweep); every step event comes from Context.step / Context.skip.
    assert _ops_calls("deploy_lock") == ["upgrade/journal.py", "upgrade/stack_guard.py"]
    assert _ops_calls("stack_guard") == [
        "upgrade/backup_with_stop.py",  # backup create --stop, start-left-stopped
        "upgrade/recovery.py",
        "upgrade/restore_with_stop.py",
        "upgrade/runner.py",
        "upgrade/stack_guard.py",
    ]
    assert _ops_calls("StepEvent") == ["upgrade/_internal/steps.py"]
    assert _ops_calls("def crash_point") == ["fault_points.py"]


def test_tests_share_helpers_only_through_tests_support() -> None:
    """No test imports another test module or a conftest; what two folders share is in
    tests/support/ (a folder's own helper modules stay beside its tests)."""
    tests = Path(__file__).resolve().parent
    bad: list[str] = []
    for path in sorted(tests.rglob("*.py")):
        folder = path.parent.relative_to(tests).parts
        if folder[:1] == ("support",):
            continue  # (tests/support/engines.py still reuses the fault suite's private engine)
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.split()
            if (
                len(words) < 2
                or words[0] not in ("from", "import")
                or not words[1].startswith("tests.")
            ):
                continue
            parts = words[1].split(".")[1:]
            if parts[0] == "support":
                continue
            if (
                parts[-1].startswith("test_")
                or parts[-1] == "conftest"
                or tuple(parts[:-1]) != folder
            ):
                bad.append(f"{path.relative_to(tests)}: {line.strip()}")
    assert not bad, "\n".join(bad)

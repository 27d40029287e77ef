"""The real CLI in a subprocess: LANG / the config key switch its messages;
``--json`` stays English (an interface)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CHECK = [
    "check",
    "--manifest",
    str(EXAMPLES / "manifest.json"),
    "--deploy-dir",
    str(EXAMPLES / "deploy"),
]


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "tui_upgrader", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


def test_lang_zh_cn_translates_check_and_json_stays_english() -> None:
    english = run(CHECK, LANG="C.UTF-8")
    chinese = run(CHECK, LANG="zh_CN.UTF-8")
    assert english.returncode == chinese.returncode == 0, chinese.stderr
    assert "Strategy:  patch" in english.stdout
    assert "策略：" in chinese.stdout and "增量升级" in chinese.stdout
    assert "存在 x86_64 的增量升级包" in chinese.stdout
    assert "Strategy" not in chinese.stdout

    as_json = run([*CHECK, "--json"], LANG="zh_CN.UTF-8")
    assert as_json.returncode == 0, as_json.stderr
    english_json = run([*CHECK, "--json"], LANG="C.UTF-8")
    assert json.loads(as_json.stdout) == json.loads(english_json.stdout)
    assert json.loads(as_json.stdout)["reasons"][1].startswith("A patch package for x86_64")


def test_errors_and_help_follow_lang(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    failed = run([*CHECK, "--config", str(missing)], LANG="zh_CN.UTF-8")
    assert failed.returncode == 2
    assert failed.stderr.strip() == f"tui-upgrader：错误：{missing}：找不到配置文件"
    helped = run(["check", "--help"], LANG="zh_CN.UTF-8")
    assert "显示适用的升级方式及原因" in run(["--help"], LANG="zh_CN.UTF-8").stdout
    assert "输出一个 JSON 对象" in helped.stdout


def test_the_config_language_key_beats_lang(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('language = "zh_CN"\nallow_unsigned = true\n', encoding="utf-8")
    out = run([*CHECK, "--config", str(config)], LANG="en_US.UTF-8")
    assert out.returncode == 0, out.stderr
    assert "策略：" in out.stdout
    config.write_text('language = "en"\nallow_unsigned = true\n', encoding="utf-8")
    out = run([*CHECK, "--config", str(config)], LANG="zh_CN.UTF-8")
    assert "Strategy:  patch" in out.stdout


def test_upgrade_json_events_stay_english(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    out = run(["upgrade", "--json", "--yes", "--config", str(missing)], LANG="zh_CN.UTF-8")
    assert out.returncode == 2
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert events[-1]["type"] == "result"
    assert events[-1]["error"] == f"{missing}: config file not found"
    assert all(not any("\u4e00" <= c <= "\u9fff" for c in line) for line in out.stdout.splitlines())

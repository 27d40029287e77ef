"""``tui-upgrader check`` against a local file and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run_cli
from tests.support.manifests import HASH_A, enhanced
from tui_upgrader.core.events import Step
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.state import DeployState, write_state
from tui_upgrader.ops.upgrade.journal import new_journal, write_journal

CONTRACT_KEYS = {
    "current_version",
    "target_version",
    "comparison",
    "strategy",
    "reasons",
    "package",
}


@pytest.fixture
def deploy(tmp_path: Path) -> Path:
    d = tmp_path / "deploy"
    d.mkdir()
    (d / "docker-compose.yml").write_text("services: {}\n")
    write_state(d, DeployState(version=Version.parse("0.0.12")))
    return d


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc))
    return path


def test_check_json_local_file(tmp_path: Path, deploy: Path) -> None:
    manifest = _write(tmp_path / "m.json", enhanced())
    out = run_cli("check", "--json", "--manifest", str(manifest), "--deploy-dir", str(deploy))
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj.keys() >= CONTRACT_KEYS
    assert obj["current_version"] == "0.0.12.0"
    assert obj["target_version"] == "0.0.13.2"
    assert obj["comparison"] == "full_upgrade_required"
    assert obj["strategy"] == "full"
    assert obj["package"] == {
        "url": "https://cdn.example.org/svc/docker-x86_64.zip",
        "sha256": HASH_A,
        "size": 1234,
    }
    assert all(isinstance(r, str) and r for r in obj["reasons"])


def test_check_json_over_http_resolves_relative_urls(
    served: tuple[str, Path], deploy: Path
) -> None:
    base, root = served
    doc = enhanced()
    doc["platforms"]["x86_64"]["url"] = "/releases/docker-x86_64.zip"
    _write(root / "manifest.json", doc)
    write_state(deploy, DeployState(version=Version.parse("0.0.13")))
    out = run_cli(
        "check",
        "--json",
        "--manifest",
        f"{base}/manifest.json",
        "--deploy-dir",
        str(deploy),
        "--force-full",
    )
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj["strategy"] == "full"
    assert obj["package"]["url"] == f"{base}/releases/docker-x86_64.zip"


def test_check_patch_over_http(served: tuple[str, Path], deploy: Path) -> None:
    base, root = served
    _write(root / "manifest.json", enhanced())
    write_state(deploy, DeployState(version=Version.parse("0.0.13")))
    out = run_cli(
        "check", "--json", "--manifest", f"{base}/manifest.json", "--deploy-dir", str(deploy)
    )
    obj = json.loads(out.stdout)
    assert (obj["strategy"], obj["comparison"]) == ("patch", "patch_upgradeable")


def test_check_human_output_explains(tmp_path: Path, deploy: Path) -> None:
    manifest = _write(tmp_path / "m.json", enhanced())
    out = run_cli("check", "--manifest", str(manifest), "--deploy-dir", str(deploy))
    assert out.returncode == 0
    assert "Strategy:  full" in out.stdout
    assert "new release" in out.stdout


def test_bad_manifest_is_exit_2_with_json_path(tmp_path: Path, deploy: Path) -> None:
    doc = enhanced()
    doc["patch"]["x86_64"]["operations"]["replace"]["files"][1] = "../../etc/passwd"
    manifest = _write(tmp_path / "m.json", doc)
    out = run_cli("check", "--json", "--manifest", str(manifest), "--deploy-dir", str(deploy))
    assert out.returncode == 2
    assert "patch.x86_64.operations.replace.files[1]" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_http_404_is_a_one_line_error(served: tuple[str, Path], deploy: Path) -> None:
    base, _ = served
    out = run_cli("check", "--manifest", f"{base}/missing.json", "--deploy-dir", str(deploy))
    assert out.returncode == 1
    assert "HTTP 404" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_connection_refused_is_a_one_line_error(deploy: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = run_cli(
        "check", "--manifest", f"http://127.0.0.1:{port}/m.json", "--deploy-dir", str(deploy)
    )
    assert out.returncode == 1
    assert "connection refused" in out.stderr


def test_missing_manifest_file_is_exit_2(tmp_path: Path, deploy: Path) -> None:
    out = run_cli("check", "--manifest", str(tmp_path / "nope.json"), "--deploy-dir", str(deploy))
    assert out.returncode == 2 and "manifest file not found" in out.stderr


def test_example_shipped_in_repo() -> None:
    root = Path(__file__).resolve().parents[2]
    out = run_cli(
        "check",
        "--json",
        "--manifest",
        str(root / "examples/manifest.json"),
        "--deploy-dir",
        str(root / "examples/deploy"),
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["strategy"] == "patch"


def test_version_flag() -> None:
    out = run_cli("--version")
    assert out.returncode == 0 and out.stdout.startswith("tui-upgrader ")


def test_check_warns_about_an_interrupted_upgrade(tmp_path: Path, deploy: Path) -> None:
    journal = new_journal("full", "0.0.12.0", "0.0.13.2").advance(Step.STARTING_SERVICES)
    write_journal(deploy, journal)
    manifest = _write(tmp_path / "m.json", enhanced())

    out = run_cli("check", "--json", "--manifest", str(manifest), "--deploy-dir", str(deploy))

    assert out.returncode == 0, out.stderr
    (warning,) = [w for w in json.loads(out.stdout)["warnings"] if "interrupted" in w]
    assert "StartingServices" in warning and "tui-upgrader recover" in warning


def test_check_json_says_a_first_install_downloads_the_full_package(tmp_path: Path) -> None:
    doc = enhanced()
    doc["platforms"]["x86_64"]["images"] = {
        "url": "/1/images-x86_64.json",
        "hash": f"sha256:{HASH_A}",
    }
    manifest = _write(tmp_path / "m.json", doc)
    empty = tmp_path / "fresh"
    out = run_cli("check", "--json", "--manifest", str(manifest), "--deploy-dir", str(empty))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["strategy"] == "full"
    assert report["download"]["mode"] == "full" and report["download"]["thin_bytes"] is None
    assert report["download"]["download_bytes"] == report["package"]["size"]
    assert "first install" in report["download"]["reason"]

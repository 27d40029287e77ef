"""``tui-upgrader fetch [--json]`` end to end: manifest -> strategy -> verified download."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.http_servers import payload, sha256
from tui_upgrader.cli import main
from tui_upgrader.ops.release.server import ReleaseServer
from tui_upgrader.ops.settings import default_cache_dir

SIZE = 700_000
VERSION = "2.1.0.4"


def write_release(root: Path, server: ReleaseServer, *, hash_value: str | None) -> str:
    data = payload(SIZE, seed=21)
    (root / "docker.zip").write_bytes(data)
    manifest = {
        "version": VERSION,
        "release_date": "2026-01-02T03:04:05Z",
        "release_notes": "test release",
        "packages": {
            "full": {
                "url": server.url_for("docker.zip"),
                "hash": hash_value if hash_value is not None else sha256(data),
                "signature": "",
                "size": SIZE,
            },
            "patch": None,
        },
    }
    (root / "manifest.json").write_text(json.dumps(manifest))
    return server.url_for("manifest.json")


def run_fetch(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["fetch", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def deploy_dir(tmp_path: Path) -> Path:
    path = tmp_path / "deploy"
    path.mkdir()
    return path


def test_fetch_json_downloads_then_reuses(
    release_server: ReleaseServer,
    release_dir: Path,
    deploy_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    manifest = write_release(release_dir, release_server, hash_value=None)
    common = ("--json", "--manifest", manifest, "--deploy-dir", str(deploy_dir))

    code, out, _err = run_fetch(capsys, *common)

    assert code == 0
    first: dict[str, Any] = json.loads(out)
    expected = default_cache_dir() / "packages" / VERSION / "full" / "docker.zip"
    data = (release_dir / "docker.zip").read_bytes()
    assert first == {
        "path": str(expected),
        "sha256": sha256(data),
        "size": SIZE,
        "bytes_transferred": SIZE,
        "resumed": False,
        "strategy": "full",
        "target_version": VERSION,
    }
    assert expected.read_bytes() == data

    code, out, _err = run_fetch(capsys, *common)

    assert code == 0
    second = json.loads(out)
    assert (second["path"], second["bytes_transferred"]) == (str(expected), 0)


def test_fetch_text_prints_the_path(
    release_server: ReleaseServer,
    release_dir: Path,
    deploy_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    manifest = write_release(release_dir, release_server, hash_value=None)

    code, out, err = run_fetch(capsys, "--manifest", manifest, "--deploy-dir", str(deploy_dir))

    assert code == 0
    path = Path(out.strip())
    assert path.is_file() and path.stat().st_size == SIZE
    assert "DownloadingUpdate" in err


def test_unverifiable_package_is_refused_unless_allowed(
    release_server: ReleaseServer,
    release_dir: Path,
    deploy_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    manifest = write_release(release_dir, release_server, hash_value="external")
    common = ("--json", "--manifest", manifest, "--deploy-dir", str(deploy_dir))

    code, out, err = run_fetch(capsys, *common)

    assert code == 2 and out == ""
    assert "no sha256" in err and "allow_unverified" in err
    assert not (default_cache_dir() / "packages").exists()

    config = tmp_path / "config.toml"
    config.write_text("allow_unverified = true\nallow_unsigned = true\n")
    code, out, _err = run_fetch(capsys, "--config", str(config), *common)

    assert code == 0
    result = json.loads(out)
    assert result["size"] == SIZE and Path(result["path"]).is_file()


def test_nothing_to_fetch_when_up_to_date(
    release_server: ReleaseServer,
    release_dir: Path,
    deploy_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    manifest = write_release(release_dir, release_server, hash_value=None)
    (deploy_dir / "docker-compose.yml").write_text("services: {}\n")
    (deploy_dir / ".tui-upgrader").mkdir()
    (deploy_dir / ".tui-upgrader" / "state.toml").write_text(f'version = "{VERSION}"\n')

    code, out, _err = run_fetch(
        capsys, "--json", "--manifest", manifest, "--deploy-dir", str(deploy_dir)
    )

    assert code == 0
    result = json.loads(out)
    assert result["path"] is None and result["strategy"] == "none"
    assert not (default_cache_dir() / "packages").exists()

    code, out, _err = run_fetch(capsys, "--manifest", manifest, "--deploy-dir", str(deploy_dir))
    assert code == 0 and out.startswith("Nothing to fetch")

"""One regression test per numbered finding of #26: each bad input is one line,
exit 2, and changes nothing on disk (``run_cli`` checks the disk)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from tests.cli.inprocess import assert_refusal_shape, make_world, run_cli
from tests.support.original_corpus import LEGACY
from tui_upgrader.cli import main
from tui_upgrader.core.errors import ConfigError, UpgraderError

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_world(tmp_path, monkeypatch)


def _refused(world: Path, capsys: Capsys, *argv: str) -> str:
    code, err = run_cli(world, capsys, list(argv))
    assert_refusal_shape(list(argv), code, err)
    assert code == 2, err
    return err


def _manifest(world: Path, doc: object | bytes) -> str:
    path = world / "m.json"
    path.write_bytes(doc if isinstance(doc, bytes) else json.dumps(doc).encode())
    return str(path)


def _config(world: Path, body: bytes) -> str:
    path = world / "c.toml"
    path.write_bytes(body)
    return str(path)


def _check(world: Path, manifest: str, config: str | None = None) -> list[str]:
    return ["check", "--config", config or str(world / "u.toml"), "--manifest", manifest]


def test_01_huge_integers_name_their_json_path(world: Path, capsys: Capsys) -> None:
    raw = json.dumps(LEGACY).replace('"size": 0', '"size": ' + "9" * 4400).encode()
    err = _refused(world, capsys, *_check(world, _manifest(world, raw)))
    assert "packages.full.size: out of range" in err
    doc = dict(LEGACY, version="1." + "9" * 4400 + ".0")
    assert "version: invalid version" in _refused(
        world, capsys, *_check(world, _manifest(world, doc))
    )


def test_02_long_url_component_and_long_values_are_cut(world: Path, capsys: Capsys) -> None:
    doc = json.loads(json.dumps(LEGACY))
    doc["packages"]["full"]["url"] = "/" + "x" * 5000 + "/p.zip"
    code, err = run_cli(world, capsys, _check(world, _manifest(world, doc)))
    assert code == 0 and "Traceback" not in err
    assert len(UpgraderError("where: " + "y" * 5000).message) < 200


@pytest.mark.parametrize("body", [b"manifest = '\xff\xfe'\n", "manifest = 'x'\n".encode("utf-16")])
def test_03_config_not_utf8(world: Path, capsys: Capsys, body: bytes) -> None:
    err = _refused(world, capsys, *_check(world, "m.json", _config(world, body)))
    assert "not UTF-8" in err


@pytest.mark.parametrize("key", ["deploy_dir", "log_dir", "manifest", "data_dir"])
def test_04_nul_byte_in_a_config_path(world: Path, capsys: Capsys, key: str) -> None:
    config = _config(world, f'{key} = "a\\u0000b"\n'.encode())
    assert "NUL" in _refused(world, capsys, *_check(world, "m.json", config))


@pytest.mark.parametrize("key", ["log_dir", "data_dir", "cache_dir"])
def test_05_dirs_that_are_files(world: Path, capsys: Capsys, key: str) -> None:
    for value in ("afile", "afile/below"):
        config = _config(world, f'{key} = "{world / value}"\n'.encode())
        err = _refused(world, capsys, *_check(world, "m.json", config))
        assert "is not a directory" in err


@pytest.mark.parametrize(
    "line",
    ["read_timeout_s = inf", "connect_timeout_s = nan", "health_settle_s = nan",
     "backup_level = 99999999999999999999", "download_retries = 100000000000000000000000",
     "health_timeout_s = 1e308"],
)  # fmt: skip
def test_06_numbers_out_of_range(world: Path, capsys: Capsys, line: str) -> None:
    config = _config(world, (line + "\n").encode())
    err = _refused(world, capsys, *_check(world, "m.json", config))
    assert line.split()[0] in err


def test_07_recover_on_a_typo_creates_nothing(world: Path, capsys: Capsys) -> None:
    typo = world / "deploy-typo"
    err = _refused(world, capsys, "recover", "--rollback", "--deploy-dir", str(typo))
    assert "does not exist" in err and not typo.exists()


def test_08_state_file_not_utf8(world: Path, capsys: Capsys) -> None:
    (world / "deploy" / ".tui-upgrader" / "state.toml").write_bytes(b'version = "\xff"\n')
    err = _refused(world, capsys, *_check(world, _manifest(world, LEGACY)))
    assert "state.toml: not UTF-8" in err


def test_09_dev_zero_stops_at_the_cap(world: Path, capsys: Capsys) -> None:
    start = time.monotonic()
    assert "larger than" in _refused(world, capsys, *_check(world, "/dev/zero"))
    assert time.monotonic() - start < 10


def test_09_a_fifo_without_writer_does_not_hang(world: Path, capsys: Capsys) -> None:
    fifo = world / "fifo"
    os.mkfifo(fifo)
    config = _config(world, b"allow_unsigned = true\nread_timeout_s = 0.5\n")
    start = time.monotonic()
    _refused(world, capsys, *_check(world, str(fifo), config))
    assert time.monotonic() - start < 10


def test_09_a_fifo_with_a_writer_is_read(world: Path, capsys: Capsys) -> None:
    fifo = world / "fifo2"
    os.mkfifo(fifo)
    body = json.dumps(dict(LEGACY, version="0.0.13")).encode()

    def writer() -> None:
        with open(fifo, "wb") as out:  # blocks until the CLI opens it for reading
            out.write(body)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    # Not run_cli: the writer itself touches the FIFO's mtime.
    code = main(_check(world, str(fifo)))
    thread.join(10)
    assert code == 0, capsys.readouterr().err


def test_10_port_out_of_range(world: Path, capsys: Capsys) -> None:
    err = _refused(world, capsys, *_check(world, "http://127.0.0.1:99999/m.json"))
    assert "not a valid manifest URL" in err
    doc = json.loads(json.dumps(LEGACY))
    doc["packages"]["full"]["url"] = "http://127.0.0.1:99999/p.zip"
    assert "packages.full.url: not a valid URL" in _refused(
        world, capsys, *_check(world, _manifest(world, doc))
    )


# 11: redirect loop and lying Content-Encoding: tests/download/test_hostile_manifest_server.py


@pytest.mark.parametrize("backup_id", [str(2**63), "99999999999999999999999", "0", "-1"])
def test_12_backup_ids_beyond_sqlite(world: Path, capsys: Capsys, backup_id: str) -> None:
    err = _refused(world, capsys, "backup", "verify", backup_id)
    assert "invalid backup id" in err or "expected one argument" in err or "argument" in err


def test_13_release_outputs_and_key_dirs(world: Path, capsys: Capsys) -> None:
    afile = str(world / "afile")
    assert "not a directory" in _refused(world, capsys, "release", "keygen", "--out", afile)
    src = world / "src"
    src.mkdir()
    err = _refused(
        world, capsys, "release", "build", str(src), "--version", "1.0.0", "--out", afile
    )
    assert "not a directory" in err
    err = _refused(world, capsys, "release", "rotate-root", "--keys", str(world / "k1"),
                   "--new-keys", str(world / "k2"), "--out", str(world))  # fmt: skip
    assert "no such directory" in err


@pytest.mark.parametrize(
    "argv",
    [["backup", "restore", "abc"], ["backup", "restore", "1.5"], ["backup", "restore", ""],
     ["backup", "frob"], ["frob"], ["check", "--frob"], ["recover", "--rollback", "--resume"]],
)  # fmt: skip
def test_14_usage_errors_are_one_line(world: Path, capsys: Capsys, argv: list[str]) -> None:
    assert "--help" in _refused(world, capsys, *argv)


def test_14_demo_checks_its_own_options_before_the_engine(
    world: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")  # no engine there
    assert "--port" in _refused(world, capsys, "demo", "--port", "99999")
    assert "--dir" in _refused(world, capsys, "demo", "--dir", str(world / "afile"))


def test_14_path_max_line_is_short(world: Path, capsys: Capsys) -> None:
    err = _refused(world, capsys, "check", "--deploy-dir", "/" + "d/" * 3000)
    assert len(err) < 400


def test_settings_refuse_a_nul_in_deploy_dir_override() -> None:
    from tui_upgrader.ops.settings import load_settings

    with pytest.raises(ConfigError, match="NUL"):
        load_settings(None, deploy_dir=Path("a\x00b"))


def test_13_rotate_root_with_empty_or_broken_key_folders(world: Path, capsys: Capsys) -> None:
    for name in ("k1", "k2"):
        (world / name).mkdir()
    err = _refused(world, capsys, "release", "rotate-root", "--keys", str(world / "k1"),
                   "--new-keys", str(world / "k2"), "--out", str(world))  # fmt: skip
    assert "no key for root" in err and "StorageError" not in err


def test_09_trust_reads_a_capped_root(world: Path, capsys: Capsys) -> None:
    err = _refused(world, capsys, "trust", "/dev/zero", "--yes")
    assert "larger than" in err


def test_07_a_refused_first_install_leaves_no_deploy_dir(world: Path, capsys: Capsys) -> None:
    doc = json.loads(json.dumps(LEGACY))
    doc["packages"]["full"]["hash"] = "sha256:abc123"  # unverifiable, allow_unverified unset
    config = _config(world, b"allow_unsigned = true\n")
    fresh = world / "fresh-deploy"
    argv = ["upgrade", "--yes", "--config", config, "--manifest", _manifest(world, doc),
            "--deploy-dir", str(fresh)]  # fmt: skip
    code = main(argv)
    printed = capsys.readouterr()
    assert code == 2 and "packages.full.hash = 'sha256:abc123'" in printed.out + printed.err
    assert not fresh.exists()

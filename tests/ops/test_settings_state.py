from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tui_upgrader.core.errors import ConfigError, StateError
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.settings import load_settings, write_initial_config
from tui_upgrader.ops.state import read_state, record_upgrade, state_path


def test_settings_defaults_then_file_then_cli(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('manifest = "http://x/m.json"\ndeploy_dir = "/srv/a"\nbackup_keep = 2\n')
    s = load_settings(cfg)
    assert (s.manifest, s.deploy_dir, s.backup_keep) == ("http://x/m.json", Path("/srv/a"), 2)
    s2 = load_settings(cfg, deploy_dir=Path("/srv/b"), manifest="m2.json")
    assert (s2.deploy_dir, s2.manifest) == (Path("/srv/b"), "m2.json")


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ("bogus = 1\n", "unknown key 'bogus'"),
        ("backup_keep = 'x'\n", "backup_keep: expected a non-negative integer"),
        ("allow_unverified = 1\n", "allow_unverified: expected true or false"),
        ("backup_codec = 'lz4'\n", "backup_codec"),
        ("manifest = \n", "invalid TOML"),
        ("keep_paths = ['app/uploads']\n", "only top-level names"),
        ("keep_paths = ['../x']\n", "'..' segment"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, body: str, pattern: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError, match=pattern) as info:
        load_settings(cfg)
    assert str(cfg) in str(info.value)


def test_explicit_missing_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "none.toml")


def test_initial_config_written_once(tmp_path: Path) -> None:
    path = write_initial_config("http://h/m.json", Path("/srv/x"), tmp_path / "cfg" / "config.toml")
    assert load_settings(path).deploy_dir == Path("/srv/x")
    with pytest.raises(ConfigError, match="already exists"):
        write_initial_config("http://h/m.json", Path("/srv/y"), path)


def test_state_absent_means_first_install(tmp_path: Path) -> None:
    assert read_state(tmp_path).version is None


def test_state_round_trip_is_private_and_atomic(tmp_path: Path) -> None:
    record_upgrade(
        tmp_path,
        from_version=None,
        to_version=Version.parse("1.0.0"),
        strategy="full",
        backup_id=None,
        downtime_s=None,
    )
    st = record_upgrade(
        tmp_path,
        from_version=Version.parse("1.0.0"),
        to_version=Version.parse("1.1.0.1"),
        strategy="patch",
        backup_id=3,
        downtime_s=1.5,
    )
    again = read_state(tmp_path)
    assert again == st
    assert str(again.version) == "1.1.0.1" and len(again.history) == 2
    assert again.history[1].backup_id == 3
    mode = stat.S_IMODE(state_path(tmp_path).stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(state_path(tmp_path).parent.stat().st_mode) == 0o700
    assert not [p for p in state_path(tmp_path).parent.iterdir() if p.name.endswith(".tmp")]


def test_state_accepts_three_part_version(tmp_path: Path) -> None:
    state_path(tmp_path).parent.mkdir(parents=True)
    state_path(tmp_path).write_text('version = "1.4.2"\n')
    assert read_state(tmp_path).version == Version.parse("1.4.2.0")


def test_state_bad_version_names_file(tmp_path: Path) -> None:
    state_path(tmp_path).parent.mkdir(parents=True)
    state_path(tmp_path).write_text('version = "1.4"\n')
    with pytest.raises(StateError, match=r"state\.toml: version: invalid version"):
        read_state(tmp_path)


def test_keep_paths_are_normalised(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("keep_paths = ['data/', './upload']\n")
    assert load_settings(cfg).keep_paths == ("data", "upload")


def test_relative_paths_follow_the_config_file_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "etc" / "c.toml"
    cfg.parent.mkdir()
    cfg.write_text('deploy_dir = "stack"\nmanifest = "m.json"\n')
    monkeypatch.chdir("/")
    s = load_settings(cfg)
    assert s.deploy_dir == tmp_path / "etc" / "stack"
    assert s.manifest == str(tmp_path / "etc" / "m.json")
    assert load_settings(cfg, manifest="http://h/m.json").manifest == "http://h/m.json"


def test_keep_paths_default_to_the_original_clients_protected_names(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('deploy_dir = "/srv/a"\n')
    assert set(load_settings(cfg).keep_paths) == {
        "upload",
        "project_workspace",
        "project_zips",
        "project_nginx",
        "project_init",
        "uv_cache",
        "data",
    }

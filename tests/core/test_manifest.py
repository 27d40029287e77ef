from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.manifests import HASH_A, HASH_B, HASH_C, enhanced, legacy, with_value, without
from tui_upgrader.core.arch import Arch
from tui_upgrader.core.errors import ManifestError
from tui_upgrader.core.manifest import parse_manifest, parse_manifest_bytes


def test_enhanced_sample_parses() -> None:
    m = parse_manifest(enhanced())
    assert m.enhanced
    assert m.version.short == "0.0.13.2"
    assert m.platforms is not None and m.platforms[Arch.X86_64].sha256 == HASH_A
    assert m.platforms[Arch.X86_64].size == 1234
    assert m.platforms[Arch.AARCH64].sha256 is None  # no hash = unverifiable
    assert m.full is not None and m.full.sha256 is None  # "external"
    assert m.full.size is None  # the original's 0 = unknown
    assert m.patch is not None
    ops = m.patch[Arch.X86_64].operations
    assert ops.replace_files == ("app/app.jar", "config/application.yml")
    assert ops.replace_dirs == ("front",)
    assert ops.delete_dirs == ("plugins/old",)
    assert m.patch[Arch.X86_64].sha256 == HASH_B


def test_legacy_parses_without_platforms_or_patch() -> None:
    m = parse_manifest(legacy())
    assert not m.enhanced
    assert m.platforms is None and m.patch is None
    assert m.full is not None and m.full.sha256 == HASH_C


def test_patch_without_platforms_is_kept() -> None:
    doc = without(enhanced(), "platforms")
    m = parse_manifest(doc)
    assert m.enhanced
    assert m.patch is not None and Arch.X86_64 in m.patch


def test_bare_hex_and_uppercase_hash_are_normalised() -> None:
    doc = with_value(enhanced(), HASH_A.upper(), "platforms", "x86_64", "hash")
    m = parse_manifest(doc)
    assert m.platforms is not None and m.platforms[Arch.X86_64].sha256 == HASH_A


def test_min_version_is_parsed() -> None:
    m = parse_manifest(enhanced(min_version="0.0.12"))
    assert m.min_version is not None and str(m.min_version) == "0.0.12.0"


def test_operation_paths_are_normalised() -> None:
    doc = with_value(
        enhanced(),
        ["./app//x.jar", "config/./a.yml"],
        "patch",
        "x86_64",
        "operations",
        "replace",
        "files",
    )
    m = parse_manifest(doc)
    assert m.patch is not None
    assert m.patch[Arch.X86_64].operations.replace_files == ("app/x.jar", "config/a.yml")


def test_overlap_replace_wins() -> None:
    doc = with_value(
        enhanced(), ["app/app.jar"], "patch", "x86_64", "operations", "delete", "files"
    )
    m = parse_manifest(doc)
    assert m.patch is not None
    assert "app/app.jar" not in m.patch[Arch.X86_64].operations.deleted


OPS = ("patch", "x86_64", "operations")

REJECTIONS: list[tuple[dict[str, Any], str]] = [
    (without(enhanced(), "version"), r"^version: required"),
    (enhanced(version="1.2"), r"^version: invalid version"),
    (with_value(enhanced(), "2025-09-01", "release_date"), r"^release_date: expected an RFC 3339"),
    (with_value(enhanced(), "2025-09-01T08:00:00", "release_date"), r"^release_date: "),
    (with_value(enhanced(), 5, "release_notes"), r"^release_notes: expected a string"),
    (
        with_value(enhanced(), "", "platforms", "x86_64", "url"),
        r"^platforms\.x86_64\.url: must not",
    ),
    (
        with_value(enhanced(), "ftp://x/y.zip", "platforms", "x86_64", "url"),
        r"^platforms\.x86_64\.url: URL must start",
    ),
    (with_value(enhanced(), 5, "patch", "x86_64", "hash"), r"^patch\.x86_64\.hash: expected a str"),
    (with_value(enhanced(), -1, "platforms", "x86_64", "size"), r"^platforms\.x86_64\.size: "),
    (with_value(enhanced(), {}, "platforms"), r"^platforms: must name at least one"),
    (
        with_value(enhanced(), {"url": "https://x/y.zip"}, "platforms", "AMD64"),
        r"^platforms\.AMD64: names x86_64 again \(already platforms\.x86_64\)",
    ),
    (
        with_value(enhanced(), "ftp://x/y.zip", "platforms", "aarch64", "url"),
        r"^platforms\.aarch64\.url: ",
    ),
    (with_value(enhanced(), {}, "patch"), r"^patch: must name at least one"),
    (without(enhanced(), "patch", "x86_64", "operations"), r"^patch\.x86_64\.operations: required"),
    (
        with_value(enhanced(), ["a", "b", "/etc/passwd"], *OPS, "replace", "files"),
        r"^patch\.x86_64\.operations\.replace\.files\[2\]: path '/etc/passwd' is absolute",
    ),
    (
        with_value(enhanced(), ["app/../../etc"], *OPS, "replace", "files"),
        r"^patch\.x86_64\.operations\.replace\.files\[0\]: .*'\.\.' segment",
    ),
    (
        with_value(enhanced(), ["../x"], *OPS, "delete", "directories"),
        r"^patch\.x86_64\.operations\.delete\.directories\[0\]: ",
    ),
    (
        with_value(enhanced(), ["a\\..\\b"], *OPS, "delete", "files"),
        r"^patch\.x86_64\.operations\.delete\.files\[0\]: .*Windows",
    ),
    (with_value(enhanced(), ["C:\\x"], *OPS, "delete", "files"), r"Windows syntax"),
    (with_value(enhanced(), [""], *OPS, "delete", "files"), r"must not be empty"),
    (with_value(enhanced(), ["./"], *OPS, "delete", "files"), r"names the deploy dir itself"),
    (with_value(enhanced(), [".tui-upgrader/state.toml"], *OPS, "delete", "files"), r"state dir"),
    (
        with_value(enhanced(), "app", *OPS, "replace", "files"),
        r"^patch\.x86_64\.operations\.replace\.files: expected an array",
    ),
    (without(legacy(), "packages"), r"^packages: required"),
    (enhanced(min_version="x"), r"^min_version: invalid version"),
    (
        with_value(enhanced(), ["app"], *OPS, "replace", "directories"),
        r"^patch\.x86_64\.operations\.replace\.files\[0\]: 'app/app\.jar' lies inside 'app'",
    ),
    (
        with_value(enhanced(), ["config"], *OPS, "delete", "directories"),
        r"^patch\.x86_64\.operations\.replace\.files\[1\]: .*inside 'config'",
    ),
]


@pytest.mark.parametrize(("doc", "pattern"), REJECTIONS)
def test_rejections_name_the_json_path(doc: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ManifestError, match=pattern):
        parse_manifest(doc)


def test_not_an_object() -> None:
    with pytest.raises(ManifestError, match="expected a JSON object"):
        parse_manifest([1, 2])


def test_too_large_is_refused() -> None:
    data = json.dumps(enhanced(release_notes="x" * (1024 * 1024))).encode()
    with pytest.raises(ManifestError, match="larger than 1048576 bytes"):
        parse_manifest_bytes(data, "m.json")


def test_too_deep_is_refused() -> None:
    doc = enhanced()
    deep: Any = "leaf"
    for _ in range(40):
        deep = {"k": deep}
    doc["extra"] = deep
    with pytest.raises(ManifestError, match="nested deeper than 32"):
        parse_manifest_bytes(json.dumps(doc).encode(), "m.json")


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    doc = enhanced(release_notes="[" * 100 + '\\"{' * 50)
    assert parse_manifest_bytes(json.dumps(doc).encode()).release_notes.startswith("[[[")


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(ManifestError, match=r"^m\.json: invalid JSON at line 2 column"):
        parse_manifest_bytes(b'{"version": "1.0.0",\n oops}', "m.json")


def test_invalid_json_object_is_rejected() -> None:
    with pytest.raises(ManifestError, match=r"^version: required"):
        parse_manifest_bytes(b'{"invalid": "json"}')


def test_legacy_without_hash_is_unverifiable_not_malformed() -> None:
    m = parse_manifest(without(legacy(), "packages", "full", "hash"))
    assert m.full is not None and m.full.sha256 is None


def _renamed(section: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {new if k == old else k: v for k, v in section.items()}


@pytest.mark.parametrize(("x86", "arm"), [("amd64", "arm64"), ("x64", "armv8"), ("AMD64", "ARM64")])
def test_architecture_aliases_are_accepted_as_keys(x86: str, arm: str) -> None:
    doc = enhanced()
    doc["platforms"] = _renamed(_renamed(doc["platforms"], "x86_64", x86), "aarch64", arm)
    doc["patch"] = _renamed(doc["patch"], "x86_64", arm)
    m = parse_manifest(doc)
    assert m.platforms is not None and m.platforms[Arch.X86_64].sha256 == HASH_A
    assert m.platforms[Arch.AARCH64].url.endswith("docker-aarch64.zip")
    assert m.patch is not None and set(m.patch) == {Arch.AARCH64}


def test_an_error_under_an_alias_names_the_key_as_written() -> None:
    doc = enhanced()
    doc["platforms"] = _renamed(doc["platforms"], "x86_64", "amd64")
    doc["platforms"]["amd64"]["size"] = -1
    with pytest.raises(ManifestError, match=r"^platforms\.amd64\.size: "):
        parse_manifest(doc)


def test_a_placeholder_hash_is_unverifiable_and_named_not_an_error() -> None:
    doc = with_value(enhanced(), "sha256:abc", "platforms", "x86_64", "hash")
    m = parse_manifest(with_value(doc, "", "patch", "x86_64", "hash"))
    assert m.platforms is not None and m.platforms[Arch.X86_64].sha256 is None
    assert m.platforms[Arch.X86_64].hash_note == "platforms.x86_64.hash = 'sha256:abc'"
    assert m.patch is not None and m.patch[Arch.X86_64].hash_note == "patch.x86_64.hash is empty"


def test_two_keys_for_one_architecture_in_patch_are_refused() -> None:
    doc = with_value(enhanced(), enhanced()["patch"]["x86_64"], "patch", "amd64")
    with pytest.raises(ManifestError, match=r"^patch\.amd64: names x86_64 again"):
        parse_manifest(doc)


def test_an_operation_path_too_long_for_the_filesystem_is_refused() -> None:
    doc = with_value(enhanced(), ["x" * 300], "patch", "x86_64", "operations", "delete", "files")
    with pytest.raises(
        ManifestError, match=r"^patch\.x86_64\.operations\.delete\.files\[0\]: path too long"
    ):
        parse_manifest(doc)

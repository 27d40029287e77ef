from __future__ import annotations

import pytest

from tui_upgrader.core.errors import VersionError
from tui_upgrader.core.versions import Comparison, Version, compare


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("0.0.13.5", (0, 0, 13, 5)),
        ("1.2.3", (1, 2, 3, 0)),
        ("v1.0.2", (1, 0, 2, 0)),
        ("V1.0.2.4", (1, 0, 2, 4)),
        ("01.2.3", (1, 2, 3, 0)),
    ],
)
def test_parse_accepts(text: str, parts: tuple[int, int, int, int]) -> None:
    assert Version.parse(text).as_tuple() == parts


@pytest.mark.parametrize(
    "text",
    ["1.2", "1.2.3.4.5", "1.2.3-rc1", "a.b.c", "", " 1.2.3", "1.2.3 ", "1..2.3", "v", "1.2.3."],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(VersionError, match="invalid version"):
        Version.parse(text)


def test_parse_rejects_non_string() -> None:
    with pytest.raises(VersionError, match="must be a string"):
        Version.parse(13)


def test_display_forms() -> None:
    v = Version.parse("0.0.13")
    assert str(v) == "0.0.13.0"
    assert v.short == "0.0.13"
    assert Version.parse("0.0.13.2").short == "0.0.13.2"


def test_ordering() -> None:
    assert Version.parse("0.0.13.5") > Version.parse("0.0.13.2")
    assert Version.parse("0.0.14") > Version.parse("0.0.13.5")
    assert Version.parse("0.0.13") == Version.parse("0.0.13.0")
    assert Version.parse("0.10.0") > Version.parse("0.9.9.9")


@pytest.mark.parametrize(
    ("current", "server", "expected"),
    [
        ("0.0.13.2", "0.0.13.2", Comparison.EQUAL),
        ("0.0.13", "0.0.13.0", Comparison.EQUAL),
        ("0.0.13.2", "0.0.13.5", Comparison.PATCH_UPGRADEABLE),
        ("0.0.13", "0.0.13.2", Comparison.PATCH_UPGRADEABLE),
        ("0.0.13.2", "0.0.14.0", Comparison.FULL_UPGRADE_REQUIRED),
        ("0.0.12", "0.0.13.2", Comparison.FULL_UPGRADE_REQUIRED),
        ("0.0.13.2", "0.0.12.0", Comparison.NEWER),
        ("0.0.13.4", "0.0.13.2", Comparison.NEWER),
        ("1.0.0.9", "0.9.0", Comparison.NEWER),
    ],
)
def test_compare(current: str, server: str, expected: Comparison) -> None:
    assert compare(Version.parse(current), Version.parse(server)) is expected

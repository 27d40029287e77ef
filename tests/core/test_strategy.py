from __future__ import annotations

from typing import Any

import pytest

from tests.support.manifests import HASH_A, HASH_B, enhanced, legacy, with_value, without
from tui_upgrader.core.arch import Arch, parse_arch
from tui_upgrader.core.errors import StrategyError
from tui_upgrader.core.manifest import parse_manifest
from tui_upgrader.core.strategy import Deployment, Strategy, decide
from tui_upgrader.core.versions import Comparison, Version

X86 = Arch.X86_64
ARM = Arch.AARCH64


def run(
    current: str | None,
    doc: dict[str, Any],
    *,
    arch: Arch = X86,
    compose: bool = True,
    force: bool = False,
    allow_unverified: bool = False,
) -> Any:
    cur = Version.parse(current) if current else None
    return decide(
        cur,
        parse_manifest(doc),
        Deployment(cur, compose),
        arch,
        force_full=force,
        allow_unverified=allow_unverified,
    )


CASES: list[tuple[str, str | None, dict[str, Any], dict[str, Any], Strategy, str | None]] = [
    # name, current, manifest, options, strategy, package url suffix
    ("new release -> full", "0.0.12", enhanced(), {}, Strategy.FULL, "docker-x86_64.zip"),
    ("patch for this arch", "0.0.13", enhanced(), {}, Strategy.PATCH, "x86_64-patch.zip"),
    (
        "no patch for this arch",
        "0.0.13",
        enhanced(),
        {"arch": ARM},
        Strategy.FULL,
        "docker-aarch64.zip",
    ),
    ("equal -> none", "0.0.13.2", enhanced(), {}, Strategy.NONE, None),
    ("equal 3 vs 4 parts", "0.0.13", enhanced(version="0.0.13.0"), {}, Strategy.NONE, None),
    ("local newer -> none", "0.0.13.4", enhanced(), {}, Strategy.NONE, None),
    ("local newer base -> none", "0.1.0", enhanced(), {}, Strategy.NONE, None),
    (
        "force -> full even when equal",
        "0.0.13.2",
        enhanced(),
        {"force": True},
        Strategy.FULL,
        "docker-x86_64.zip",
    ),
    (
        "no compose file -> full",
        "0.0.13.2",
        enhanced(),
        {"compose": False},
        Strategy.FULL,
        "docker-x86_64.zip",
    ),
    ("first install -> full", None, enhanced(), {}, Strategy.FULL, "docker-x86_64.zip"),
    (
        "platforms without this arch -> packages.full",
        "0.0.12",
        without(enhanced(), "platforms", "x86_64"),
        {},
        Strategy.FULL,
        "svc/docker.zip",
    ),
    ("legacy -> packages.full", "0.0.12", legacy(), {}, Strategy.FULL, "svc/docker.zip"),
    (
        "lone patch kept (no platforms)",
        "0.0.13",
        without(enhanced(), "platforms"),
        {},
        Strategy.PATCH,
        "x86_64-patch.zip",
    ),
]


@pytest.mark.parametrize(
    ("current", "doc", "opts", "strategy", "url_end"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_decide(
    current: str | None,
    doc: dict[str, Any],
    opts: dict[str, Any],
    strategy: Strategy,
    url_end: str | None,
) -> None:
    d = run(current, doc, **opts)
    assert d.strategy is strategy
    assert d.reasons, "every decision carries reasons"
    if url_end is None:
        assert d.package is None
    else:
        assert d.package is not None and d.package.url.endswith(url_end)


def test_patch_decision_carries_hash_and_operations() -> None:
    d = run("0.0.13", enhanced())
    assert d.comparison is Comparison.PATCH_UPGRADEABLE
    assert d.package is not None and d.package.sha256 == HASH_B and d.package.kind == "patch"
    assert d.operations is not None and d.operations.total == 5
    assert str(d.target_version) == "0.0.13.2"


def test_full_decision_from_platform_has_hash_and_size() -> None:
    d = run("0.0.12", enhanced())
    assert d.package is not None
    assert (d.package.sha256, d.package.size, d.package.kind) == (HASH_A, 1234, "full")
    assert any("new release" in r for r in d.reasons)


def test_fallback_reason_is_given() -> None:
    d = run("0.0.12", without(enhanced(), "platforms", "x86_64"))
    assert any("generic package" in r for r in d.reasons)


def test_no_package_at_all_is_an_error() -> None:
    doc = without(without(enhanced(), "platforms", "x86_64"), "packages")
    with pytest.raises(StrategyError, match="no full package for x86_64"):
        run("0.0.12", doc)


def test_unverifiable_package_warns() -> None:
    d = run("0.0.13", enhanced(), arch=ARM)
    assert d.package is not None and d.package.sha256 is None
    assert any("allow_unverified" in w for w in d.warnings)


def test_min_version_blocks_with_intermediate_named() -> None:
    d = run("0.0.10", enhanced(min_version="0.0.12"))
    assert d.strategy is Strategy.NONE
    assert d.blocked_by == Version.parse("0.0.12")
    assert any("upgrade to 0.0.12 first" in r for r in d.reasons)


def test_min_version_satisfied_does_not_block() -> None:
    d = run("0.0.12", enhanced(min_version="0.0.12"))
    assert d.strategy is Strategy.FULL and d.blocked_by is None


def test_min_version_ignored_on_first_install() -> None:
    d = run(None, enhanced(min_version="0.0.12"))
    assert d.strategy is Strategy.FULL


def test_overlap_warning() -> None:
    doc = with_value(
        enhanced(), ["app/app.jar"], "patch", "x86_64", "operations", "delete", "files"
    )
    d = run("0.0.13", doc)
    assert any("replaced, not deleted" in w for w in d.warnings)


@pytest.mark.parametrize(
    ("name", "arch"),
    [
        ("x86_64", X86),
        ("AMD64", X86),
        ("x64", X86),
        ("aarch64", ARM),
        ("arm64", ARM),
        ("ARMv8", ARM),
    ],
)
def test_arch_aliases(name: str, arch: Arch) -> None:
    assert parse_arch(name) is arch


@pytest.mark.parametrize("name", ["mips", "riscv64", "i386", ""])
def test_unknown_arch_is_a_clear_error(name: str) -> None:
    with pytest.raises(StrategyError, match="unsupported architecture"):
        parse_arch(name)

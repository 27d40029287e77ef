"""When the thin path is not even tried (#23): each case says why; no engine needed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tui_upgrader.core.strategy import Decision, PackageRef, Strategy
from tui_upgrader.core.versions import Comparison, Version
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade.thin_stage import estimate

INDEX = PackageRef(kind="images", url="/1.1.0/images-x86_64.json", sha256="a" * 64, size=900)
FULL = PackageRef(
    kind="full", url="/1.1.0/docker-x86_64.zip", sha256="b" * 64, size=10_000, images=INDEX
)


def _decision(package: PackageRef | None, strategy: Strategy = Strategy.FULL) -> Decision:
    return Decision(
        strategy=strategy,
        comparison=Comparison.FULL_UPGRADE_REQUIRED,
        current_version=Version.parse("1.0.0"),
        target_version=Version.parse("1.1.0"),
        package=package,
        reasons=("why",),
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    (deploy / "compose.yaml").write_text("services: {}\n")
    return Settings(deploy_dir=deploy, cache_dir=tmp_path / "cache")


@pytest.mark.parametrize(
    ("decision", "why"),
    [
        (_decision(replace(FULL, kind="patch"), Strategy.PATCH), "not a full upgrade"),
        (_decision(replace(FULL, images=None)), "publishes no image index"),
        (_decision(replace(FULL, images=replace(INDEX, sha256=None))), "has no hash"),
        (_decision(FULL), "no Docker engine to ask"),
    ],
)
def test_the_full_package_and_why(settings: Settings, decision: Decision, why: str) -> None:
    found = estimate(settings, decision, None)
    assert found.plan is None and why in found.reason
    assert found.download_bytes == found.full_bytes == decision.package.size  # type: ignore[union-attr]
    assert found.to_json()["mode"] == "full" and found.to_json()["thin_bytes"] is None


def test_a_first_install_uses_the_full_package(settings: Settings, tmp_path: Path) -> None:
    fresh = replace(settings, deploy_dir=tmp_path / "nothing-here")
    found = estimate(fresh, _decision(FULL), None)
    assert found.plan is None and "first install" in found.reason
    assert not (tmp_path / "cache").exists(), "nothing fetched"

"""A deploy dir that does not exist is a first install, and the reasons say so."""

from __future__ import annotations

from tests.support.manifests import enhanced
from tui_upgrader.core.arch import Arch
from tui_upgrader.core.manifest import parse_manifest
from tui_upgrader.core.strategy import Deployment, Strategy, decide


def test_a_missing_deploy_dir_is_named_in_the_reasons() -> None:
    missing = decide(None, parse_manifest(enhanced()), Deployment(None, False, False), Arch.X86_64)
    empty = decide(None, parse_manifest(enhanced()), Deployment(None, False), Arch.X86_64)

    assert missing.strategy is Strategy.FULL is empty.strategy
    assert any("does not exist yet" in r and "--deploy-dir" in r for r in missing.reasons)
    assert not any("does not exist" in r for r in empty.reasons)

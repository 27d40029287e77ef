"""The original publisher's documents are accepted and decided as the original decides (#19)."""

from __future__ import annotations

import pytest

from tests.support.original_corpus import CASES, FIXTURE, X86_ONLY, Case, doc_of
from tui_upgrader.core.arch import named_arch
from tui_upgrader.core.errors import StrategyError
from tui_upgrader.core.manifest import parse_manifest
from tui_upgrader.core.strategy import Decision, Deployment, decide
from tui_upgrader.core.versions import Version


def _decide(case: Case, *, allow_unverified: bool = True) -> Decision:
    current = Version.parse(case.current) if case.current else None
    deployment = Deployment(installed=current, has_compose_file=current is not None)
    manifest = parse_manifest(doc_of(case))
    return decide(
        current, manifest, deployment, named_arch(case.arch), allow_unverified=allow_unverified
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_decided_as_the_original(case: Case) -> None:
    d = _decide(case)
    url = d.package.url if d.package else None
    assert (d.strategy.value, url, d.comparison.value) == (case.strategy, case.url, case.comparison)


def test_a_placeholder_on_the_chosen_package_is_named_in_the_warning() -> None:
    case = next(c for c in CASES if c.name == "fixture-patch-arm")
    refused = _decide(case, allow_unverified=False)
    assert any("patch.aarch64.hash = 'sha256:abc123'" in w for w in refused.warnings)
    assert any("refused unless" in w for w in refused.warnings)
    allowed = _decide(case)
    assert any("allowed by allow_unverified" in w for w in allowed.warnings)


def test_a_placeholder_on_a_package_not_chosen_changes_nothing() -> None:
    case = next(c for c in CASES if c.name == "fixture-equal")
    assert _decide(case, allow_unverified=False).warnings == ()


def test_unknown_arch_stops_only_the_arch_specific_choice() -> None:
    current = Version.parse("0.0.14")
    manifest = parse_manifest(dict(X86_ONLY))
    with pytest.raises(StrategyError, match=r"riscv64.*offered: x86_64"):
        decide(current, manifest, Deployment(current, True), named_arch("riscv64"))
    # The same machine with nothing to do decides normally.
    same = Version.parse("0.0.15")
    assert decide(same, manifest, Deployment(same, True), "riscv64").strategy.value == "none"


def test_corpus_has_every_shape() -> None:
    shapes = {id(c.doc) for c in CASES}
    assert len(shapes) == 7 and id(FIXTURE) in shapes


def test_every_deliberate_difference_is_in_the_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Differences from the original client", 1)[1].split("\n## ", 1)[0]
    for case in CASES:
        if case.different:
            assert f"`{case.name}`" in section, case.name

"""Every benchmark has a quick size that CI runs (scripts/bench_quick.sh), so none can rot."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = sorted((REPO / "benchmarks").glob("bench_*.py"))


@pytest.mark.parametrize("bench", BENCHMARKS, ids=lambda p: p.stem)
def test_a_benchmark_accepts_quick(bench: Path) -> None:
    flags = {
        node.value
        for node in ast.walk(ast.parse(bench.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert "--quick" in flags, f"{bench.name}: add --quick (a small size for CI)"


def test_ci_runs_every_benchmark_quick() -> None:
    quick = (REPO / "scripts" / "bench_quick.sh").read_text(encoding="utf-8")
    assert "benchmarks/bench_*.py" in quick and "--quick" in quick
    assert "bash scripts/bench_quick.sh" in (REPO / "scripts" / "test.sh").read_text()

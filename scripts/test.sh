#!/usr/bin/env bash
# The whole test suite on a fresh machine (as root): venv, Docker engine +
# compose v2, then ruff, mypy --strict, import-linter, pytest and every benchmark at its
# quick size (scripts/bench_quick.sh).
# Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/setup_engine.sh
export PATH="$(pwd)/.venv/bin:$PATH"

echo "== ruff"
ruff format --check tui_upgrader tests benchmarks
ruff check tui_upgrader tests benchmarks
echo "== mypy --strict"
mypy
echo "== import-linter"
lint-imports
echo "== pytest"
set +e
pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  exit "$rc"
fi
echo "== benchmarks, quick (every benchmarks/bench_*.py --quick)"
bash scripts/bench_quick.sh

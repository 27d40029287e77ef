#!/usr/bin/env bash
# The whole test suite on a fresh machine (as root): venv, Docker engine +
# compose v2 (and Docker 26 unpacked beside it), then ruff, mypy --strict,
# import-linter, pytest, the `compat` selection on Docker 26 (both image stores) and every
# benchmark at its quick size (scripts/bench_quick.sh).
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
echo "== PostgreSQL example base image (debootstrap; cached under /var/cache/tui-upgrader)"
time bash examples/postgres/build_base.sh

run_pytest() {
  set +e
  pytest "$@"
  local code=$?
  set -e
  if [ "$code" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure here" >&2
    code=1
  fi
  return "$code"
}

echo "== pytest"
rc=0
run_pytest "$@" || rc=$?
# The compatibility selection (marker `compat`) again on private Docker 26 engines,
# classic and containerd image store (tests/support/engines.py); whole-suite runs only.
if [ "$#" -eq 0 ] && [ "${TUI_UPGRADER_NO_COMPAT:-}" != "1" ]; then
  for engine in 26-classic 26-containerd; do
    echo "== pytest -m compat --engine $engine"
    start=$SECONDS
    code=0
    run_pytest -m compat --engine "$engine" || code=$?
    echo "compat on $engine: exit $code in $((SECONDS - start)) s"
    [ "$rc" -ne 0 ] || rc=$code
  done
fi
if [ "$rc" -ne 0 ]; then
  exit "$rc"
fi
echo "== benchmarks, quick (every benchmarks/bench_*.py --quick)"
bash scripts/bench_quick.sh

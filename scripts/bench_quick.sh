#!/usr/bin/env bash
# Every benchmark at a small size (`--quick`), so none can rot unnoticed: each must
# run its reference tool and the product and print its JSON line; any non-zero exit
# fails this script. Full-size figures are a manual run (README "Performance").
# Usage: bash scripts/bench_quick.sh
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
failed=()
for bench in benchmarks/bench_*.py; do
  echo "== $bench --quick"
  started=$SECONDS
  out=$("$PY" "$bench" --quick 2>&1)
  rc=$?
  last=$(printf '%s\n' "$out" | tail -n 1)
  if [ "$rc" -ne 0 ]; then
    printf '%s\n' "$out" | tail -n 30
    echo "FAILED: $bench exited $rc" >&2
    failed+=("$bench")
  elif ! printf '%s' "$last" | "$PY" -c 'import json, sys; assert "ratio" in json.loads(sys.stdin.read())' 2>/dev/null; then
    printf '%s\n' "$out" | tail -n 30
    echo "FAILED: $bench did not end with a JSON line holding \"ratio\"" >&2
    failed+=("$bench")
  else
    echo "$last ($((SECONDS - started)) s)"
  fi
done
if [ "${#failed[@]}" -ne 0 ]; then
  echo "bench_quick: ${#failed[@]} failed: ${failed[*]}" >&2
  exit 1
fi
echo "bench_quick: every benchmark ran"

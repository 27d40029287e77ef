#!/usr/bin/env bash
# Create .venv and install tui-upgrader with its test and lint groups.
# Idempotent; safe to re-run. Needs only PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip>=25.1"
# --group needs pip >= 25.1 (PEP 735 dependency groups).
.venv/bin/python -m pip install --quiet -c constraints.txt -e . --group test --group lint
echo "bootstrap: $(.venv/bin/tui-upgrader --version) in $(pwd)/.venv"

#!/usr/bin/env bash
# The main job on a fresh machine (as root): venv, Docker engine + compose v2,
# then the TUI on a self-contained demo (local release server on 127.0.0.1).
# Usage: bash scripts/demo.sh [--headless]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/setup_engine.sh
exec .venv/bin/tui-upgrader demo "$@"

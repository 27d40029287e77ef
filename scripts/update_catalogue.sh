#!/usr/bin/env bash
# Re-extract the msgids of the code into the .pot and merge them into every .po.
# Then translate the new (empty or "fuzzy") entries; tests/i18n fails until they are.
# The .mo files are compiled by the build (hatch_build.py): re-run scripts/bootstrap.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCALE=tui_upgrader/locale
.venv/bin/pybabel extract --add-location file --sort-output --width 100 --omit-header \
  --ignore-dirs '.* __pycache__' -k N_ -o "$LOCALE/tui_upgrader.pot" tui_upgrader
.venv/bin/pybabel update --width 100 --ignore-obsolete \
  -i "$LOCALE/tui_upgrader.pot" -d "$LOCALE" -D tui_upgrader

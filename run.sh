#!/usr/bin/env bash
# Start CityChain (installs what it needs first). Arguments go to main.py.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$root/scripts/setup.sh"
# Compiled modules are cached (in __pycache__, ignored by git) even where the environment sets
# PYTHONDONTWRITEBYTECODE: every node and command started here would otherwise compile the
# whole package again, about a second each.
unset PYTHONDONTWRITEBYTECODE
if [[ $# -eq 0 || "${1:-}" == "kiosk" || "${1:-}" == --* ]] && [[ "${QT_QPA_PLATFORM:-}" != offscreen ]]; then
  bash "$root/scripts/qt-libs.sh"
fi
exec "$root/.venv/bin/python" "$root/main.py" "$@"

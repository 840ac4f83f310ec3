#!/usr/bin/env bash
# Start CityChain (installs what it needs first). Arguments go to main.py.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$root/scripts/setup.sh"
if [[ $# -eq 0 || "${1:-}" == "kiosk" || "${1:-}" == --* ]] && [[ "${QT_QPA_PLATFORM:-}" != offscreen ]]; then
  bash "$root/scripts/qt-libs.sh"
fi
exec "$root/.venv/bin/python" "$root/main.py" "$@"

#!/usr/bin/env bash
# Qt's X11 plug-in needs a few system libraries that slim images lack; install
# them (Debian) only when a real display is used and they are missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
plugin="$(ls "$root"/.venv/lib/python3*/site-packages/PySide6/Qt/plugins/platforms/libqxcb.so 2>/dev/null | head -1)"
[[ -n "$plugin" ]] || exit 0
if ldd "$plugin" | grep -q "not found"; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing X11 libraries for Qt"
    apt-get update -qq && apt-get install -y -qq libxcb-cursor0 libxcb-icccm4 \
      libxcb-keysyms1 libxcb-xkb1 libxkbcommon-x11-0 libxcb-render-util0 \
      libxcb-image0 libxcb-shape0 libxcb-randr0 libegl1 libgl1 >/dev/null
  else
    echo "setup: Qt needs X11 libraries: $(ldd "$plugin" | grep 'not found' | awk '{print $1}' | tr '\n' ' ')" >&2
  fi
fi

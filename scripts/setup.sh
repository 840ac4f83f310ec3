#!/usr/bin/env bash
# Idempotent set-up shared by run.sh and test.sh: a venv with the pinned packages
# (the CJK font ships as a PyPI package among them). Re-runs only what changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
python="${CITYCHAIN_PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3

if [[ ! -x "$venv/bin/python" ]]; then
  echo "setup: creating $venv"
  "$python" -m venv "$venv"
fi
# gmalglib (SM2, docs/sm-libraries.md) is built from its pinned sdist: it needs a C
# compiler and the Python headers. Installed (Debian, as root) only when missing.
if [[ ! -f "$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ]] \
  || ! command -v gcc >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing gcc and the Python headers (Debian) to build gmalglib"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev python3-dev >/dev/null
  else
    echo "setup: gmalglib needs gcc and the Python headers: install gcc and python3-dev" >&2
  fi
fi
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$root/requirements.txt" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "setup: installing pinned packages (requirements.txt)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --require-hashes -r "$root/requirements.txt"
  echo "$want" > "$stamp"
fi
"$venv/bin/python" - <<'PY'
import importlib.util, pathlib, sys
spec = importlib.util.find_spec("paperang_p2_fonts_cjk")
font = spec and pathlib.Path(spec.origin).parent / "fonts" / "wqy-microhei.ttc"
if not font or not font.is_file():
    sys.exit("setup: the CJK font package is missing; delete .venv and run again")
PY
# Debian packages the tests use, as "command-or-file package" pairs: each test that needs one
# starts and stops its own server (nginx: tests/test_tiles.py with docs/nginx-tlog.conf).
# Installed only when missing, and only as root; otherwise the tests that need them skip and say so.
debian_needs=(
  "nginx nginx"
  "cupsd cups"
  "lp cups-client"
  "espeak-ng espeak-ng"
  "/usr/share/ppd/cupsfilters/Generic-PDF_Printer-PDF.ppd cups-filters"
  "Xvfb xvfb"
  "xwininfo x11-utils"
  "cage cage"
  "Xwayland xwayland"
  "/usr/lib/x86_64-linux-gnu/libwayland-cursor.so.0 libwayland-cursor0"
)
missing=()
for need in "${debian_needs[@]}"; do
  read -r probe package <<<"$need"
  if ! command -v "$probe" >/dev/null 2>&1 && [[ ! -e "$probe" && ! -x "/usr/sbin/$probe" ]]; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]} (install them; the tests that need them skip)" >&2
  fi
fi

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
# nginx (Debian package): tests/test_tiles.py serves a published log through it
# with docs/nginx-tlog.conf; it starts its own nginx and stops it.
if ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing nginx (Debian package)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
  else
    echo "setup: nginx is missing: install the Debian package nginx (the nginx test skips without it)" >&2
  fi
fi

#!/usr/bin/env bash
# Lint, then run the whole test suite (installs what it needs first). Arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$root/scripts/setup.sh"
cd "$root"
# Compiled modules are cached (in __pycache__, ignored by git) even where the environment sets
# PYTHONDONTWRITEBYTECODE: every node and command started here would otherwise compile the
# whole package again, about a second each.
unset PYTHONDONTWRITEBYTECODE
"$root/.venv/bin/ruff" check --quiet .
"$root/.venv/bin/ruff" format --check --quiet .
exec "$root/.venv/bin/python" -m pytest "$@"

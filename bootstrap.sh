#!/usr/bin/env bash
# feedlab set-up in one command: find a Python >= 3.12, create .venv, install feedlab with
# its dev extras, and run the default simulation (pass Hydra overrides to change it, or
# --no-run to only install).  Usage:  bash bootstrap.sh [--no-run] [overrides...]
set -euo pipefail
cd "$(dirname "$0")"

find_python() {
  local c
  for c in "${FEEDLAB_PYTHON:-}" python3.13 python3.12 python3 \
           "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 /root/.pyenv/versions/3.1[2-9]*/bin/python3 \
           /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    [ -n "$c" ] || continue
    command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || continue
    if "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      command -v "$c" 2>/dev/null || echo "$c"
      return 0
    fi
  done
  return 1
}

PY=$(find_python) || { echo "bootstrap: no Python >= 3.12 found (Mesa >= 3.4 needs it); set FEEDLAB_PYTHON" >&2; exit 1; }
echo "bootstrap: using $PY ($("$PY" --version))"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
  rm -rf .venv
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
echo "bootstrap: installed feedlab into .venv"
if [ "${1:-}" = "--no-run" ]; then
  exit 0
fi
exec .venv/bin/feedlab run "$@"

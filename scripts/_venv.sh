# Sourced by the other scripts: make .venv/ hold the project and its dev tools, on any machine
# that has Python 3.10 or later. Reinstalls when pyproject.toml changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

find_python() {
    for candidate in "${PYTHON:-}" python3 python; do
        if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "Python 3.10 or later is needed (set PYTHON=/path/to/python)" >&2
    return 1
}

stamp="$(cat "$ROOT/pyproject.toml" | cksum | cut -d' ' -f1)"
if [ ! -x "$PY" ] || [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$stamp" ]; then
    echo "Setting up $VENV (first run, or pyproject.toml changed)..."
    [ -x "$PY" ] || "$(find_python)" -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$PY" -m pip install --quiet --disable-pip-version-check -e "$ROOT[dev]"
    echo "$stamp" > "$VENV/.installed"
fi

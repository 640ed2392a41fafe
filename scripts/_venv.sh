# Sourced by the other scripts: make .venv/ hold the project and its dev tools, on any machine
# that has Python 3.10 or later. Reinstalls when pyproject.toml changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

find_python() {
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11 python3.10 python; do
        if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "Python 3.10 or later is needed (set PYTHON=/path/to/python)" >&2
    return 1
}

stamp="$(cksum < "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ ! -x "$PY" ] || [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$stamp" ]; then
    echo "Setting up $VENV (first run, or pyproject.toml changed)..."
    # A venv left half-made (for example without pip) is made again from scratch.
    if ! "$PY" -m pip --version >/dev/null 2>&1; then
        base="$(find_python)"
        if ! "$base" -m venv --clear "$VENV"; then
            rm -rf "$VENV"
            echo "Could not create $VENV with $base: install its venv module" \
                "(on Debian or Ubuntu: apt-get install python3-venv)." >&2
            exit 1
        fi
    fi
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    # torch first and pinned: a loose torch requirement on a machine without torch pulls
    # the CUDA build (several GB); 2.13.0 is the CPU build where one is provided.
    "$PY" -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
    "$PY" -m pip install --quiet --disable-pip-version-check -e "$ROOT[dev,train,sb3]"
    echo "$stamp" > "$VENV/.installed"
fi

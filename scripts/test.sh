#!/usr/bin/env bash
# The test command: lint, type-check mlagents_envs, then the whole test suite.
# Extra arguments go to pytest (for example: scripts/test.sh -k side_channel).
set -euo pipefail
source "$(dirname "$0")/_venv.sh"
cd "$ROOT"
"$PY" -m ruff check .
"$PY" -m ruff format --check .
"$PY" -m mypy
"$PY" -m pytest "$@"

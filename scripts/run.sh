#!/usr/bin/env bash
# The main job. Until the environment side exists (mlagents_sim), it is a tour of the wire:
# an environment end and the Python end exchanging real protocol messages, with progress.
set -euo pipefail
source "$(dirname "$0")/_venv.sh"
cd "$ROOT"
exec "$PY" examples/wire_roundtrip.py "$@"

#!/usr/bin/env bash
# The main job: 3DBall launched as an executable and driven through UnityEnvironment.
# (Until training lands, with a random policy; see examples/random_3dball.py.)
set -euo pipefail
source "$(dirname "$0")/_venv.sh"
cd "$ROOT"
exec "$PY" examples/random_3dball.py "$@"

#!/usr/bin/env bash
# The main job: train 3DBall with PPO through mlagents-learn, the environment launched as an
# executable (like a Unity build). Progress is printed as it goes; results (TensorBoard
# events, checkpoints, 3DBall.onnx) land in results/3DBall/. Extra arguments go to
# mlagents-learn (for example: --num-envs 2, or --resume instead of --force).
set -euo pipefail
source "$(dirname "$0")/_venv.sh"
cd "$ROOT"
exec "$VENV/bin/mlagents-learn" config/ppo/3DBall.yaml --env 3DBall --run-id 3DBall \
    --no-graphics --force "$@"

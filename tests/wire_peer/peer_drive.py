"""Drive environment executables through `mlagents_envs.UnityEnvironment` and record every
array the client gives back.

    python peer_drive.py REQUEST.json OUT_FOLDER

REQUEST.json: {"steps": N, "seed": S, "runs": [{"name": ..., "path": ..., "port": ...,
"steps": n (optional, instead of N)}], "env_pythonpath": P}; P, if given, is the PYTHONPATH
of the executables the client launches (a reference client runs without ours, but the
environments must run our code).
For each run, OUT_FOLDER/<name>.npz holds the arrays and OUT_FOLDER/<name>.json the rest
(behavior names and specs, and the dtype and shape of every array, empty ones included).

The file runs under whichever `mlagents_envs` is importable, using its public API only:
the reference clients (mlagents-envs 0.28.0 and 1.1.0) run it in their own virtual
environments, and the tests import run() to do the very same with ours. Actions are drawn
from the seed, the step and the behavior, among the actions the masks allow, so that
clients that see the same steps send the same actions. Data go out as .npz without pickle
and JSON, which any numpy reads.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

from mlagents_envs.base_env import ActionTuple
from mlagents_envs.environment import UnityEnvironment


def spec_json(spec) -> dict:
    """A behavior spec as plain JSON."""
    return {
        "observations": [
            {
                "shape": [int(n) for n in o.shape],
                "dimension_property": [int(p) for p in o.dimension_property],
                "observation_type": int(o.observation_type.value),
                "name": o.name,
            }
            for o in spec.observation_specs
        ],
        "continuous_size": int(spec.action_spec.continuous_size),
        "discrete_branches": [int(b) for b in spec.action_spec.discrete_branches],
    }


def _fields(decision, terminal) -> dict[str, np.ndarray | None]:
    fields: dict[str, np.ndarray | None] = {}
    for half, steps in (("decision", decision), ("terminal", terminal)):
        for i, obs in enumerate(steps.obs):
            fields[f"{half}.obs{i}"] = obs
        for name in ("reward", "agent_id", "group_reward"):
            fields[f"{half}.{name}"] = getattr(steps, name)
        # Upstream hands group ids out as a plain list of ints (whose numpy dtype would be
        # float64 when empty); ours as int32. The ids themselves must be equal.
        fields[f"{half}.group_id"] = np.asarray(steps.group_id, dtype=np.int32)
    fields["terminal.interrupted"] = terminal.interrupted
    masks = decision.action_mask
    fields["decision.mask_is_none"] = np.asarray([masks is None])
    for j, mask in enumerate(masks or []):
        fields[f"decision.mask{j}"] = mask
    return fields


class Recorder:
    """Every array of every output, per key: the pieces' lengths, their signatures (dtype
    and shape past the first axis, for empty pieces too) and their concatenation."""

    def __init__(self) -> None:
        self.pieces: dict[str, list[np.ndarray]] = {}

    def add(self, prefix: str, decision, terminal) -> None:
        for key, value in _fields(decision, terminal).items():
            self.pieces.setdefault(f"{prefix}.{key}", []).append(np.asarray(value))

    def result(self) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
        arrays: dict[str, np.ndarray] = {}
        signatures: dict[str, list[str]] = {}
        for key, pieces in self.pieces.items():
            signatures[key] = sorted({f"{p.dtype.str} {list(p.shape[1:])}" for p in pieces})
            arrays[f"{key}#len"] = np.asarray([len(p) for p in pieces], dtype=np.int64)
            full = [p for p in pieces if len(p)] or pieces[:1]
            if len(signatures[key]) == 1:
                arrays[key] = np.concatenate(full)
            else:
                # Mixed signatures already differ from any client that keeps them uniform;
                # keep the non-empty data for the comparison of values.
                arrays[key] = np.concatenate([p.ravel() for p in full])
        return arrays, signatures


def _actions(spec, decision, seed: int, step: int, behavior: int) -> ActionTuple:
    """Seeded actions for the agents that asked, among those the masks allow.

    Only Generator.random() is used: its stream is the same in every numpy since 1.17.
    """
    n = len(decision)
    rng = np.random.default_rng([seed, step, behavior])
    action_spec = spec.action_spec
    continuous = (rng.random((n, action_spec.continuous_size)) * 2.0 - 1.0).astype(np.float32)
    draws = rng.random((n, len(action_spec.discrete_branches)))
    discrete = np.zeros((n, len(action_spec.discrete_branches)), dtype=np.int32)
    for j, size in enumerate(action_spec.discrete_branches):
        for i in range(n):
            allowed = np.arange(size)
            if decision.action_mask is not None:
                allowed = allowed[~decision.action_mask[j][i]]
            if allowed.size:
                discrete[i, j] = allowed[int(draws[i, j] * allowed.size)]
    return ActionTuple(continuous=continuous, discrete=discrete)


def drive(path: str, port: int, steps: int, seed: int) -> tuple[dict[str, np.ndarray], dict]:
    """Reset, record, then steps times: act for every behavior, step, record.

    Returns the arrays and a JSON-able description (names, specs, signatures).
    """
    env = UnityEnvironment(path, base_port=port, seed=seed, no_graphics=True, timeout_wait=60)
    try:
        env.reset()
        names = list(env.behavior_specs)
        recorder = Recorder()
        for step in range(steps + 1):
            if step:
                env.step()
            for b, name in enumerate(env.behavior_specs):
                if name not in names:
                    names.append(name)
                decision, terminal = env.get_steps(name)
                recorder.add(str(names.index(name)), decision, terminal)
                if step < steps:
                    spec = env.behavior_specs[name]
                    env.set_actions(name, _actions(spec, decision, seed, step, b))
        specs = {name: spec_json(spec) for name, spec in env.behavior_specs.items()}
    finally:
        env.close()
    arrays, signatures = recorder.result()
    return arrays, {"behaviors": names, "specs": specs, "signatures": signatures}


def run(request: dict, out: Path) -> None:
    """Every run of the request, written to out/<name>.npz and out/<name>.json."""
    out.mkdir(parents=True, exist_ok=True)
    if request.get("env_pythonpath"):
        # Only processes started from here on see it: this client's imports are done.
        os.environ["PYTHONPATH"] = request["env_pythonpath"]
    for item in request["runs"]:
        steps = item.get("steps", request["steps"])
        arrays, info = drive(item["path"], item["port"], steps, request["seed"])
        np.savez(out / f"{item['name']}.npz", **arrays)
        (out / f"{item['name']}.json").write_text(json.dumps(info))


def main() -> None:
    request = json.loads(Path(sys.argv[1]).read_text())
    run(request, Path(sys.argv[2]))


if __name__ == "__main__":
    main()

"""Drive each environment executable with the reference client and report what it saw.

    python peer_drive_suite.py REQUEST.json REPORT.json

REQUEST.json: {"steps": N, "seed": S, "runs": [{"name": ..., "path": ..., "port": ...}]}.
REPORT.json: per name, the behavior specs as plain JSON and counts of decisions and ends.
Runs with the interpreter of mlagents-envs 0.28.0; only its public API is used.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from mlagents_envs.environment import UnityEnvironment


def spec_json(spec) -> dict:
    return {
        "observations": [
            {
                "shape": list(o.shape),
                "dimension_property": [int(p) for p in o.dimension_property],
                "observation_type": int(o.observation_type.value),
                "name": o.name,
            }
            for o in spec.observation_specs
        ],
        "continuous_size": spec.action_spec.continuous_size,
        "discrete_branches": list(spec.action_spec.discrete_branches),
    }


def drive(path: str, port: int, steps: int, seed: int) -> dict:
    np.random.seed(seed)
    decisions: dict[str, int] = {}
    ends: dict[str, int] = {}
    env = UnityEnvironment(path, base_port=port, seed=seed, no_graphics=True, timeout_wait=60)
    try:
        env.reset()
        for _ in range(steps):
            for name, spec in env.behavior_specs.items():
                decision, terminal = env.get_steps(name)
                decisions[name] = decisions.get(name, 0) + len(decision)
                ends[name] = ends.get(name, 0) + len(terminal)
                env.set_actions(name, spec.action_spec.random_action(len(decision)))
            env.step()
        specs = {name: spec_json(spec) for name, spec in env.behavior_specs.items()}
    finally:
        env.close()
    return {"specs": specs, "decisions": decisions, "ends": ends}


def main() -> None:
    with open(sys.argv[1]) as source:
        request = json.load(source)
    report = {
        run["name"]: drive(run["path"], run["port"], request["steps"], request["seed"])
        for run in request["runs"]
    }
    with open(sys.argv[2], "w") as out:
        json.dump(report, out)


if __name__ == "__main__":
    main()

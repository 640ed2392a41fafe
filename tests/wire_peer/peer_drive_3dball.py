"""Drive a 3DBall executable through `mlagents_envs.UnityEnvironment` and record what it sees.

    python peer_drive_3dball.py EXECUTABLE PORT SEED ACTIONS.npy OUT.npz

test_wire_peer_3dball.py runs this file with the reference client's interpreter
(mlagents-envs 0.28.0), and imports drive() to run the very same loop with ours: whichever
`mlagents_envs` is importable is the client under test. Only the public API of both is used.
Data go both ways as .npy / .npz files without pickle.
"""

from __future__ import annotations

import sys

import numpy as np

from mlagents_envs.base_env import ActionTuple
from mlagents_envs.environment import UnityEnvironment

# Fixed dtypes, so that a step with no agents (an empty array of some default dtype) cannot
# change the dtype of the concatenated record.
FIELDS = {
    "decision_id": np.int32,
    "decision_obs": np.float32,
    "decision_reward": np.float32,
    "terminal_id": np.int32,
    "terminal_obs": np.float32,
    "terminal_reward": np.float32,
    "terminal_interrupted": np.bool_,
}


class Recorder:
    """Per-output steps of one behavior, flattened: counts per output plus concatenations."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {name: [] for name in FIELDS}
        self.decision_count: list[int] = []
        self.terminal_count: list[int] = []

    def add(self, decision, terminal) -> None:
        self.decision_count.append(len(decision))
        self.terminal_count.append(len(terminal))
        values = {
            "decision_id": decision.agent_id,
            "decision_obs": decision.obs[0],
            "decision_reward": decision.reward,
            "terminal_id": terminal.agent_id,
            "terminal_obs": terminal.obs[0],
            "terminal_reward": terminal.reward,
            "terminal_interrupted": terminal.interrupted,
        }
        for name, value in values.items():
            self.parts[name].append(np.asarray(value, dtype=FIELDS[name]))

    def arrays(self) -> dict[str, np.ndarray]:
        arrays = {name: np.concatenate(parts) for name, parts in self.parts.items()}
        arrays["decision_count"] = np.asarray(self.decision_count, dtype=np.int64)
        arrays["terminal_count"] = np.asarray(self.terminal_count, dtype=np.int64)
        return arrays


def drive(file_name: str, base_port: int, seed: int, actions: np.ndarray) -> dict[str, np.ndarray]:
    """Reset, then one step per row of actions: the agents that asked take the first rows.

    Records the reset's output and every step's.
    """
    env = UnityEnvironment(
        file_name=file_name, base_port=base_port, seed=seed, no_graphics=True, timeout_wait=60
    )
    try:
        env.reset()
        (behavior,) = list(env.behavior_specs)
        recorder = Recorder()
        recorder.add(*env.get_steps(behavior))
        for row in actions:
            decision, _ = env.get_steps(behavior)
            env.set_actions(behavior, ActionTuple(continuous=row[: len(decision)]))
            env.step()
            recorder.add(*env.get_steps(behavior))
    finally:
        env.close()
    return recorder.arrays()


def main() -> None:
    file_name, port, seed, actions_path, out_path = sys.argv[1:]
    actions = np.load(actions_path, allow_pickle=False)
    arrays = drive(file_name, int(port), int(seed), actions)
    np.savez(out_path, allow_pickle=False, **arrays)


if __name__ == "__main__":
    main()

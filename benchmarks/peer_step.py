"""The step loop of benchmarks/step_throughput.py, and its peer side.

    python peer_step.py EXECUTABLE NUM_AREAS SEED ACTIONS.npy WARMUP

Run with the reference client's interpreter (mlagents-envs 0.28.0), it launches the
executable, times the loop and prints the result as JSON. step_throughput.py imports
step_loop() and runs the same loop with our UnityEnvironment, so both clients do exactly the
same calls. Only the public API of both is used.
"""

from __future__ import annotations

import json
import socket
import sys
import time

import numpy as np

from mlagents_envs.base_env import ActionTuple
from mlagents_envs.environment import UnityEnvironment


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def step_loop(env, actions: np.ndarray, warmup: int) -> dict:
    """Reset, then one step per row of actions (the agents that asked take the first rows);
    the steps after the first `warmup` ones are timed.

    Each step is what a trainer does: set the actions of the agents that asked, step, read
    the new steps. The counts of agents seen let the caller check that two clients went
    through the same episodes.
    """
    env.reset()
    (behavior,) = list(env.behavior_specs)
    decision, _ = env.get_steps(behavior)
    decisions = terminals = 0
    start = time.perf_counter()
    for i, row in enumerate(actions):
        if i == warmup:
            start = time.perf_counter()
        env.set_actions(behavior, ActionTuple(continuous=row[: len(decision)]))
        env.step()
        decision, terminal = env.get_steps(behavior)
        decisions += len(decision)
        terminals += len(terminal)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "steps": len(actions) - warmup,
        "decisions": decisions,
        "terminals": terminals,
    }


def main() -> None:
    file_name, num_areas, seed, actions_path, warmup = sys.argv[1:]
    actions = np.load(actions_path, allow_pickle=False)
    env = UnityEnvironment(
        file_name=file_name,
        base_port=free_port(),
        seed=int(seed),
        no_graphics=True,
        num_areas=int(num_areas),
        timeout_wait=120,
    )
    try:
        result = step_loop(env, actions, int(warmup))
    finally:
        env.close()
    from google.protobuf.internal import api_implementation

    result["protobuf"] = api_implementation.Type()
    result["python"] = sys.version.split()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    main()

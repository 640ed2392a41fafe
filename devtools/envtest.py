"""Helpers for tests that run environments: free ports, and recording every array a BaseEnv
returns under seeded random actions, to compare two runs bit for bit."""

from __future__ import annotations

import socket
from collections.abc import Callable

import numpy as np

from mlagents_envs.base_env import ActionTuple, BaseEnv, DecisionSteps

Policy = Callable[[str, DecisionSteps], ActionTuple]


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it, so parallel runs do not clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def record_steps(
    env: BaseEnv, steps: int, seed: int, policy: Policy | None = None
) -> list[tuple[str, np.ndarray]]:
    """Reset env, step it `steps` times, and return (label, array) for everything every
    behavior returned: ids, rewards, observations, masks, groups, interruptions.

    Actions are seeded random ones unless a policy (behavior, decision steps) -> actions
    is given.
    """
    rng = np.random.default_rng(seed)
    record: list[tuple[str, np.ndarray]] = []
    env.reset()
    for step in range(steps):
        for name in sorted(env.behavior_specs):
            decision, terminal = env.get_steps(name)
            at = f"step {step} {name}"
            record += [
                (f"{at} decision.agent_id", decision.agent_id),
                (f"{at} decision.reward", decision.reward),
                (f"{at} decision.group_id", decision.group_id),
                (f"{at} decision.group_reward", decision.group_reward),
                (f"{at} terminal.agent_id", terminal.agent_id),
                (f"{at} terminal.reward", terminal.reward),
                (f"{at} terminal.interrupted", terminal.interrupted),
                (f"{at} terminal.group_id", terminal.group_id),
                (f"{at} terminal.group_reward", terminal.group_reward),
            ]
            record += [(f"{at} decision.obs[{k}]", o) for k, o in enumerate(decision.obs)]
            record += [(f"{at} terminal.obs[{k}]", o) for k, o in enumerate(terminal.obs)]
            masks = decision.action_mask or []
            record += [(f"{at} action_mask[{k}]", m) for k, m in enumerate(masks)]
            spec = env.behavior_specs[name].action_spec
            if policy is not None:
                action = policy(name, decision)
            else:
                action = spec.random_action(len(decision), rng)
            env.set_actions(name, action)
        env.step()
    return record


def assert_same_records(
    first: list[tuple[str, np.ndarray]], second: list[tuple[str, np.ndarray]]
) -> None:
    """Both runs returned the same arrays, with the same dtypes, in the same order."""
    assert [label for label, _ in first] == [label for label, _ in second]
    for (label, a), (_, b) in zip(first, second):
        np.testing.assert_array_equal(a, b, err_msg=label, strict=True)

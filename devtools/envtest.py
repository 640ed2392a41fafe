"""Helpers for tests that run environments: free ports and launching executables, recording
every array a BaseEnv returns under seeded random actions (or a policy) to compare two runs
bit for bit, summing the rewards of episodes, and checking that a seed decides a run."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from mlagents_envs.base_env import ActionTuple, BaseEnv, DecisionSteps
from mlagents_envs.environment import UnityEnvironment

#: Chooses the actions of the agents of a behavior that ask for a decision.
Policy = Callable[[str, DecisionSteps], ActionTuple]
Record = list[tuple[str, np.ndarray]]


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it, so parallel runs do not clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch(executable: str | os.PathLike[str], **kwargs: Any) -> UnityEnvironment:
    """Start an environment executable on a free port, without graphics; kwargs go to
    UnityEnvironment (base_port and no_graphics included)."""
    kwargs.setdefault("base_port", free_port())
    kwargs.setdefault("no_graphics", True)
    return UnityEnvironment(str(executable), **kwargs)


@contextmanager
def launching(
    builds: Mapping[str, str | os.PathLike[str]], **defaults: Any
) -> Iterator[Callable[..., UnityEnvironment]]:
    """A function that starts builds[name] (as launch does, with defaults under the caller's
    keyword arguments); every environment it started is closed on exit."""
    started: list[UnityEnvironment] = []

    def start(name: str, **kwargs: Any) -> UnityEnvironment:
        env = launch(builds[name], **{**defaults, **kwargs})
        started.append(env)
        return env

    try:
        yield start
    finally:
        for env in started:
            env.close()


def discrete_policy(heuristic: Callable[..., np.ndarray]) -> Policy:
    """The policy of a heuristic that maps the observations of the agents (one argument per
    observation) to their discrete actions."""
    return lambda behavior, decision: ActionTuple(discrete=heuristic(*decision.obs))


def _act(
    env: BaseEnv,
    name: str,
    decision: DecisionSteps,
    policy: Policy | None,
    rng: np.random.Generator,
) -> None:
    if policy is not None:
        action = policy(name, decision)
    else:
        action = env.behavior_specs[name].action_spec.random_action(len(decision), rng)
    env.set_actions(name, action)


def record_steps(env: BaseEnv, steps: int, seed: int, policy: Policy | None = None) -> Record:
    """Reset env, step it `steps` times, and return (label, array) for everything every
    behavior returned: ids, rewards, observations, masks, groups, interruptions.

    Actions are seeded random ones unless a policy (behavior, decision steps) -> actions
    is given.
    """
    rng = np.random.default_rng(seed)
    record: Record = []
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
            _act(env, name, decision, policy, rng)
        env.step()
    return record


def recorded(record: Record, field: str) -> dict[str, list[np.ndarray]]:
    """The arrays of a record_steps record labelled field ("terminal.agent_id",
    "decision.group_reward", ...), per behavior, in step order."""
    arrays: dict[str, list[np.ndarray]] = {}
    for label, array in record:
        _, _, rest = label.split(" ", 2)
        behavior, _, name = rest.rpartition(" ")
        if name == field:
            arrays.setdefault(behavior, []).append(array)
    return arrays


def episode_returns(
    env: BaseEnv, steps: int, policy: Policy | None = None, seed: int = 0, group: bool = False
) -> dict[str, list[float]]:
    """Reset env, step it `steps` times (actions as in record_steps) and return, per
    behavior, the total reward of every episode that ended, those the last step ended
    included. group=True totals the group rewards instead of the agents' own."""
    rng = np.random.default_rng(seed)
    returns: dict[str, list[float]] = {}
    running: dict[tuple[str, int], float] = {}

    def collect(name: str) -> DecisionSteps:
        decision, terminal = env.get_steps(name)
        ended = returns.setdefault(name, [])
        # Terminal first: an agent that restarted asks again in the same output, afresh.
        rewards = terminal.group_reward if group else terminal.reward
        for agent, reward in zip(terminal.agent_id.tolist(), rewards.tolist()):
            ended.append(running.pop((name, agent), 0.0) + reward)
        rewards = decision.group_reward if group else decision.reward
        for agent, reward in zip(decision.agent_id.tolist(), rewards.tolist()):
            running[name, agent] = running.get((name, agent), 0.0) + reward
        return decision

    env.reset()
    for _ in range(steps):
        for name in sorted(env.behavior_specs):
            _act(env, name, collect(name), policy, rng)
        env.step()
    for name in sorted(env.behavior_specs):
        collect(name)
    return returns


def assert_seed_decides(run: Callable[[int], Sequence[np.ndarray]]) -> Sequence[np.ndarray]:
    """run(seed) returns the same arrays for the same seed, and others for another seed.
    Returns what run(5) returned."""
    first, again, other = run(5), run(5), run(6)
    assert len(first) == len(again)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))
    return first


def assert_same_records(first: Record, second: Record) -> None:
    """Both runs returned the same arrays, with the same dtypes, in the same order."""
    assert [label for label, _ in first] == [label for label, _ in second]
    for (label, a), (_, b) in zip(first, second):
        np.testing.assert_array_equal(a, b, err_msg=label, strict=True)

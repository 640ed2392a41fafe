"""Playing an environment while its demonstration recorder runs, and what a .demo file of it
must then hold: the recorded agent's steps as the client saw them, each with the action the
agent held (the last one the client gave it, zeros after an episode ended or a reset), and
the buffer rows ML-Agents 0.28 reads from them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mlagents_envs.base_env import ActionTuple, BaseEnv, DecisionSteps

Policy = Callable[[str, DecisionSteps], ActionTuple]


@dataclass
class SeenStep:
    """One step of the recorded agent as the client saw it."""

    obs: list[np.ndarray]
    reward: float
    done: bool
    interrupted: bool
    masked: np.ndarray | None  # flat, True = not allowed; None on terminal steps
    continuous: np.ndarray  # the action the agent held when it reported
    discrete: np.ndarray


def random_policy(env: BaseEnv, seed: int) -> Policy:
    rng = np.random.default_rng(seed)
    return lambda name, decision: env.behavior_specs[name].action_spec.random_action(
        len(decision), rng
    )


def play(env: BaseEnv, outputs: int, policy: Policy, behavior: str | None = None) -> list[SeenStep]:
    """Reset env, answer `outputs` outputs with policy (every behavior), and return the steps
    of the agent a recorder follows (the lowest id of behavior, by default the first, at its
    first decision) in every output, the last unanswered one included. The env stays open."""
    env.reset()
    name = behavior or next(iter(env.behavior_specs))
    agent: int | None = None
    zeros: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))
    held = zeros
    seen: list[SeenStep] = []
    for answered in range(outputs + 1):
        # A behavior is known from its first agents on.
        if name in env.behavior_specs:
            decision, terminal = env.get_steps(name)
            if agent is None and len(decision):
                agent = int(decision.agent_id.min())
                empty = env.behavior_specs[name].action_spec.empty_action(1)
                zeros = held = (empty.continuous[0], empty.discrete[0])
            if agent is not None and agent in terminal:
                ended = terminal[agent]
                seen.append(SeenStep(ended.obs, ended.reward, True, ended.interrupted, None, *held))
                held = zeros
            if agent is not None and agent in decision:
                step = decision[agent]
                masked = None if step.action_mask is None else np.concatenate(step.action_mask)
                seen.append(SeenStep(step.obs, step.reward, False, False, masked, *held))
        if answered == outputs:
            break
        for other in env.behavior_specs:
            asking, _ = env.get_steps(other)
            if len(asking):
                action = policy(other, asking)
                env.set_actions(other, action)
                if other == name and agent is not None and agent in asking:
                    row = asking.agent_id.tolist().index(agent)
                    held = (action.continuous[row].copy(), action.discrete[row].copy())
        env.step()
    return seen


def expected_rows(seen: list[SeenStep]) -> dict[str, np.ndarray]:
    """The rows ML-Agents 0.28 makes of these steps: step i's observations, held action and
    mask (1 = allowed, all allowed on terminal steps) with step i + 1's reward and flags."""
    rows: dict[str, np.ndarray] = {}
    for k in range(len(seen[0].obs)):
        obs = np.stack([s.obs[k] for s in seen])
        rows[f"obs:{k}"], rows[f"next_obs:{k}"] = obs[:-1], obs[1:]
    rows["continuous_action"] = np.stack([s.continuous for s in seen[:-1]])
    rows["discrete_action"] = np.stack([s.discrete for s in seen[:-1]])
    rows["environment_rewards"] = np.array([s.reward for s in seen[1:]], np.float32)
    rows["done"] = np.array([s.done for s in seen[1:]])
    rows["interrupted"] = np.array([s.interrupted for s in seen[1:]])
    if any(s.masked is not None for s in seen):
        width = next(len(s.masked) for s in seen if s.masked is not None)
        allowed = [np.ones(width) if s.masked is None else ~s.masked for s in seen[:-1]]
        rows["action_mask"] = np.stack(allowed).astype(np.float32)
    return rows

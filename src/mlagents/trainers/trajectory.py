"""Trajectories: an agent's consecutive experiences, cut at the end of an episode or at the
time horizon, with the observation that followed the last one (to bootstrap from)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mlagents.trainers.action_info import ActionInfoOutputs
from mlagents.trainers.buffer import AgentBuffer


class AgentExperience(NamedTuple):
    """One decision of one agent and what followed it.

    - obs: the observations the agent decided on; action_mask: its masks (one flat bool row
      over all branches, True = not allowed), or None;
    - continuous_action / discrete_action: what it did (rows of the ActionTuple);
    - outputs: the policy's other outputs for this agent (log probabilities, values...);
    - reward, group_reward: what the next step brought;
    - done: the episode ended at the next step; interrupted: it ended by max step;
    - group_id: the agent's group (0 = none).
    """

    obs: list[np.ndarray]
    reward: float
    done: bool
    interrupted: bool
    continuous_action: np.ndarray
    discrete_action: np.ndarray
    action_mask: np.ndarray | None
    outputs: ActionInfoOutputs
    group_id: int
    group_reward: float


class Trajectory(NamedTuple):
    steps: list[AgentExperience]
    next_obs: list[np.ndarray]
    agent_id: str
    behavior_id: str

    @property
    def done_reached(self) -> bool:
        """The episode ended with the last step (by a terminal step, done or interrupted)."""
        return bool(self.steps) and self.steps[-1].done

    @property
    def interrupted(self) -> bool:
        """The episode was cut by max step: bootstrap from next_obs, it did not truly end."""
        return bool(self.steps) and self.steps[-1].interrupted

    def to_agentbuffer(self) -> AgentBuffer:
        """The steps as columns of numpy arrays (one row per step)."""
        buffer = AgentBuffer()
        steps = self.steps
        if not steps:
            return buffer
        columns: dict[str, np.ndarray] = {}
        for k in range(len(steps[0].obs)):
            columns[f"obs_{k}"] = np.stack([s.obs[k] for s in steps])
            following = [s.obs[k] for s in steps[1:]] + [self.next_obs[k]]
            columns[f"next_obs_{k}"] = np.stack(following)
        columns["continuous_action"] = np.stack([s.continuous_action for s in steps])
        columns["discrete_action"] = np.stack([s.discrete_action for s in steps])
        masks = [s.action_mask for s in steps]
        if all(m is not None for m in masks):
            columns["action_mask"] = np.stack(masks)  # type: ignore[arg-type]
        columns["reward"] = np.array([s.reward for s in steps], dtype=np.float32)
        columns["group_reward"] = np.array([s.group_reward for s in steps], dtype=np.float32)
        columns["done"] = np.array([s.done for s in steps], dtype=bool)
        columns["interrupted"] = np.array([s.interrupted for s in steps], dtype=bool)
        columns["group_id"] = np.array([s.group_id for s in steps], dtype=np.int32)
        for key in steps[0].outputs:
            columns[f"outputs/{key}"] = np.stack([np.asarray(s.outputs[key]) for s in steps])
        buffer.extend(columns)
        return buffer

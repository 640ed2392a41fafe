"""Trajectories: an agent's consecutive experiences, cut at the end of an episode or at the
time horizon, with the observation that followed the last one (to bootstrap from)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mlagents.trainers.action_info import ActionInfoOutputs
from mlagents.trainers.buffer import AgentBuffer, AgentBufferKey, BufferKey, obs_key


class AgentExperience(NamedTuple):
    """One decision of one agent and what followed it.

    - obs: the observations the agent decided on; action_mask: its masks (one flat bool row
      over all branches, True = not allowed), or None;
    - continuous_action / discrete_action: what it did (rows of the ActionTuple);
    - outputs: the policy's other outputs for this agent (log probabilities...), each
      named by a `BufferKey` value;
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

    @property
    def ended(self) -> bool:
        """The episode truly ended with the last step: nothing to bootstrap from."""
        return self.done_reached and not self.interrupted

    def to_agentbuffer(self) -> AgentBuffer:
        """The steps as columns of numpy arrays (one row per step).

        ACTION_MASK is float with 1 = allowed (the environment's masks are True = not
        allowed), absent when the behavior has no discrete actions."""
        buffer = AgentBuffer()
        steps = self.steps
        if not steps:
            return buffer
        columns: dict[AgentBufferKey, np.ndarray] = {}
        for k in range(len(steps[0].obs)):
            columns[obs_key(k)] = np.stack([s.obs[k] for s in steps])
            following = [s.obs[k] for s in steps[1:]] + [self.next_obs[k]]
            columns[obs_key(k, following=True)] = np.stack(following)
        columns[BufferKey.CONTINUOUS_ACTION] = np.stack([s.continuous_action for s in steps])
        columns[BufferKey.DISCRETE_ACTION] = np.stack([s.discrete_action for s in steps])
        masks = [s.action_mask for s in steps]
        if all(m is not None for m in masks):
            allowed = ~np.stack(masks)  # type: ignore[arg-type]
            columns[BufferKey.ACTION_MASK] = allowed.astype(np.float32)
        columns[BufferKey.ENVIRONMENT_REWARDS] = np.array(
            [s.reward for s in steps], dtype=np.float32
        )
        columns[BufferKey.GROUP_REWARD] = np.array(
            [s.group_reward for s in steps], dtype=np.float32
        )
        columns[BufferKey.DONE] = np.array([s.done for s in steps], dtype=bool)
        columns[BufferKey.INTERRUPTED] = np.array([s.interrupted for s in steps], dtype=bool)
        columns[BufferKey.GROUP_ID] = np.array([s.group_id for s in steps], dtype=np.int32)
        for name in steps[0].outputs:
            columns[BufferKey(name)] = np.stack([np.asarray(s.outputs[name]) for s in steps])
        buffer.extend(columns)
        return buffer

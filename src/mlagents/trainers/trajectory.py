"""Trajectories: an agent's consecutive experiences, cut at the end of an episode or at the
time horizon, with the observation that followed the last one (to bootstrap from)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mlagents.trainers.action_info import ActionInfoOutputs
from mlagents.trainers.buffer import (
    AgentBuffer,
    AgentBufferKey,
    BufferKey,
    group_obs_key,
    obs_key,
)


class GroupmateStatus(NamedTuple):
    """What a teammate did at the same step: its observations, its action, the reward and
    whether its episode ended at the next step."""

    obs: list[np.ndarray]
    continuous_action: np.ndarray
    discrete_action: np.ndarray
    reward: float
    done: bool


class AgentExperience(NamedTuple):
    """One decision of one agent and what followed it.

    - obs: the observations the agent decided on; action_mask: its masks (one flat bool row
      over all branches, True = not allowed), or None;
    - continuous_action / discrete_action: what it did (rows of the ActionTuple);
    - outputs: the policy's other outputs for this agent (log probabilities...), each
      named by a `BufferKey` value;
    - reward, group_reward: what the next step brought;
    - done: the episode ended at the next step; interrupted: it ended by max step;
    - group_id: the agent's group (0 = none);
    - group_status: the other members of its group at this step (recorded only for
      trainers that learn from teammates; empty otherwise).
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
    group_status: tuple[GroupmateStatus, ...] = ()


class Trajectory(NamedTuple):
    """next_group_obs: the observations of the teammates still in the group after the last
    step (to bootstrap a group critic from); None when teammates were not recorded."""

    steps: list[AgentExperience]
    next_obs: list[np.ndarray]
    agent_id: str
    behavior_id: str
    next_group_obs: list[list[np.ndarray]] | None = None

    @property
    def all_group_dones_reached(self) -> bool:
        """Every teammate at the last step ended its episode there too (true without
        teammates): with done_reached, the group's episode is over."""
        return bool(self.steps) and all(m.done for m in self.steps[-1].group_status)

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
        if self.next_group_obs is not None:
            columns.update(self._group_columns())
        buffer.extend(columns)
        return buffer

    def _group_columns(self) -> dict[AgentBufferKey, np.ndarray]:
        """The teammates of every step, padded with zeros to the most teammates any step
        (or the observation after the last) had; GROUPMATE_PRESENT tells real from padding.
        Row t of the next group observations holds the teammates of step t + 1 (after the
        last step, next_group_obs)."""
        steps = self.steps
        following = [s.group_status for s in steps[1:]]
        next_group = self.next_group_obs or []
        width = max([len(s.group_status) for s in steps] + [len(next_group)])
        n = len(steps)
        first = steps[0]
        columns: dict[AgentBufferKey, np.ndarray] = {}
        present = np.zeros((n, width), dtype=bool)
        next_present = np.zeros((n, width), dtype=bool)
        dones = np.zeros((n, width), dtype=bool)
        rewards = np.zeros((n, width), dtype=np.float32)
        continuous = np.zeros((n, width, *first.continuous_action.shape), dtype=np.float32)
        discrete = np.zeros((n, width, *first.discrete_action.shape), dtype=np.int32)
        group_obs = [np.zeros((n, width, *o.shape), dtype=np.float32) for o in first.obs]
        next_obs = [np.zeros((n, width, *o.shape), dtype=np.float32) for o in first.obs]
        for t, step in enumerate(steps):
            for j, mate in enumerate(step.group_status):
                present[t, j] = True
                dones[t, j] = mate.done
                rewards[t, j] = mate.reward
                continuous[t, j] = mate.continuous_action
                discrete[t, j] = mate.discrete_action
                for k, o in enumerate(mate.obs):
                    group_obs[k][t, j] = o
            after = [m.obs for m in following[t]] if t < n - 1 else next_group
            for j, mate_obs in enumerate(after):
                next_present[t, j] = True
                for k, o in enumerate(mate_obs):
                    next_obs[k][t, j] = o
        columns[BufferKey.GROUPMATE_PRESENT] = present
        columns[BufferKey.NEXT_GROUPMATE_PRESENT] = next_present
        columns[BufferKey.GROUP_DONES] = dones
        columns[BufferKey.GROUPMATE_REWARDS] = rewards
        columns[BufferKey.GROUP_CONTINUOUS_ACTION] = continuous
        columns[BufferKey.GROUP_DISCRETE_ACTION] = discrete
        for k in range(len(first.obs)):
            columns[group_obs_key(k)] = group_obs[k]
            columns[group_obs_key(k, following=True)] = next_obs[k]
        return columns

"""Agent processing: per-agent trajectories rebuilt from batched steps.

Each environment step brings, per behavior, the agents that ended an episode (terminal
steps) and those that ask for a decision; an agent can be in both (its episode ended and
the next one began). The processor pairs each agent's last decision and the action taken
with what the next step brought, cuts trajectories at episode ends and at the time horizon,
and records episode rewards and lengths.

For trainers that learn from teammates (their policy's `needs_group_status`), each step of
a grouped agent also carries what the other members of its group saw and did at that step
(`GroupmateStatus`), and each trajectory the teammates' observations after its last step.
A member whose episode ends before its group's is recorded as done at its last step; its
teammates' later steps no longer list it.
"""

from __future__ import annotations

import logging
import queue
import sys
from collections import defaultdict
from typing import Any, Generic, NamedTuple, TypeVar

import numpy as np

from mlagents.trainers.action_info import ActionInfo, ActionInfoOutputs
from mlagents.trainers.behavior_id_utils import get_global_agent_id
from mlagents.trainers.policy.policy import Policy
from mlagents.trainers.stats import StatsReporter
from mlagents.trainers.trajectory import AgentExperience, GroupmateStatus, Trajectory
from mlagents_envs.base_env import DecisionSteps, TerminalSteps
from mlagents_envs.side_channel.stats_side_channel import EnvironmentStats, StatsAggregationMethod

logger = logging.getLogger(__name__)

T = TypeVar("T")


class AgentManagerQueue(Generic[T]):
    """A queue between the environment side and a trainer (trajectories one way, policies
    the other) that never blocks its reader."""

    class Empty(Exception):
        """Nothing to get right now."""

    def __init__(self, behavior_id: str, maxlen: int = 0) -> None:
        self.behavior_id = behavior_id
        self._queue: queue.Queue[T] = queue.Queue(maxsize=maxlen)

    def qsize(self) -> int:
        return self._queue.qsize()

    def empty(self) -> bool:
        return self._queue.empty()

    def get_nowait(self) -> T:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            raise AgentManagerQueue.Empty(f"The queue of {self.behavior_id} is empty.") from None

    def put(self, item: T) -> None:
        self._queue.put(item)

    def drain(self) -> list[T]:
        """Everything waiting now, oldest first, without blocking."""
        items = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items


class _LastDecision(NamedTuple):
    obs: list[np.ndarray]
    action_mask: np.ndarray | None


class _TakenAction(NamedTuple):
    continuous: np.ndarray
    discrete: np.ndarray
    outputs: ActionInfoOutputs


class AgentProcessor:
    """Turns the steps of one behavior into Trajectories, put on every trajectory queue.

    max_trajectory_length is the time horizon: a trajectory is cut after that many
    experiences even if the episode goes on (its next_obs lets the trainer bootstrap).
    """

    def __init__(
        self,
        policy: Policy | None,
        behavior_id: str,
        stats_reporter: StatsReporter,
        max_trajectory_length: int = sys.maxsize,
    ) -> None:
        self.policy = policy
        self.behavior_id = behavior_id
        self._stats_reporter = stats_reporter
        self._max_trajectory_length = max_trajectory_length
        self._experiences: defaultdict[str, list[AgentExperience]] = defaultdict(list)
        self._last_decision: dict[str, _LastDecision] = {}
        self._taken: dict[str, _TakenAction] = {}
        self._episode_rewards: defaultdict[str, float] = defaultdict(float)
        self._episode_group_rewards: defaultdict[str, float] = defaultdict(float)
        self._episode_steps: defaultdict[str, int] = defaultdict(int)
        self._trajectory_queues: list[AgentManagerQueue[Trajectory]] = []
        self._track_groups = bool(policy is not None and policy.needs_group_status)
        # By group (worker and group id), each member's latest status and observations.
        self._group_status: defaultdict[str, dict[str, GroupmateStatus]] = defaultdict(dict)
        self._group_obs: defaultdict[str, dict[str, list[np.ndarray]]] = defaultdict(dict)

    @property
    def stats_reporter(self) -> StatsReporter:
        """Where this behavior's statistics go (shared by the team ids of one brain)."""
        return self._stats_reporter

    def publish_trajectory_queue(self, trajectory_queue: AgentManagerQueue[Trajectory]) -> None:
        self._trajectory_queues.append(trajectory_queue)

    def add_experiences(
        self,
        decision_steps: DecisionSteps,
        terminal_steps: TerminalSteps,
        worker_id: int,
        previous_action: ActionInfo,
    ) -> None:
        """Take one environment step of this behavior: previous_action holds what the policy
        did for the agents that asked at the step before."""
        action = previous_action.action
        for row, local_id in enumerate(previous_action.agent_ids):
            outputs = {key: value[row] for key, value in previous_action.outputs.items()}
            self._taken[get_global_agent_id(worker_id, local_id)] = _TakenAction(
                action.continuous[row], action.discrete[row], outputs
            )
        ended: list[tuple[str, str]] = []
        if self._track_groups:
            ended = self._gather_groups(decision_steps, terminal_steps, worker_id)
        # Terminal steps first: an agent in both halves ends its episode, then begins anew.
        for row, local_id in enumerate(terminal_steps.agent_id.tolist()):
            global_id = get_global_agent_id(worker_id, local_id)
            self._process(terminal_steps, row, global_id, True, worker_id)
        flat_masks = None
        if decision_steps.action_mask is not None:
            flat_masks = np.concatenate(decision_steps.action_mask, axis=1)
        for row, local_id in enumerate(decision_steps.agent_id.tolist()):
            global_id = get_global_agent_id(worker_id, local_id)
            self._process(decision_steps, row, global_id, False, worker_id)
            self._last_decision[global_id] = _LastDecision(
                [o[row] for o in decision_steps.obs],
                None if flat_masks is None else flat_masks[row],
            )
        # Members whose episode ended leave their group once every teammate's step of
        # this environment step has listed them.
        for global_id, group in ended:
            self._leave_group(global_id, group)

    def _gather_groups(
        self, decision_steps: DecisionSteps, terminal_steps: TerminalSteps, worker_id: int
    ) -> list[tuple[str, str]]:
        """Record every grouped agent's status at this step before any trajectory is built
        (so that all teammates see each other's same step); the grouped agents that ended,
        with their group."""
        ended = []
        done = set()
        for row, local_id in enumerate(terminal_steps.agent_id.tolist()):
            global_id = get_global_agent_id(worker_id, local_id)
            done.add(global_id)
            group = self._record_member(terminal_steps, row, global_id, worker_id, True)
            if group is not None:
                ended.append((global_id, group))
        for row, local_id in enumerate(decision_steps.agent_id.tolist()):
            global_id = get_global_agent_id(worker_id, local_id)
            if global_id not in done:  # its new episode's first step: nothing done yet
                self._record_member(decision_steps, row, global_id, worker_id, False)
        return ended

    def _record_member(
        self,
        steps: DecisionSteps | TerminalSteps,
        row: int,
        global_id: str,
        worker_id: int,
        done: bool,
    ) -> str | None:
        """Record the member's status in its group; the group's key (None: no group)."""
        group_id = int(steps.group_id[row])
        if group_id == 0:
            return None
        group = _group_key(worker_id, group_id)
        self._group_obs[group][global_id] = [o[row] for o in steps.obs]
        last = self._last_decision.get(global_id)
        taken = self._taken.get(global_id)
        if last is not None and taken is not None:
            self._group_status[group][global_id] = GroupmateStatus(
                obs=last.obs,
                continuous_action=taken.continuous,
                discrete_action=taken.discrete,
                reward=float(steps.reward[row]),
                done=done,
            )
        return group

    def _leave_group(self, global_id: str, group: str) -> None:
        for table in (self._group_status, self._group_obs):
            members: dict[str, Any] | None = table.get(group)
            if members is not None:
                members.pop(global_id, None)
                if not members:
                    del table[group]

    def _teammates(
        self, global_id: str, group_id: int, worker_id: int
    ) -> tuple[tuple[GroupmateStatus, ...], list[list[np.ndarray]]]:
        """The statuses of global_id's teammates at this step and their observations now."""
        if group_id == 0:
            return (), []
        group = _group_key(worker_id, group_id)
        statuses = self._group_status.get(group, {})
        observations = self._group_obs.get(group, {})
        return (
            tuple(status for agent, status in statuses.items() if agent != global_id),
            [obs for agent, obs in observations.items() if agent != global_id],
        )

    def _process(
        self,
        steps: DecisionSteps | TerminalSteps,
        row: int,
        global_id: str,
        terminal: bool,
        worker_id: int,
    ) -> None:
        last = self._last_decision.get(global_id)
        taken = self._taken.get(global_id)
        if last is not None and taken is not None:
            reward = float(steps.reward[row])
            interrupted = bool(steps.interrupted[row]) if terminal else False  # type: ignore[union-attr]
            group_id = int(steps.group_id[row])
            mates: tuple[GroupmateStatus, ...] = ()
            next_group_obs: list[list[np.ndarray]] | None = None
            if self._track_groups:
                mates, next_group_obs = self._teammates(global_id, group_id, worker_id)
            experience = AgentExperience(
                obs=last.obs,
                reward=reward,
                done=terminal,
                interrupted=interrupted,
                continuous_action=taken.continuous,
                discrete_action=taken.discrete,
                action_mask=last.action_mask,
                outputs=taken.outputs,
                group_id=group_id,
                group_reward=float(steps.group_reward[row]),
                group_status=mates,
            )
            experiences = self._experiences[global_id]
            experiences.append(experience)
            self._episode_rewards[global_id] += reward
            self._episode_group_rewards[global_id] += experience.group_reward
            self._episode_steps[global_id] += 1
            if terminal or len(experiences) >= self._max_trajectory_length:
                trajectory = Trajectory(
                    steps=experiences,
                    next_obs=[o[row] for o in steps.obs],
                    agent_id=global_id,
                    behavior_id=self.behavior_id,
                    next_group_obs=next_group_obs,
                )
                for trajectory_queue in self._trajectory_queues:
                    trajectory_queue.put(trajectory)
                self._experiences[global_id] = []
        if terminal:
            if last is not None:
                self._record_episode(global_id, int(steps.group_id[row]) != 0)
            self._forget(global_id)

    def _record_episode(self, global_id: str, grouped: bool) -> None:
        report = self._stats_reporter
        report.add_stat("Environment/Cumulative Reward", self._episode_rewards[global_id])
        report.add_stat("Environment/Episode Length", self._episode_steps[global_id])
        if grouped:
            group_reward = self._episode_group_rewards[global_id]
            report.add_stat("Environment/Group Cumulative Reward", group_reward)

    def _forget(self, global_id: str) -> None:
        for table in (
            self._experiences,
            self._last_decision,
            self._taken,
            self._episode_rewards,
            self._episode_group_rewards,
            self._episode_steps,
        ):
            table.pop(global_id, None)  # type: ignore[attr-defined]

    def end_episode(self) -> None:
        """Drop every unfinished trajectory (the environment is being reset)."""
        for global_id in list(self._last_decision) + list(self._experiences):
            self._forget(global_id)
        self._group_status.clear()
        self._group_obs.clear()

    def record_environment_stats(self, env_stats: EnvironmentStats, worker_id: int) -> None:
        """Forward the statistics the environment sent through the stats channel."""
        for key, values in env_stats.items():
            for value, aggregation in values:
                if aggregation == StatsAggregationMethod.MOST_RECENT:
                    # Several environments would overwrite each other: the first one speaks.
                    if worker_id == 0:
                        self._stats_reporter.set_stat(key, value)
                else:
                    self._stats_reporter.add_stat(key, value, aggregation)


def _group_key(worker_id: int, group_id: int) -> str:
    """A group id unique across workers (each environment numbers its groups anew)."""
    return f"${worker_id}-{group_id}"


class AgentManager(AgentProcessor):
    """An AgentProcessor with the queues that connect it to a trainer: trajectories out,
    new policies in."""

    def __init__(
        self,
        policy: Policy | None,
        behavior_id: str,
        stats_reporter: StatsReporter,
        max_trajectory_length: int = sys.maxsize,
    ) -> None:
        super().__init__(policy, behavior_id, stats_reporter, max_trajectory_length)
        self.trajectory_queue: AgentManagerQueue[Trajectory] = AgentManagerQueue(behavior_id)
        self.policy_queue: AgentManagerQueue[Policy] = AgentManagerQueue(behavior_id)
        self.publish_trajectory_queue(self.trajectory_queue)

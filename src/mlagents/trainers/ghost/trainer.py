"""GhostTrainer: self-play around any trainer (PPO, SAC, POCA, a plugin's).

A ghost trainer serves one behavior name under several team ids. The team the
`GhostController` names as learning acts with the wrapped trainer's policy, and only its
trajectories reach the wrapped trainer; every other team plays a snapshot of that policy
from the past (a copy of the network per behavior id, whose weights are swapped). Snapshots
are taken every `save_steps` steps of the learning policy, the latest `window` kept; every
`swap_steps` steps of the opponents, each opponent team draws another: the latest policy
with probability `play_against_latest_model_ratio`, else one of the window. The learning
team changes every `team_change` steps, which ends the episodes in progress.

ELO: every episode the learning team finishes (not interrupted) is a game against the
snapshot the other team deployed, won, drawn or lost by the sign of its last reward; the
rating of the learning policy is the `Self-play/ELO` statistic and is kept in
training_status.json across --resume, as ML-Agents keeps it.
"""

from __future__ import annotations

import copy
import logging
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mlagents.trainers.agent_processor import AgentManagerQueue
from mlagents.trainers.behavior_id_utils import BehaviorIdentifiers
from mlagents.trainers.ghost.controller import GhostController
from mlagents.trainers.ghost.elo import game_result
from mlagents.trainers.optimizer.torch_optimizer import TorchOptimizer
from mlagents.trainers.policy.policy import Policy
from mlagents.trainers.settings import TrainerSettings
from mlagents.trainers.torch_policy import TorchPolicy
from mlagents.trainers.trainer.trainer import Trainer, _same_network
from mlagents.trainers.trajectory import Trajectory
from mlagents_envs.base_env import BehaviorSpec
from mlagents_envs.exception import UnityEnvironmentException

logger = logging.getLogger(__name__)

ELO_STAT = "Self-play/ELO"
#: Where training_status.json keeps a behavior's rating (ML-Agents' key).
ELO_STATUS_KEY = "elo"

Weights = dict[str, torch.Tensor]


def _weights(policy: TorchPolicy) -> Weights:
    """A copy of the policy's network (normalizer included) that later updates leave be."""
    return {key: value.detach().clone() for key, value in policy.actor.state_dict().items()}


class GhostTrainer(Trainer):
    """Self-play for the behavior trained by trainer; controller is the run's one
    GhostController."""

    def __init__(self, trainer: Trainer, controller: GhostController, seed: int = 0) -> None:
        # Not Trainer.__init__: the wrapped trainer owns the policy, the optimizer and the
        # experience; this one only routes trajectories and policies around it.
        settings = trainer.settings
        if settings.self_play is None:
            raise UnityEnvironmentException(
                f"Behavior {trainer.brain_name!r} has no self_play settings: it needs no "
                "ghost trainer."
            )
        self.trainer = trainer
        self.controller = controller
        self.brain_name = trainer.brain_name
        self.settings = settings
        self.self_play = settings.self_play
        self.hyperparameters = trainer.hyperparameters
        self.seed = seed
        self.policy = trainer.policy
        self.optimizer = trainer.optimizer
        self.stats_reporter = trainer.stats_reporter
        self.policies: dict[str, TorchPolicy] = {}
        self.trajectory_queues: list[AgentManagerQueue[Trajectory]] = []
        self.policy_queues: list[AgentManagerQueue[Policy]] = []
        self._rng = np.random.default_rng(seed)
        # The learning team's trajectories go to the wrapped trainer through this queue.
        self._learning_queue: AgentManagerQueue[Trajectory] = AgentManagerQueue(self.brain_name)
        trainer.subscribe_trajectory_queue(self._learning_queue)
        self._team_of: dict[str, int] = {}
        self._team_queues: defaultdict[int, list[AgentManagerQueue[Policy]]] = defaultdict(list)
        # One network per behavior id for playing snapshots.
        self._ghosts: dict[str, TorchPolicy] = {}
        self.wrapped_team: int | None = None
        # The learning team as this trainer last arranged the policies for it.
        self._learning_team = -1
        # Steps the opponents played: what snapshot swaps count (the learning policy's own
        # steps count for snapshots and team changes).
        self.ghost_step = 0
        self.snapshots: list[Weights] = []
        self._next_snapshot = 0
        self.last_save = self.last_swap = self.last_team_change = 0
        sp = self.self_play
        # The ratings of the window's snapshots, then (last) of the learning policy.
        self.policy_elos = [sp.initial_elo] * (sp.window + 1)
        self.current_opponent = -1  # the snapshot the opponents play; -1: the latest policy
        if sp.team_change > settings.max_steps:
            logger.warning(
                "Behavior %s: self_play.team_change (%d) is above max_steps (%d): the team "
                "never changes, and in an asymmetric game the other behavior never learns "
                "against what this one learned.",
                self.brain_name,
                sp.team_change,
                settings.max_steps,
            )

    @classmethod
    def get_trainer_name(cls) -> str:
        return "ghost"

    def create_policy(self, spec: BehaviorSpec, seed: int) -> TorchPolicy:
        return self.trainer.create_policy(spec, seed)

    def create_optimizer(self) -> TorchOptimizer:
        return self.trainer.create_optimizer()

    # ELO.

    @property
    def current_elo(self) -> float:
        return self.policy_elos[-1]

    def get_opponent_elo(self) -> float:
        """The rating of the snapshot this trainer's opponent teams play now."""
        return self.policy_elos[self.current_opponent]

    def change_opponent_elo(self, change: float) -> None:
        """The opponent's side of a game the learning team (of any trainer) gained change
        from."""
        self.policy_elos[self.current_opponent] -= change

    def _process_trajectory(self, trajectory: Trajectory) -> None:
        """Rate the game a learning-team trajectory finished, if it finished one."""
        # A member that leaves early waits for its group's end (POCA's group status).
        group_done = getattr(trajectory, "all_group_dones_reached", True)
        if not (trajectory.done_reached and group_done and not trajectory.interrupted):
            return
        last = trajectory.steps[-1]
        result = game_result(last.reward + last.group_reward)
        change = self.controller.compute_elo_rating_changes(self.current_elo, result)
        self.policy_elos[-1] += change
        self.stats_reporter.add_stat(ELO_STAT, self.current_elo)

    def _is_ready_update(self) -> bool:
        return False  # the wrapped trainer updates

    def _update_policy(self) -> bool:
        return False

    # Wiring.

    def add_policy(self, behavior: BehaviorIdentifiers, spec: BehaviorSpec) -> TorchPolicy:
        """The policy behavior's agents act with now: the learning policy if its team
        learns, else its own copy, which plays snapshots."""
        team = behavior.team_id
        self._team_of[behavior.behavior_id] = team
        self.controller.subscribe_team_id(team, self)
        if self.wrapped_team is None:
            self.wrapped_team = team
            self.trainer.add_policy(behavior, spec)
            self._save_snapshot()  # the initial policy is the first opponent
            self._learning_team = self.controller.learning_team
        elif not _same_network(spec, self.policy.behavior_spec):
            raise UnityEnvironmentException(
                f"Behavior {behavior.behavior_id!r} plays against another team of "
                f"{self.brain_name!r} with another spec ({spec}, not "
                f"{self.policy.behavior_spec}): self-play needs one network for all teams."
            )
        ghost = copy.deepcopy(self.trainer.policy)
        self._ghosts[behavior.behavior_id] = ghost
        self.policies[behavior.behavior_id] = ghost
        return self.trainer.policy if team == self._learning_team else ghost

    def subscribe_trajectory_queue(self, trajectory_queue: AgentManagerQueue[Trajectory]) -> None:
        self.trajectory_queues.append(trajectory_queue)

    def publish_policy_queue(self, policy_queue: AgentManagerQueue[Policy]) -> None:
        self.policy_queues.append(policy_queue)
        self._team_queues[self._team_of[policy_queue.behavior_id]].append(policy_queue)

    # Training.

    def advance(self) -> bool:
        """Route trajectories, advance the wrapped trainer, then take snapshots, change the
        learning team and swap the opponents' snapshots when due. True if the learning
        policy was updated."""
        for queue in self.trajectory_queues:
            learning = self._team_of[queue.behavior_id] == self._learning_team
            for trajectory in queue.drain():
                if learning:
                    self._learning_queue.put(trajectory)
                    self._process_trajectory(trajectory)
                else:
                    self.ghost_step += len(trajectory.steps)
        updated = self.trainer.advance()
        sp = self.self_play
        step = self.step
        mine = self.controller.learning_team in self._team_queues
        if mine and step - self.last_team_change > sp.team_change:
            self.controller.change_training_team(step)
            self.last_team_change = step
        elif not mine and self.controller.learning_team_finished():
            # The other behavior is done learning: this one takes over for good.
            self.controller.change_training_team(step)
        next_team = self.controller.learning_team
        if next_team != self._learning_team:
            for policy_queue in self._team_queues.get(next_team, []):
                policy_queue.put(self.trainer.policy)
        if step - self.last_save > sp.save_steps:
            self._save_snapshot()
            self.last_save = step
        if next_team != self._learning_team or self.ghost_step - self.last_swap > sp.swap_steps:
            self._learning_team = next_team
            self._swap_snapshots()
            self.last_swap = self.ghost_step
        return updated

    def _save_snapshot(self) -> None:
        """Keep the learning policy (and its rating) in the window, over the oldest."""
        weights = _weights(self.trainer.policy)
        if self._next_snapshot < len(self.snapshots):
            self.snapshots[self._next_snapshot] = weights
        else:
            self.snapshots.append(weights)
        self.policy_elos[self._next_snapshot] = self.current_elo
        self._next_snapshot = (self._next_snapshot + 1) % self.self_play.window

    def _swap_snapshots(self) -> None:
        """Give every team that does not learn a snapshot drawn anew."""
        latest_ratio = self.self_play.play_against_latest_model_ratio
        for team, queues in self._team_queues.items():
            if team == self._learning_team:
                continue
            if self._rng.uniform() < 1.0 - latest_ratio:
                self.current_opponent = int(self._rng.integers(len(self.snapshots)))
                weights = self.snapshots[self.current_opponent]
            else:
                self.current_opponent = -1
                weights = _weights(self.trainer.policy)
            for queue in queues:
                ghost = self._ghosts[queue.behavior_id]
                ghost.actor.load_state_dict(weights)
                ghost.deterministic = self.trainer.policy.deterministic
                queue.put(ghost)
            logger.debug(
                "Step %d: team %d of %s plays snapshot %s.",
                self.ghost_step,
                team,
                self.brain_name,
                "latest" if self.current_opponent < 0 else self.current_opponent,
            )

    # Checkpoints and export: the learning policy's, as the wrapped trainer writes them.

    def checkpoint_state(self) -> dict[str, Any]:
        return self.trainer.checkpoint_state()

    def load_checkpoint_state(
        self, state: dict[str, Any], weights_only: bool = False, source: str = "the checkpoint"
    ) -> None:
        self.trainer.load_checkpoint_state(state, weights_only=weights_only, source=source)

    def save_extra(self, folder: Path) -> None:
        self.trainer.save_extra(folder)

    def load_extra(self, folder: Path) -> None:
        self.trainer.load_extra(folder)

    def export_model(self, path: Path) -> None:
        self.trainer.export_model(path)

    def training_status(self) -> dict[str, Any]:
        return {ELO_STATUS_KEY: self.current_elo}

    def load_training_status(self, record: Mapping[str, Any]) -> None:
        """Resume from the rating a previous run saved (every snapshot starts at it)."""
        elo = record.get(ELO_STATUS_KEY)
        if elo is not None:
            self.policy_elos = [float(elo)] * (self.self_play.window + 1)


def wrap_self_play(
    trainer: Trainer, settings: TrainerSettings, controller: GhostController, seed: int = 0
) -> Trainer:
    """trainer inside a GhostTrainer when settings ask for self-play, else trainer."""
    if settings.self_play is None:
        return trainer
    return GhostTrainer(trainer, controller, seed)

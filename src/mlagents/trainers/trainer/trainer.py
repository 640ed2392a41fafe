"""Trainer: what the TrainerController and the checkpoints know of any algorithm.

A trainer trains the policy of one brain name (every team id of it acts with that policy):
it takes trajectories from the agent managers' queues, updates when its algorithm says so,
publishes the updated policy, writes its summaries, and gives its state to checkpoints and
its actor to export. `OnPolicyTrainer` and `OffPolicyTrainer` fill in when and how to
update; an algorithm fills in its policy and optimizer.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mlagents.trainers.agent_processor import AgentManagerQueue
from mlagents.trainers.behavior_id_utils import BehaviorIdentifiers
from mlagents.trainers.buffer import AgentBuffer, RewardSignalKeyPrefix, signal_key
from mlagents.trainers.optimizer.torch_optimizer import TorchOptimizer
from mlagents.trainers.policy.policy import Policy
from mlagents.trainers.settings import TrainerSettings
from mlagents.trainers.stats import StatsReporter
from mlagents.trainers.torch.model_serialization import export_policy_model
from mlagents.trainers.torch_policy import TorchPolicy
from mlagents.trainers.trajectory import Trajectory
from mlagents_envs.base_env import BehaviorSpec
from mlagents_envs.exception import UnityEnvironmentException

logger = logging.getLogger(__name__)

#: Where a linear learning-rate schedule ends at max_steps, as in ML-Agents.
FINAL_LEARNING_RATE = 1e-10


def _same_network(a: BehaviorSpec, b: BehaviorSpec) -> bool:
    """Whether one network serves both specs: same observation shapes, same actions."""
    shapes = [spec.shape for spec in a.observation_specs]
    return shapes == [spec.shape for spec in b.observation_specs] and (
        a.action_spec == b.action_spec
    )


class Trainer(ABC):
    """Trains one brain name's policy as its TrainerSettings say.

    Subclasses implement `create_policy`, `create_optimizer`, `_process_trajectory`,
    `_is_ready_update` and `_update_policy`."""

    def __init__(
        self,
        behavior_name: str,
        spec: BehaviorSpec,
        settings: TrainerSettings,
        seed: int = 0,
        stats_reporter: StatsReporter | None = None,
    ) -> None:
        self.brain_name = behavior_name
        self.settings = settings
        self.hyperparameters: Any = settings.hyperparameters
        self.seed = seed
        self.policy = self.create_policy(spec, seed)
        self.optimizer = self.create_optimizer()
        #: The policy of each behavior id added (all the same object, self.policy).
        self.policies: dict[str, TorchPolicy] = {}
        self.stats_reporter = stats_reporter or StatsReporter(behavior_name)
        self.trajectory_queues: list[AgentManagerQueue[Trajectory]] = []
        self.policy_queues: list[AgentManagerQueue[Policy]] = []
        self._rng = np.random.default_rng(seed)
        self._next_summary = settings.summary_freq
        #: The experience the next updates draw from (on-policy: since the last update;
        #: off-policy: the replay buffer).
        self.update_buffer = AgentBuffer()
        # Each signal's reward of the episode each agent is in (scaled by its strength).
        self._episode_rewards: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    @classmethod
    @abstractmethod
    def get_trainer_name(cls) -> str:
        """The trainer_type that selects this trainer ("ppo", "sac", ...)."""

    @abstractmethod
    def create_policy(self, spec: BehaviorSpec, seed: int) -> TorchPolicy:
        """The policy the agents act with."""

    @abstractmethod
    def create_optimizer(self) -> TorchOptimizer:
        """The optimizer of self.policy."""

    @property
    def step(self) -> int:
        return self.policy.step

    # Wiring, done by the controller.

    def add_policy(self, behavior: BehaviorIdentifiers, spec: BehaviorSpec) -> TorchPolicy:
        """The policy the agents of behavior (a team id of this brain) act with.

        Without self-play ML-Agents warns that a second team is not trained adversarially,
        then gives it a policy of its own and trains only the newest one, on both teams'
        experience: the earlier team keeps acting with its initial weights. Here every team
        shares the one policy, which their experience trains, so all of them improve.
        """
        if self.policies and behavior.behavior_id not in self.policies:
            if not _same_network(spec, self.policy.behavior_spec):
                first = next(iter(self.policies))
                raise UnityEnvironmentException(
                    f"Behaviors {first!r} and {behavior.behavior_id!r} share the brain name "
                    f"{self.brain_name!r}, so one trainer and one network, but their specs "
                    f"differ ({self.policy.behavior_spec} and {spec}); give them different "
                    "behavior names in the Behavior Parameters."
                )
            logger.warning(
                "Behavior %s has several teams (%s); %s without self-play trains them as "
                "one policy, not against each other. Enable self-play to train adversarial "
                "games.",
                self.brain_name,
                ", ".join([*self.policies, behavior.behavior_id]),
                self.get_trainer_name().upper(),
            )
        self.policies[behavior.behavior_id] = self.policy
        return self.policy

    def subscribe_trajectory_queue(self, trajectory_queue: AgentManagerQueue[Trajectory]) -> None:
        self.trajectory_queues.append(trajectory_queue)

    def publish_policy_queue(self, policy_queue: AgentManagerQueue[Policy]) -> None:
        self.policy_queues.append(policy_queue)

    # Training.

    def should_still_train(self) -> bool:
        return self.step < self.settings.max_steps

    def advance(self) -> bool:
        """Take every waiting trajectory; update when the algorithm is ready. True if the
        policy was updated (and published)."""
        for trajectory_queue in self.trajectory_queues:
            for trajectory in trajectory_queue.drain():
                self._process_trajectory(trajectory)
        updated = False
        if self.should_still_train() and self._is_ready_update():
            updated = self._update_policy()
            if updated:
                for policy_queue in self.policy_queues:
                    policy_queue.put(self.policy)
        if self.step >= self._next_summary:
            # Labelled with the multiple of summary_freq just passed, as ML-Agents does:
            # summaries of runs line up, whatever the trajectory lengths.
            self.stats_reporter.write_stats(self._next_summary)
            freq = self.settings.summary_freq
            self._next_summary = (self.step // freq + 1) * freq
        return updated

    def scheduled(self, initial: float, kind: str, final: float) -> float:
        """A hyperparameter at the current step: initial when kind is "constant"; with
        "linear", from initial at step 0 to final at max_steps, as ML-Agents decays them."""
        if kind == "constant":
            return initial
        progress = min(self.step / max(self.settings.max_steps, 1), 1.0)
        return max(initial - (initial - final) * progress, final)

    def schedules(self) -> dict[str, float]:
        """The scheduled hyperparameters at the current step, by name (what the optimizer's
        update takes besides the batch): the learning rate, and the algorithm's own."""
        hp = self.hyperparameters
        return {
            "learning_rate": self.scheduled(
                hp.learning_rate, hp.learning_rate_schedule, FINAL_LEARNING_RATE
            )
        }

    @abstractmethod
    def _process_trajectory(self, trajectory: Trajectory) -> None:
        """Turn a trajectory into training rows; count its steps."""

    @abstractmethod
    def _is_ready_update(self) -> bool:
        """Whether enough experience waits for an update."""

    @abstractmethod
    def _update_policy(self) -> bool:
        """Update the policy; True if it changed."""

    def _evaluate_rewards(self, buffer: AgentBuffer, trajectory: Trajectory) -> None:
        """Add each signal's rewards (times its strength) to buffer, and count them for the
        episode's "Policy/<Signal> Reward" stats."""
        agent = f"{trajectory.behavior_id}/{trajectory.agent_id}"
        for name, provider in self.optimizer.reward_signals.items():
            rewards = provider.evaluate(buffer) * provider.strength
            buffer.add_column(signal_key(RewardSignalKeyPrefix.REWARDS, name), rewards)
            self._episode_rewards[name][agent] += float(rewards.sum())
        if trajectory.done_reached:
            for name, provider in self.optimizer.reward_signals.items():
                total = self._episode_rewards[name].pop(agent, 0.0)
                self.stats_reporter.add_stat(provider.stat_name, total)

    def _update_normalization(self, buffer: AgentBuffer) -> None:
        self.policy.update_normalization(buffer.observations())
        self.optimizer.update_normalization(buffer)
        for provider in self.optimizer.reward_signals.values():
            provider.update_normalization(buffer)

    def _trajectory_rows(
        self, trajectory: Trajectory
    ) -> tuple[AgentBuffer, dict[str, np.ndarray], dict[str, float]] | None:
        """What every trainer does first with a trajectory: its rows (None if it has none),
        the normalizers updated with them, each signal's value estimates of them and of
        the observation after them (reported), and each signal's rewards (counted)."""
        buffer = trajectory.to_agentbuffer()
        if not len(buffer):
            return None
        self._update_normalization(buffer)
        values, next_values = self.optimizer.value_estimates(
            buffer, trajectory.next_obs, trajectory.ended
        )
        for name, provider in self.optimizer.reward_signals.items():
            self.stats_reporter.add_stat(provider.value_name, float(values[name].mean()))
        self._evaluate_rewards(buffer, trajectory)
        return buffer, values, next_values

    # Checkpoints and export.

    def checkpoint_state(self) -> dict[str, Any]:
        """The trainer's state as plain state dicts (what torch.load(weights_only=True)
        reads back)."""
        return {
            "trainer_type": self.get_trainer_name(),
            "policy": self.policy.actor.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step": int(self.step),
        }

    def load_checkpoint_state(
        self, state: dict[str, Any], weights_only: bool = False, source: str = "the checkpoint"
    ) -> None:
        """Restore checkpoint_state's output (read from source). weights_only takes the
        networks (policy with its normalizer, critics, reward signals) and leaves the step
        and the torch optimizers as they are: a new run starting from old weights."""
        if "policy" not in state or "optimizer" not in state:
            raise UnityEnvironmentException(
                f"{source} is not a checkpoint of this trainer's format (its keys: "
                f"{sorted(state)}); it may come from an older version: start a new run "
                "(without --resume) or delete it."
            )
        saved_type = state.get("trainer_type", self.get_trainer_name())
        if saved_type != self.get_trainer_name():
            raise UnityEnvironmentException(
                f"The checkpoint of {self.brain_name!r} ({source}) was written by a "
                f"{saved_type!r} trainer, not {self.get_trainer_name()!r}; set trainer_type "
                f"back to {saved_type!r} or start a new run."
            )
        try:
            self.policy.actor.load_state_dict(state["policy"])
            self.optimizer.load_state_dict(state["optimizer"], networks_only=weights_only)
        except (RuntimeError, KeyError) as error:
            raise UnityEnvironmentException(
                f"{source} does not fit the networks of {self.brain_name!r}: {error}. Were "
                "network_settings or reward_signals changed since? Put them back, or start "
                "a new run."
            ) from None
        if weights_only:
            return
        self.policy.step = int(state["step"])
        # A summary is written whenever the step passes the next multiple of summary_freq;
        # after a resume that is the next one above the restored step.
        freq = int(self.settings.summary_freq)
        self._next_summary = (self.step // freq + 1) * freq

    def save_extra(self, folder: Path) -> None:  # noqa: B027 (a no-op by default)
        """Write what a checkpoint keeps beside the state (a replay buffer) into folder."""

    def load_extra(self, folder: Path) -> None:  # noqa: B027 (a no-op by default)
        """Read what save_extra wrote, if it is there."""

    def export_model(self, path: Path) -> None:
        """Write the policy as the ONNX model Unity runs."""
        export_policy_model(self.policy.actor, path)

    def training_status(self) -> dict[str, Any]:
        """What training_status.json keeps of this trainer beside its checkpoints, read back
        on --resume (self-play keeps its ELO there, as ML-Agents does)."""
        return {}

    def load_training_status(self, record: Mapping[str, Any]) -> None:  # noqa: B027
        """Take back what training_status() saved (record: the behavior's entry)."""

    @property
    def current_elo(self) -> float | None:
        """The ELO rating of the policy, for trainers that rate it (self-play)."""
        return None

"""PPOTrainer: trajectories in, updated policy out.

Each trajectory is turned into training rows at once (values from the current critic, GAE
advantages and returns, bootstrapping from the last observation when the episode did not
really end); once `buffer_size` rows are collected, the policy is updated for `num_epoch`
passes over shuffled minibatches with the clipped surrogate, a clipped value loss and an
entropy bonus, and the buffer starts afresh.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from mlagents.trainers.agent_processor import AgentManagerQueue
from mlagents.trainers.behavior_id_utils import BehaviorIdentifiers
from mlagents.trainers.buffer import AgentBuffer
from mlagents.trainers.policy.policy import Policy
from mlagents.trainers.ppo.settings import PPOSettings
from mlagents.trainers.settings import RewardSignalSettings, TrainerSettings
from mlagents.trainers.stats import StatsReporter
from mlagents.trainers.torch.networks import observation_tensors
from mlagents.trainers.torch_policy import TorchPolicy
from mlagents.trainers.trajectory import Trajectory
from mlagents_envs.base_env import BehaviorSpec
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_envs.timers import timed

logger = logging.getLogger(__name__)

# Where linear schedules end, as in ML-Agents.
_FINAL = {"learning_rate": 1e-10, "beta": 1e-5, "epsilon": 0.1}


def _same_network(a: BehaviorSpec, b: BehaviorSpec) -> bool:
    """Whether one network serves both specs: same observation shapes, same actions."""
    shapes = [spec.shape for spec in a.observation_specs]
    return shapes == [spec.shape for spec in b.observation_specs] and (
        a.action_spec == b.action_spec
    )


def discounted_gae(
    rewards: np.ndarray, values: np.ndarray, next_value: float, gamma: float, lambd: float
) -> tuple[np.ndarray, np.ndarray]:
    """Generalized advantage estimates and returns (advantages + values) of one trajectory."""
    advantages = np.zeros(len(rewards), dtype=np.float32)
    following_value, running = next_value, 0.0
    for t in range(len(rewards) - 1, -1, -1):
        delta = rewards[t] + gamma * following_value - values[t]
        running = delta + gamma * lambd * running
        advantages[t] = running
        following_value = values[t]
    return advantages, advantages + values.astype(np.float32)


class PPOTrainer:
    """Trains the policy of one behavior (a brain name) with PPO, as its TrainerSettings say.

    Every team id of the brain acts with the trainer's one policy (`add_policy`), and the
    experience of all of them trains it; the trainer's step counts them all.
    """

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
        self.hyperparameters = settings.hyperparameters
        self.policy = TorchPolicy(spec, settings.network_settings, seed)
        #: The policy of each behavior id added (all the same object, self.policy).
        self.policies: dict[str, TorchPolicy] = {}
        extrinsic = settings.reward_signals.get("extrinsic", RewardSignalSettings())
        self.gamma, self.strength = extrinsic.gamma, extrinsic.strength
        self.optimizer = torch.optim.Adam(
            self.policy.network.parameters(), lr=self.hyperparameters.learning_rate
        )
        self.update_buffer = AgentBuffer()
        self.stats_reporter = stats_reporter or StatsReporter(behavior_name)
        self.trajectory_queues: list[AgentManagerQueue[Trajectory]] = []
        self.policy_queues: list[AgentManagerQueue[Policy]] = []
        self._rng = np.random.default_rng(seed)
        self._next_summary = settings.summary_freq

    @property
    def step(self) -> int:
        return self.policy.step

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
                "Behavior %s has several teams (%s); PPO without self-play trains them as "
                "one policy, not against each other. Enable self-play to train adversarial "
                "games.",
                self.brain_name,
                ", ".join([*self.policies, behavior.behavior_id]),
            )
        self.policies[behavior.behavior_id] = self.policy
        return self.policy

    def subscribe_trajectory_queue(self, trajectory_queue: AgentManagerQueue[Trajectory]) -> None:
        self.trajectory_queues.append(trajectory_queue)

    def publish_policy_queue(self, policy_queue: AgentManagerQueue[Policy]) -> None:
        self.policy_queues.append(policy_queue)

    def should_still_train(self) -> bool:
        return self.step < self.settings.max_steps

    def advance(self) -> bool:
        """Take every waiting trajectory; update when the buffer is full. True if updated."""
        for trajectory_queue in self.trajectory_queues:
            for trajectory in trajectory_queue.drain():
                self._process_trajectory(trajectory)
        updated = False
        if len(self.update_buffer) >= self.hyperparameters.buffer_size:
            self._update_policy()
            updated = True
            for policy_queue in self.policy_queues:
                policy_queue.put(self.policy)
        if self.step >= self._next_summary:
            self.stats_reporter.write_stats(self.step)
            self._next_summary += self.settings.summary_freq
        return updated

    @timed
    def _process_trajectory(self, trajectory: Trajectory) -> None:
        buffer = trajectory.to_agentbuffer()
        count = len(buffer)
        if not count:
            return
        n_obs = len(trajectory.next_obs)
        network = self.policy.network
        observations = observation_tensors(
            [buffer[f"obs_{k}"] for k in range(n_obs)], network.channels_last
        )
        network.update_normalization(observations)
        with torch.no_grad():
            values = network.value(observations).numpy()
            last = observation_tensors(
                [o[None] for o in trajectory.next_obs], network.channels_last
            )
            ended = trajectory.done_reached and not trajectory.interrupted
            next_value = 0.0 if ended else float(network.value(last)[0])
        # A group's shared reward counts for each member (a cooperative trainer such as
        # POCA would credit it to the group instead).
        rewards = (buffer["reward"] + buffer["group_reward"]) * self.strength
        advantages, returns = discounted_gae(
            rewards, values, next_value, self.gamma, self.hyperparameters.lambd
        )
        columns = {f"obs_{k}": buffer[f"obs_{k}"] for k in range(n_obs)}
        columns["continuous_action"] = buffer["continuous_action"]
        columns["discrete_action"] = buffer["discrete_action"]
        columns["log_probs"] = buffer["outputs/log_probs"]
        columns["advantages"] = advantages
        columns["returns"] = returns
        columns["values"] = values.astype(np.float32)
        if "action_mask" in buffer:
            columns["action_mask"] = (~buffer["action_mask"]).astype(np.float32)
        self.update_buffer.extend({key: np.array(value) for key, value in columns.items()})
        self.policy.step += count
        self.stats_reporter.add_stat("Policy/Extrinsic Value Estimate", float(values.mean()))

    def _schedule(self, name: str, initial: float, kind: str) -> float:
        if kind == "constant":
            return initial
        progress = min(self.step / max(self.settings.max_steps, 1), 1.0)
        return max(initial - (initial - _FINAL[name]) * progress, _FINAL[name])

    @timed
    def _update_policy(self) -> None:
        hp = self.hyperparameters
        learning_rate = self._schedule("learning_rate", hp.learning_rate, hp.learning_rate_schedule)
        beta = self._schedule("beta", hp.beta, hp.beta_schedule)
        epsilon = self._schedule("epsilon", hp.epsilon, hp.epsilon_schedule)
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        buffer = self.update_buffer
        # Advantages normalized over the whole buffer, as ML-Agents does.
        advantages = buffer["advantages"]
        normalized = (advantages - advantages.mean()) / (advantages.std() + 1e-10)
        n_obs = sum(1 for key in buffer if key.startswith("obs_"))
        network = self.policy.network
        losses: dict[str, list[float]] = {"policy": [], "value": [], "entropy": []}
        batch_size = hp.batch_size
        for _ in range(hp.num_epoch):
            order = self._rng.permutation(len(buffer))
            for start in range(0, len(order) - batch_size + 1, batch_size):
                rows = order[start : start + batch_size]
                observations = observation_tensors(
                    [buffer[f"obs_{k}"][rows] for k in range(n_obs)], network.channels_last
                )
                masks = (
                    torch.as_tensor(buffer["action_mask"][rows])
                    if "action_mask" in buffer
                    else None
                )
                log_prob, entropy = network.evaluate(
                    observations,
                    masks,
                    torch.as_tensor(buffer["continuous_action"][rows]),
                    torch.as_tensor(buffer["discrete_action"][rows]),
                )
                ratio = torch.exp(log_prob - torch.as_tensor(buffer["log_probs"][rows]))
                advantage = torch.as_tensor(normalized[rows])
                surrogate = torch.min(
                    ratio * advantage, torch.clamp(ratio, 1 - epsilon, 1 + epsilon) * advantage
                )
                policy_loss = -surrogate.mean()
                values = network.value(observations)
                old_values = torch.as_tensor(buffer["values"][rows])
                returns = torch.as_tensor(buffer["returns"][rows])
                clipped = old_values + torch.clamp(values - old_values, -epsilon, epsilon)
                value_loss = torch.max((values - returns) ** 2, (clipped - returns) ** 2).mean()
                loss = policy_loss + 0.5 * value_loss - beta * entropy.mean()
                self.optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(network.parameters(), 0.5)
                self.optimizer.step()
                losses["policy"].append(float(policy_loss.detach()))
                losses["value"].append(float(value_loss.detach()))
                losses["entropy"].append(float(entropy.mean().detach()))
        report = self.stats_reporter
        if losses["policy"]:
            report.add_stat("Losses/Policy Loss", float(np.mean(losses["policy"])))
            report.add_stat("Losses/Value Loss", float(np.mean(losses["value"])))
            report.add_stat("Policy/Entropy", float(np.mean(losses["entropy"])))
        report.add_stat("Policy/Learning Rate", learning_rate)
        report.add_stat("Policy/Epsilon", epsilon)
        report.add_stat("Policy/Beta", beta)
        buffer.reset()


def get_type_and_setting() -> tuple[dict[str, type], dict[str, type]]:
    """The trainer type this module provides (see mlagents.plugins.trainer_type)."""
    return {"ppo": PPOTrainer}, {"ppo": PPOSettings}

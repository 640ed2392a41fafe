"""MA-POCA's losses: PPO's clipped surrogate on advantages taken against each member's
counterfactual baseline, clipped losses of the group value and of the baseline (both
towards the lambda returns), an entropy bonus; one Adam over the actor and the critic."""

from __future__ import annotations

import logging

import numpy as np
import torch

from mlagents.trainers.buffer import (
    AgentBuffer,
    Batch,
    BufferKey,
    RewardSignalKeyPrefix,
    group_obs_key,
)
from mlagents.trainers.optimizer.torch_optimizer import (
    batch_observations,
)
from mlagents.trainers.ppo.optimizer_torch import ClippedPolicyOptimizer, clipped_estimate_loss
from mlagents.trainers.settings import TrainerSettings
from mlagents.trainers.torch.components.reward_providers.extrinsic_reward_provider import (
    ExtrinsicRewardProvider,
)
from mlagents.trainers.torch.multi_agent import (
    POCAValueNetwork,
    flat_actions,
    group_observation_tensors,
)
from mlagents.trainers.torch.networks import observation_tensors
from mlagents.trainers.torch_policy import TorchPolicy

logger = logging.getLogger(__name__)


class GroupInputs:
    """A batch's teammates as critic inputs: observations (batch, members, ...), flat
    actions (batch, members, action size) and presence (batch, members). A batch without
    teammate columns (no group) gives zero members."""

    def __init__(self, batch: Batch, optimizer: POCAOptimizer) -> None:
        n = len(batch[BufferKey.DONE])
        spec = optimizer.policy.behavior_spec
        critic = optimizer.critic
        if BufferKey.GROUPMATE_PRESENT in batch:
            self.present = torch.as_tensor(batch[BufferKey.GROUPMATE_PRESENT])
            self.observations = group_observation_tensors(
                [batch[group_obs_key(k)] for k in range(optimizer.n_obs)], critic.channels_last
            )
            self.actions = flat_actions(
                torch.as_tensor(batch[BufferKey.GROUP_CONTINUOUS_ACTION]),
                torch.as_tensor(batch[BufferKey.GROUP_DISCRETE_ACTION]),
                spec.action_spec,
            )
        else:
            self.present = torch.zeros((n, 0), dtype=torch.bool)
            self.observations = group_observation_tensors(
                [np.zeros((n, 0, *s.shape), np.float32) for s in spec.observation_specs],
                critic.channels_last,
            )
            size = spec.action_spec.continuous_size + sum(spec.action_spec.discrete_branches)
            self.actions = torch.zeros((n, 0, size))


class POCAOptimizer(ClippedPolicyOptimizer):
    critic: POCAValueNetwork  # type: ignore[assignment]

    def __init__(self, policy: TorchPolicy, trainer_settings: TrainerSettings) -> None:
        super().__init__(policy, trainer_settings)
        for name, provider in self.reward_signals.items():
            if isinstance(provider, ExtrinsicRewardProvider):
                # One value for the group: everything any member earns counts for all.
                provider.add_groupmate_rewards = True
            else:
                logger.warning(
                    "Reward signal %s is not supported by ML-Agents' POCA trainer; it is "
                    "used here on each agent's own experience, results may differ.",
                    name,
                )
        spec = policy.behavior_spec
        self.critic = POCAValueNetwork(
            self.stream_names,
            list(spec.observation_specs),
            policy.network_settings,
            spec.action_spec,
        )
        self._start_adam(trainer_settings.hyperparameters.learning_rate)

    @torch.no_grad()
    def values_and_baselines(
        self,
        buffer: AgentBuffer,
        next_obs: list[np.ndarray],
        next_group_obs: list[list[np.ndarray]],
        done: bool,
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, float]]:
        """Per signal: the group values of a trajectory's steps, the agent's baselines, and
        the group value after the last step (own next observation and the teammates' then);
        that last is 0 when done (the group's episode truly ended) unless the signal
        ignores episode ends."""
        own = batch_observations(buffer, self.n_obs, self.critic.channels_last)
        mates = GroupInputs(buffer, self)
        values = self.critic.values(own, mates.observations, mates.present)
        baselines = self.critic.baselines(own, mates.observations, mates.actions, mates.present)
        last_own = observation_tensors([o[None] for o in next_obs], self.critic.channels_last)
        last_mates = group_observation_tensors(
            [
                np.stack([m[k] for m in next_group_obs])[None]
                if next_group_obs
                else np.zeros((1, 0, *next_obs[k].shape), np.float32)
                for k in range(self.n_obs)
            ],
            self.critic.channels_last,
        )
        present = torch.ones((1, len(next_group_obs)), dtype=torch.bool)
        following = self.critic.values(last_own, last_mates, present)
        next_values = {
            name: 0.0 if done and not self.reward_signals[name].ignore_done else float(v[0])
            for name, v in following.items()
        }
        as_numpy = {name: v.numpy().astype(np.float32) for name, v in values.items()}
        baseline_numpy = {name: b.numpy().astype(np.float32) for name, b in baselines.items()}
        return as_numpy, baseline_numpy, next_values

    def value_estimates(
        self, buffer: AgentBuffer, next_obs: list[np.ndarray], ended: bool
    ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """The group values (without teammates after the last step)."""
        values, _, next_values = self.values_and_baselines(buffer, next_obs, [], ended)
        return values, next_values

    def critic_loss(self, batch: Batch, epsilon: float) -> tuple[torch.Tensor, dict[str, float]]:
        own = batch_observations(batch, self.n_obs, self.critic.channels_last)
        mates = GroupInputs(batch, self)
        values = self.critic.values(own, mates.observations, mates.present)
        baselines = self.critic.baselines(own, mates.observations, mates.actions, mates.present)
        value_loss = clipped_estimate_loss(
            batch, values, RewardSignalKeyPrefix.VALUE_ESTIMATES, epsilon
        )
        baseline_loss = clipped_estimate_loss(
            batch, baselines, RewardSignalKeyPrefix.BASELINE_ESTIMATES, epsilon
        )
        # The weights of ML-Agents' POCA: the baseline counts half as much as the value.
        stats = {
            "Losses/Value Loss": float(value_loss.detach()),
            "Losses/Baseline Loss": float(baseline_loss.detach()),
        }
        return 0.5 * (value_loss + 0.5 * baseline_loss), stats

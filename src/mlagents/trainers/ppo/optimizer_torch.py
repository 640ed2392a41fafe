"""PPO's losses: the clipped surrogate per action part, a clipped value loss per reward
signal, an entropy bonus; Adam over the actor and the critic (or one shared body)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from mlagents.trainers.buffer import (
    AgentBuffer,
    Batch,
    BufferKey,
    RewardSignalKeyPrefix,
    signal_key,
)
from mlagents.trainers.optimizer.torch_optimizer import (
    TorchOptimizer,
    batch_masks,
    batch_observations,
)
from mlagents.trainers.settings import TrainerSettings
from mlagents.trainers.torch.networks import ValueNetwork
from mlagents.trainers.torch_policy import TorchPolicy


def explained_variance(predicted: np.ndarray, target: np.ndarray) -> float:
    """1 - Var(target - predicted) / Var(target): 1 is a perfect critic, 0 one no better
    than a constant (nan when the targets do not vary)."""
    variance = float(np.var(target))
    return float("nan") if variance == 0 else 1.0 - float(np.var(target - predicted)) / variance


@dataclass
class ClippedSurrogate:
    """The policy part of one clipped update: the loss, the entropy of each row, and the
    probability ratio (with its log) to the policy that acted."""

    loss: torch.Tensor
    entropy: torch.Tensor
    ratio: torch.Tensor
    log_ratio: torch.Tensor

    def statistics(self, epsilon: float) -> dict[str, float]:
        with torch.no_grad():
            # The k3 estimator of KL(old || new): unbiased and never negative.
            approx_kl = ((self.ratio - 1) - self.log_ratio).mean()
            clip_fraction = ((self.ratio - 1).abs() > epsilon).float().mean()
        return {
            "Policy/Approximate KL": float(approx_kl),
            "Policy/Clip Fraction": float(clip_fraction),
        }


def clipped_surrogate(
    policy: TorchPolicy, batch: Batch, n_obs: int, epsilon: float
) -> ClippedSurrogate:
    """PPO's clipped surrogate on batch[ADVANTAGES]. The ratio and its clip are taken per
    continuous dimension and per branch, then averaged, as ML-Agents does: one wild
    dimension is clipped alone."""
    actor = policy.actor
    log_probs, entropy = actor.evaluate(
        batch_observations(batch, n_obs, actor.channels_last),
        batch_masks(batch),
        torch.as_tensor(batch[BufferKey.CONTINUOUS_ACTION]),
        torch.as_tensor(batch[BufferKey.DISCRETE_ACTION]),
    )
    old_log_probs = torch.cat(
        [
            torch.as_tensor(batch[BufferKey.CONTINUOUS_LOG_PROBS]),
            torch.as_tensor(batch[BufferKey.DISCRETE_LOG_PROBS]),
        ],
        dim=1,
    )
    log_ratio = log_probs.flat() - old_log_probs
    ratio = torch.exp(log_ratio)
    advantage = torch.as_tensor(batch[BufferKey.ADVANTAGES])[:, None]
    surrogate = torch.min(
        ratio * advantage, torch.clamp(ratio, 1 - epsilon, 1 + epsilon) * advantage
    )
    return ClippedSurrogate(-surrogate.mean(), entropy, ratio, log_ratio)


def clipped_estimate_loss(
    batch: Batch,
    estimates: Mapping[str, torch.Tensor],
    old_prefix: RewardSignalKeyPrefix,
    epsilon: float,
) -> torch.Tensor:
    """Squared error to each signal's returns, the estimate kept within epsilon of the one
    made when the experience was collected (the worse of clipped and unclipped), averaged
    over the signals: PPO's value loss, and POCA's baseline loss too."""
    losses = []
    for name, estimate in estimates.items():
        old = torch.as_tensor(batch[signal_key(old_prefix, name)])
        returns = torch.as_tensor(batch[signal_key(RewardSignalKeyPrefix.RETURNS, name)])
        clipped = old + torch.clamp(estimate - old, -epsilon, epsilon)
        losses.append(torch.max((estimate - returns) ** 2, (clipped - returns) ** 2).mean())
    return torch.stack(losses).mean()


class ClippedPolicyOptimizer(TorchOptimizer):
    """What PPO and MA-POCA share: one Adam over the actor and the critic (kept in
    checkpoints), stepped on the clipped surrogate plus the critic's loss minus the entropy
    bonus. Subclasses build self.critic, call _start_adam, and give critic_loss."""

    optimizer: torch.optim.Adam

    def _start_adam(self, learning_rate: float) -> None:
        # By identity: a critic sharing the actor's body must not list its weights twice.
        actor_and_critic = [*self.policy.actor.parameters(), *self.critic.parameters()]
        parameters = {id(p): p for p in actor_and_critic}
        self.optimizer = torch.optim.Adam(list(parameters.values()), lr=learning_rate, foreach=True)

    def critic_loss(self, batch: Batch, epsilon: float) -> tuple[torch.Tensor, dict[str, float]]:
        """The critic's part of the loss (weighted), and its statistics."""
        raise NotImplementedError

    def update(self, batch: Batch, **schedules: float) -> dict[str, float]:
        learning_rate = schedules["learning_rate"]
        epsilon, beta = schedules["epsilon"], schedules["beta"]
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        policy = clipped_surrogate(self.policy, batch, self.n_obs, epsilon)
        critic_loss, critic_stats = self.critic_loss(batch, epsilon)
        loss = policy.loss + critic_loss - beta * policy.entropy.mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return {
            # Its magnitude, as ML-Agents logs it (the surrogate's sign means little).
            "Losses/Policy Loss": abs(float(policy.loss.detach())),
            **critic_stats,
            "Policy/Entropy": float(policy.entropy.mean().detach()),
            **policy.statistics(epsilon),
            "Policy/Learning Rate": learning_rate,
            "Policy/Epsilon": epsilon,
            "Policy/Beta": beta,
        }

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "adam": self.optimizer.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any], networks_only: bool = False) -> None:
        super().load_state_dict(state, networks_only)
        if not networks_only:
            self.optimizer.load_state_dict(state["adam"])


class PPOOptimizer(ClippedPolicyOptimizer):
    def __init__(self, policy: TorchPolicy, trainer_settings: TrainerSettings) -> None:
        super().__init__(policy, trainer_settings)
        hp = trainer_settings.hyperparameters
        specs = list(policy.behavior_spec.observation_specs)
        self.shared_critic = bool(hp.shared_critic)
        if self.shared_critic:
            # Value heads on the actor's own body: one encoder and MLP for both.
            self.critic = ValueNetwork(
                self.stream_names, specs, policy.network_settings, body=policy.actor.body
            )
        else:
            self.critic = ValueNetwork(self.stream_names, specs, policy.network_settings)
        self._start_adam(hp.learning_rate)

    def update_normalization(self, buffer: AgentBuffer) -> None:
        if not self.shared_critic:  # a shared body is the policy's, normalized by it
            super().update_normalization(buffer)

    def critic_loss(self, batch: Batch, epsilon: float) -> tuple[torch.Tensor, dict[str, float]]:
        critic_observations = batch_observations(batch, self.n_obs, self.critic.channels_last)
        values = self.critic(critic_observations)
        value_loss = clipped_estimate_loss(
            batch, values, RewardSignalKeyPrefix.VALUE_ESTIMATES, epsilon
        )
        return 0.5 * value_loss, {"Losses/Value Loss": float(value_loss.detach())}

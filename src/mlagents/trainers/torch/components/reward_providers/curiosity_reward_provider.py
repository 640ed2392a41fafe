"""The curiosity signal: an intrinsic curiosity module (Pathak et al. 2017), as ML-Agents
has it.

An encoder turns observations into codes; an inverse model predicts the action taken from
the codes of a step's observation and of the next one, a forward model predicts the next
code from the code and the action. Both train the encoder; the reward of a step is the
forward model's error on it, so transitions the module has learned stop paying.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from mlagents.trainers.buffer import Batch, BufferKey
from mlagents.trainers.settings import RewardSignalSettings
from mlagents.trainers.torch.components.reward_providers.learned_reward_provider import (
    LearnedRewardProvider,
    action_inputs,
    flat_action_size,
)
from mlagents.trainers.torch.layers import linear_layer, mlp
from mlagents.trainers.torch.networks import NetworkBody
from mlagents_envs.base_env import BehaviorSpec

#: The width of the inverse and forward models' hidden layer, as in ML-Agents.
MODEL_HIDDEN_UNITS = 256
#: The forward loss's share of the total (the inverse loss has the rest), and the factor
#: on the total, as in ML-Agents.
FORWARD_LOSS_WEIGHT = 0.2
LOSS_MULTIPLIER = 10.0


class CuriosityNetwork(nn.Module):
    """The encoder and the inverse and forward models."""

    def __init__(self, encoder: NetworkBody, spec: BehaviorSpec) -> None:
        super().__init__()
        action = spec.action_spec
        self.continuous_size = action.continuous_size
        self.branches = list(action.discrete_branches)
        self.encoder = encoder
        size = encoder.output_size
        self.inverse = mlp(2 * size, MODEL_HIDDEN_UNITS, 1)
        self.continuous_head = (
            linear_layer(MODEL_HIDDEN_UNITS, self.continuous_size) if self.continuous_size else None
        )
        self.discrete_head = (
            linear_layer(MODEL_HIDDEN_UNITS, sum(self.branches)) if self.branches else None
        )
        self.forward_model = nn.Sequential(
            mlp(size + flat_action_size(action), MODEL_HIDDEN_UNITS, 1),
            linear_layer(MODEL_HIDDEN_UNITS, size),
        )

    def forward_error(
        self, code: torch.Tensor, following: torch.Tensor, actions: torch.Tensor
    ) -> torch.Tensor:
        """(n,): half the squared distance from the predicted next code to the real one."""
        predicted = self.forward_model(torch.cat([code, actions], dim=1))
        return 0.5 * ((following - predicted) ** 2).sum(dim=1)

    def inverse_loss(
        self,
        code: torch.Tensor,
        following: torch.Tensor,
        continuous: torch.Tensor,
        discrete: torch.Tensor,
    ) -> torch.Tensor:
        """Squared error of the predicted continuous actions plus the cross-entropy of each
        predicted branch, both summed per step and averaged over the steps."""
        hidden = self.inverse(torch.cat([code, following], dim=1))
        loss = torch.zeros(())
        if self.continuous_head is not None:
            predicted = self.continuous_head(hidden)
            loss = loss + ((predicted - continuous) ** 2).sum(dim=1).mean()
        if self.discrete_head is not None:
            logits = torch.split(self.discrete_head(hidden), self.branches, dim=1)
            cross_entropy = [
                nn.functional.cross_entropy(branch, discrete[:, k], reduction="none")
                for k, branch in enumerate(logits)
            ]
            loss = loss + torch.stack(cross_entropy, dim=1).sum(dim=1).mean()
        return loss


class CuriosityRewardProvider(LearnedRewardProvider):
    """ignore_done: curiosity does not come from the task, so an episode's end does not
    stop it (ML-Agents' choice). The reward is 0 until the first update, and at most 1
    once times strength."""

    network: CuriosityNetwork
    name = "curiosity"
    needs_next_observations = True

    def __init__(
        self,
        spec: BehaviorSpec,
        settings: RewardSignalSettings,
        *,
        environment_action: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        super().__init__(spec, settings, environment_action=environment_action)
        self.ignore_done = True
        self.network = CuriosityNetwork(self.body(), spec)
        self._start_training()

    def normalized_bodies(self) -> list[NetworkBody]:
        return [self.network.encoder]

    def _codes(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        encoder = self.network.encoder
        return encoder(self.observations(batch)), encoder(self.observations(batch, True))

    def _actions(self, batch: Batch) -> torch.Tensor:
        # As the environment received them: what caused the transition.
        return action_inputs(batch, self.spec.action_spec, self.environment_action)

    @torch.no_grad()
    def evaluate(self, batch: Batch) -> np.ndarray:
        if not self.updates:
            return np.zeros(len(batch[BufferKey.DONE]), dtype=np.float32)
        code, following = self._codes(batch)
        rewards = self.network.forward_error(code, following, self._actions(batch)).numpy()
        if self.strength > 0:
            rewards = np.minimum(rewards, 1.0 / self.strength)
        return rewards.astype(np.float32)

    def update(self, batch: Batch) -> dict[str, float]:
        code, following = self._codes(batch)
        actions = self._actions(batch)
        forward_loss = self.network.forward_error(code, following, actions).mean()
        continuous = actions[:, : self.spec.action_spec.continuous_size]
        discrete = torch.as_tensor(batch[BufferKey.DISCRETE_ACTION]).long()
        inverse_loss = self.network.inverse_loss(code, following, continuous, discrete)
        loss = LOSS_MULTIPLIER * (
            FORWARD_LOSS_WEIGHT * forward_loss + (1 - FORWARD_LOSS_WEIGHT) * inverse_loss
        )
        self.step(loss)
        return {
            "Losses/Curiosity Forward Loss": float(forward_loss.detach()),
            "Losses/Curiosity Inverse Loss": float(inverse_loss.detach()),
        }

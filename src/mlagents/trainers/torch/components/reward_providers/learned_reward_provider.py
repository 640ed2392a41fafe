"""What the reward signals with networks of their own share: their inputs read from buffer
columns, an Adam optimizer, observation normalization, and their checkpoint state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from mlagents.trainers.buffer import AgentBuffer, Batch, BufferKey, obs_key
from mlagents.trainers.settings import RewardSignalSettings
from mlagents.trainers.signal_settings import LearnedSignalSettings
from mlagents.trainers.torch.components.reward_providers.base_reward_provider import (
    BaseRewardProvider,
)
from mlagents.trainers.torch.networks import NetworkBody, channels_last, observation_tensors
from mlagents_envs.base_env import ActionSpec, BehaviorSpec


def flat_action_size(spec: ActionSpec) -> int:
    """The width of action_inputs: the continuous actions, then every branch one-hot."""
    return spec.continuous_size + sum(spec.discrete_branches)


def action_inputs(
    batch: Batch,
    spec: ActionSpec,
    environment_action: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """(n, flat_action_size): the continuous actions (through environment_action when
    given), then each discrete branch's action one-hot."""
    parts = []
    if spec.continuous_size:
        continuous = torch.as_tensor(batch[BufferKey.CONTINUOUS_ACTION], dtype=torch.float32)
        parts.append(environment_action(continuous) if environment_action else continuous)
    if spec.discrete_branches:
        discrete = torch.as_tensor(batch[BufferKey.DISCRETE_ACTION]).long()
        for k, size in enumerate(spec.discrete_branches):
            parts.append(nn.functional.one_hot(discrete[:, k], size).float())
    return torch.cat(parts, dim=1)


class LearnedRewardProvider(BaseRewardProvider):
    """A signal that trains `self.network` with Adam at its settings' learning_rate.
    Subclasses build the network before calling `_start_training`."""

    learns = True
    network: nn.Module

    def __init__(
        self,
        spec: BehaviorSpec,
        settings: RewardSignalSettings,
        *,
        environment_action: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        super().__init__(spec, settings, environment_action=environment_action)
        assert isinstance(settings, LearnedSignalSettings), type(settings)
        self.learning_settings = settings
        observation_specs = list(spec.observation_specs)
        self.n_obs = len(observation_specs)
        self.channels_last = channels_last(observation_specs)
        #: Updates made so far (kept in checkpoints).
        self.updates = 0

    def _start_training(self, parameters: Any = None) -> None:
        """Adam over parameters (the network's trainable ones when not given)."""
        if parameters is None:
            parameters = [p for p in self.network.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(parameters, lr=self.learning_settings.learning_rate)

    def body(self) -> NetworkBody:
        """A body of the signal's network settings over the behavior's observations."""
        specs = list(self.spec.observation_specs)
        return NetworkBody(specs, self.learning_settings.network_settings)

    def observations(self, batch: Batch, following: bool = False) -> list[torch.Tensor]:
        """The batch's observations (or next observations) as network inputs."""
        columns = [batch[obs_key(k, following)] for k in range(self.n_obs)]
        return observation_tensors(columns, self.channels_last)

    def normalized_bodies(self) -> list[NetworkBody]:
        """The bodies whose normalizers follow the agents' observations."""
        return []

    def update_normalization(self, buffer: AgentBuffer) -> None:
        bodies = self.normalized_bodies()
        if bodies and self.learning_settings.network_settings.normalize:
            observations = self.observations(buffer)
            for body in bodies:
                body.update_normalization(observations)

    def step(self, loss: torch.Tensor) -> None:
        """One gradient step on loss."""
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.updates += 1

    def state_dict(self) -> dict[str, Any]:
        return {
            "network": self.network.state_dict(),
            "adam": self.optimizer.state_dict(),
            "updates": self.updates,
        }

    def load_state_dict(self, state: dict[str, Any], networks_only: bool = False) -> None:
        self.network.load_state_dict(state["network"])
        # The count goes with the weights (a signal may wait for its first update).
        self.updates = int(state["updates"])
        if not networks_only:
            self.optimizer.load_state_dict(state["adam"])

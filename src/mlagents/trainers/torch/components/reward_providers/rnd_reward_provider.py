"""The RND signal: random network distillation (Burda et al. 2018), as ML-Agents has it.

A network with random weights that never train (the target) and a network of the same
shape trained to match its output (the predictor) both look at the observations; the
reward of a step is how far the predictor still is from the target there, so observations
seen often stop paying.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from mlagents.trainers.buffer import Batch
from mlagents.trainers.settings import RewardSignalSettings
from mlagents.trainers.torch.components.reward_providers.learned_reward_provider import (
    LearnedRewardProvider,
)
from mlagents.trainers.torch.networks import NetworkBody
from mlagents_envs.base_env import BehaviorSpec


class RNDNetwork(nn.Module):
    """The fixed target and the trained predictor, two bodies of the same settings."""

    def __init__(self, target: NetworkBody, predictor: NetworkBody) -> None:
        super().__init__()
        self.target = target.requires_grad_(False)
        self.predictor = predictor

    def errors(self, observations: list[torch.Tensor]) -> torch.Tensor:
        """(n,): the squared distance from the prediction to the target, per step."""
        with torch.no_grad():
            target = self.target(observations)
        return ((self.predictor(observations) - target) ** 2).sum(dim=1)


class RNDRewardProvider(LearnedRewardProvider):
    """ignore_done: the reward is not the task's, so an episode's end does not stop it
    (ML-Agents' choice)."""

    network: RNDNetwork
    name = "rnd"

    def __init__(
        self,
        spec: BehaviorSpec,
        settings: RewardSignalSettings,
        *,
        environment_action: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        super().__init__(spec, settings, environment_action=environment_action)
        self.ignore_done = True
        self.network = RNDNetwork(self.body(), self.body())
        self._start_training(self.network.predictor.parameters())

    def normalized_bodies(self) -> list[NetworkBody]:
        # Normalized alike: the predictor must see what the target sees.
        return [self.network.target, self.network.predictor]

    @torch.no_grad()
    def evaluate(self, batch: Batch) -> np.ndarray:
        return self.network.errors(self.observations(batch)).numpy().astype(np.float32)

    def update(self, batch: Batch) -> dict[str, float]:
        loss = self.network.errors(self.observations(batch)).mean()
        self.step(loss)
        return {"Losses/RND Loss": float(loss.detach())}

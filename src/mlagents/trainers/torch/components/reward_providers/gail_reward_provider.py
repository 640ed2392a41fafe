"""The GAIL signal: generative adversarial imitation learning (Ho and Ermon 2016), as
ML-Agents has it.

A discriminator learns to tell the demonstrations' steps (expert) from the agents' own
(policy), with a gradient penalty on inputs between the two; the reward of a step is
-log(1 - D), high where the discriminator takes the step for the expert's. With use_actions
it also sees the action and the episode-end flag of each step; with use_vail (Peng et al.
2018) its code passes through a Gaussian bottleneck whose information is held near a
target by an adaptive weight (beta).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from mlagents.trainers.buffer import Batch, BufferKey
from mlagents.trainers.settings import RewardSignalSettings
from mlagents.trainers.signal_settings import GAILSettings
from mlagents.trainers.torch.components.expert_rows import load_expert_rows
from mlagents.trainers.torch.components.reward_providers.learned_reward_provider import (
    LearnedRewardProvider,
    action_inputs,
    flat_action_size,
)
from mlagents.trainers.torch.layers import linear_layer
from mlagents.trainers.torch.networks import NetworkBody
from mlagents_envs.base_env import BehaviorSpec

#: ML-Agents' constants: the gradient penalty's weight, VAIL's code size, the rate beta
#: moves at and the information target it holds the code to, and the epsilon in logs.
GRADIENT_PENALTY_WEIGHT = 10.0
VAIL_CODE_SIZE = 128
VAIL_BETA_RATE = 5e-4
VAIL_INFORMATION_TARGET = 0.5
EPSILON = 1e-7


class Discriminator(nn.Module):
    """A body over the observations (and the action and done flag), with VAIL an encoder
    of a Gaussian code, and a sigmoid estimate: the probability of being the expert's."""

    beta: torch.Tensor

    def __init__(self, body: NetworkBody, use_vail: bool) -> None:
        super().__init__()
        self.body = body
        self.use_vail = use_vail
        size = body.output_size
        if use_vail:
            self.z_mu = linear_layer(size, VAIL_CODE_SIZE, gain=0.1)
            self.z_sigma = nn.Parameter(torch.ones(VAIL_CODE_SIZE))
            # Not trained by the optimizer: moved by the information constraint alone.
            self.register_buffer("beta", torch.zeros(()))
            size = VAIL_CODE_SIZE
        self.estimator = nn.Linear(size, 1)
        nn.init.xavier_uniform_(self.estimator.weight, gain=0.2)
        nn.init.zeros_(self.estimator.bias)

    def forward(
        self, observations: list[torch.Tensor], extra: torch.Tensor | None, noise: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(n,) estimates, and with VAIL the (n, code) means of the code (sampled with noise,
        else taken at the mean)."""
        hidden = self.body(observations, extra)
        mu = None
        if self.use_vail:
            mu = self.z_mu(hidden)
            hidden = mu + torch.randn_like(mu) * self.z_sigma if noise else mu
        return torch.sigmoid(self.estimator(hidden)).squeeze(1), mu

    def kl(self, mu: torch.Tensor) -> torch.Tensor:
        """(n,): KL(N(mu, sigma^2) || N(0, 1)) of each row's code, summed over the code."""
        variance = self.z_sigma**2
        return 0.5 * (mu**2 + variance - 1 - torch.log(variance)).sum(dim=1)


class GAILRewardProvider(LearnedRewardProvider):
    """The demonstrations of demo_path are read when the signal is made (see expert_rows);
    their observations set the discriminator's normalizer (with normalize), once."""

    network: Discriminator
    name = "gail"

    def __init__(
        self,
        spec: BehaviorSpec,
        settings: RewardSignalSettings,
        *,
        environment_action: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        super().__init__(spec, settings, environment_action=environment_action)
        assert isinstance(settings, GAILSettings), type(settings)
        self.use_actions = settings.use_actions
        self.demonstrations = load_expert_rows(settings.demo_path, spec)
        extra = flat_action_size(spec.action_spec) + 1 if self.use_actions else 0
        body = NetworkBody(list(spec.observation_specs), settings.network_settings, extra)
        self.network = Discriminator(body, settings.use_vail)
        if settings.network_settings.normalize:
            body.update_normalization(self.observations(self.demonstrations))
        self._start_training()

    def _extra(self, batch: Batch, expert: bool) -> torch.Tensor | None:
        """The action and episode-end columns the discriminator sees with use_actions; the
        agents' actions as the environment received them, like the demonstrations'."""
        if not self.use_actions:
            return None
        transform = None if expert else self.environment_action
        actions = action_inputs(batch, self.spec.action_spec, transform)
        done = torch.as_tensor(batch[BufferKey.DONE], dtype=torch.float32)[:, None]
        return torch.cat([actions, done], dim=1)

    @torch.no_grad()
    def evaluate(self, batch: Batch) -> np.ndarray:
        estimate, _ = self.network(self.observations(batch), self._extra(batch, False), False)
        rewards = -torch.log(1.0 - estimate * (1.0 - EPSILON))
        return rewards.numpy().astype(np.float32)

    def expert_batch(self, size: int) -> Batch:
        """size rows of the demonstrations, drawn with replacement."""
        rows = torch.randint(len(self.demonstrations), (size,)).numpy()
        return self.demonstrations.rows(rows)

    def update(self, batch: Batch) -> dict[str, float]:
        expert = self.expert_batch(len(batch[BufferKey.DONE]))
        inputs = {
            False: (self.observations(batch), self._extra(batch, False)),
            True: (self.observations(expert), self._extra(expert, True)),
        }
        policy_estimate, policy_mu = self.network(*inputs[False], True)
        expert_estimate, expert_mu = self.network(*inputs[True], True)
        loss = -(
            torch.log(expert_estimate + EPSILON) + torch.log(1.0 - policy_estimate + EPSILON)
        ).mean()
        stats = {
            "Losses/GAIL Loss": float(loss.detach()),
            "Policy/GAIL Policy Estimate": float(policy_estimate.mean().detach()),
            "Policy/GAIL Expert Estimate": float(expert_estimate.mean().detach()),
        }
        total = loss
        if policy_mu is not None and expert_mu is not None:
            total = total + self._information_loss(policy_mu, expert_mu, stats)
        penalty = GRADIENT_PENALTY_WEIGHT * self.gradient_penalty(inputs[False], inputs[True])
        stats["Policy/GAIL Grad Mag Loss"] = float(penalty.detach())
        self.step(total + penalty)
        return stats

    def _information_loss(
        self, policy_mu: torch.Tensor, expert_mu: torch.Tensor, stats: dict[str, float]
    ) -> torch.Tensor:
        """VAIL's constraint: beta times how far the code's information (the KL of the
        expert's and the agents' codes, summed) is above its target; beta then grows while
        it is above, shrinks while below, never below 0."""
        kl = (self.network.kl(expert_mu) + self.network.kl(policy_mu)).mean()
        excess = kl - VAIL_INFORMATION_TARGET
        beta = self.network.beta
        loss = beta.clone() * excess
        with torch.no_grad():
            beta.copy_(torch.clamp(beta + VAIL_BETA_RATE * excess, min=0.0))
        stats["Policy/GAIL Beta"] = float(beta)
        stats["Losses/GAIL KL Loss"] = float(kl.detach())
        return loss

    def gradient_penalty(
        self,
        policy: tuple[list[torch.Tensor], torch.Tensor | None],
        expert: tuple[list[torch.Tensor], torch.Tensor | None],
    ) -> torch.Tensor:
        """(||grad D|| - 1)^2 averaged over points drawn between policy and expert rows
        (Gulrajani et al. 2017), the gradient taken over every input of D at once."""
        points = []
        for mine, theirs in zip(policy[0], expert[0], strict=True):
            weight = torch.rand_like(mine)
            points.append((weight * mine + (1 - weight) * theirs).requires_grad_(True))
        extra = None
        if policy[1] is not None and expert[1] is not None:
            weight = torch.rand_like(policy[1])
            extra = (weight * policy[1] + (1 - weight) * expert[1]).requires_grad_(True)
        estimate, _ = self.network(points, extra, True)
        wrt = [*points, *([extra] if extra is not None else [])]
        gradients = torch.autograd.grad(estimate.sum(), wrt, create_graph=True)
        squared = torch.stack([g.reshape(len(g), -1).pow(2).sum(dim=1) for g in gradients]).sum(0)
        norm = torch.sqrt(squared + EPSILON)  # safe at 0, where the norm's gradient is not
        return ((norm - 1) ** 2).mean()

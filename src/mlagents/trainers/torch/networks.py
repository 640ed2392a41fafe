"""The actor-critic network of PPO: observation encoders, an actor body with heads for
continuous (Gaussian) and discrete (masked categorical) actions, a separate critic.

Images enter the network as (batch, channels, height, width), the layout of the convolutions
and of Unity's ONNX contract in both generations. Environments send them either way (2.x
builds height, width, channels; 3.x builds channels, height, width): `image_chw` reads an
observation's layout from its spec, and `observation_tensors` permutes only the
channels-last ones, once, on their way in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from mlagents.trainers.settings import NetworkSettings
from mlagents.trainers.torch.encoders import MIN_RESOLUTION, VISUAL_ENCODERS, VectorEncoder
from mlagents_envs.base_env import BehaviorSpec, ObservationSpec
from mlagents_envs.codec.generation import image_channels_first, image_chw

#: Continuous actions are clamped to this range, then divided by it, before the environment.
ACTION_CLAMP = 3.0


def channels_last(specs: Sequence[ObservationSpec]) -> tuple[bool, ...]:
    """For each observation: is it an image sent as (height, width, channels)?"""
    return tuple(len(spec.shape) == 3 and not image_channels_first(spec) for spec in specs)


def observation_tensors(
    observations: Sequence[np.ndarray], channels_last: Sequence[bool]
) -> list[torch.Tensor]:
    """Batched observations as float tensors in the network's layout: the images flagged
    channels-last go from (n, h, w, c) to (n, c, h, w); the others are left as they are."""
    tensors = []
    for obs, last in zip(observations, channels_last, strict=True):
        tensor = torch.as_tensor(np.asarray(obs, dtype=np.float32))
        if last:
            # A view: the convolutions read it in channels-last memory order, no copy here.
            tensor = tensor.permute(0, 3, 1, 2)
        tensors.append(tensor)
    return tensors


def _mlp(inputs: int, hidden: int, layers: int) -> nn.Sequential:
    modules: list[nn.Module] = []
    size = inputs
    for _ in range(layers):
        modules += [nn.Linear(size, hidden), nn.SiLU()]
        size = hidden
    return nn.Sequential(*modules)


class ObservationEncoder(nn.Module):
    """Encodes every observation of a behavior and concatenates the codes."""

    def __init__(self, specs: list[ObservationSpec], settings: NetworkSettings) -> None:
        super().__init__()
        self.encoders = nn.ModuleList()
        self.output_size = 0
        for spec in specs:
            encoder: nn.Module
            if len(spec.shape) == 3:
                channels, height, width = image_chw(spec)
                kind = settings.vis_encode_type
                if kind not in VISUAL_ENCODERS:
                    raise ValueError(
                        f"vis_encode_type {kind!r} is not one of {sorted(VISUAL_ENCODERS)}."
                    )
                if min(height, width) < MIN_RESOLUTION[kind]:
                    raise ValueError(
                        f"Observation {spec.name!r} is {height}x{width}, smaller than the "
                        f"{MIN_RESOLUTION[kind]}x{MIN_RESOLUTION[kind]} {kind!r} needs; choose "
                        "another vis_encode_type."
                    )
                encoder = VISUAL_ENCODERS[kind](height, width, channels, settings.hidden_units)
                self.output_size += settings.hidden_units
            else:
                # Vectors, goal signals and entity buffers (flattened) alike.
                encoder = VectorEncoder(tuple(spec.shape), settings.normalize)
                self.output_size += encoder.size
            self.encoders.append(encoder)

    def forward(self, observations: list[torch.Tensor]) -> torch.Tensor:
        codes = [encoder(obs) for encoder, obs in zip(self.encoders, observations)]
        return torch.cat(codes, dim=1)

    def update_normalization(self, observations: list[torch.Tensor]) -> None:
        for encoder, obs in zip(self.encoders, observations):
            normalizer = getattr(encoder, "normalizer", None)
            if normalizer is not None:
                normalizer.update(obs.reshape(len(obs), -1))


class ActionOutput(NamedTuple):
    continuous: torch.Tensor  # (n, c) sampled (or the mean when deterministic)
    discrete: torch.Tensor  # (n, d) int64
    log_prob: torch.Tensor  # (n,) of the whole action
    entropy: torch.Tensor  # (n,)


class ActorCritic(nn.Module):
    """Actor and critic with separate bodies over shared-architecture encoders."""

    def __init__(self, spec: BehaviorSpec, settings: NetworkSettings) -> None:
        super().__init__()
        self.spec = spec
        observation_specs = list(spec.observation_specs)
        #: Which observations the environment sends channels-last (see observation_tensors).
        self.channels_last = channels_last(observation_specs)
        self.actor_encoder = ObservationEncoder(observation_specs, settings)
        self.critic_encoder = ObservationEncoder(observation_specs, settings)
        hidden, layers = settings.hidden_units, settings.num_layers
        self.actor_body = _mlp(self.actor_encoder.output_size, hidden, layers)
        self.critic_body = _mlp(self.critic_encoder.output_size, hidden, layers)
        body = hidden if layers else self.actor_encoder.output_size
        critic_body = hidden if layers else self.critic_encoder.output_size
        self.value_head = nn.Linear(critic_body, 1)
        action = spec.action_spec
        self.continuous_size = action.continuous_size
        self.branches = list(action.discrete_branches)
        if self.continuous_size:
            self.mu = nn.Linear(body, self.continuous_size)
            nn.init.normal_(self.mu.weight, std=0.01)
            nn.init.zeros_(self.mu.bias)
            self.log_sigma = nn.Parameter(torch.zeros(1, self.continuous_size))
        self.logits = nn.ModuleList([nn.Linear(body, size) for size in self.branches])
        for head in self.logits:
            nn.init.normal_(head.weight, std=0.01)  # type: ignore[arg-type]

    def update_normalization(self, observations: list[torch.Tensor]) -> None:
        self.actor_encoder.update_normalization(observations)
        self.critic_encoder.update_normalization(observations)

    def value(self, observations: list[torch.Tensor]) -> torch.Tensor:
        code = self.critic_body(self.critic_encoder(observations))
        return self.value_head(code).squeeze(-1)

    def _heads(
        self, observations: list[torch.Tensor], masks: torch.Tensor | None
    ) -> tuple[torch.Tensor | None, torch.Tensor | None, list[torch.Tensor]]:
        code = self.actor_body(self.actor_encoder(observations))
        mu = sigma = None
        if self.continuous_size:
            mu = self.mu(code)
            sigma = torch.exp(torch.clamp(self.log_sigma, -20.0, 2.0)).expand_as(mu)
        logits = []
        start = 0
        for head, size in zip(self.logits, self.branches):
            branch_logits = head(code)
            if masks is not None:
                allowed = masks[:, start : start + size] > 0.5
                # An agent with everything masked keeps its logits (the environment's fault).
                allowed = allowed | ~allowed.any(dim=1, keepdim=True)
                branch_logits = branch_logits.masked_fill(~allowed, -1e8)
            logits.append(torch.log_softmax(branch_logits, dim=1))
            start += size
        return mu, sigma, logits

    def act(
        self,
        observations: list[torch.Tensor],
        masks: torch.Tensor | None,
        deterministic: bool = False,
    ) -> ActionOutput:
        mu, sigma, logits = self._heads(observations, masks)
        n = observations[0].shape[0]
        log_prob = torch.zeros(n)
        entropy = torch.zeros(n)
        continuous = torch.zeros(n, 0)
        if mu is not None and sigma is not None:
            continuous = mu if deterministic else mu + sigma * torch.randn_like(mu)
            log_prob = log_prob + _gaussian_log_prob(continuous, mu, sigma)
            entropy = entropy + _gaussian_entropy(sigma)
        chosen = []
        for branch_logits in logits:
            if deterministic:
                index = branch_logits.argmax(dim=1)
            else:
                index = torch.multinomial(branch_logits.exp(), 1).squeeze(1)
            chosen.append(index)
            log_prob = log_prob + branch_logits.gather(1, index[:, None]).squeeze(1)
            entropy = entropy - (branch_logits.exp() * branch_logits).sum(dim=1)
        discrete = torch.stack(chosen, dim=1) if chosen else torch.zeros(n, 0, dtype=torch.long)
        return ActionOutput(continuous, discrete, log_prob, entropy)

    def evaluate(
        self,
        observations: list[torch.Tensor],
        masks: torch.Tensor | None,
        continuous: torch.Tensor,
        discrete: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Log probability and entropy of given actions under the current policy."""
        mu, sigma, logits = self._heads(observations, masks)
        n = observations[0].shape[0]
        log_prob = torch.zeros(n)
        entropy = torch.zeros(n)
        if mu is not None and sigma is not None:
            log_prob = log_prob + _gaussian_log_prob(continuous, mu, sigma)
            entropy = entropy + _gaussian_entropy(sigma)
        for branch, branch_logits in enumerate(logits):
            index = discrete[:, branch].long()
            log_prob = log_prob + branch_logits.gather(1, index[:, None]).squeeze(1)
            entropy = entropy - (branch_logits.exp() * branch_logits).sum(dim=1)
        return log_prob, entropy


_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _gaussian_log_prob(x: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    return (-((x - mu) ** 2) / (2 * sigma**2) - torch.log(sigma) - _LOG_SQRT_2PI).sum(dim=1)


def _gaussian_entropy(sigma: torch.Tensor) -> torch.Tensor:
    return (0.5 + _LOG_SQRT_2PI + torch.log(sigma)).sum(dim=1)

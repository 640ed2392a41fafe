"""Networks: observation encoders, bodies (encoders and an MLP), the actor (a body and the
action model) and value networks with one head per reward signal.

Images enter the network as (batch, channels, height, width), the layout of the convolutions
and of Unity's ONNX contract in both generations. Environments send them either way (2.x
builds height, width, channels; 3.x builds channels, height, width): `image_chw` reads an
observation's layout from its spec, and `observation_tensors` permutes only the
channels-last ones, once, on their way in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from mlagents.trainers.settings import NetworkSettings
from mlagents.trainers.torch.action_model import (
    ActionLogProbs,
    ActionModel,
    ActionSample,
    Distributions,
)
from mlagents.trainers.torch.encoders import MIN_RESOLUTION, VISUAL_ENCODERS, VectorEncoder
from mlagents.trainers.torch.layers import mlp, value_layer
from mlagents_envs.base_env import BehaviorSpec, ObservationSpec
from mlagents_envs.codec.generation import image_channels_first, image_chw


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

    def copy_normalization(self, source: ObservationEncoder) -> None:
        """Take source's normalizer statistics (an encoder of the same observations); the
        encoders' weights stay as they are."""
        for mine, theirs in zip(self.encoders, source.encoders, strict=True):
            normalizer = getattr(mine, "normalizer", None)
            if normalizer is not None:
                theirs_normalizer: nn.Module = theirs.normalizer  # type: ignore[assignment]
                normalizer.load_state_dict(theirs_normalizer.state_dict())


class NetworkBody(nn.Module):
    """Observation encoders, then an MLP over their codes (and over extra inputs, such as
    the actions a Q network judges, concatenated to the codes)."""

    def __init__(
        self, specs: list[ObservationSpec], settings: NetworkSettings, extra_inputs: int = 0
    ) -> None:
        super().__init__()
        self.encoder = ObservationEncoder(specs, settings)
        inputs = self.encoder.output_size + extra_inputs
        self.mlp = mlp(inputs, settings.hidden_units, settings.num_layers)
        self.output_size = settings.hidden_units if settings.num_layers else inputs

    def forward(
        self, observations: list[torch.Tensor], extra: torch.Tensor | None = None
    ) -> torch.Tensor:
        code = self.encoder(observations)
        if extra is not None:
            code = torch.cat([code, extra], dim=1)
        return self.mlp(code)

    def update_normalization(self, observations: list[torch.Tensor]) -> None:
        self.encoder.update_normalization(observations)


class Actor(nn.Module):
    """The policy network: a body and an action model (see action_model)."""

    def __init__(
        self,
        spec: BehaviorSpec,
        settings: NetworkSettings,
        conditional_sigma: bool = False,
        tanh_squash: bool = False,
    ) -> None:
        super().__init__()
        self.spec = spec
        observation_specs = list(spec.observation_specs)
        #: Which observations the environment sends channels-last (see observation_tensors).
        self.channels_last = channels_last(observation_specs)
        self.body = NetworkBody(observation_specs, settings)
        self.action_model = ActionModel(
            self.body.output_size, spec.action_spec, conditional_sigma, tanh_squash
        )

    def update_normalization(self, observations: list[torch.Tensor]) -> None:
        self.body.update_normalization(observations)

    def act(
        self,
        observations: list[torch.Tensor],
        masks: torch.Tensor | None,
        deterministic: bool = False,
    ) -> ActionSample:
        return self.action_model(self.body(observations), masks, deterministic)

    def evaluate(
        self,
        observations: list[torch.Tensor],
        masks: torch.Tensor | None,
        continuous: torch.Tensor,
        discrete: torch.Tensor,
    ) -> tuple[ActionLogProbs, torch.Tensor]:
        """Log-probabilities and entropy of given actions under the current policy."""
        log_probs, entropy, _ = self.action_model.evaluate(
            self.body(observations), masks, continuous, discrete
        )
        return log_probs, entropy

    def distributions(
        self, observations: list[torch.Tensor], masks: torch.Tensor | None
    ) -> Distributions:
        return self.action_model.distributions(self.body(observations), masks)


class ValueNetwork(nn.Module):
    """One head per reward signal (stream) over a body: value estimates, or with
    outputs_per_stream > 1 one value per action (a discrete Q network).

    Returns {stream: (n,)} when outputs_per_stream is 1 (unless keep_dims), else
    {stream: (n, outputs)}.
    body: an existing body to put the heads on (PPO's shared_critic: the actor's)."""

    def __init__(
        self,
        stream_names: list[str],
        specs: list[ObservationSpec],
        settings: NetworkSettings,
        extra_inputs: int = 0,
        outputs_per_stream: int = 1,
        body: NetworkBody | None = None,
        keep_dims: bool = False,
    ) -> None:
        super().__init__()
        self.stream_names = list(stream_names)
        self.channels_last = channels_last(specs)
        self.body = body if body is not None else NetworkBody(specs, settings, extra_inputs)
        self.squeeze = outputs_per_stream == 1 and not keep_dims
        self.heads = nn.ModuleDict(
            {
                name: value_layer(self.body.output_size, outputs_per_stream)
                for name in self.stream_names
            }
        )

    def update_normalization(self, observations: list[torch.Tensor]) -> None:
        self.body.update_normalization(observations)

    def forward(
        self, observations: list[torch.Tensor], extra: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        code = self.body(observations, extra)
        out = {name: head(code) for name, head in self.heads.items()}
        if self.squeeze:
            out = {name: value.squeeze(-1) for name, value in out.items()}
        return out

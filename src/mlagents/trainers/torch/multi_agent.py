"""MA-POCA's group networks: a body that encodes the members of a group (some with the
action they took) through self-attention, and the critic built on it, which gives both
the group's value (over every member's observations) and each member's counterfactual
baseline (over its own observations and its teammates' observations and actions).

Members come as tensors of shape (batch, members, *observation shape) with a presence
mask (batch, members): groups of different sizes share a batch, padding slots are masked
out of the attention and of its average.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from mlagents.trainers.settings import NetworkSettings
from mlagents.trainers.torch.attention import EntityEmbedding, ResidualSelfAttention
from mlagents.trainers.torch.layers import linear_layer, value_layer
from mlagents.trainers.torch.networks import ObservationEncoder, channels_last
from mlagents_envs.base_env import ActionSpec, ObservationSpec


def group_observation_tensors(
    observations: Sequence[np.ndarray], channels_last: Sequence[bool]
) -> list[torch.Tensor]:
    """Members' observations (batch, members, *shape) as float tensors in the network's
    layout (channels-last images permuted to channels first)."""
    tensors = []
    for obs, last in zip(observations, channels_last, strict=True):
        tensor = torch.as_tensor(np.asarray(obs, dtype=np.float32))
        if last:
            tensor = tensor.permute(0, 1, 4, 2, 3)
        tensors.append(tensor)
    return tensors


def flat_actions(
    continuous: torch.Tensor, discrete: torch.Tensor, action_spec: ActionSpec
) -> torch.Tensor:
    """Actions of (batch, members, ...) as one vector per member: the continuous values
    and a one-hot per discrete branch."""
    parts = [continuous.float()]
    for branch, size in enumerate(action_spec.discrete_branches):
        one_hot = nn.functional.one_hot(discrete[..., branch].long(), size)
        parts.append(one_hot.float())
    return torch.cat(parts, dim=-1)


class MultiAgentNetworkBody(nn.Module):
    """Encodes a group: each member's observations go through one shared observation
    encoder; members without an action are embedded by one entity embedding, members with
    their action (continuous values and one-hot branches) by another; self-attention
    mixes them, an MLP follows. The encoding ends with the number of present members,
    scaled to [-1, 1] by the most members seen so far (so the heads know the group size).
    """

    max_agents: torch.Tensor

    def __init__(
        self, specs: list[ObservationSpec], settings: NetworkSettings, action_spec: ActionSpec
    ) -> None:
        super().__init__()
        self.action_spec = action_spec
        self.encoder = ObservationEncoder(specs, settings)
        size = settings.hidden_units
        obs_size = self.encoder.output_size
        action_size = action_spec.continuous_size + sum(action_spec.discrete_branches)
        self.obs_embedding = EntityEmbedding(obs_size, size)
        self.obs_action_embedding = EntityEmbedding(obs_size + action_size, size)
        self.attention = ResidualSelfAttention(size)
        layers: list[nn.Module] = []
        for _ in range(settings.num_layers):
            layers += [linear_layer(size, size, gain=(0.125 / size) ** 0.5), nn.SiLU()]
        self.mlp = nn.Sequential(*layers)
        self.register_buffer("max_agents", torch.tensor(1.0))
        self.output_size = size + 1

    def update_normalization(self, observations: list[torch.Tensor]) -> None:
        self.encoder.update_normalization(observations)

    def _encode_members(self, observations: list[torch.Tensor]) -> torch.Tensor:
        """(batch, members, *shape) per observation -> (batch, members, code)."""
        b, m = observations[0].shape[:2]
        flat = [obs.reshape(b * m, *obs.shape[2:]) for obs in observations]
        return self.encoder(flat).reshape(b, m, self.encoder.output_size)

    def forward(
        self,
        observations: list[torch.Tensor],
        present: torch.Tensor,
        acted_observations: list[torch.Tensor] | None = None,
        actions: torch.Tensor | None = None,
        acted_present: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """observations (batch, members, ...) of members judged without their action;
        acted_observations and actions (batch, members', action size) of members judged
        with it; present and acted_present flag the real members (bool). -> (batch,
        output_size)."""
        embedded, masks = [], []
        if acted_observations is not None and actions is not None and acted_present is not None:
            codes = self._encode_members(acted_observations)
            acted = acted_present.float()
            entities = torch.cat([codes, actions * acted.unsqueeze(-1)], dim=-1)
            embedded.append(self.obs_action_embedding(entities))
            masks.append(1 - acted)
        codes = self._encode_members(observations)
        embedded.append(self.obs_embedding(codes))
        masks.append(1 - present.float())
        state = self.attention(torch.cat(embedded, dim=1), masks)
        count = (1 - torch.cat(masks, dim=1)).sum(dim=1, keepdim=True)
        with torch.no_grad():
            most = count.max()
            if most > self.max_agents:
                self.max_agents.copy_(most)
        scaled_count = count * 2.0 / self.max_agents - 1
        return torch.cat([self.mlp(state), scaled_count], dim=1)


class POCAValueNetwork(nn.Module):
    """The centralized critic: one value head per reward signal over a group encoding.
    `values` judges the whole group (every member's observations); `baselines` judges one
    member without its action, with its teammates' observations and actions."""

    def __init__(
        self,
        stream_names: list[str],
        specs: list[ObservationSpec],
        settings: NetworkSettings,
        action_spec: ActionSpec,
    ) -> None:
        super().__init__()
        self.stream_names = list(stream_names)
        self.channels_last = channels_last(specs)
        self.action_spec = action_spec
        self.body = MultiAgentNetworkBody(specs, settings, action_spec)
        self.heads = nn.ModuleDict(
            {name: value_layer(self.body.output_size, 1) for name in self.stream_names}
        )

    def update_normalization(self, observations: list[torch.Tensor]) -> None:
        self.body.update_normalization(observations)

    def _heads(self, code: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: head(code).squeeze(-1) for name, head in self.heads.items()}

    def values(
        self,
        own: list[torch.Tensor],
        mates: list[torch.Tensor],
        mates_present: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """own (batch, *shape) per observation, mates (batch, members, *shape), their
        presence (batch, members) -> {signal: (batch,)}."""
        everyone = [torch.cat([o.unsqueeze(1), m], dim=1) for o, m in zip(own, mates)]
        present = torch.cat(
            [torch.ones(len(mates_present), 1, dtype=torch.bool), mates_present.bool()], dim=1
        )
        return self._heads(self.body(everyone, present))

    def baselines(
        self,
        own: list[torch.Tensor],
        mates: list[torch.Tensor],
        mates_actions: torch.Tensor,
        mates_present: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """As values, the member's own action left out: its teammates enter with their
        actions (batch, members, action size, see flat_actions)."""
        alone = [o.unsqueeze(1) for o in own]
        present = torch.ones(len(mates_present), 1, dtype=torch.bool)
        code = self.body(alone, present, mates, mates_actions, mates_present.bool())
        return self._heads(code)

    def forward(
        self,
        own: list[torch.Tensor],
        mates: list[torch.Tensor],
        mates_present: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        return self.values(own, mates, mates_present)

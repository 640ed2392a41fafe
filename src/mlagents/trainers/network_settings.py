"""The settings of a network (`network_settings`): the policy's and the critic's, and those
of the reward signals that have networks of their own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from mlagents.trainers.settings_schema import Section, in_range

__all__ = ["EncoderType", "NetworkSettings"]

EncoderType = Literal["simple", "nature_cnn", "resnet", "match3", "fully_connected"]


@dataclass(frozen=True, kw_only=True)
class NetworkSettings(Section):
    """A network: an encoder per observation, then an MLP."""

    _NULL_ONLY: ClassVar[Mapping[str, str]] = {"memory": "recurrent memory (an LSTM)"}
    normalize: bool = False
    hidden_units: int = field(default=128, metadata=in_range(ge=1))
    num_layers: int = field(default=2, metadata=in_range(ge=1))
    vis_encode_type: EncoderType = "simple"
    goal_conditioning_type: Literal["hyper", "none"] = "hyper"
    deterministic: bool = False

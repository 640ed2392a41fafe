"""The one codec between protocol messages and the data model, used by both ends of the wire."""

from mlagents_envs.codec.actions import actions_from_proto, actions_to_proto
from mlagents_envs.codec.observations import decode_observations, encode_observation
from mlagents_envs.codec.specs import (
    action_spec_from_proto,
    behavior_spec_from_proto,
    behavior_spec_to_proto,
    observation_spec_from_proto,
)
from mlagents_envs.codec.steps import steps_from_proto, steps_to_proto

__all__ = [
    "action_spec_from_proto",
    "actions_from_proto",
    "actions_to_proto",
    "behavior_spec_from_proto",
    "behavior_spec_to_proto",
    "decode_observations",
    "encode_observation",
    "observation_spec_from_proto",
    "steps_from_proto",
    "steps_to_proto",
]

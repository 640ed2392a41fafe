"""Conversion between protocol messages and the data model, under the import path that
existing scripts use (`from mlagents_envs.rpc_utils import steps_from_proto`).
"""

from __future__ import annotations

import numpy as np

from mlagents_envs.codec import (
    action_spec_from_proto,
    actions_from_proto,
    actions_to_proto,
    behavior_spec_from_proto,
    behavior_spec_to_proto,
    decode_observations,
    encode_observation,
    observation_spec_from_proto,
    steps_from_proto,
    steps_to_proto,
)
from mlagents_envs.codec.observations import channels_from_pngs
from mlagents_envs.codec.png import decode_pngs, split_pngs


def process_pixels(
    image_bytes: bytes,
    expected_channels: int,
    mappings: list[int] | None = None,
    channels_first: bool = False,
) -> np.ndarray:
    """One PNG-compressed observation (possibly several concatenated PNGs) as a float32
    array in [0, 1]: (height, width, channels) as mlagents-envs 0.28 gives it, or
    (channels, height, width) as 1.x does, when channels_first. (This module's functions
    default to the 0.28 layout; UnityEnvironment picks the layout from the build.)
    """
    raw = decode_pngs(image_bytes)[None]
    channels = (expected_channels,)
    return channels_from_pngs(raw, channels, mappings or [], channels_first=channels_first)[0]


__all__ = [
    "action_spec_from_proto",
    "actions_from_proto",
    "actions_to_proto",
    "behavior_spec_from_proto",
    "behavior_spec_to_proto",
    "decode_observations",
    "encode_observation",
    "observation_spec_from_proto",
    "process_pixels",
    "split_pngs",
    "steps_from_proto",
    "steps_to_proto",
]

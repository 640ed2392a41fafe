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
from mlagents_envs.codec.observations import select_channels
from mlagents_envs.codec.png import decode_pngs, split_pngs


def process_pixels(
    image_bytes: bytes,
    expected_channels: int,
    mappings: list[int] | None = None,
    channels_first: bool = False,
) -> np.ndarray:
    """One PNG-compressed observation (possibly several concatenated PNGs) as a float32
    array in [0, 1]: (height, width, channels), or (channels, height, width) as the
    mlagents-envs 1.x client gives it when channels_first.
    """
    raw = decode_pngs(image_bytes)[None]
    if not channels_first:
        return select_channels(raw, expected_channels, mappings or [])[0]
    raw = raw.transpose(0, 3, 1, 2)
    return select_channels(raw, expected_channels, mappings or [], axis=1)[0]


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

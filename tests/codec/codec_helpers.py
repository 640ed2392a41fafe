"""Builders shared by the codec tests: protos made by hand, independent of our encoders."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from mlagents_envs.base_env import (
    ActionSpec,
    BehaviorSpec,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.communicator_objects.agent_info_pb2 import AgentInfoProto
from mlagents_envs.communicator_objects.observation_pb2 import PNG, ObservationProto


def vector_spec(*shape: int, name: str = "vector") -> ObservationSpec:
    return ObservationSpec(
        tuple(shape), (DimensionProperty.NONE,) * len(shape), ObservationType.DEFAULT, name
    )


def image_spec(height: int, width: int, channels: int, name: str = "camera") -> ObservationSpec:
    dims = (DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,) * 2 + (DimensionProperty.NONE,)
    return ObservationSpec((height, width, channels), dims, ObservationType.DEFAULT, name)


def behavior(*observations: ObservationSpec, continuous: int = 0, branches=()) -> BehaviorSpec:
    return BehaviorSpec(list(observations), ActionSpec(continuous, tuple(branches)))


def float_obs(values: np.ndarray, name: str = "vector") -> ObservationProto:
    proto = ObservationProto(shape=values.shape, name=name)
    proto.dimension_properties.extend([int(DimensionProperty.NONE)] * values.ndim)
    proto.float_data.data.extend(values.ravel().tolist())
    return proto


def png_bytes(pixels: np.ndarray) -> bytes:
    """A uint8 (h, w, 1 or 3) array as one PNG (1 channel written as mode L)."""
    mode = "L" if pixels.shape[2] == 1 else "RGB"
    image = Image.fromarray(pixels[:, :, 0] if mode == "L" else pixels, mode=mode)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_obs(
    data: bytes, shape: tuple[int, ...], mapping=(), name: str = "camera"
) -> ObservationProto:
    proto = ObservationProto(shape=shape, compression_type=PNG, compressed_data=data, name=name)
    proto.compressed_channel_mapping.extend(mapping)
    return proto


def agent(
    agent_id: int,
    observations,
    reward=0.0,
    done=False,
    interrupted=False,
    mask=(),
    group=0,
    group_reward=0.0,
) -> AgentInfoProto:
    return AgentInfoProto(
        id=agent_id,
        reward=reward,
        done=done,
        max_step_reached=interrupted,
        observations=list(observations),
        action_mask=list(mask),
        group_id=group,
        group_reward=group_reward,
    )

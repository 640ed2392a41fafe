"""Writing .demo files by hand, byte by byte as PROTOCOL.md lays them out, for the loader tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mlagents_envs.codec.wire_steps import varint
from mlagents_envs.communicator_objects.agent_action_pb2 import AgentActionProto
from mlagents_envs.communicator_objects.agent_info_action_pair_pb2 import (
    AgentInfoActionPairProto,
)
from mlagents_envs.communicator_objects.agent_info_pb2 import AgentInfoProto
from mlagents_envs.communicator_objects.brain_parameters_pb2 import (
    ActionSpecProto,
    BrainParametersProto,
)
from mlagents_envs.communicator_objects.demonstration_meta_pb2 import DemonstrationMetaProto
from mlagents_envs.communicator_objects.observation_pb2 import ObservationProto


def delimited(payload: bytes) -> bytes:
    return varint(len(payload)) + payload


def demo_bytes(
    meta: DemonstrationMetaProto,
    brain: BrainParametersProto,
    pairs: Sequence[AgentInfoActionPairProto],
    trailer: bool = True,
) -> bytes:
    """A file as Unity writes it: metadata padded to byte 33, brain parameters, the steps,
    and (trailer) the copy of the metadata Unity leaves at the end when it closes."""
    head = delimited(meta.SerializeToString())
    assert len(head) <= 33
    data = head.ljust(33, b"\0") + delimited(brain.SerializeToString())
    data += b"".join(delimited(p.SerializeToString()) for p in pairs)
    return data + (meta.SerializeToString() if trailer else b"")


def write_demo(path: Path, *args: object, **kwargs: object) -> Path:
    path.write_bytes(demo_bytes(*args, **kwargs))  # type: ignore[arg-type]
    return path


def vector_obs(values: Sequence[float], name: str = "VectorSensor") -> ObservationProto:
    obs = ObservationProto(shape=[len(values)], name=name)
    obs.float_data.data.extend(values)
    return obs


def pair(
    obs: Sequence[float],
    reward: float = 0.0,
    done: bool = False,
    max_step: bool = False,
    mask: Sequence[bool] = (),
    continuous: Sequence[float] = (),
    discrete: Sequence[int] = (),
    deprecated: Sequence[float] = (),
) -> AgentInfoActionPairProto:
    return AgentInfoActionPairProto(
        agent_info=AgentInfoProto(
            reward=reward,
            done=done,
            max_step_reached=max_step,
            id=7,
            action_mask=list(mask),
            observations=[vector_obs(obs)],
        ),
        action_info=AgentActionProto(
            continuous_actions=list(continuous),
            discrete_actions=list(discrete),
            vector_actions_deprecated=list(deprecated),
        ),
    )


def brain(continuous: int = 0, branches: Sequence[int] = ()) -> BrainParametersProto:
    return BrainParametersProto(
        brain_name="Test?team=0",
        action_spec=ActionSpecProto(
            num_continuous_actions=continuous,
            num_discrete_actions=len(branches),
            discrete_branch_sizes=list(branches),
        ),
    )


def meta(steps: int, episodes: int = 1, api_version: int = 1) -> DemonstrationMetaProto:
    return DemonstrationMetaProto(
        api_version=api_version,
        demonstration_name="Test",
        number_steps=steps,
        number_episodes=episodes,
        mean_reward=0.5,
    )

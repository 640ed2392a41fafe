"""Our action encoding against the reference client, mlagents-envs 0.28.0.

The peer script turns each ActionTuple of codec_peer_cases into a UnityInputProto with its
UnityEnvironment._generate_step_input; here those bytes are parsed with our classes and
compared with what our actions_to_proto makes of the same ActionTuple, then read back with
our actions_from_proto. No differences were found.
"""

from __future__ import annotations

import numpy as np
import pytest
from codec_peer_cases import ACTION_CASES
from codec_peer_flatten import PeerReport

from mlagents_envs.base_env import ActionTuple
from mlagents_envs.communicator_objects.agent_action_pb2 import AgentActionProto
from mlagents_envs.communicator_objects.command_pb2 import STEP
from mlagents_envs.communicator_objects.unity_input_pb2 import UnityInputProto
from mlagents_envs.rpc_utils import actions_from_proto, actions_to_proto

pytestmark = pytest.mark.peer

NAMES = sorted(ACTION_CASES)
WITH_AGENTS = [n for n in NAMES if len(ACTION_CASES[n].continuous)]


def peer_actions(codec_peer: PeerReport, name: str) -> list[AgentActionProto]:
    message = UnityInputProto.FromString(bytes.fromhex(codec_peer.report["actions"][name]))
    rl_input = message.rl_input
    assert rl_input.command == STEP
    assert not rl_input.side_channel
    assert set(rl_input.agent_actions) <= {name}
    if name not in rl_input.agent_actions:
        return []
    return list(rl_input.agent_actions[name].value)


def our_tuple(name: str) -> ActionTuple:
    case = ACTION_CASES[name]
    return ActionTuple(continuous=case.continuous.copy(), discrete=case.discrete.copy())


def float_bits(values: object) -> bytes:
    return np.array(values, dtype=np.float32).tobytes()


def assert_same_tuple(got: ActionTuple, name: str) -> None:
    case = ACTION_CASES[name]
    for ours, original in ((got.continuous, case.continuous), (got.discrete, case.discrete)):
        assert ours.dtype == original.dtype
        assert ours.shape == original.shape
        np.testing.assert_array_equal(ours, original, strict=True)
        assert ours.tobytes() == original.tobytes()  # -0.0 and the subnormal, bit for bit


@pytest.mark.parametrize("name", NAMES)
def test_actions_to_proto_match_peer(name: str, codec_peer: PeerReport) -> None:
    ours = actions_to_proto(our_tuple(name), include_deprecated=True)
    theirs = peer_actions(codec_peer, name)
    # The peer leaves a behavior with no deciding agent out of the message altogether.
    assert len(ours) == len(theirs) == len(ACTION_CASES[name].continuous)
    for row, (mine, peer) in enumerate(zip(ours, theirs)):
        assert mine.ListFields()
        assert mine.SerializeToString(deterministic=True) == peer.SerializeToString(
            deterministic=True
        ), f"{name} agent {row}"
        for field in ("continuous_actions", "vector_actions_deprecated"):
            assert float_bits(getattr(mine, field)) == float_bits(getattr(peer, field))
        assert list(mine.discrete_actions) == list(peer.discrete_actions)
        assert mine.value == peer.value == 0


@pytest.mark.parametrize("name", WITH_AGENTS)
def test_actions_without_deprecated_fields_match_peer(name: str, codec_peer: PeerReport) -> None:
    ours = actions_to_proto(our_tuple(name))
    theirs = peer_actions(codec_peer, name)
    for mine, peer in zip(ours, theirs, strict=True):
        assert not mine.vector_actions_deprecated
        peer.ClearField("vector_actions_deprecated")
        assert mine.SerializeToString(deterministic=True) == peer.SerializeToString(
            deterministic=True
        )


@pytest.mark.parametrize("name", NAMES)
def test_actions_from_proto_read_peer_bytes(name: str, codec_peer: PeerReport) -> None:
    got = actions_from_proto(peer_actions(codec_peer, name), ACTION_CASES[name].spec)
    assert_same_tuple(got, name)


@pytest.mark.parametrize("name", WITH_AGENTS)
def test_actions_from_proto_read_deprecated_only(name: str, codec_peer: PeerReport) -> None:
    """An older sender fills only vector_actions_deprecated: continuous, then discrete."""
    protos = peer_actions(codec_peer, name)
    for proto in protos:
        proto.ClearField("continuous_actions")
        proto.ClearField("discrete_actions")
        assert proto.vector_actions_deprecated
    got = actions_from_proto(protos, ACTION_CASES[name].spec)
    assert_same_tuple(got, name)

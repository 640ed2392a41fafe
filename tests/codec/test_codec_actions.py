"""Actions between ActionTuple and AgentActionProto."""

from __future__ import annotations

import numpy as np
import pytest

from mlagents_envs.base_env import ActionSpec, ActionTuple
from mlagents_envs.communicator_objects.agent_action_pb2 import AgentActionProto
from mlagents_envs.exception import UnityActionException
from mlagents_envs.rpc_utils import actions_from_proto, actions_to_proto


def hybrid(n: int) -> ActionTuple:
    continuous = np.arange(n * 2, dtype=np.float32).reshape(n, 2) / 4
    discrete = np.arange(n * 3, dtype=np.int32).reshape(n, 3) % 2
    return ActionTuple(continuous, discrete)


def test_one_proto_per_agent_with_its_row():
    protos = actions_to_proto(hybrid(3))
    assert len(protos) == 3
    assert list(protos[2].continuous_actions) == [1.0, 1.25]
    assert list(protos[2].discrete_actions) == [0, 1, 0]
    assert not protos[2].vector_actions_deprecated


def test_deprecated_vector_actions_hold_continuous_then_discrete_as_floats():
    protos = actions_to_proto(hybrid(2), include_deprecated=True)
    assert list(protos[1].vector_actions_deprecated) == [0.5, 0.75, 1.0, 0.0, 1.0]


@pytest.mark.parametrize(
    "action",
    [
        ActionTuple(continuous=np.ones((2, 3), np.float32)),
        ActionTuple(discrete=np.ones((2, 2), np.int32)),
        ActionTuple(np.zeros((0, 2), np.float32), np.zeros((0, 1), np.int32)),
    ],
)
def test_single_kind_and_empty_batches(action):
    protos = actions_to_proto(action)
    assert len(protos) == action.n_agents
    for row, proto in enumerate(protos):
        assert list(proto.continuous_actions) == action.continuous[row].tolist()
        assert list(proto.discrete_actions) == action.discrete[row].tolist()


def test_round_trip_through_bytes():
    action = hybrid(4)
    wire = [AgentActionProto.FromString(p.SerializeToString()) for p in actions_to_proto(action)]
    back = actions_from_proto(wire, ActionSpec(2, (2, 2, 2)))
    np.testing.assert_array_equal(back.continuous, action.continuous)
    np.testing.assert_array_equal(back.discrete, action.discrete)
    assert back.discrete.dtype == np.int32


def test_reads_deprecated_only_messages_of_older_clients():
    proto = AgentActionProto(vector_actions_deprecated=[0.5, -0.5, 2.0])
    back = actions_from_proto([proto], ActionSpec(2, (3,)))
    np.testing.assert_array_equal(back.continuous, [[0.5, -0.5]])
    np.testing.assert_array_equal(back.discrete, [[2]])


def test_action_of_the_wrong_size_is_refused_naming_its_row():
    protos = [
        AgentActionProto(continuous_actions=[1.0, 2.0]),
        AgentActionProto(continuous_actions=[1.0]),
    ]
    with pytest.raises(UnityActionException, match="Action 1 has 1 continuous"):
        actions_from_proto(protos, ActionSpec(2, ()))

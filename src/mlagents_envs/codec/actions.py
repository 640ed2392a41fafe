"""Actions between ActionTuple and AgentActionProto lists, for both ends of the wire."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlagents_envs.base_env import ActionSpec, ActionTuple
from mlagents_envs.communicator_objects.agent_action_pb2 import AgentActionProto
from mlagents_envs.exception import UnityActionException


def actions_to_proto(
    action: ActionTuple, include_deprecated: bool = False
) -> list[AgentActionProto]:
    """One AgentActionProto per row of action.

    include_deprecated also fills vector_actions_deprecated (continuous values, then discrete
    ones as floats), which environments without the hybridActions capability read.
    """
    # ActionTuple guarantees both parts have one row per agent, even when 0 wide.
    continuous = action.continuous.tolist()
    discrete = action.discrete.tolist()
    if include_deprecated:
        return [
            AgentActionProto(
                continuous_actions=c, discrete_actions=d, vector_actions_deprecated=c + d
            )
            for c, d in zip(continuous, discrete)
        ]
    return [
        AgentActionProto(continuous_actions=c, discrete_actions=d)
        for c, d in zip(continuous, discrete)
    ]


def actions_from_proto(protos: Sequence[AgentActionProto], spec: ActionSpec) -> ActionTuple:
    """The ActionTuple of a list of AgentActionProto, checked against spec.

    A proto with no continuous or discrete actions but deprecated vector actions (sent by
    older clients) is read from those.
    """
    n, c_size, d_size = len(protos), spec.continuous_size, spec.discrete_size
    continuous = np.zeros((n, c_size), dtype=np.float32)
    discrete = np.zeros((n, d_size), dtype=np.int32)
    for row, proto in enumerate(protos):
        c, d = proto.continuous_actions, proto.discrete_actions
        if not c and not d and proto.vector_actions_deprecated:
            values = list(proto.vector_actions_deprecated)
            c, d = values[:c_size], [int(v) for v in values[c_size:]]
        if len(c) != c_size or len(d) != d_size:
            raise UnityActionException(
                f"Action {row} has {len(c)} continuous and {len(d)} discrete values; the spec "
                f"needs {c_size} and {d_size}."
            )
        continuous[row] = c
        discrete[row] = d
    return ActionTuple(continuous, discrete)

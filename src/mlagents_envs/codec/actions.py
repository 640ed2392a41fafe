"""Actions between ActionTuple and AgentActionProto lists, for both ends of the wire."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

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
    protos = list(protos)
    n, c_size, d_size = len(protos), spec.continuous_size, spec.discrete_size
    fast = _all_current(protos, c_size, d_size)
    if fast is not None:
        return fast
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


def _all_current(protos: list[AgentActionProto], c_size: int, d_size: int) -> ActionTuple | None:
    """All rows at once when every proto has exactly the current fields of the spec's
    sizes (the usual case); None sends the caller to the row by row path."""
    n = len(protos)
    continuous = [p.continuous_actions[:] for p in protos]
    discrete = [p.discrete_actions[:] for p in protos]
    if any(len(c) != c_size for c in continuous) or any(len(d) != d_size for d in discrete):
        return None
    return ActionTuple(
        np.fromiter(chain.from_iterable(continuous), np.float32, n * c_size).reshape(n, c_size),
        np.fromiter(chain.from_iterable(discrete), np.int32, n * d_size).reshape(n, d_size),
    )

"""Steps between AgentInfoProto lists and DecisionSteps / TerminalSteps, for one behavior.

Decoding reads each scalar field of the agents in one C-level pass, builds each observation
array once for all agents, and splits decision from terminal agents with index arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from operator import attrgetter

import numpy as np

from mlagents_envs.base_env import BehaviorSpec, DecisionSteps, TerminalSteps
from mlagents_envs.codec.observations import (
    decode_observations,
    encode_observation,
    first_length_mismatch,
)
from mlagents_envs.communicator_objects.agent_info_pb2 import AgentInfoProto
from mlagents_envs.exception import UnityNonFiniteValueException, UnityObservationException


def steps_from_proto(
    agent_info_list: Sequence[AgentInfoProto],
    behavior_spec: BehaviorSpec,
    behavior_name: str = "",
    channels_first: bool = False,
) -> tuple[DecisionSteps, TerminalSteps]:
    """Split the agents of one behavior into DecisionSteps and TerminalSteps.

    behavior_name only serves error messages; channels_first is the layout of PNG images
    (see `decode_observations`).
    """
    label = f"behavior {behavior_name!r}" if behavior_name else "this behavior"
    # A list keeps each agent's Python wrapper alive across the passes below; iterating the
    # protobuf container again would build every wrapper anew.
    agent_info_list = list(agent_info_list)
    n = len(agent_info_list)

    # One C-level pass per scalar field, straight into its dtype: no per-agent tuples,
    # which would also wake the garbage collector.
    def column(field: str, dtype: type) -> np.ndarray:
        return np.fromiter(map(attrgetter(field), agent_info_list), dtype=dtype, count=n)

    reward = column("reward", np.float32)
    done = column("done", np.bool_)
    interrupted = column("max_step_reached", np.bool_)
    agent_id = column("id", np.int32)
    group_id = column("group_id", np.int32)
    group_reward = column("group_reward", np.float32)
    for values, what in ((reward, "rewards"), (group_reward, "group rewards")):
        if not np.isfinite(values).all():
            bad = agent_id[~np.isfinite(values)].tolist()
            raise UnityNonFiniteValueException(
                f"The {what} of agents {bad[:10]} of {label} are NaN or infinite. "
                "Check the reward code of the environment."
            )

    observations = _observations(
        agent_info_list, behavior_spec, agent_id.tolist(), label, channels_first
    )
    decision: slice | np.ndarray
    if not done.any():
        # The common case: nobody finished, so no array needs to be indexed.
        decision = slice(None)
        terminal = np.zeros(0, dtype=np.intp)
    else:
        decision = np.flatnonzero(~done)
        terminal = np.flatnonzero(done)

    decision_steps = DecisionSteps(
        obs=[o[decision] for o in observations],
        reward=reward[decision],
        agent_id=agent_id[decision],
        action_mask=_action_masks(agent_info_list, decision, behavior_spec, n),
        group_id=group_id[decision],
        group_reward=group_reward[decision],
    )
    terminal_steps = TerminalSteps(
        obs=[o[terminal] for o in observations],
        reward=reward[terminal],
        interrupted=interrupted[terminal],
        agent_id=agent_id[terminal],
        group_id=group_id[terminal],
        group_reward=group_reward[terminal],
    )
    return decision_steps, terminal_steps


def _observations(
    infos: Sequence[AgentInfoProto],
    spec: BehaviorSpec,
    agent_ids: list[int],
    label: str,
    channels_first: bool,
) -> list[np.ndarray]:
    expected = len(spec.observation_specs)
    per_agent = [a.observations for a in infos]
    row = first_length_mismatch(per_agent, expected)
    if row is not None:
        raise UnityObservationException(
            f"Agent {agent_ids[row]} of {label} sent {len(per_agent[row])} observations; its "
            f"spec has {expected}."
        )
    # zip(*...) turns per-agent lists into per-observation tuples in one C-level pass.
    per_observation = list(zip(*per_agent)) if per_agent else [() for _ in range(expected)]
    return [
        decode_observations(protos, obs_spec, agent_ids, channels_first)
        for protos, obs_spec in zip(per_observation, spec.observation_specs)
    ]


def _action_masks(
    infos: Sequence[AgentInfoProto],
    decision: slice | np.ndarray,
    spec: BehaviorSpec,
    n_all: int,
) -> list[np.ndarray] | None:
    branches = spec.action_spec.discrete_branches
    if not branches:
        return None
    width = sum(branches)
    if isinstance(decision, slice):
        masks = [a.action_mask for a in infos]
    else:
        masks = [infos[i].action_mask for i in decision.tolist()]
    # A mask of the wrong length means "no mask": every action allowed.
    valid = np.fromiter(map(len, masks), dtype=np.int64, count=len(masks)) == width
    matrix = np.zeros((len(masks), width), dtype=bool)
    if valid.any():
        good = masks if valid.all() else [m for m, ok in zip(masks, valid) if ok]
        # Slicing copies a repeated field to a list in C; iterating it directly is slower.
        flat = np.fromiter(
            chain.from_iterable([m[:] for m in good]), dtype=bool, count=width * len(good)
        )
        matrix[valid] = flat.reshape(len(good), width)
    return np.split(matrix, np.cumsum(branches)[:-1], axis=1)


def steps_to_proto(
    decision_steps: DecisionSteps,
    terminal_steps: TerminalSteps,
    spec: BehaviorSpec,
    compressed: Sequence[bool] | None = None,
    channels_first: bool = False,
) -> list[AgentInfoProto]:
    """The AgentInfoProto list an environment sends for one behavior: terminal agents
    first, then the agents that need a decision (an agent can be in both: its episode
    ended and the next one began).

    compressed[k] sends observation k as PNG; by default everything is sent as floats.
    channels_first is the layout of the images (see `encode_observation`).
    """
    count = len(spec.observation_specs)
    flags = list(compressed) if compressed is not None else [False] * count
    for steps in (decision_steps, terminal_steps):
        if len(steps.obs) != count or len(flags) != count:
            raise UnityObservationException(
                f"The spec has {count} observations but {type(steps).__name__} holds "
                f"{len(steps.obs)} and compressed gives {len(flags)} flags; they must agree."
            )
    infos = [
        _agent_info(terminal_steps, i, spec, flags, channels_first)
        for i in range(len(terminal_steps))
    ]
    infos += [
        _agent_info(decision_steps, i, spec, flags, channels_first)
        for i in range(len(decision_steps))
    ]
    return infos


def _agent_info(
    steps: DecisionSteps | TerminalSteps,
    i: int,
    spec: BehaviorSpec,
    compressed: list[bool],
    channels_first: bool,
) -> AgentInfoProto:
    info = AgentInfoProto(
        reward=float(steps.reward[i]),
        done=isinstance(steps, TerminalSteps),
        id=int(steps.agent_id[i]),
        group_id=int(steps.group_id[i]),
        group_reward=float(steps.group_reward[i]),
        observations=[
            encode_observation(o[i], obs_spec, flag, channels_first)
            for o, obs_spec, flag in zip(steps.obs, spec.observation_specs, compressed)
        ],
    )
    if isinstance(steps, TerminalSteps):
        info.max_step_reached = bool(steps.interrupted[i])
    elif steps.action_mask is not None:
        info.action_mask.extend(np.concatenate([m[i] for m in steps.action_mask]).tolist())
    return info

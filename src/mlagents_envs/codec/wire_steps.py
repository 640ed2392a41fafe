"""The environment end's encoder of steps straight to protobuf wire bytes, with numpy.

`steps_to_bytes` gives the serialized field list of a ListAgentInfoProto: exactly the bytes
protobuf writes for the AgentInfoProto list of `steps_to_proto`, but built for all agents
at once. Every agent's record has the same fields; only which ones are present (proto3
leaves zeros out) and how long the varints are change from agent to agent. So each field
becomes a column block of a byte matrix with a mask of the bytes that count, and the
masked matrix read row by row is the message.

Observations sent as PNG are encoded per agent (PNG compression dominates their cost).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from mlagents_envs.base_env import BehaviorSpec, DecisionSteps, ObservationSpec, TerminalSteps
from mlagents_envs.codec.observations import encode_observation
from mlagents_envs.codec.steps import steps_to_proto
from mlagents_envs.communicator_objects.observation_pb2 import ObservationProto
from mlagents_envs.communicator_objects.unity_rl_output_pb2 import UnityRLOutputProto
from mlagents_envs.exception import UnityObservationException

ListAgentInfoProto = UnityRLOutputProto.ListAgentInfoProto

# Tags of AgentInfoProto fields: (field number << 3) | wire type.
_REWARD, _DONE, _MAX_STEP, _ID, _MASK = 0x3D, 0x40, 0x48, 0x50, 0x5A
_OBSERVATION, _GROUP_ID, _GROUP_REWARD = 0x6A, 0x70, 0x7D
# ListAgentInfoProto.value (field 1, length-delimited).
_LIST_VALUE = 0x0A
_MAX_VARINT = 10
# Below this many agents, protobuf's own serializer is faster.
_SMALL_BATCH = 24

Block = tuple[np.ndarray, np.ndarray]  # (n, w) uint8 bytes, (n, w) bool mask


def varint(value: int) -> bytes:
    """The protobuf varint of a non-negative int (negative int32 as 10 bytes, as protobuf)."""
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _varints(values: np.ndarray) -> Block:
    """Varint bytes of int values, one row each, with the mask of the bytes used."""
    v = values.astype(np.int64).astype(np.uint64)
    shifts = np.arange(_MAX_VARINT, dtype=np.uint64) * np.uint64(7)
    groups = v[:, None] >> shifts
    used = np.ones_like(groups, dtype=bool)
    used[:, 1:] = groups[:, 1:] != 0
    more = np.zeros_like(used)
    more[:, :-1] = used[:, 1:]
    data = ((groups & np.uint64(0x7F)) | np.where(more, np.uint64(0x80), np.uint64(0))).astype(
        np.uint8
    )
    return data, used


def _constant(n: int, data: bytes) -> Block:
    row = np.frombuffer(data, dtype=np.uint8)
    return np.broadcast_to(row, (n, len(row))), np.ones((n, len(row)), dtype=bool)


def _tagged(n: int, tag: int, payload: Block, present: np.ndarray | None = None) -> Block:
    tag_data, tag_used = _constant(n, bytes([tag]))
    data = np.concatenate([tag_data, payload[0]], axis=1)
    used = np.concatenate([tag_used, payload[1]], axis=1)
    if present is not None:
        used &= present[:, None]
    return data, used


def _float_bytes(values: np.ndarray) -> np.ndarray:
    n = len(values)
    return np.ascontiguousarray(values, dtype="<f4").view(np.uint8).reshape(n, -1)


@lru_cache(maxsize=64)
def _float_observation_frame(spec: ObservationSpec) -> tuple[bytes, bytes]:
    """The bytes of an uncompressed ObservationProto before and after its float values."""
    size = int(np.prod(spec.shape, dtype=np.int64))
    full = encode_observation(np.zeros(spec.shape, dtype=np.float32), spec).SerializeToString()
    tail = ObservationProto(
        dimension_properties=[int(p) for p in spec.dimension_property],
        observation_type=spec.observation_type.value,  # type: ignore[arg-type]
        name=spec.name,
    ).SerializeToString()
    head = full[: len(full) - len(tail) - 4 * size]
    assert full[len(head) : len(head) + 4 * size] == bytes(4 * size)
    return head, tail


def _observation_block(
    obs: np.ndarray, spec: ObservationSpec, compressed: bool, channels_first: bool
) -> Block:
    n = len(obs)
    if compressed:
        encoded = [
            encode_observation(o, spec, True, channels_first).SerializeToString() for o in obs
        ]
        width = max(map(len, encoded), default=0)
        data = np.zeros((n, width), dtype=np.uint8)
        used = np.zeros((n, width), dtype=bool)
        for row, item in enumerate(encoded):
            data[row, : len(item)] = np.frombuffer(item, dtype=np.uint8)
            used[row, : len(item)] = True
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=n)
    else:
        head, tail = _float_observation_frame(spec)
        values = _float_bytes(obs.reshape(n, -1))
        h, t = _constant(n, head), _constant(n, tail)
        data = np.concatenate([h[0], values, t[0]], axis=1)
        used = np.ones(data.shape, dtype=bool)
        lengths = np.full(n, data.shape[1], dtype=np.int64)
    return _tagged(n, _OBSERVATION, _join([_varints(lengths), (data, used)]))


def _join(blocks: Sequence[Block]) -> Block:
    return (
        np.concatenate([b[0] for b in blocks], axis=1),
        np.concatenate([b[1] for b in blocks], axis=1),
    )


def _records(
    steps: DecisionSteps | TerminalSteps,
    spec: BehaviorSpec,
    compressed: Sequence[bool],
    channels_first: bool,
) -> bytes:
    n = len(steps.agent_id)
    if n == 0:
        return b""
    terminal = isinstance(steps, TerminalSteps)
    reward = np.ascontiguousarray(steps.reward, dtype="<f4")
    group_reward = np.ascontiguousarray(steps.group_reward, dtype="<f4")
    blocks = [
        _tagged(n, _REWARD, (_float_bytes(reward), np.ones((n, 4), bool)), reward.view("<u4") != 0),
    ]
    if terminal:
        blocks.append(_tagged(n, _DONE, _constant(n, b"\x01")))
        interrupted = np.asarray(steps.interrupted, dtype=bool)  # type: ignore[union-attr]
        blocks.append(_tagged(n, _MAX_STEP, _constant(n, b"\x01"), interrupted))
    ids = np.asarray(steps.agent_id)
    blocks.append(_tagged(n, _ID, _varints(ids), ids != 0))
    masks = None if terminal else steps.action_mask  # type: ignore[union-attr]
    if masks is not None and spec.action_spec.discrete_branches:
        flat = np.concatenate([np.asarray(m, dtype=bool) for m in masks], axis=1)
        width = flat.shape[1]
        header = _constant(n, varint(width))
        blocks.append(
            _tagged(n, _MASK, _join([header, (flat.astype(np.uint8), np.ones(flat.shape, bool))]))
        )
    for obs, obs_spec, flag in zip(steps.obs, spec.observation_specs, compressed):
        blocks.append(_observation_block(np.asarray(obs), obs_spec, flag, channels_first))
    groups = np.asarray(steps.group_id)
    blocks.append(_tagged(n, _GROUP_ID, _varints(groups), groups != 0))
    blocks.append(
        _tagged(
            n,
            _GROUP_REWARD,
            (_float_bytes(group_reward), np.ones((n, 4), bool)),
            group_reward.view("<u4") != 0,
        )
    )
    data, used = _join(blocks)
    lengths = used.sum(axis=1)
    data, used = _tagged(n, _LIST_VALUE, _join([_varints(lengths), (data, used)]))
    return data[used].tobytes()


def steps_to_bytes(
    decision_steps: DecisionSteps,
    terminal_steps: TerminalSteps,
    spec: BehaviorSpec,
    compressed: Sequence[bool] | None = None,
    channels_first: bool = False,
) -> bytes:
    """The serialized ListAgentInfoProto of one behavior: terminal agents first, then the
    agents that need a decision, the same bytes protobuf writes for `steps_to_proto`."""
    count = len(spec.observation_specs)
    for steps in (decision_steps, terminal_steps):
        for k, (obs, obs_spec) in enumerate(zip(steps.obs, spec.observation_specs)):
            if obs.shape[1:] != tuple(obs_spec.shape):
                raise UnityObservationException(
                    f"Observation {k} ({obs_spec.name!r}) of {type(steps).__name__} has shape "
                    f"{obs.shape[1:]} per agent; its spec says {tuple(obs_spec.shape)}."
                )
        if len(steps.obs) != count or (compressed is not None and len(compressed) != count):
            raise UnityObservationException(
                f"The spec has {count} observations but {type(steps).__name__} holds "
                f"{len(steps.obs)} and compressed gives "
                f"{'no' if compressed is None else len(compressed)} flags; they must agree."
            )
    if len(decision_steps) + len(terminal_steps) < _SMALL_BATCH:
        # A few agents cost less through protobuf than through a few dozen numpy calls.
        infos = steps_to_proto(decision_steps, terminal_steps, spec, compressed, channels_first)
        return ListAgentInfoProto(value=infos).SerializeToString()
    flags = list(compressed) if compressed is not None else [False] * len(spec.observation_specs)
    return _records(terminal_steps, spec, flags, channels_first) + _records(
        decision_steps, spec, flags, channels_first
    )


def length_delimited(field_number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field: its tag, the payload length, the payload."""
    return varint(field_number << 3 | 2) + varint(len(payload)) + payload

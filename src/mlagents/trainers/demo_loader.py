"""Demonstrations (`.demo` files recorded by Unity or by mlagents_sim) into the trainer's buffer.

A file is a DemonstrationMetaProto, the behavior's BrainParametersProto from byte 33, then one
AgentInfoActionPairProto per recorded step of one agent, each prefixed by its varint length
(PROTOCOL.md, "Demonstration files"). `demo_to_buffer` turns the steps into buffer rows as
ML-Agents 0.28 does: row i holds the observations and action of step i with the reward and
done flag of step i + 1, so a file's last step only serves as the one after.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
from google.protobuf.internal.decoder import _DecodeVarint32  # type: ignore[attr-defined]
from google.protobuf.message import DecodeError, Message

from mlagents.trainers.buffer import AgentBuffer, AgentBufferKey, BufferKey, obs_key
from mlagents_envs.base_env import BehaviorSpec
from mlagents_envs.codec import actions_from_proto, behavior_spec_from_proto, steps_from_proto
from mlagents_envs.codec.generation import image_channels_first
from mlagents_envs.communicator_objects.agent_info_action_pair_pb2 import (
    AgentInfoActionPairProto,
)
from mlagents_envs.communicator_objects.brain_parameters_pb2 import BrainParametersProto
from mlagents_envs.communicator_objects.demonstration_meta_pb2 import DemonstrationMetaProto
from mlagents_envs.exception import UnityException

#: The metadata fills the first bytes of a file; the brain parameters start at this offset.
META_REGION = 33
SUPPORTED_API_VERSIONS = frozenset({0, 1})
DEMO_SUFFIX = ".demo"
M = TypeVar("M", bound=Message)
_NOT_A_DEMO = f"give a {DEMO_SUFFIX} file recorded by Unity or mlagents_sim"
_RECORD_HINT = "record it again (python -m mlagents_sim.record, or Unity's Demonstration Recorder)"

logger = logging.getLogger(__name__)


class DemonstrationException(UnityException):
    """A demonstration cannot be used; `path` names the file or folder at fault."""

    def __init__(self, message: str, path: str | os.PathLike[str]) -> None:
        super().__init__(message)
        self.path = os.fspath(path)


class DemonstrationFileException(DemonstrationException, RuntimeError):
    """A file is truncated, is not a demonstration, or has an unsupported api_version (a
    RuntimeError in ML-Agents)."""


class DemonstrationSpecException(DemonstrationException, RuntimeError):
    """A demonstration's behavior spec differs from the policy's or from another file's."""


class DemonstrationPathException(DemonstrationException, ValueError):
    """The path is neither a .demo file nor a folder holding one (a ValueError in ML-Agents)."""


class DemonstrationNotFoundException(DemonstrationException, FileNotFoundError):
    """Nothing exists at the path (a FileNotFoundError in ML-Agents)."""


@dataclass(frozen=True)
class DemonstrationFile:
    """One file as read: its metadata, brain parameters, steps and the spec they give."""

    path: str
    meta: DemonstrationMetaProto
    brain_parameters: BrainParametersProto
    pairs: list[AgentInfoActionPairProto]
    spec: BehaviorSpec


def get_demo_files(path: str | os.PathLike[str]) -> list[str]:
    """The .demo file at path, or the .demo files of the folder path (sorted by name)."""
    path = os.fspath(path)
    if os.path.isfile(path):
        if not path.endswith(DEMO_SUFFIX):
            raise DemonstrationPathException(
                f"{path} is not a {DEMO_SUFFIX} file; give a demonstration file or a folder "
                "of them.",
                path,
            )
        return [path]
    if os.path.isdir(path):
        found = sorted(name for name in os.listdir(path) if name.endswith(DEMO_SUFFIX))
        if not found:
            raise DemonstrationPathException(
                f"The folder {path} holds no {DEMO_SUFFIX} files; record some into it or point "
                "demo_path at a demonstration file.",
                path,
            )
        return [os.path.join(path, name) for name in found]
    raise DemonstrationNotFoundException(
        f"The demonstration file or folder {path} does not exist; check demo_path (relative "
        f"paths start at {os.getcwd()}).",
        path,
    )


def read_demonstration_file(path: str | os.PathLike[str]) -> DemonstrationFile:
    """Read and check one .demo file: its metadata, brain parameters and the steps the
    metadata announces (every complete one when the recording was never closed)."""
    path = os.fspath(path)
    data = Path(path).read_bytes()
    if not data:
        raise DemonstrationFileException(f"{path} is empty; {_RECORD_HINT}.", path)
    meta, _ = _message(data, 0, DemonstrationMetaProto(), path, "metadata")
    if meta.api_version not in SUPPORTED_API_VERSIONS:
        raise DemonstrationFileException(
            f"{path} has demonstration api_version {meta.api_version}; this loader reads "
            f"versions {sorted(SUPPORTED_API_VERSIONS)}. Record it with a supported "
            "ML-Agents release.",
            path,
        )
    brain, pos = _message(data, META_REGION, BrainParametersProto(), path, "brain parameters")
    expected = meta.number_steps
    pairs: list[AgentInfoActionPairProto] = []
    # Unity leaves a copy of the metadata after the last step: only the announced steps
    # count. An unclosed recording announces none, so all it holds is read.
    while pos < len(data) and (expected <= 0 or len(pairs) < expected):
        if expected <= 0 and not _whole(data, pos):
            # A recorder that was killed stops anywhere, often inside a step: keep what
            # was written whole.
            logger.warning(
                "%s was never closed and ends inside step %d; reading its %d complete steps.",
                path,
                len(pairs),
                len(pairs),
            )
            break
        pair, pos = _message(data, pos, AgentInfoActionPairProto(), path, f"step {len(pairs)}")
        pairs.append(pair)
    if len(pairs) < expected:
        raise DemonstrationFileException(
            f"{path} is truncated: it holds {len(pairs)} complete steps of the {expected} "
            f"its metadata announces. Copy it again or {_RECORD_HINT}.",
            path,
        )
    if not pairs:
        raise DemonstrationFileException(
            f"{path} holds no recorded steps, so it gives no behavior spec; {_RECORD_HINT}.",
            path,
        )
    try:
        spec = behavior_spec_from_proto(brain, pairs[0].agent_info)
    except UnityException as error:
        raise DemonstrationFileException(
            f"{path} declares an unusable behavior: {error}", path
        ) from error
    return DemonstrationFile(path, meta, brain, pairs, spec)


def _whole(data: bytes, pos: int) -> bool:
    """Whether the length-prefixed message at pos ends within data."""
    try:
        size, start = _DecodeVarint32(data, pos)
    except (IndexError, DecodeError):
        return False
    return start + size <= len(data)


def _message(data: bytes, pos: int, message: M, path: str, what: str) -> tuple[M, int]:
    """The varint-length-prefixed message at pos, and the offset after it."""
    header = what == "metadata"
    try:
        size, start = _DecodeVarint32(data, pos)
    except (IndexError, DecodeError):
        size, start = None, pos
    end = start + (size or 0)
    if header and (size is None or end > META_REGION):
        raise DemonstrationFileException(
            f"{path} is not a demonstration file: its first bytes are not a demonstration's "
            f"metadata; {_NOT_A_DEMO}.",
            path,
        )
    if size is None or end > len(data):
        raise DemonstrationFileException(
            f"{path} is truncated: its {what} at byte {pos} runs past the end of the file "
            f"({len(data)} bytes). Copy it again or {_RECORD_HINT}.",
            path,
        )
    try:
        message.ParseFromString(data[start:end])
    except DecodeError as error:
        kind, hint = (
            ("is not a demonstration file", _NOT_A_DEMO) if header else ("is corrupt", _RECORD_HINT)
        )
        raise DemonstrationFileException(
            f"{path} {kind}: its {what} at byte {pos} does not parse ({error}); {hint}.", path
        ) from None
    return message, end


def load_demonstration(
    path: str | os.PathLike[str],
) -> tuple[BehaviorSpec, list[AgentInfoActionPairProto], int]:
    """The behavior spec, the recorded steps of every file at path (in file order) and the
    number of steps their metadata announces."""
    files = _read_all(path)
    pairs = [pair for f in files for pair in f.pairs]
    return files[0].spec, pairs, sum(f.meta.number_steps for f in files)


def demo_to_buffer(
    path: str | os.PathLike[str],
    sequence_length: int,
    expected_behavior_spec: BehaviorSpec | None = None,
) -> tuple[BehaviorSpec, AgentBuffer]:
    """The spec of the demonstrations at path (a file or a folder) and their steps as buffer
    rows: observations and the next ones, both action parts, the environment reward and
    done flag of the step after, INTERRUPTED (ended by max step) and, with discrete
    actions, ACTION_MASK (float, 1 = allowed). Each file is its own sequence of steps.

    With sequence_length > 1 every episode is padded with zero rows (masks of ones) to a
    multiple of it, as ML-Agents does. expected_behavior_spec, when given, must match the
    demonstrations' actions and observation shapes.
    """
    if sequence_length < 1:
        raise ValueError(f"sequence_length must be at least 1, got {sequence_length}.")
    files = _read_all(path)
    spec = files[0].spec
    if expected_behavior_spec is not None:
        difference = spec_difference(spec, expected_behavior_spec)
        if difference:
            raise DemonstrationSpecException(
                f"The demonstration {files[0].path} does not match the policy's behavior: "
                f"{difference}. Record the demonstration from the environment being trained.",
                files[0].path,
            )
    buffer = AgentBuffer()
    for demo in files:
        columns = _rows(demo, spec)
        if sequence_length > 1 and columns:
            columns = _padded(columns, sequence_length)
        buffer.extend(columns)
    return spec, buffer


def spec_difference(found: BehaviorSpec, expected: BehaviorSpec) -> str:
    """What differs between two behavior specs, for a policy ("" when they match)."""
    if found.action_spec != expected.action_spec:
        return f"its actions are {found.action_spec}, the policy's {expected.action_spec}"
    if len(found.observation_specs) != len(expected.observation_specs):
        return (
            f"it has {len(found.observation_specs)} observations, the policy "
            f"{len(expected.observation_specs)}"
        )
    for k, (mine, theirs) in enumerate(zip(found.observation_specs, expected.observation_specs)):
        if tuple(mine.shape) != tuple(theirs.shape):
            return (
                f"observation {k} ({mine.name!r}) has shape {tuple(mine.shape)}, the policy's "
                f"{tuple(theirs.shape)} (images must come from the same Unity package "
                "generation)"
            )
        if mine.observation_type != theirs.observation_type:
            return (
                f"observation {k} ({mine.name!r}) is of type {mine.observation_type.name}, the "
                f"policy's {theirs.observation_type.name}"
            )
    return ""


def _read_all(path: str | os.PathLike[str]) -> list[DemonstrationFile]:
    files = [read_demonstration_file(p) for p in get_demo_files(path)]
    for other in files[1:]:
        difference = spec_difference(other.spec, files[0].spec)
        if difference:
            raise DemonstrationSpecException(
                f"The demonstration {other.path} does not match {files[0].path}: "
                f"{difference}. Keep demonstrations of one behavior in a folder.",
                other.path,
            )
    return files


def _rows(demo: DemonstrationFile, spec: BehaviorSpec) -> dict[AgentBufferKey, np.ndarray]:
    """Row i: step i's observations, action and mask with step i + 1's reward and flags."""
    n = len(demo.pairs)
    if n < 2:
        return {}
    infos = [pair.agent_info for pair in demo.pairs]
    images = [s for s in spec.observation_specs if len(s.shape) == 3]
    channels_first = any(image_channels_first(s) for s in images)
    try:
        decision, terminal = steps_from_proto(infos, spec, channels_first=channels_first)
        actions = actions_from_proto([pair.action_info for pair in demo.pairs], spec.action_spec)
    except UnityException as error:
        raise DemonstrationFileException(
            f"{demo.path} holds a step that does not fit its behavior spec: {error}", demo.path
        ) from error
    done = np.fromiter((info.done for info in infos), dtype=bool, count=n)
    interrupted = np.fromiter((info.max_step_reached for info in infos), dtype=bool, count=n)
    reward = np.empty(n, dtype=np.float32)
    reward[~done], reward[done] = decision.reward, terminal.reward
    columns: dict[AgentBufferKey, np.ndarray] = {}
    for k, obs_spec in enumerate(spec.observation_specs):
        obs = np.empty((n, *obs_spec.shape), dtype=np.float32)
        obs[~done], obs[done] = decision.obs[k], terminal.obs[k]
        columns[obs_key(k)] = obs[:-1]
        columns[obs_key(k, following=True)] = obs[1:]
    columns[BufferKey.CONTINUOUS_ACTION] = actions.continuous[:-1]
    columns[BufferKey.DISCRETE_ACTION] = actions.discrete[:-1]
    if decision.action_mask is not None:
        masked = np.zeros((n, sum(spec.action_spec.discrete_branches)), dtype=bool)
        masked[~done] = np.concatenate(decision.action_mask, axis=1)
        # Terminal steps carry no mask: everything is allowed there.
        columns[BufferKey.ACTION_MASK] = (~masked[:-1]).astype(np.float32)
    columns[BufferKey.ENVIRONMENT_REWARDS] = reward[1:]
    columns[BufferKey.DONE] = done[1:]
    columns[BufferKey.INTERRUPTED] = (done & interrupted)[1:]
    return columns


def _padded(
    columns: dict[AgentBufferKey, np.ndarray], sequence_length: int
) -> dict[AgentBufferKey, np.ndarray]:
    """Each episode (rows up to a done row, and the rest) followed by zero rows up to a
    multiple of sequence_length."""
    done = columns[BufferKey.DONE]
    ends = [int(e) + 1 for e in np.flatnonzero(done)]
    if not ends or ends[-1] != len(done):
        ends.append(len(done))
    index: list[int] = []
    start = 0
    for end in ends:
        index.extend(range(start, end))
        index.extend([-1] * (-(end - start) % sequence_length))
        start = end
    rows = np.asarray(index)
    real = rows >= 0
    padded: dict[AgentBufferKey, np.ndarray] = {}
    for key, column in columns.items():
        fill = np.ones if key == BufferKey.ACTION_MASK else np.zeros
        out = fill((len(rows), *column.shape[1:]), dtype=column.dtype)
        out[real] = column[rows[real]]
        padded[key] = out
    return padded

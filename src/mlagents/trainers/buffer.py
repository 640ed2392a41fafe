"""AgentBuffer: experience as columns of numpy arrays, one row per step, named by typed keys.

A column's key is a `BufferKey`, or a pair of a prefix and an index or a name: the k-th
observation is `(ObservationKeyPrefix.OBSERVATION, k)`, the value estimates of the
extrinsic signal `(RewardSignalKeyPrefix.VALUE_ESTIMATES, "extrinsic")`. Typed keys make a
misspelt column an error at the line that writes it, not an empty column found later.
"""

from __future__ import annotations

import enum
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol

import numpy as np

from mlagents_envs.exception import UnityException


class BufferKey(enum.Enum):
    ACTION_MASK = "action_mask"  # float, 1 = allowed
    CONTINUOUS_ACTION = "continuous_action"
    DISCRETE_ACTION = "discrete_action"
    CONTINUOUS_LOG_PROBS = "continuous_log_probs"  # per continuous dimension
    DISCRETE_LOG_PROBS = "discrete_log_probs"  # per discrete branch
    ENVIRONMENT_REWARDS = "environment_rewards"
    GROUP_REWARD = "group_reward"
    DONE = "done"  # the episode ended at the next step (truly or by max step)
    INTERRUPTED = "interrupted"  # it ended by max step: bootstrap, it did not truly end
    GROUP_ID = "group_id"
    ADVANTAGES = "advantages"  # the reward signals' advantages, averaged
    # Teammates at each step (columns of trajectories that carry their group, padded to a
    # number of teammates: absent ones are all zeros and not GROUPMATE_PRESENT).
    GROUPMATE_PRESENT = "groupmate_present"  # bool, a teammate is in this slot
    NEXT_GROUPMATE_PRESENT = "next_groupmate_present"  # the same after the step
    GROUP_CONTINUOUS_ACTION = "group_continuous_action"
    GROUP_DISCRETE_ACTION = "group_discrete_action"
    GROUPMATE_REWARDS = "groupmate_rewards"  # their individual rewards
    GROUP_DONES = "group_dones"  # their episode ended at the next step


class ObservationKeyPrefix(enum.Enum):
    OBSERVATION = "obs"
    NEXT_OBSERVATION = "next_obs"
    # (rows, teammates, *shape): the teammates' observations at the step and after it.
    GROUP_OBSERVATION = "group_obs"
    NEXT_GROUP_OBSERVATION = "next_group_obs"


class RewardSignalKeyPrefix(enum.Enum):
    REWARDS = "rewards"
    VALUE_ESTIMATES = "value_estimates"
    BASELINE_ESTIMATES = "baseline_estimates"  # POCA's counterfactual baselines
    RETURNS = "returns"
    ADVANTAGE = "advantage"


AgentBufferKey = BufferKey | tuple[ObservationKeyPrefix, int] | tuple[RewardSignalKeyPrefix, str]


class Batch(Protocol):
    """Rows of buffer columns by key: an AgentBuffer, or a minibatch drawn from one."""

    def __getitem__(self, key: AgentBufferKey, /) -> np.ndarray: ...

    def __contains__(self, key: object, /) -> bool: ...


def obs_key(index: int, following: bool = False) -> AgentBufferKey:
    """The key of the index-th observation (following: of the observation after the step)."""
    prefix = (
        ObservationKeyPrefix.NEXT_OBSERVATION if following else ObservationKeyPrefix.OBSERVATION
    )
    return (prefix, index)


def group_obs_key(index: int, following: bool = False) -> AgentBufferKey:
    """The key of the teammates' index-th observations (following: after the step)."""
    prefix = (
        ObservationKeyPrefix.NEXT_GROUP_OBSERVATION
        if following
        else ObservationKeyPrefix.GROUP_OBSERVATION
    )
    return (prefix, index)


#: The columns of a trajectory's teammates (their width is the number of teammates).
GROUP_KEYS = (
    BufferKey.GROUPMATE_PRESENT,
    BufferKey.NEXT_GROUPMATE_PRESENT,
    BufferKey.GROUP_CONTINUOUS_ACTION,
    BufferKey.GROUP_DISCRETE_ACTION,
    BufferKey.GROUPMATE_REWARDS,
    BufferKey.GROUP_DONES,
)


def is_group_key(key: AgentBufferKey) -> bool:
    """Whether key is a teammates' column (one slot per teammate after the row axis)."""
    if isinstance(key, BufferKey):
        return key in GROUP_KEYS
    return key[0] in (
        ObservationKeyPrefix.GROUP_OBSERVATION,
        ObservationKeyPrefix.NEXT_GROUP_OBSERVATION,
    )


def signal_key(prefix: RewardSignalKeyPrefix, signal: str) -> AgentBufferKey:
    return (prefix, signal)


def key_name(key: AgentBufferKey) -> str:
    """A key as text ("obs:0", "value_estimates:extrinsic", "done"), for files and messages."""
    if isinstance(key, BufferKey):
        return key.value
    if isinstance(key, tuple) and len(key) == 2:
        prefix, part = key
        if isinstance(prefix, ObservationKeyPrefix) and isinstance(part, int):
            return f"{prefix.value}:{part}"
        if isinstance(prefix, RewardSignalKeyPrefix) and isinstance(part, str):
            return f"{prefix.value}:{part}"
    raise BufferException(
        f"{key!r} is not a buffer key: use a BufferKey, (ObservationKeyPrefix, index) or "
        "(RewardSignalKeyPrefix, signal name)."
    )


def key_from_name(name: str) -> AgentBufferKey:
    """The key key_name wrote as name."""
    head, sep, part = name.partition(":")
    if not sep:
        return BufferKey(head)
    if head in {p.value for p in ObservationKeyPrefix}:
        return (ObservationKeyPrefix(head), int(part))
    return (RewardSignalKeyPrefix(head), part)


class BufferException(UnityException):
    """Columns of an AgentBuffer disagree (lengths, shapes or dtypes), or a saved buffer
    cannot be read."""


class AgentBuffer:
    """Columns with one row per step. Appending doubles a column's capacity when it is full,
    so that adding trajectories costs amortized O(rows), not a copy each time."""

    def __init__(self) -> None:
        self._data: dict[AgentBufferKey, np.ndarray] = {}
        self._length = 0

    def __len__(self) -> int:
        return self._length

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __getitem__(self, key: AgentBufferKey) -> np.ndarray:
        """The rows of a column (a view: copy it to keep it past the next change)."""
        try:
            return self._data[key][: self._length]
        except KeyError:
            raise KeyError(
                f"The buffer has no column {key_name(key)}; it has "
                f"{sorted(key_name(k) for k in self._data)}."
            ) from None

    def keys(self) -> list[AgentBufferKey]:
        return list(self._data)

    def __iter__(self) -> Iterator[AgentBufferKey]:
        return iter(list(self._data))

    def items(self) -> Iterator[tuple[AgentBufferKey, np.ndarray]]:
        return ((key, self[key]) for key in self._data)

    def count(self, prefix: ObservationKeyPrefix) -> int:
        """How many observation columns of prefix the buffer has."""
        return sum(1 for key in self._data if isinstance(key, tuple) and key[0] == prefix)

    def observations(self, following: bool = False) -> list[np.ndarray]:
        """The observation columns in order (following: the next observations)."""
        prefix = (
            ObservationKeyPrefix.NEXT_OBSERVATION if following else ObservationKeyPrefix.OBSERVATION
        )
        return [self[(prefix, k)] for k in range(self.count(prefix))]

    def extend(self, columns: Mapping[AgentBufferKey, np.ndarray]) -> None:
        """Append rows: every column of the buffer, and only those, with the same length."""
        if not columns:
            return
        lengths = {key_name(key): len(value) for key, value in columns.items()}
        if len(set(lengths.values())) != 1:
            raise BufferException(f"Columns of different lengths: {lengths}.")
        if self._data and set(columns) != set(self._data):
            raise BufferException(
                f"The columns {sorted(lengths)} do not match the buffer's "
                f"{sorted(key_name(k) for k in self._data)}."
            )
        added = next(iter(lengths.values()))
        needed = self._length + added
        for key, value in columns.items():
            value = np.asarray(value)
            column = self._data.get(key)
            if column is None:
                column = np.empty((max(needed, 16), *value.shape[1:]), dtype=value.dtype)
            elif column.shape[1:] != value.shape[1:]:
                raise BufferException(
                    f"Column {key_name(key)} holds rows of shape {column.shape[1:]}, not "
                    f"{value.shape[1:]}."
                )
            elif len(column) < needed:
                grown = np.empty((max(needed, 2 * len(column)), *column.shape[1:]), column.dtype)
                grown[: self._length] = column[: self._length]
                column = grown
            column[self._length : needed] = value
            self._data[key] = column
        self._length = needed

    def add_column(self, key: AgentBufferKey, values: np.ndarray) -> None:
        """Add (or replace) a column with one value per row the buffer has."""
        values = np.asarray(values)
        if len(values) != self._length:
            raise BufferException(
                f"Column {key_name(key)} has {len(values)} rows; the buffer has {self._length}."
            )
        self._data[key] = values.copy()

    def drop(self, key: AgentBufferKey) -> None:
        """Remove a column if it is there."""
        self._data.pop(key, None)

    def truncate(self, max_length: int) -> None:
        """Keep only the last max_length rows (the oldest are dropped)."""
        if self._length <= max_length:
            return
        start = self._length - max_length
        for key, column in self._data.items():
            self._data[key] = column[start : self._length].copy()
        self._length = max_length

    def reset(self) -> None:
        self._data.clear()
        self._length = 0

    def rows(self, rows: np.ndarray) -> dict[AgentBufferKey, np.ndarray]:
        """The given rows of every column."""
        return {key: self[key][rows] for key in self._data}

    def minibatches(
        self, batch_size: int, rng: np.random.Generator, sequence_length: int = 1
    ) -> Iterator[dict[AgentBufferKey, np.ndarray]]:
        """One shuffled pass: minibatches of batch_size rows (the rest, fewer than
        batch_size, is left out). With sequence_length > 1 the buffer is cut into
        consecutive sequences of that many rows, which are shuffled whole and kept in order
        inside: a batch is batch_size // sequence_length sequences, one after another."""
        if sequence_length < 1 or batch_size < sequence_length:
            raise BufferException(
                f"batch_size {batch_size} must be at least sequence_length {sequence_length} "
                "(and that at least 1)."
            )
        n_sequences = self._length // sequence_length
        per_batch = batch_size // sequence_length
        order = rng.permutation(n_sequences)
        offsets = np.arange(sequence_length)
        for start in range(0, n_sequences - per_batch + 1, per_batch):
            chosen = order[start : start + per_batch]
            yield self.rows((chosen[:, None] * sequence_length + offsets).reshape(-1))

    def sample(
        self, batch_size: int, rng: np.random.Generator, sequence_length: int = 1
    ) -> dict[AgentBufferKey, np.ndarray]:
        """batch_size rows drawn at random with replacement (off-policy minibatches), as
        whole sequences of sequence_length rows."""
        n_sequences = self._length // sequence_length
        if n_sequences < 1:
            raise BufferException(
                f"Cannot sample from a buffer of {self._length} rows with sequences of "
                f"{sequence_length}."
            )
        chosen = rng.integers(0, n_sequences, size=max(batch_size // sequence_length, 1))
        offsets = np.arange(sequence_length)
        return self.rows((chosen[:, None] * sequence_length + offsets).reshape(-1))

    def save(self, path: str | Path) -> None:
        """Write the buffer to path (.npz, no pickled objects)."""
        arrays = {key_name(key): column for key, column in self.items()}
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as file:
            np.savez(file, **arrays)  # type: ignore[arg-type]
        tmp.replace(path)

    def load(self, path: str | Path) -> None:
        """Replace the contents with the buffer saved at path."""
        try:
            # Opened here: np.load leaks the file it opened when it is not a zip.
            with Path(path).open("rb") as file, np.load(file, allow_pickle=False) as saved:
                columns = {key_from_name(name): saved[name] for name in saved.files}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            raise BufferException(
                f"Cannot read the saved buffer {path}: {error}; delete it to start with an "
                "empty one."
            ) from None
        self.reset()
        self.extend(columns)

"""AgentBuffer: experience as named columns of numpy arrays that grow by chunks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np


class BufferException(Exception):
    """Columns of an AgentBuffer disagree (lengths, shapes or dtypes)."""


class AgentBuffer:
    """Named columns with one row per step. Appending doubles a column's capacity when it
    is full, so that adding trajectories costs amortized O(rows), not a copy each time."""

    def __init__(self) -> None:
        self._data: dict[str, np.ndarray] = {}
        self._length = 0

    def __len__(self) -> int:
        return self._length

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __getitem__(self, key: str) -> np.ndarray:
        """The rows of a column (a view: copy it to keep it past the next change)."""
        return self._data[key][: self._length]

    def keys(self) -> list[str]:
        return list(self._data)

    def __iter__(self) -> Iterator[str]:
        """The column names."""
        return iter(list(self._data))

    def items(self) -> Iterator[tuple[str, np.ndarray]]:
        return ((key, self[key]) for key in self._data)

    def extend(self, columns: Mapping[str, np.ndarray]) -> None:
        """Append rows: every column of the buffer, and only those, with the same length."""
        if not columns:
            return
        lengths = {key: len(value) for key, value in columns.items()}
        if len(set(lengths.values())) != 1:
            raise BufferException(f"Columns of different lengths: {lengths}.")
        if self._data and set(columns) != set(self._data):
            raise BufferException(
                f"The columns {sorted(columns)} do not match the buffer's {sorted(self._data)}."
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
                    f"Column {key!r} holds rows of shape {column.shape[1:]}, not {value.shape[1:]}."
                )
            elif len(column) < needed:
                grown = np.empty((max(needed, 2 * len(column)), *column.shape[1:]), column.dtype)
                grown[: self._length] = column[: self._length]
                column = grown
            column[self._length : needed] = value
            self._data[key] = column
        self._length = needed

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

    def shuffled_minibatches(
        self, batch_size: int, rng: np.random.Generator
    ) -> Iterator[dict[str, np.ndarray]]:
        """Minibatches of batch_size rows in a random order (the last one may be smaller)."""
        order = rng.permutation(self._length)
        for start in range(0, self._length, batch_size):
            rows = order[start : start + batch_size]
            yield {key: self[key][rows] for key in self._data}

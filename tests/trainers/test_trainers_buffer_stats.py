"""AgentBuffer columns and the statistics reporter with its writers."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from mlagents.trainers.buffer import (
    AgentBuffer,
    BufferException,
    BufferKey,
    RewardSignalKeyPrefix,
    key_from_name,
    key_name,
    obs_key,
    signal_key,
)
from mlagents.trainers.stats import (
    ConsoleWriter,
    StatsReporter,
    StatsSummary,
    StatsWriter,
    TensorboardWriter,
)
from mlagents_envs.side_channel.stats_side_channel import StatsAggregationMethod

OBS = obs_key(0)
DONE = BufferKey.DONE
A, B = BufferKey.CONTINUOUS_ACTION, BufferKey.DISCRETE_ACTION


def test_buffer_grows_by_chunks_and_keeps_rows() -> None:
    buffer = AgentBuffer()
    for k in range(50):
        buffer.extend({OBS: np.full((3, 2), k, np.float32), DONE: np.zeros(3, bool)})
    assert len(buffer) == 150
    assert buffer[OBS].shape == (150, 2) and buffer[OBS].dtype == np.float32
    assert buffer[OBS][::3, 0].tolist() == list(range(50))
    buffer.truncate(6)
    assert buffer[OBS][:, 0].tolist() == [48, 48, 48, 49, 49, 49]


def test_buffer_refuses_mismatched_columns() -> None:
    buffer = AgentBuffer()
    buffer.extend({A: np.zeros((2, 3)), B: np.zeros(2)})
    with pytest.raises(BufferException, match="lengths"):
        buffer.extend({A: np.zeros((2, 3)), B: np.zeros(3)})
    with pytest.raises(BufferException, match="do not match"):
        buffer.extend({A: np.zeros((2, 3))})
    with pytest.raises(BufferException, match=r"\(3,\)"):
        buffer.extend({A: np.zeros((2, 4)), B: np.zeros(2)})
    assert len(buffer) == 2


def test_buffer_keys_are_typed() -> None:
    buffer = AgentBuffer()
    with pytest.raises(BufferException, match="'returns' is not a buffer key"):
        buffer.extend({"returns": np.zeros(2)})  # type: ignore[dict-item]
    with pytest.raises(BufferException, match="not a buffer key"):
        buffer.extend({(RewardSignalKeyPrefix.RETURNS, 0): np.zeros(2)})  # type: ignore[dict-item]
    buffer.extend({signal_key(RewardSignalKeyPrefix.RETURNS, "extrinsic"): np.zeros(2)})
    with pytest.raises(KeyError, match=r"no column obs:0; it has \['returns:extrinsic'\]"):
        buffer[OBS]
    assert [key_from_name(key_name(k)) for k in buffer] == list(buffer)


def test_minibatches_cover_rows_once_and_leave_out_the_rest() -> None:
    buffer = AgentBuffer()
    buffer.extend({A: np.arange(10), B: np.arange(10) * 2})
    batches = list(buffer.minibatches(4, np.random.default_rng(0)))
    assert [len(b[A]) for b in batches] == [4, 4]
    seen = np.concatenate([b[A] for b in batches])
    assert len(set(seen.tolist())) == 8 and seen.tolist() != sorted(seen.tolist())
    for b in batches:
        assert (b[B] == b[A] * 2).all()


def test_minibatches_and_samples_keep_sequences_whole() -> None:
    buffer = AgentBuffer()
    buffer.extend({A: np.arange(24)})
    batches = list(buffer.minibatches(8, np.random.default_rng(1), sequence_length=4))
    assert len(batches) == 3
    for batch in batches:
        for sequence in batch[A].reshape(-1, 4):
            assert sequence[0] % 4 == 0 and np.diff(sequence).tolist() == [1, 1, 1]
    sample = buffer.sample(12, np.random.default_rng(2), sequence_length=4)[A].reshape(-1, 4)
    assert len(sample) == 3 and all(s[0] % 4 == 0 and s[3] == s[0] + 3 for s in sample)
    with pytest.raises(BufferException, match="at least sequence_length"):
        next(buffer.minibatches(2, np.random.default_rng(0), sequence_length=4))


def test_buffer_saves_and_loads_without_pickle(tmp_path: Path) -> None:
    buffer = AgentBuffer()
    buffer.extend(
        {
            OBS: np.random.default_rng(0).random((5, 3)).astype(np.float32),
            obs_key(0, following=True): np.ones((5, 3), np.float32),
            signal_key(RewardSignalKeyPrefix.REWARDS, "extrinsic"): np.arange(5.0),
            DONE: np.array([0, 0, 1, 0, 1], bool),
        }
    )
    path = tmp_path / "replay.npz"
    buffer.save(path)
    loaded = AgentBuffer()
    loaded.load(path)
    assert len(loaded) == 5 and set(loaded) == set(buffer)
    for key in buffer:
        assert np.array_equal(loaded[key], buffer[key]) and loaded[key].dtype == buffer[key].dtype
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(BufferException, match=r"replay.npz.*delete it"):
        loaded.load(path)
    assert len(loaded) == 5  # a failed load leaves the buffer as it was


class ListWriter(StatsWriter):
    def __init__(self) -> None:
        self.written: list[tuple[str, dict, int]] = []

    def write_stats(self, category, values, step) -> None:  # type: ignore[no-untyped-def]
        self.written.append((category, dict(values), step))


@pytest.fixture
def writer():  # type: ignore[no-untyped-def]
    StatsReporter.remove_writers()
    writer = ListWriter()
    StatsReporter.add_writer(writer)
    yield writer
    StatsReporter.remove_writers()


def test_reporter_aggregates_by_method(writer: ListWriter) -> None:
    reporter = StatsReporter("3DBall")
    for value in (1.0, 2.0, 3.0):
        reporter.add_stat("Environment/Cumulative Reward", value)
        reporter.add_stat("Goals", value, StatsAggregationMethod.SUM)
        reporter.add_stat("Last", value, StatsAggregationMethod.MOST_RECENT)
    reporter.write_stats(1000)
    category, values, step = writer.written[0]
    assert (category, step) == ("3DBall", 1000)
    assert values["Environment/Cumulative Reward"].value == 2.0
    assert values["Environment/Cumulative Reward"].std == pytest.approx(np.std([1, 2, 3]))
    assert values["Goals"].value == 6.0 and values["Last"].value == 3.0
    reporter.write_stats(2000)  # nothing new since the last write
    assert writer.written[1][1] == {}
    assert StatsSummary.empty().num == 0


def test_console_writer_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="mlagents.trainers.stats"):
        ConsoleWriter().write_stats(
            "3DBall", {"Environment/Cumulative Reward": StatsSummary([1.0, 3.0])}, 12000
        )
        ConsoleWriter().write_stats("3DBall", {}, 13000)
        group = {
            "Environment/Cumulative Reward": StatsSummary([0.0, 0.0]),
            "Environment/Group Cumulative Reward": StatsSummary([1.5, 2.5]),
        }
        ConsoleWriter().write_stats("PushBlock", group, 14000)
    assert "PushBlock. Step: 14000." in caplog.text
    assert "Mean Reward: 0.000. Mean Group Reward: 2.000." in caplog.text
    assert "3DBall. Step: 12000." in caplog.text
    assert "Mean Reward: 2.000. Std of Reward: 1.000." in caplog.text
    assert "No episode was completed since last summary." in caplog.text


def test_tensorboard_writer_writes_events(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    writer = TensorboardWriter(str(tmp_path))
    writer.write_stats("3DBall", {"Environment/Cumulative Reward": StatsSummary([1.0, 3.0])}, 500)
    writer.close()
    events = EventAccumulator(str(tmp_path / "3DBall"))
    events.Reload()
    (scalar,) = events.Scalars("Environment/Cumulative Reward")
    assert (scalar.step, scalar.value) == (500, 2.0)

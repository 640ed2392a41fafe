"""AgentBuffer columns and the statistics reporter with its writers."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from mlagents.trainers.buffer import AgentBuffer, BufferException
from mlagents.trainers.stats import (
    ConsoleWriter,
    StatsReporter,
    StatsSummary,
    StatsWriter,
    TensorboardWriter,
)
from mlagents_envs.side_channel.stats_side_channel import StatsAggregationMethod


def test_buffer_grows_by_chunks_and_keeps_rows() -> None:
    buffer = AgentBuffer()
    for k in range(50):
        buffer.extend({"obs": np.full((3, 2), k, np.float32), "done": np.zeros(3, bool)})
    assert len(buffer) == 150
    assert buffer["obs"].shape == (150, 2) and buffer["obs"].dtype == np.float32
    assert buffer["obs"][::3, 0].tolist() == list(range(50))
    buffer.truncate(6)
    assert buffer["obs"][:, 0].tolist() == [48, 48, 48, 49, 49, 49]


def test_buffer_refuses_mismatched_columns() -> None:
    buffer = AgentBuffer()
    buffer.extend({"a": np.zeros((2, 3)), "b": np.zeros(2)})
    with pytest.raises(BufferException, match="lengths"):
        buffer.extend({"a": np.zeros((2, 3)), "b": np.zeros(3)})
    with pytest.raises(BufferException, match="do not match"):
        buffer.extend({"a": np.zeros((2, 3))})
    with pytest.raises(BufferException, match=r"\(3,\)"):
        buffer.extend({"a": np.zeros((2, 4)), "b": np.zeros(2)})
    assert len(buffer) == 2


def test_shuffled_minibatches_cover_every_row_once() -> None:
    buffer = AgentBuffer()
    buffer.extend({"x": np.arange(10), "y": np.arange(10) * 2})
    batches = list(buffer.shuffled_minibatches(4, np.random.default_rng(0)))
    assert [len(b["x"]) for b in batches] == [4, 4, 2]
    seen = np.concatenate([b["x"] for b in batches])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    for b in batches:
        assert (b["y"] == b["x"] * 2).all()


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

"""StatsSideChannel decodes statistics the environment sends."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Mapping

import pytest

from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel import IncomingMessage
from mlagents_envs.side_channel.raw_bytes_channel import RawBytesChannel
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager
from mlagents_envs.side_channel.stats_side_channel import (
    EnvironmentStats,
    StatsAggregationMethod,
    StatsSideChannel,
)

CHANNEL_ID = uuid.UUID("a1d8f7b7-cec8-50f9-b78b-d3e165a78520")


def stat(key: str, value: float, method: int) -> bytes:
    return struct.pack("<i", len(key)) + key.encode("ascii") + struct.pack("<fi", value, method)


def test_channel_id_and_enum():
    assert StatsSideChannel().channel_id == CHANNEL_ID
    assert {m.name: m.value for m in StatsAggregationMethod} == {
        "AVERAGE": 0,
        "MOST_RECENT": 1,
        "SUM": 2,
        "HISTOGRAM": 3,
    }


def test_environment_stats_alias_is_exported():
    stats: EnvironmentStats = {"k": [(1.0, StatsAggregationMethod.SUM)]}
    assert EnvironmentStats == Mapping[str, list[tuple[float, StatsAggregationMethod]]]
    assert stats["k"][0][1] is StatsAggregationMethod.SUM


def test_messages_accumulate_per_key_in_order():
    channel = StatsSideChannel()
    channel.on_message_received(IncomingMessage(stat("reward", 1.5, 0)))
    channel.on_message_received(IncomingMessage(stat("reward", -2.0, 0)))
    channel.on_message_received(IncomingMessage(stat("size", 3.0, 3)))
    assert channel.get_and_reset_stats() == {
        "reward": [(1.5, StatsAggregationMethod.AVERAGE), (-2.0, StatsAggregationMethod.AVERAGE)],
        "size": [(3.0, StatsAggregationMethod.HISTOGRAM)],
    }


def test_get_and_reset_starts_afresh():
    channel = StatsSideChannel()
    channel.on_message_received(IncomingMessage(stat("k", 1.0, 2)))
    first = channel.get_and_reset_stats()
    assert first == {"k": [(1.0, StatsAggregationMethod.SUM)]}
    assert channel.get_and_reset_stats() == {}
    assert first == {"k": [(1.0, StatsAggregationMethod.SUM)]}


def test_all_four_methods_through_a_manager():
    # The environment end is played by a RawBytesChannel on the stats id.
    env_end = RawBytesChannel(CHANNEL_ID)
    for index in range(4):
        env_end.send_raw_data(stat("m", float(index), index))
    data = SideChannelManager([env_end]).generate_side_channel_messages()
    channel = StatsSideChannel()
    SideChannelManager([channel]).process_side_channel_message(bytes(data))
    assert channel.get_and_reset_stats() == {
        "m": [(float(i), StatsAggregationMethod(i)) for i in range(4)]
    }


def test_unknown_aggregation_names_value_and_key_and_keeps_earlier_stats():
    channel = StatsSideChannel()
    channel.on_message_received(IncomingMessage(stat("kept", 1.0, 1)))
    with pytest.raises(UnitySideChannelException) as info:
        channel.on_message_received(IncomingMessage(stat("bad.key", 2.0, 7)))
    text = str(info.value)
    assert "aggregation method 7" in text
    assert "'bad.key'" in text
    assert channel.get_and_reset_stats() == {"kept": [(1.0, StatsAggregationMethod.MOST_RECENT)]}

"""StatsSideChannel: receives (key, value, aggregation) statistics from the environment."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from enum import Enum

from mlagents_envs.exception import UnitySideChannelValueException
from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.side_channel import SideChannel

STATS_SIDE_CHANNEL_ID = uuid.UUID("a1d8f7b7-cec8-50f9-b78b-d3e165a78520")


class StatsAggregationMethod(Enum):
    """How a trainer should combine the values of one key over a summary period."""

    AVERAGE = 0
    MOST_RECENT = 1
    SUM = 2
    HISTOGRAM = 3


StatList = list[tuple[float, StatsAggregationMethod]]
"""The values received for one key, in order, each with the aggregation asked for."""

EnvironmentStats = Mapping[str, StatList]
"""Values received per key, in order, each with the aggregation the environment asked for."""


class StatsSideChannel(SideChannel):
    """Environment -> Python: statistics to pass on to a StatsReporter.

    Message: string key, float32 value, int32 StatsAggregationMethod.
    """

    def __init__(self) -> None:
        super().__init__(STATS_SIDE_CHANNEL_ID)
        self._stats: defaultdict[str, StatList]
        self._stats = defaultdict(list)

    def on_message_received(self, msg: IncomingMessage) -> None:
        """Store the statistic until get_and_reset_stats is called."""
        key = msg.read_string()
        value = msg.read_float32()
        raw_method = msg.read_int32()
        try:
            method = StatsAggregationMethod(raw_method)
        except ValueError:
            known = ", ".join(f"{m.value}={m.name}" for m in StatsAggregationMethod)
            raise UnitySideChannelValueException(
                f"The environment sent the statistic {key!r} = {value} with aggregation "
                f"method {raw_method}, which is not one of {known}. Check the environment's "
                "StatsRecorder calls: the statistic was not recorded."
            ) from None
        self._stats[key].append((value, method))

    @property
    def stats(self) -> EnvironmentStats:
        """The statistics received since the last get_and_reset_stats (ML-Agents' name)."""
        return self._stats

    def get_and_reset_stats(self) -> EnvironmentStats:
        """Every statistic received since the last call, by key; then start afresh."""
        stats, self._stats = self._stats, defaultdict(list)
        return dict(stats)

"""Statistics: a reporter per category (usually a behavior) and pluggable writers.

Keys follow the names ML-Agents users know from TensorBoard: "Environment/Cumulative
Reward", "Environment/Episode Length", "Policy/...", "Losses/...", and the environment's
own statistics under the keys it sends.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlagents_envs.side_channel.stats_side_channel import StatsAggregationMethod

logger = logging.getLogger(__name__)


@dataclass
class StatsSummary:
    """What was recorded for one key since the last write, and how to aggregate it."""

    full_dist: list[float] = field(default_factory=list)
    aggregation_method: StatsAggregationMethod = StatsAggregationMethod.AVERAGE

    @property
    def num(self) -> int:
        return len(self.full_dist)

    @property
    def mean(self) -> float:
        return float(np.mean(self.full_dist)) if self.full_dist else math.nan

    @property
    def std(self) -> float:
        return float(np.std(self.full_dist)) if self.full_dist else math.nan

    @property
    def sum(self) -> float:
        return float(np.sum(self.full_dist))

    @property
    def value(self) -> float:
        """The one number to write, by the key's aggregation method."""
        method = self.aggregation_method
        if method == StatsAggregationMethod.MOST_RECENT:
            return self.full_dist[-1] if self.full_dist else math.nan
        if method == StatsAggregationMethod.SUM:
            return self.sum
        return self.mean

    @staticmethod
    def empty() -> StatsSummary:
        return StatsSummary()


class StatsWriter(ABC):
    """Somewhere statistics go: the console, TensorBoard, a test's list."""

    @abstractmethod
    def write_stats(self, category: str, values: Mapping[str, StatsSummary], step: int) -> None:
        """Write the summaries of one category at a training step."""

    def add_property(self, category: str, key: str, value: Any) -> None:  # noqa: B027
        """Record a property of the run (hyperparameters, for example); optional."""

    def close(self) -> None:  # noqa: B027
        """Flush and release; optional."""


class StatsReporter:
    """Collects statistics of one category and hands them to every writer on write_stats.

    Writers are shared by all reporters (as in ML-Agents): add them once per run.
    """

    writers: list[StatsWriter] = []
    _lock = threading.Lock()

    def __init__(self, category: str) -> None:
        self.category = category
        self._stats: defaultdict[str, StatsSummary] = defaultdict(StatsSummary)

    @staticmethod
    def add_writer(writer: StatsWriter) -> None:
        with StatsReporter._lock:
            StatsReporter.writers.append(writer)

    @staticmethod
    def remove_writers() -> None:
        with StatsReporter._lock:
            for writer in StatsReporter.writers:
                writer.close()
            StatsReporter.writers = []

    def add_stat(
        self,
        key: str,
        value: float,
        aggregation: StatsAggregationMethod = StatsAggregationMethod.AVERAGE,
    ) -> None:
        with self._lock:
            summary = self._stats[key]
            summary.aggregation_method = aggregation
            summary.full_dist.append(float(value))

    def set_stat(self, key: str, value: float) -> None:
        with self._lock:
            self._stats[key] = StatsSummary([float(value)], StatsAggregationMethod.MOST_RECENT)

    def add_property(self, key: str, value: Any) -> None:
        with self._lock:
            for writer in StatsReporter.writers:
                writer.add_property(self.category, key, value)

    def get_stats_summaries(self, key: str) -> StatsSummary:
        with self._lock:
            return self._stats.get(key, StatsSummary.empty())

    def write_stats(self, step: int) -> None:
        """Give every writer what was recorded since the last write, then start afresh."""
        with self._lock:
            values = dict(self._stats)
            self._stats = defaultdict(StatsSummary)
            for writer in StatsReporter.writers:
                writer.write_stats(self.category, values, step)


class ConsoleWriter(StatsWriter):
    """One summary line per category and write: step, time, mean and std of reward (the
    mean group reward instead of the std where there are groups)."""

    def __init__(self) -> None:
        self._start = time.monotonic()

    def write_stats(self, category: str, values: Mapping[str, StatsSummary], step: int) -> None:
        elapsed = time.monotonic() - self._start
        reward = values.get("Environment/Cumulative Reward")
        group = values.get("Environment/Group Cumulative Reward")
        if reward is not None and reward.num and group is not None and group.num:
            # A group environment pays its rewards to the group (PushBlock): the group's
            # reward says how training goes, as ML-Agents' console shows it.
            summary = f"Mean Reward: {reward.mean:.3f}. Mean Group Reward: {group.mean:.3f}."
        elif reward is not None and reward.num:
            summary = f"Mean Reward: {reward.mean:.3f}. Std of Reward: {reward.std:.3f}."
        else:
            summary = "No episode was completed since last summary."
        elo = values.get("Self-play/ELO")
        if elo is not None and elo.num:
            summary += f" ELO: {elo.mean:.3f}."
        logger.info("%s. Step: %d. Time Elapsed: %.3f s. %s", category, step, elapsed, summary)


class TensorboardWriter(StatsWriter):
    """TensorBoard event files, one folder per category under base_dir."""

    def __init__(self, base_dir: str) -> None:
        from torch.utils.tensorboard import SummaryWriter  # only trainers need torch

        self._base_dir = base_dir
        self._writer_class = SummaryWriter
        self._writers: dict[str, Any] = {}

    def _writer(self, category: str) -> Any:
        if category not in self._writers:
            self._writers[category] = self._writer_class(f"{self._base_dir}/{category}")
        return self._writers[category]

    def write_stats(self, category: str, values: Mapping[str, StatsSummary], step: int) -> None:
        writer = self._writer(category)
        for key, summary in values.items():
            if summary.num:
                writer.add_scalar(key, summary.value, step)
                if summary.aggregation_method == StatsAggregationMethod.HISTOGRAM:
                    writer.add_histogram(key, np.asarray(summary.full_dist), step)
        writer.flush()

    def add_property(self, category: str, key: str, value: Any) -> None:
        self._writer(category).add_text(key, str(value))

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()

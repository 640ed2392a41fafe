"""Side channels on the environment end of the wire.

Python sends engine settings, environment parameters (values or samplers) and float
properties; the environment sends statistics and float properties. Each receiver here reads
the payload layout of PROTOCOL.md and keeps what it read where a simulation can use it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel.default_training_analytics_side_channel import (
    TRAINING_ANALYTICS_CHANNEL_ID,
    TrainingAnalyticsMessage,
    unpack_training_analytics,
)
from mlagents_envs.side_channel.engine_configuration_channel import (
    ENGINE_CONFIGURATION_CHANNEL_ID,
    ConfigurationType,
)
from mlagents_envs.side_channel.environment_parameters_channel import (
    ENVIRONMENT_PARAMETERS_CHANNEL_ID,
    EnvironmentDataTypes,
    SamplerTypes,
)
from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage
from mlagents_envs.side_channel.side_channel import SideChannel
from mlagents_envs.side_channel.stats_side_channel import (
    STATS_SIDE_CHANNEL_ID,
    StatsAggregationMethod,
)

logger = logging.getLogger(__name__)


class Sampler:
    """A distribution a parameter is drawn from anew each time it is read; seeded."""

    def __init__(self, kind: SamplerTypes, seed: int, args: Sequence[float]) -> None:
        self.kind = kind
        self.args = tuple(args)
        self._rng = np.random.default_rng(seed & 0xFFFFFFFF)
        if kind == SamplerTypes.MULTIRANGEUNIFORM:
            pairs = np.asarray(self.args, dtype=np.float64).reshape(-1, 2)
            widths = pairs[:, 1] - pairs[:, 0]
            self._pairs = pairs
            self._weights = widths / widths.sum() if widths.sum() > 0 else None

    def sample(self) -> float:
        if self.kind == SamplerTypes.UNIFORM:
            low, high = self.args
            return float(self._rng.uniform(low, high))
        if self.kind == SamplerTypes.GAUSSIAN:
            mean, stdev = self.args
            return float(self._rng.normal(mean, stdev))
        index = int(self._rng.choice(len(self._pairs), p=self._weights))
        low, high = self._pairs[index]
        return float(self._rng.uniform(low, high))

    def __repr__(self) -> str:
        return f"Sampler({self.kind.name}, {list(self.args)})"


class EnvironmentParameters:
    """Parameters set from Python, read by the simulation with a default (as
    `Academy.Instance.EnvironmentParameters.GetWithDefault` does in Unity)."""

    def __init__(self) -> None:
        self._values: dict[str, float | Sampler] = {}

    def set(self, key: str, value: float | Sampler) -> None:
        self._values[key] = value

    def get(self, key: str, default: float) -> float:
        """The value of key: a fixed value, a new draw of its sampler, or default."""
        value = self._values.get(key)
        if value is None:
            return default
        if isinstance(value, Sampler):
            return value.sample()
        return value

    def keys(self) -> list[str]:
        return list(self._values)


@dataclass(frozen=True)
class Stat:
    key: str
    value: float
    aggregation: StatsAggregationMethod


class StatsRecorder:
    """Statistics the simulation records; sent to Python with the next output."""

    def __init__(self) -> None:
        self.pending: list[Stat] = []

    def add(
        self,
        key: str,
        value: float,
        aggregation: StatsAggregationMethod = StatsAggregationMethod.AVERAGE,
    ) -> None:
        self.pending.append(Stat(key, float(value), StatsAggregationMethod(aggregation)))


@dataclass
class EngineSettings:
    """The engine configuration last received (defaults are those of PROTOCOL.md)."""

    width: int = 80
    height: int = 80
    quality_level: int = 1
    time_scale: float = 20.0
    target_frame_rate: int = -1
    capture_frame_rate: int = 60


class EngineConfigurationReceiver(SideChannel):
    def __init__(self, settings: EngineSettings) -> None:
        super().__init__(ENGINE_CONFIGURATION_CHANNEL_ID)
        self.settings = settings

    def on_message_received(self, msg: IncomingMessage) -> None:
        kind = msg.read_int32(-1)
        s = self.settings
        if kind == ConfigurationType.SCREEN_RESOLUTION:
            s.width, s.height = msg.read_int32(s.width), msg.read_int32(s.height)
        elif kind == ConfigurationType.QUALITY_LEVEL:
            s.quality_level = msg.read_int32(s.quality_level)
        elif kind == ConfigurationType.TIME_SCALE:
            s.time_scale = msg.read_float32(s.time_scale)
        elif kind == ConfigurationType.TARGET_FRAME_RATE:
            s.target_frame_rate = msg.read_int32(s.target_frame_rate)
        elif kind == ConfigurationType.CAPTURE_FRAME_RATE:
            s.capture_frame_rate = msg.read_int32(s.capture_frame_rate)
        else:
            logger.warning("Ignoring an engine configuration message of unknown type %d.", kind)
            return
        logger.debug("Engine configuration: %s", s)


class EnvironmentParametersReceiver(SideChannel):
    def __init__(self, parameters: EnvironmentParameters) -> None:
        super().__init__(ENVIRONMENT_PARAMETERS_CHANNEL_ID)
        self.parameters = parameters

    def on_message_received(self, msg: IncomingMessage) -> None:
        key = msg.read_string()
        kind = msg.read_int32(-1)
        if kind == EnvironmentDataTypes.FLOAT:
            self.parameters.set(key, msg.read_float32())
        elif kind == EnvironmentDataTypes.SAMPLER:
            seed = msg.read_int32()
            sampler = msg.read_int32(-1)
            if sampler == SamplerTypes.MULTIRANGEUNIFORM:
                args = msg.read_float32_list()
                if not args or len(args) % 2:
                    logger.warning("Ignoring parameter %r: %d range bounds.", key, len(args))
                    return
            elif sampler in (SamplerTypes.UNIFORM, SamplerTypes.GAUSSIAN):
                args = [msg.read_float32(), msg.read_float32()]
            else:
                logger.warning("Ignoring parameter %r: unknown sampler %d.", key, sampler)
                return
            self.parameters.set(key, Sampler(SamplerTypes(sampler), seed, args))
        else:
            logger.warning("Ignoring parameter %r: unknown data type %d.", key, kind)


class StatsSender(SideChannel):
    """Frames the recorder's statistics: string key, float32 value, int32 aggregation."""

    def __init__(self, recorder: StatsRecorder) -> None:
        super().__init__(STATS_SIDE_CHANNEL_ID)
        self.recorder = recorder

    def on_message_received(self, msg: IncomingMessage) -> None:
        logger.warning("Ignoring a stats message sent to the environment: stats flow out.")

    def flush(self) -> None:
        for stat in self.recorder.pending:
            if not math.isfinite(stat.value):
                logger.warning(
                    "Dropping stat %r: its value %r is not finite.", stat.key, stat.value
                )
                continue
            msg = OutgoingMessage()
            msg.write_string(stat.key)
            msg.write_float32(stat.value)
            msg.write_int32(stat.aggregation.value)
            self.queue_message_to_send(msg)
        self.recorder.pending.clear()


class TrainingAnalyticsReceiver(SideChannel):
    """Keeps the analytics messages of the trainer (Unity logs them; nothing else uses them)."""

    def __init__(self) -> None:
        super().__init__(TRAINING_ANALYTICS_CHANNEL_ID)
        self.messages: list[TrainingAnalyticsMessage] = []

    def on_message_received(self, msg: IncomingMessage) -> None:
        try:
            self.messages.append(unpack_training_analytics(msg.get_raw_bytes()))
        except UnitySideChannelException as error:
            logger.warning("Ignoring a training analytics message: %s", error)

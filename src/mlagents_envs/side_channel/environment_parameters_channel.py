"""EnvironmentParametersChannel: sends float parameters and samplers to the environment."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import IntEnum

from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage
from mlagents_envs.side_channel.side_channel import SendOnlySideChannel

ENVIRONMENT_PARAMETERS_CHANNEL_ID = uuid.UUID("534c891e-810f-11ea-a9d0-822485860400")


class EnvironmentDataTypes(IntEnum):
    """What follows the key of a parameter message: a value, or a sampler."""

    FLOAT = 0
    SAMPLER = 1


class SamplerTypes(IntEnum):
    """The distribution the environment draws a sampled parameter from."""

    UNIFORM = 0
    GAUSSIAN = 1
    MULTIRANGEUNIFORM = 2


class EnvironmentParametersChannel(SendOnlySideChannel):
    """Python -> environment: parameters that the environment reads by key.

    Message: string key, int32 EnvironmentDataTypes, then for FLOAT a float32 value, for
    SAMPLER an int32 seed, an int32 SamplerTypes and the sampler's float32 arguments.
    """

    carries = "environment parameters"
    # ML-Agents nests the enums in the class: scripts write
    # EnvironmentParametersChannel.EnvironmentDataTypes.FLOAT.
    EnvironmentDataTypes = EnvironmentDataTypes
    SamplerTypes = SamplerTypes

    def __init__(self) -> None:
        super().__init__(ENVIRONMENT_PARAMETERS_CHANNEL_ID)

    def set_float_parameter(self, key: str, value: float) -> None:
        """Set parameter key to value in the environment at the next step."""
        msg = OutgoingMessage()
        msg.write_string(key)
        msg.write_int32(EnvironmentDataTypes.FLOAT)
        msg.write_float32(value)
        self.queue_message_to_send(msg)

    def set_uniform_sampler_parameters(
        self, key: str, min_value: float, max_value: float, seed: int
    ) -> None:
        """Have the environment draw key uniformly from [min_value, max_value]."""
        if min_value > max_value:
            raise UnitySideChannelException(
                f"The uniform sampler for {key!r} has min_value={min_value} greater than "
                f"max_value={max_value}: pass min_value <= max_value."
            )
        msg = _sampler_message(key, seed, SamplerTypes.UNIFORM)
        msg.write_float32(min_value)
        msg.write_float32(max_value)
        self.queue_message_to_send(msg)

    def set_gaussian_sampler_parameters(
        self, key: str, mean: float, st_dev: float, seed: int
    ) -> None:
        """Have the environment draw key from a normal distribution N(mean, st_dev**2)."""
        if st_dev < 0:
            raise UnitySideChannelException(
                f"The gaussian sampler for {key!r} has a negative standard deviation "
                f"st_dev={st_dev} (mean={mean}): pass st_dev >= 0."
            )
        msg = _sampler_message(key, seed, SamplerTypes.GAUSSIAN)
        msg.write_float32(mean)
        msg.write_float32(st_dev)
        self.queue_message_to_send(msg)

    def set_multirangeuniform_sampler_parameters(
        self, key: str, intervals: Sequence[tuple[float, float]], seed: int
    ) -> None:
        """Have the environment draw key uniformly from the union of (min, max) intervals."""
        if len(intervals) == 0:
            raise UnitySideChannelException(
                f"The multirange uniform sampler for {key!r} has no intervals: pass at least "
                "one (min, max) pair."
            )
        flattened: list[float] = []
        for index, interval in enumerate(intervals):
            if len(interval) != 2:
                raise UnitySideChannelException(
                    f"Interval {index} of the multirange uniform sampler for {key!r} is "
                    f"{interval!r}: each interval must be a (min, max) pair."
                )
            low, high = interval
            if low > high:
                raise UnitySideChannelException(
                    f"Interval {index} of the multirange uniform sampler for {key!r} is "
                    f"({low}, {high}), whose min is greater than its max: pass (min, max) "
                    "with min <= max."
                )
            flattened += (low, high)
        msg = _sampler_message(key, seed, SamplerTypes.MULTIRANGEUNIFORM)
        msg.write_float32_list(flattened)
        self.queue_message_to_send(msg)


def _sampler_message(key: str, seed: int, sampler: SamplerTypes) -> OutgoingMessage:
    msg = OutgoingMessage()
    msg.write_string(key)
    msg.write_int32(EnvironmentDataTypes.SAMPLER)
    msg.write_int32(seed)
    msg.write_int32(sampler)
    return msg

"""EngineConfigurationChannel: sets resolution, quality, time scale and frame rates."""

from __future__ import annotations

import uuid
from enum import IntEnum
from typing import NamedTuple

from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage
from mlagents_envs.side_channel.side_channel import SendOnlySideChannel

ENGINE_CONFIGURATION_CHANNEL_ID = uuid.UUID("e951342c-4f7e-11ea-b238-784f4387d1f7")


class EngineConfig(NamedTuple):
    """Engine settings; a None field is left as the environment has it."""

    width: int | None
    height: int | None
    quality_level: int | None
    time_scale: float | None
    target_frame_rate: int | None
    capture_frame_rate: int | None

    @staticmethod
    def default_config() -> EngineConfig:
        """The settings ML-Agents trains with: 80x80, quality 1, 20x time, unlimited fps."""
        return EngineConfig(80, 80, 1, 20.0, -1, 60)


class ConfigurationType(IntEnum):
    """The int32 that opens each engine configuration message."""

    SCREEN_RESOLUTION = 0
    QUALITY_LEVEL = 1
    TIME_SCALE = 2
    TARGET_FRAME_RATE = 3
    CAPTURE_FRAME_RATE = 4


class EngineConfigurationChannel(SendOnlySideChannel):
    """Python -> environment: one message per engine setting that is given.

    The settings are width and height (together), quality_level, time_scale (a multiplier
    of the simulation's delta time), target_frame_rate and capture_frame_rate.
    """

    carries = "engine configuration"
    # ML-Agents nests the enum in the class: EngineConfigurationChannel.ConfigurationType.
    ConfigurationType = ConfigurationType

    def __init__(self) -> None:
        super().__init__(ENGINE_CONFIGURATION_CHANNEL_ID)

    def set_configuration_parameters(
        self,
        width: int | None = None,
        height: int | None = None,
        quality_level: int | None = None,
        time_scale: float | None = None,
        target_frame_rate: int | None = None,
        capture_frame_rate: int | None = None,
    ) -> None:
        """Queue the given settings for the next step; None leaves a setting unchanged.

        width and height make one screen resolution message: give both or neither.
        """
        if (width is None) != (height is None):
            raise UnitySideChannelException(
                f"The screen resolution needs both width and height, got width={width} and "
                f"height={height}: pass both, or neither to keep the current resolution."
            )
        # Every message is built before any is queued, so a bad value queues nothing.
        messages: list[OutgoingMessage] = []
        if width is not None and height is not None:
            messages.append(_message(ConfigurationType.SCREEN_RESOLUTION, width, height))
        if quality_level is not None:
            messages.append(_message(ConfigurationType.QUALITY_LEVEL, quality_level))
        if time_scale is not None:
            msg = _message(ConfigurationType.TIME_SCALE)
            msg.write_float32(time_scale)
            messages.append(msg)
        if target_frame_rate is not None:
            messages.append(_message(ConfigurationType.TARGET_FRAME_RATE, target_frame_rate))
        if capture_frame_rate is not None:
            messages.append(_message(ConfigurationType.CAPTURE_FRAME_RATE, capture_frame_rate))
        for msg in messages:
            self.queue_message_to_send(msg)

    def set_configuration(self, config: EngineConfig) -> None:
        """Queue every non-None setting of config for the next step."""
        self.set_configuration_parameters(**config._asdict())


def _message(kind: ConfigurationType, *int32s: int) -> OutgoingMessage:
    msg = OutgoingMessage()
    msg.write_int32(kind)
    for value in int32s:
        msg.write_int32(value)
    return msg

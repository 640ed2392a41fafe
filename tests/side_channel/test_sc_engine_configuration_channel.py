"""EngineConfigurationChannel sends one message per setting, in the documented layout."""

from __future__ import annotations

import struct
import uuid

import pytest

from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel import IncomingMessage
from mlagents_envs.side_channel.engine_configuration_channel import (
    ConfigurationType,
    EngineConfig,
    EngineConfigurationChannel,
)
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager

CHANNEL_ID = uuid.UUID("e951342c-4f7e-11ea-b238-784f4387d1f7")


def test_channel_id():
    assert EngineConfigurationChannel().channel_id == CHANNEL_ID


def test_configuration_type_values():
    assert {t.name: int(t) for t in ConfigurationType} == {
        "SCREEN_RESOLUTION": 0,
        "QUALITY_LEVEL": 1,
        "TIME_SCALE": 2,
        "TARGET_FRAME_RATE": 3,
        "CAPTURE_FRAME_RATE": 4,
    }


def test_default_config():
    config = EngineConfig.default_config()
    assert config == EngineConfig(80, 80, 1, 20.0, -1, 60)
    assert config._fields == (
        "width",
        "height",
        "quality_level",
        "time_scale",
        "target_frame_rate",
        "capture_frame_rate",
    )


def test_every_setting_has_its_own_message():
    channel = EngineConfigurationChannel()
    channel.set_configuration_parameters(
        width=640,
        height=480,
        quality_level=3,
        time_scale=1.5,
        target_frame_rate=30,
        capture_frame_rate=24,
    )
    assert channel.message_queue == [
        struct.pack("<iii", 0, 640, 480),
        struct.pack("<ii", 1, 3),
        struct.pack("<if", 2, 1.5),
        struct.pack("<ii", 3, 30),
        struct.pack("<ii", 4, 24),
    ]


def test_only_given_settings_are_sent():
    channel = EngineConfigurationChannel()
    channel.set_configuration_parameters(time_scale=100.0)
    assert channel.message_queue == [struct.pack("<if", 2, 100.0)]


def test_set_configuration_sends_every_field_framed():
    channel = EngineConfigurationChannel()
    channel.set_configuration(EngineConfig.default_config())
    data = SideChannelManager([channel]).generate_side_channel_messages()
    payloads = [
        struct.pack("<iii", 0, 80, 80),
        struct.pack("<ii", 1, 1),
        struct.pack("<if", 2, 20.0),
        struct.pack("<ii", 3, -1),
        struct.pack("<ii", 4, 60),
    ]
    assert data == b"".join(struct.pack("<16si", CHANNEL_ID.bytes_le, len(p)) + p for p in payloads)


def test_set_configuration_skips_none_fields():
    channel = EngineConfigurationChannel()
    channel.set_configuration(EngineConfig(None, None, 5, None, None, None))
    assert channel.message_queue == [struct.pack("<ii", 1, 5)]


@pytest.mark.parametrize(("width", "height"), [(640, None), (None, 480)])
def test_width_without_height_is_refused_and_nothing_queued(width, height):
    channel = EngineConfigurationChannel()
    with pytest.raises(UnitySideChannelException, match="both width and height") as info:
        channel.set_configuration_parameters(width=width, height=height, quality_level=2)
    assert f"width={width}" in str(info.value)
    assert channel.message_queue == []


def test_bad_value_later_in_the_call_queues_nothing():
    channel = EngineConfigurationChannel()
    with pytest.raises(UnitySideChannelException, match=str(2**40)):
        channel.set_configuration_parameters(quality_level=1, capture_frame_rate=2**40)
    assert channel.message_queue == []


def test_receiving_is_an_error():
    with pytest.raises(UnitySideChannelException, match="only goes from Python"):
        EngineConfigurationChannel().on_message_received(IncomingMessage(b"\x00"))

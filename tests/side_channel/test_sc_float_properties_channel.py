"""FloatPropertiesChannel keeps a dictionary in step with the environment."""

from __future__ import annotations

import struct
import uuid

from mlagents_envs.side_channel import IncomingMessage
from mlagents_envs.side_channel.float_properties_channel import FloatPropertiesChannel
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager

DEFAULT_ID = uuid.UUID("60ccf7d0-4f7e-11ea-b238-784f4387d1f7")


def test_default_and_custom_ids():
    assert FloatPropertiesChannel().channel_id == DEFAULT_ID
    other = uuid.uuid4()
    assert FloatPropertiesChannel(other).channel_id == other


def test_set_property_records_and_queues_key_then_float32():
    channel = FloatPropertiesChannel()
    channel.set_property("gravity", -9.8)
    assert channel.get_property("gravity") == -9.8
    assert channel.message_queue == [struct.pack("<i", 7) + b"gravity" + struct.pack("<f", -9.8)]


def test_get_property_of_unknown_key_is_none():
    assert FloatPropertiesChannel().get_property("missing") is None


def test_list_and_copy():
    channel = FloatPropertiesChannel()
    channel.set_property("a", 1.0)
    channel.set_property("b", 2.0)
    channel.set_property("a", 3.0)
    assert channel.list_properties() == ["a", "b"]
    copy = channel.get_property_dict_copy()
    assert copy == {"a": 3.0, "b": 2.0}
    copy["a"] = 0.0
    assert channel.get_property("a") == 3.0


def test_on_message_received_updates_the_dictionary():
    channel = FloatPropertiesChannel()
    channel.on_message_received(
        IncomingMessage(struct.pack("<i", 5) + b"speed" + struct.pack("<f", 2.5))
    )
    assert channel.get_property("speed") == 2.5
    assert channel.list_properties() == ["speed"]


def test_round_trip_between_two_managers():
    sender, receiver = FloatPropertiesChannel(), FloatPropertiesChannel()
    sender.set_property("x", 0.25)
    sender.set_property("y", -4.0)
    data = SideChannelManager([sender]).generate_side_channel_messages()
    SideChannelManager([receiver]).process_side_channel_message(bytes(data))
    assert receiver.get_property_dict_copy() == {"x": 0.25, "y": -4.0}

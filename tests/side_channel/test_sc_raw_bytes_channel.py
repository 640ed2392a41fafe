"""RawBytesChannel carries payloads untouched."""

from __future__ import annotations

import uuid

from mlagents_envs.side_channel import IncomingMessage
from mlagents_envs.side_channel.raw_bytes_channel import RawBytesChannel

CHANNEL_ID = uuid.UUID("12345678-1234-5678-1234-567812345678")


def test_send_raw_data_queues_the_bytes_as_they_are():
    channel = RawBytesChannel(CHANNEL_ID)
    channel.send_raw_data(bytearray(b"\x00\xffraw"))
    channel.send_raw_data(b"")
    assert channel.channel_id == CHANNEL_ID
    assert channel.message_queue == [b"\x00\xffraw", b""]


def test_received_messages_are_returned_once_in_order():
    channel = RawBytesChannel(CHANNEL_ID)
    channel.on_message_received(IncomingMessage(b"first"))
    channel.on_message_received(IncomingMessage(b"second"))
    assert channel.get_and_clear_received_messages() == [b"first", b"second"]
    assert channel.get_and_clear_received_messages() == []

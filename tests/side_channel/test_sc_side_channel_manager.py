"""SideChannelManager frames, routes and refuses side-channel bytes."""

from __future__ import annotations

import logging
import struct
import uuid

import pytest

from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel import OutgoingMessage
from mlagents_envs.side_channel.raw_bytes_channel import RawBytesChannel
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager

ID_A = uuid.UUID("aaaaaaaa-0000-0000-0000-000000000001")
ID_B = uuid.UUID("bbbbbbbb-0000-0000-0000-000000000002")
ID_UNKNOWN = uuid.UUID("cccccccc-0000-0000-0000-000000000003")


def frame(channel_id: uuid.UUID, payload: bytes) -> bytes:
    return struct.pack("<16si", channel_id.bytes_le, len(payload)) + payload


def test_generate_frames_every_queued_message_in_registration_order():
    a, b = RawBytesChannel(ID_A), RawBytesChannel(ID_B)
    manager = SideChannelManager([a, b])
    b.send_raw_data(b"b1")
    a.send_raw_data(b"a1")
    a.send_raw_data(b"a2")
    assert manager.generate_side_channel_messages() == (
        frame(ID_A, b"a1") + frame(ID_A, b"a2") + frame(ID_B, b"b1")
    )


def test_generate_empties_the_queues():
    a = RawBytesChannel(ID_A)
    manager = SideChannelManager([a])
    a.send_raw_data(b"x")
    manager.generate_side_channel_messages()
    assert a.message_queue == []
    assert manager.generate_side_channel_messages() == bytearray()


def test_generate_returns_a_bytearray():
    assert isinstance(SideChannelManager([]).generate_side_channel_messages(), bytearray)


def test_no_channels_at_all():
    manager = SideChannelManager(None)
    manager.process_side_channel_message(b"")
    assert manager.generate_side_channel_messages() == b""


def test_process_delivers_each_message_to_its_channel():
    a, b = RawBytesChannel(ID_A), RawBytesChannel(ID_B)
    SideChannelManager([a, b]).process_side_channel_message(
        frame(ID_B, b"first") + frame(ID_A, b"") + frame(ID_B, b"second")
    )
    assert a.get_and_clear_received_messages() == [b""]
    assert b.get_and_clear_received_messages() == [b"first", b"second"]


def test_round_trip_between_two_managers():
    sender_a, sender_b = RawBytesChannel(ID_A), RawBytesChannel(ID_B)
    receiver_a, receiver_b = RawBytesChannel(ID_A), RawBytesChannel(ID_B)
    msg = OutgoingMessage()
    msg.write_string("hello")
    msg.write_float32(1.5)
    sender_a.queue_message_to_send(msg)
    sender_b.send_raw_data(b"\x00\x01\x02")
    data = SideChannelManager([sender_a, sender_b]).generate_side_channel_messages()
    SideChannelManager([receiver_a, receiver_b]).process_side_channel_message(bytes(data))
    assert receiver_a.get_and_clear_received_messages() == [msg.buffer]
    assert receiver_b.get_and_clear_received_messages() == [b"\x00\x01\x02"]


def test_unknown_channel_is_logged_and_skipped(caplog):
    a = RawBytesChannel(ID_A)
    manager = SideChannelManager([a])
    data = frame(ID_A, b"before") + frame(ID_UNKNOWN, b"???") + frame(ID_A, b"after")
    with caplog.at_level(logging.WARNING, logger="mlagents_envs.side_channel"):
        manager.process_side_channel_message(data)
    assert a.get_and_clear_received_messages() == [b"before", b"after"]
    records = [r for r in caplog.records if r.name.startswith("mlagents_envs.side_channel")]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert str(ID_UNKNOWN) in records[0].getMessage()


def test_unknown_channel_warns_once_per_id(caplog):
    manager = SideChannelManager([])
    data = frame(ID_UNKNOWN, b"1") + frame(ID_UNKNOWN, b"2") + frame(ID_A, b"3")
    with caplog.at_level(logging.WARNING, logger="mlagents_envs.side_channel"):
        manager.process_side_channel_message(data)
        manager.process_side_channel_message(data)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 2
    assert str(ID_UNKNOWN) in warned[0] and str(ID_A) in warned[1]


def test_truncated_frame_names_the_registered_class_and_keeps_earlier_messages():
    a, b = RawBytesChannel(ID_A), RawBytesChannel(ID_B)
    manager = SideChannelManager([a, b])
    data = frame(ID_A, b"kept") + frame(ID_B, b"cut short")[:18]
    with pytest.raises(UnitySideChannelException) as info:
        manager.process_side_channel_message(data)
    text = str(info.value)
    assert str(ID_B) in text
    assert "RawBytesChannel" in text
    assert "18 bytes are left" in text
    assert a.get_and_clear_received_messages() == [b"kept"]
    assert b.get_and_clear_received_messages() == []


def test_overlong_length_names_channel_declared_length_and_bytes_left():
    a = RawBytesChannel(ID_A)
    manager = SideChannelManager([a])
    data = frame(ID_A, b"kept") + struct.pack("<16si", ID_A.bytes_le, 50) + b"abc"
    with pytest.raises(UnitySideChannelException) as info:
        manager.process_side_channel_message(data)
    text = str(info.value)
    assert str(ID_A) in text
    assert "RawBytesChannel" in text
    assert "50 bytes" in text
    assert "3 bytes are left" in text
    assert a.get_and_clear_received_messages() == [b"kept"]


def test_duplicate_ids_are_refused_naming_the_id():
    with pytest.raises(UnitySideChannelException, match=str(ID_A)):
        SideChannelManager([RawBytesChannel(ID_A), RawBytesChannel(ID_B), RawBytesChannel(ID_A)])

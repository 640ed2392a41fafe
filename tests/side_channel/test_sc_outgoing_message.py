"""OutgoingMessage writes the exact little-endian layout, and refuses what cannot be sent."""

from __future__ import annotations

import struct

import pytest

from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel import IncomingMessage, OutgoingMessage


def test_new_message_is_empty():
    assert OutgoingMessage().buffer == b""


def test_each_primitive_matches_struct_layout():
    msg = OutgoingMessage()
    msg.write_bool(True)
    msg.write_bool(False)
    msg.write_int32(-2)
    msg.write_float32(0.1)
    msg.write_float32_list([1.0, -0.5])
    msg.write_string("key")
    assert msg.buffer == (
        b"\x01\x00"
        + struct.pack("<i", -2)
        + struct.pack("<f", 0.1)
        + struct.pack("<iff", 2, 1.0, -0.5)
        + struct.pack("<i", 3)
        + b"key"
    )


def test_int32_is_little_endian():
    msg = OutgoingMessage()
    msg.write_int32(1)
    assert msg.buffer == b"\x01\x00\x00\x00"


def test_empty_list_and_string_write_only_the_prefix():
    msg = OutgoingMessage()
    msg.write_float32_list([])
    msg.write_string("")
    assert msg.buffer == b"\x00" * 8


def test_round_trip_through_incoming_message():
    msg = OutgoingMessage()
    msg.write_bool(True)
    msg.write_int32(2**31 - 1)
    msg.write_int32(-(2**31))
    msg.write_float32(3.25)
    msg.write_float32_list([0.5, 4.0])
    msg.write_string("a key")
    incoming = IncomingMessage(msg.buffer)
    assert incoming.read_bool() is True
    assert incoming.read_int32() == 2**31 - 1
    assert incoming.read_int32() == -(2**31)
    assert incoming.read_float32() == 3.25
    assert incoming.read_float32_list() == [0.5, 4.0]
    assert incoming.read_string() == "a key"


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 10**12])
def test_int32_overflow_names_the_value(value):
    msg = OutgoingMessage()
    with pytest.raises(UnitySideChannelException, match=str(value)) as info:
        msg.write_int32(value)
    assert "32-bit" in str(info.value)
    assert msg.buffer == b""


def test_non_integer_int32_is_refused():
    with pytest.raises(UnitySideChannelException, match="integer"):
        OutgoingMessage().write_int32(1.5)  # type: ignore[arg-type]


def test_float_too_large_for_float32_is_refused():
    with pytest.raises(UnitySideChannelException, match="1e\\+39"):
        OutgoingMessage().write_float32(1e39)


def test_non_ascii_string_names_the_string_and_character():
    msg = OutgoingMessage()
    with pytest.raises(UnitySideChannelException, match="ASCII") as info:
        msg.write_string("größe")
    assert "'größe'" in str(info.value)
    assert "'ö'" in str(info.value)
    assert msg.buffer == b""


def test_set_raw_bytes_replaces_the_buffer_with_a_copy():
    msg = OutgoingMessage()
    msg.write_int32(5)
    raw = bytearray(b"\x09\x08")
    msg.set_raw_bytes(raw)
    raw[0] = 0
    assert msg.buffer == b"\x09\x08"


def test_buffer_is_a_snapshot():
    msg = OutgoingMessage()
    msg.write_bool(True)
    snapshot = msg.buffer
    msg.write_bool(True)
    assert snapshot == b"\x01"
    assert msg.buffer == b"\x01\x01"

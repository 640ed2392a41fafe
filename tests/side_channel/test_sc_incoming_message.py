"""IncomingMessage reads little-endian primitives and falls back to defaults at the end."""

from __future__ import annotations

import struct

import pytest

from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel import IncomingMessage


def test_reads_each_primitive_from_hand_built_bytes():
    data = (
        struct.pack("<?", True)
        + struct.pack("<?", False)
        + struct.pack("<i", -123456789)
        + struct.pack("<f", 0.1)
        + struct.pack("<i3f", 3, 1.5, -2.0, 1e10)
        + struct.pack("<i", 5)
        + b"hello"
    )
    msg = IncomingMessage(data)
    assert msg.read_bool() is True
    assert msg.read_bool() is False
    assert msg.read_int32() == -123456789
    assert msg.read_float32() == struct.unpack("<f", struct.pack("<f", 0.1))[0]
    assert msg.read_float32_list() == [1.5, -2.0, struct.unpack("<f", struct.pack("<f", 1e10))[0]]
    assert msg.read_string() == "hello"
    assert msg.offset == len(data)


def test_little_endian_not_native_or_big():
    assert IncomingMessage(b"\x01\x00\x00\x00").read_int32() == 1
    assert IncomingMessage(b"\x00\x00\x80\x3f").read_float32() == 1.0


def test_nonzero_byte_reads_as_true():
    assert IncomingMessage(b"\x02").read_bool() is True


def test_offset_skips_leading_bytes():
    msg = IncomingMessage(b"\xff\xff" + struct.pack("<i", 42), offset=2)
    assert msg.read_int32() == 42


@pytest.mark.parametrize(
    ("method", "default"),
    [
        ("read_bool", True),
        ("read_int32", 17),
        ("read_float32", 2.5),
        ("read_float32_list", [9.0]),
        ("read_string", "fallback"),
    ],
)
def test_empty_message_returns_the_given_default(method, default):
    assert getattr(IncomingMessage(b""), method)(default) == default


def test_defaults_without_argument():
    msg = IncomingMessage(b"")
    assert msg.read_bool() is False
    assert msg.read_int32() == 0
    assert msg.read_float32() == 0.0
    assert msg.read_float32_list() == []
    assert msg.read_string() == ""


def test_partial_value_returns_default_and_later_reads_too():
    # Two bytes cannot make an int32; the following read must not reuse them.
    msg = IncomingMessage(b"\x01\x02")
    assert msg.read_int32(-1) == -1
    assert msg.read_bool(True) is True
    assert msg.offset == 2


def test_string_longer_than_the_buffer_returns_default():
    msg = IncomingMessage(struct.pack("<i", 10) + b"abc")
    assert msg.read_string("none") == "none"


def test_float_list_longer_than_the_buffer_returns_default():
    msg = IncomingMessage(struct.pack("<i2f", 3, 1.0, 2.0))
    assert msg.read_float32_list([7.0]) == [7.0]


def test_negative_string_length_is_an_error():
    with pytest.raises(UnitySideChannelException, match="-4"):
        IncomingMessage(struct.pack("<i", -4) + b"abcd").read_string()


def test_negative_list_count_is_an_error():
    with pytest.raises(UnitySideChannelException, match="-1 elements"):
        IncomingMessage(struct.pack("<i", -1)).read_float32_list()


def test_non_ascii_string_is_an_error():
    with pytest.raises(UnitySideChannelException, match="not ASCII"):
        IncomingMessage(struct.pack("<i", 2) + "é".encode()).read_string()


def test_get_raw_bytes_is_the_whole_payload_whatever_was_read():
    data = struct.pack("<ii", 1, 2)
    msg = IncomingMessage(bytearray(data))
    msg.read_int32()
    raw = msg.get_raw_bytes()
    assert raw == data
    assert isinstance(raw, bytes)

"""The frame functions both ends of the wire use."""

from __future__ import annotations

import struct
import uuid

import pytest

from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel.framing import HEADER_SIZE, encode_frame, iter_frames

ID_A = uuid.UUID("e951342c-4f7e-11ea-b238-784f4387d1f7")
ID_B = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")


def test_header_is_twenty_bytes():
    assert HEADER_SIZE == 20


def test_encode_frame_uses_the_dotnet_guid_layout():
    frame = encode_frame(ID_B, b"xyz")
    # .NET writes the first three groups of a Guid little-endian, the rest as they are.
    expected_id = bytes.fromhex("33221100554477668899aabbccddeeff")
    assert frame == expected_id + struct.pack("<i", 3) + b"xyz"


def test_iter_frames_splits_back_to_back_frames():
    data = encode_frame(ID_A, b"one") + encode_frame(ID_B, b"") + encode_frame(ID_A, b"three")
    assert list(iter_frames(data)) == [(ID_A, b"one"), (ID_B, b""), (ID_A, b"three")]


def test_iter_frames_of_nothing_yields_nothing():
    assert list(iter_frames(b"")) == []


def test_truncated_header_names_the_channel_after_earlier_frames():
    data = encode_frame(ID_A, b"ok") + ID_B.bytes_le + b"\x01\x00"
    frames = iter_frames(data, {ID_B: "MyChannel"})
    assert next(frames) == (ID_A, b"ok")
    with pytest.raises(UnitySideChannelException) as info:
        next(frames)
    text = str(info.value)
    assert str(ID_B) in text
    assert "MyChannel" in text
    assert "18 bytes are left" in text


def test_header_too_short_for_an_id():
    with pytest.raises(UnitySideChannelException, match="5 bytes left cannot hold a channel id"):
        list(iter_frames(b"\x00" * 5))


def test_overlong_length_names_channel_length_and_bytes_left():
    data = struct.pack("<16si", ID_A.bytes_le, 100) + b"\x00" * 12
    with pytest.raises(UnitySideChannelException) as info:
        list(iter_frames(data))
    text = str(info.value)
    assert str(ID_A) in text
    assert "no channel registered" in text
    assert "100 bytes" in text
    assert "12 bytes are left" in text


def test_negative_length_is_refused():
    data = struct.pack("<16si", ID_A.bytes_le, -1) + b"\x00" * 4
    with pytest.raises(UnitySideChannelException, match="-1 bytes"):
        list(iter_frames(data))

"""0.14 side channels: an int type travelling as a UUID, payloads handed over as bytes, and
bytes queued as they are; they work wherever today's channels do."""

from __future__ import annotations

import uuid

import pytest

from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.legacy.side_channel import SideChannel, SideChannelType, legacy_channel_id
from mlagents_envs.side_channel.framing import encode_frame
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager


class Log(SideChannel):
    def __init__(self) -> None:
        super().__init__()
        self.received: list[bytes] = []

    @property
    def channel_type(self) -> int:
        return SideChannelType.UserSideChannelStart + 7

    def on_message_received(self, data: bytes) -> None:
        self.received.append(data)


def test_the_type_is_the_uuid_of_that_integer() -> None:
    assert SideChannelType.UserSideChannelStart == 2000
    assert SideChannelType.RawBytesChannelStart == 1000
    assert Log().channel_id == legacy_channel_id(2007) == uuid.UUID(int=2007)
    assert str(legacy_channel_id(2001)) == "00000000-0000-0000-0000-0000000007d1"
    for bad in (0, -1, 2**31, True, "2001"):
        with pytest.raises(UnitySideChannelException):
            legacy_channel_id(bad)  # type: ignore[arg-type]


def test_payloads_arrive_as_bytes_and_bytes_are_sent_as_they_are() -> None:
    log = Log()
    manager = SideChannelManager([log])
    manager.process_side_channel_message(
        encode_frame(log.channel_id, b"first") + encode_frame(log.channel_id, b"second")
    )
    assert log.received == [b"first", b"second"]
    log.queue_message_to_send(b"abc")
    log.queue_message_to_send(bytearray(b"de"))
    message = OutgoingMessage()
    message.write_int32(5)
    log.queue_message_to_send(message)
    expected = b"".join(
        encode_frame(log.channel_id, payload) for payload in (b"abc", b"de", message.buffer)
    )
    assert bytes(manager.generate_side_channel_messages()) == expected
    with pytest.raises(UnitySideChannelException, match="encode it first"):
        log.queue_message_to_send("text")  # type: ignore[arg-type]


def test_a_channel_without_a_type_cannot_be_made() -> None:
    class Untyped(SideChannel):
        def on_message_received(self, data: bytes) -> None:
            pass

    with pytest.raises(TypeError, match="channel_type"):
        Untyped()  # type: ignore[abstract]

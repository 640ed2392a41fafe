"""The SideChannel base class and the package's exports."""

from __future__ import annotations

import uuid

import pytest

import mlagents_envs.side_channel as package
from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel import IncomingMessage, OutgoingMessage, SideChannel
from mlagents_envs.side_channel.incoming_message import IncomingMessage as DirectIncoming
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage as DirectOutgoing
from mlagents_envs.side_channel.side_channel import SideChannel as DirectSideChannel

CHANNEL_ID = uuid.UUID("11111111-2222-3333-4444-555555555555")


class Recorder(SideChannel):
    def __init__(self) -> None:
        super().__init__(CHANNEL_ID)
        self.received: list[bytes] = []

    def on_message_received(self, msg: IncomingMessage) -> None:
        self.received.append(msg.get_raw_bytes())


def test_package_reexports_what_ml_agents_does():
    # The three base names, and the training analytics channel, as ML-Agents' package.
    assert package.__all__ == [
        "DefaultTrainingAnalyticsSideChannel",
        "IncomingMessage",
        "OutgoingMessage",
        "SideChannel",
    ]
    assert IncomingMessage is DirectIncoming
    assert OutgoingMessage is DirectOutgoing
    assert SideChannel is DirectSideChannel


def test_side_channel_is_abstract():
    with pytest.raises(TypeError, match="on_message_received"):
        SideChannel(CHANNEL_ID)  # type: ignore[abstract]


def test_channel_id_property():
    assert Recorder().channel_id == CHANNEL_ID


def test_channel_id_must_be_a_uuid():
    class Bad(Recorder):
        def __init__(self) -> None:
            SideChannel.__init__(self, str(CHANNEL_ID))  # type: ignore[arg-type]

    with pytest.raises(UnitySideChannelException, match=r"uuid\.UUID"):
        Bad()


def test_queue_message_to_send_keeps_a_snapshot_in_order():
    channel = Recorder()
    msg = OutgoingMessage()
    msg.write_int32(1)
    channel.queue_message_to_send(msg)
    msg.write_int32(2)
    channel.queue_message_to_send(msg)
    assert channel.message_queue == [b"\x01\x00\x00\x00", b"\x01\x00\x00\x00\x02\x00\x00\x00"]

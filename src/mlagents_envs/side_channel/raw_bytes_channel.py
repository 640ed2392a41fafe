"""RawBytesChannel: a side channel that carries uninterpreted bytes both ways."""

from __future__ import annotations

import uuid

from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage
from mlagents_envs.side_channel.side_channel import SideChannel


class RawBytesChannel(SideChannel):
    """Sends and collects whole payloads as bytes, for protocols of your own."""

    def __init__(self, channel_id: uuid.UUID) -> None:
        super().__init__(channel_id)
        self._received_messages: list[bytes] = []

    def on_message_received(self, msg: IncomingMessage) -> None:
        """Keep the payload until get_and_clear_received_messages is called."""
        self._received_messages.append(msg.get_raw_bytes())

    def get_and_clear_received_messages(self) -> list[bytes]:
        """The payloads received since the last call, oldest first."""
        received, self._received_messages = self._received_messages, []
        return received

    def send_raw_data(self, data: bytes | bytearray) -> None:
        """Queue data as one message to be sent at the next step."""
        msg = OutgoingMessage()
        msg.set_raw_bytes(data)
        self.queue_message_to_send(msg)

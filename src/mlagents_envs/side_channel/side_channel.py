"""SideChannel: the base class of every channel, holding its id and its outgoing queue."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod

from mlagents_envs.exception import (
    UnitySideChannelDirectionException,
    UnitySideChannelException,
)
from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage


class SideChannel(ABC):
    """A typed stream of messages between Python and the environment, named by a UUID.

    Subclasses decode what the environment sends in `on_message_received` and queue what
    they send with `queue_message_to_send`; a SideChannelManager frames the queued
    payloads at the next step and empties `message_queue`.
    """

    def __init__(self, channel_id: uuid.UUID) -> None:
        if not isinstance(channel_id, uuid.UUID):
            raise UnitySideChannelException(
                f"A side channel id must be a uuid.UUID, got {channel_id!r} "
                f"({type(channel_id).__name__}); wrap it with uuid.UUID(...)."
            )
        self._channel_id = channel_id
        self.message_queue: list[bytes] = []

    def queue_message_to_send(self, msg: OutgoingMessage) -> None:
        """Queue a message to be sent to the environment at the next step."""
        # A snapshot, so that writing to msg afterwards does not change what is sent.
        self.message_queue.append(msg.buffer)

    @abstractmethod
    def on_message_received(self, msg: IncomingMessage) -> None:
        """Handle one message from the environment (called once per message, in order)."""

    @property
    def channel_id(self) -> uuid.UUID:
        """The id that routes messages to this channel on both ends."""
        return self._channel_id


class SendOnlySideChannel(SideChannel):
    """A channel that only goes from Python to the environment: receiving is an error."""

    # What the channel carries, for the error message ("engine configuration", ...).
    carries = "this"

    def on_message_received(self, msg: IncomingMessage) -> None:
        """Refuse the message: this channel only goes to the environment."""
        raise UnitySideChannelDirectionException(
            f"The environment sent {len(msg.get_raw_bytes())} bytes on the {self.carries} "
            "channel, which only goes from Python to the environment. Check the "
            "environment's side channels: it should not write to this id."
        )

"""SideChannelManager: routes framed side-channel bytes to and from registered channels."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from mlagents_envs.exception import UnityDuplicateSideChannelException
from mlagents_envs.side_channel.framing import encode_frame, iter_frames
from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.side_channel import SideChannel

logger = logging.getLogger(__name__)


class SideChannelManager:
    """Splits incoming side-channel data among channels, and joins their outgoing messages."""

    def __init__(self, side_channels: Iterable[SideChannel] | None = None) -> None:
        self._side_channels: dict[uuid.UUID, SideChannel] = {}
        for channel in side_channels or ():
            existing = self._side_channels.get(channel.channel_id)
            if existing is not None:
                raise UnityDuplicateSideChannelException(
                    f"Two side channels use the id {channel.channel_id}: "
                    f"{type(existing).__name__} and {type(channel).__name__}. Each id must "
                    "be registered once: pass each channel once, or give yours another id."
                )
            self._side_channels[channel.channel_id] = channel
        self._names = {cid: type(ch).__name__ for cid, ch in self._side_channels.items()}
        self._skipped: set[uuid.UUID] = set()

    def process_side_channel_message(self, data: bytes) -> None:
        """Deliver each message of data to the channel registered for its id, in order.

        Messages for an unregistered id are skipped, with a warning the first time each id
        is seen (an environment may send one every step). A malformed frame raises
        UnitySideChannelFramingException after the messages before it have been delivered.
        """
        for channel_id, payload in iter_frames(data, self._names):
            channel = self._side_channels.get(channel_id)
            if channel is None:
                first = channel_id not in self._skipped
                self._skipped.add(channel_id)
                logger.log(
                    logging.WARNING if first else logging.DEBUG,
                    "Skipping a side-channel message of %d bytes for channel %s: no side "
                    "channel with this id was given to the environment.",
                    len(payload),
                    channel_id,
                )
                continue
            channel.on_message_received(IncomingMessage(payload))

    def generate_side_channel_messages(self) -> bytearray:
        """Frame every queued message of every channel into one buffer, and empty the queues."""
        result = bytearray()
        for channel in self._side_channels.values():
            for payload in channel.message_queue:
                result += encode_frame(channel.channel_id, payload)
        # Emptied only once everything is framed, so that a failure loses no message.
        for channel in self._side_channels.values():
            channel.message_queue.clear()
        return result

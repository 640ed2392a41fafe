"""Side channels as the 0.14 generation wrote them (seed 002): an int type and raw bytes.

`SideChannel` here is a current `mlagents_envs.side_channel.side_channel.SideChannel`, so
every environment takes it in `side_channels=[...]`. What differs is what a 0.14 script
writes in its subclass:

- a `channel_type` int property instead of a `channel_id` UUID. On the wire the channel is
  the UUID whose integer value is its type (`legacy_channel_id`): type 2001
  (`SideChannelType.UserSideChannelStart + 1`) is 00000000-0000-0000-0000-0000000007d1, the
  Guid the environment end must register its channel under;
- `on_message_received(data: bytes)`: it is handed the payload as bytes;
- `queue_message_to_send(data)` takes bytes or a bytearray (an OutgoingMessage too).
"""

from __future__ import annotations

import functools
import uuid
from abc import abstractmethod
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel import side_channel as current
from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage

_INT32_MAX = 2**31 - 1


class SideChannelType(IntEnum):
    """The channel types of 0.14; user channels start at UserSideChannelStart."""

    Invalid = 0
    FloatProperties = 1
    EngineSettings = 2
    RawBytesChannelStart = 1000
    UserSideChannelStart = 2000


def legacy_channel_id(channel_type: int) -> uuid.UUID:
    """The UUID a channel of this 0.14 type travels under: the UUID of that integer."""
    if isinstance(channel_type, bool) or not isinstance(channel_type, int):
        raise UnitySideChannelException(
            f"A side channel type must be an int, got {channel_type!r}; return e.g. "
            "SideChannelType.UserSideChannelStart + 1 from channel_type."
        )
    if not 0 < channel_type <= _INT32_MAX:
        raise UnitySideChannelException(
            f"The side channel type {channel_type} must be a positive int32 (0 is Invalid)."
        )
    return uuid.UUID(int=channel_type)


def _payload_as_bytes(handler: Callable[[Any, bytes], None]) -> Callable[[Any, Any], None]:
    @functools.wraps(handler)
    def deliver(self: Any, data: Any) -> None:
        # The environment hands every channel an IncomingMessage; 0.14 channels read bytes.
        if isinstance(data, IncomingMessage):
            data = data.get_raw_bytes()
        handler(self, data)

    return deliver


class SideChannel(current.SideChannel):
    """A side channel written for 0.14: subclasses define `channel_type` and
    `on_message_received(data: bytes)`, and send with `queue_message_to_send(bytes)`."""

    def __init__(self) -> None:
        super().__init__(legacy_channel_id(int(self.channel_type)))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handler = cls.__dict__.get("on_message_received")
        if handler is not None and not getattr(handler, "__isabstractmethod__", False):
            cls.on_message_received = _payload_as_bytes(handler)  # type: ignore[method-assign,assignment]

    @property
    @abstractmethod
    def channel_type(self) -> int:
        """The int that identifies this channel on both ends (see legacy_channel_id)."""

    @abstractmethod
    def on_message_received(self, data: bytes) -> None:  # type: ignore[override]
        """Handle the payload of one message from the environment."""

    def queue_message_to_send(self, data: bytes | bytearray | OutgoingMessage) -> None:
        """Queue data (bytes) to be sent to the environment at the next step."""
        if isinstance(data, OutgoingMessage):
            data = data.buffer
        if not isinstance(data, bytes | bytearray | memoryview):
            raise UnitySideChannelException(
                f"A 0.14 side channel sends bytes, got {type(data).__name__}; encode it first "
                "(for a string: data.encode('ascii'))."
            )
        self.message_queue.append(bytes(data))

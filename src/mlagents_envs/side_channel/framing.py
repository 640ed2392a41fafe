"""Side-channel framing: 16-byte channel id, int32 payload length, payload; back to back.

Plain functions, so that both ends of the wire (the SideChannelManager here, and an
environment written in Python) frame messages the same way.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterator, Mapping

from mlagents_envs.exception import (
    UnitySideChannelException,
    UnitySideChannelFramingException,
)

# The id is the .NET Guid byte layout, which is what uuid calls bytes_le.
_HEADER = struct.Struct("<16si")
HEADER_SIZE = _HEADER.size
_ID_SIZE = 16
_INT32_MAX = 2**31 - 1


def encode_frame(channel_id: uuid.UUID, payload: bytes | bytearray) -> bytes:
    """One framed message: the channel id, the payload length, then the payload."""
    if len(payload) > _INT32_MAX:
        raise UnitySideChannelException(
            f"A side-channel message of {len(payload)} bytes for channel {channel_id} is "
            f"longer than the {_INT32_MAX} bytes a frame can declare; send smaller messages."
        )
    return _HEADER.pack(channel_id.bytes_le, len(payload)) + bytes(payload)


def iter_frames(
    data: bytes | bytearray, channel_names: Mapping[uuid.UUID, str] | None = None
) -> Iterator[tuple[uuid.UUID, bytes]]:
    """Yield (channel id, payload) for each frame of data, in order.

    A frame cut short or declaring more bytes than are left raises
    UnitySideChannelFramingException when it is reached, after the valid frames before it have
    been yielded. channel_names (id -> a readable name, such as the class of the channel
    registered for it) only enrich those error messages.
    """
    names = channel_names or {}
    total = len(data)
    offset = 0
    while offset < total:
        left = total - offset
        if left < HEADER_SIZE:
            if left < _ID_SIZE:
                where = f"an unknown channel (the {left} bytes left cannot hold a channel id)"
            else:
                channel_id = uuid.UUID(bytes_le=bytes(data[offset : offset + _ID_SIZE]))
                where = _describe(channel_id, names)
            raise UnitySideChannelFramingException(
                f"Side-channel data is truncated: the frame at offset {offset} for {where} "
                f"needs a {HEADER_SIZE}-byte header (16-byte channel id, int32 length) but only "
                f"{left} bytes are left. The sender cut a message short: check the "
                "environment's side channels."
            )
        id_bytes, length = _HEADER.unpack_from(data, offset)
        channel_id = uuid.UUID(bytes_le=id_bytes)
        offset += HEADER_SIZE
        left -= HEADER_SIZE
        if not 0 <= length <= left:
            raise UnitySideChannelFramingException(
                f"Side-channel frame for {_describe(channel_id, names)} declares a payload of "
                f"{length} bytes but {left} bytes are left after its header (at offset "
                f"{offset}). The sender wrote a malformed or truncated message: check the "
                "environment's side channels."
            )
        yield channel_id, bytes(data[offset : offset + length])
        offset += length


def _describe(channel_id: uuid.UUID, names: Mapping[uuid.UUID, str]) -> str:
    name = names.get(channel_id)
    if name is None:
        return f"channel {channel_id} (no channel registered with this id)"
    return f"channel {channel_id} ({name})"

"""IncomingMessage: reads little-endian primitives from one side-channel payload."""

from __future__ import annotations

import struct

from mlagents_envs.exception import UnitySideChannelDecodeException, UnitySideChannelException

_BOOL = struct.Struct("<?")
_INT32 = struct.Struct("<i")
_FLOAT32 = struct.Struct("<f")


class IncomingMessage:
    """A cursor over a payload; values must be read in the order they were written.

    A read that needs more bytes than are left returns its default value and leaves the
    message at its end, so that every later read returns its default too.
    """

    def __init__(self, buffer: bytes, offset: int = 0) -> None:
        self.buffer = bytes(buffer)
        self.offset = offset

    def read_bool(self, default_value: bool = False) -> bool:
        """Read a one-byte boolean, or return default_value at the end of the message."""
        if not self._has(_BOOL.size):
            return default_value
        (value,) = _BOOL.unpack_from(self.buffer, self.offset)
        self.offset += _BOOL.size
        return bool(value)

    def read_int32(self, default_value: int = 0) -> int:
        """Read a 32-bit signed integer, or return default_value at the end of the message."""
        if not self._has(_INT32.size):
            return default_value
        (value,) = _INT32.unpack_from(self.buffer, self.offset)
        self.offset += _INT32.size
        return int(value)

    def read_float32(self, default_value: float = 0.0) -> float:
        """Read a 32-bit float, or return default_value at the end of the message."""
        if not self._has(_FLOAT32.size):
            return default_value
        (value,) = _FLOAT32.unpack_from(self.buffer, self.offset)
        self.offset += _FLOAT32.size
        return float(value)

    def read_float32_list(self, default_value: list[float] | None = None) -> list[float]:
        """Read an int32 count and that many float32s, or return default_value (else [])."""
        default = [] if default_value is None else default_value
        start = self.offset
        count = self.read_int32(-1)
        if self.offset == start:  # no room left even for the int32 prefix
            return default
        if count < 0:
            raise UnitySideChannelException(
                f"A float list in a side-channel message declares {count} elements at offset "
                f"{start} of a {len(self.buffer)}-byte message; a count cannot be negative. "
                "The sender wrote a malformed message: check the environment's side channel."
            )
        size = _FLOAT32.size * count
        if not self._has(size):
            return default
        values = struct.unpack_from(f"<{count}f", self.buffer, self.offset)
        self.offset += size
        return [float(v) for v in values]

    def read_string(self, default_value: str = "") -> str:
        """Read an int32 byte length and that many ASCII bytes, or return default_value."""
        start = self.offset
        length = self.read_int32(-1)
        if self.offset == start:  # no room left even for the int32 prefix
            return default_value
        if length < 0:
            raise UnitySideChannelException(
                f"A string in a side-channel message declares a length of {length} bytes at "
                f"offset {start} of a {len(self.buffer)}-byte message; a length cannot be "
                "negative. The sender wrote a malformed message: check the environment's "
                "side channel."
            )
        if not self._has(length):
            return default_value
        raw = self.buffer[self.offset : self.offset + length]
        self.offset += length
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError as error:
            raise UnitySideChannelDecodeException(
                f"A string in a side-channel message is not ASCII: {raw!r} (byte "
                f"{raw[error.start]:#04x} at position {error.start}). Side-channel strings "
                "are ASCII: have the environment send ASCII text.",
                error,
            ) from None

    def get_raw_bytes(self) -> bytes:
        """A copy of the whole payload, whatever has been read."""
        return bytes(self.buffer)

    def _has(self, size: int) -> bool:
        """Whether size more bytes are left; if not, move to the end of the message."""
        if self.offset + size <= len(self.buffer):
            return True
        self.offset = len(self.buffer)
        return False

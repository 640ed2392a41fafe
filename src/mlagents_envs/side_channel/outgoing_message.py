"""OutgoingMessage: writes little-endian primitives into one side-channel payload."""

from __future__ import annotations

import operator
import struct
from collections.abc import Sequence

from mlagents_envs.exception import UnitySideChannelEncodeException, UnitySideChannelException

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

_BOOL = struct.Struct("<?")
_INT32 = struct.Struct("<i")
_FLOAT32 = struct.Struct("<f")


def _as_int32(value: int, what: str) -> int:
    """Check that value is an integer that fits in an int32, naming `what` in the error."""
    try:
        number = operator.index(value)
    except TypeError:
        raise UnitySideChannelException(
            f"{what} must be an integer, got {value!r} ({type(value).__name__}); "
            "convert it with int() first."
        ) from None
    if not INT32_MIN <= number <= INT32_MAX:
        raise UnitySideChannelException(
            f"{what} {number} does not fit in a 32-bit signed integer "
            f"[{INT32_MIN}, {INT32_MAX}]; pass a smaller value."
        )
    return number


def _as_float32_bytes(value: float, what: str) -> bytes:
    try:
        return _FLOAT32.pack(value)
    except (struct.error, TypeError, OverflowError):
        raise UnitySideChannelException(
            f"{what} {value!r} cannot be written as a 32-bit float: pass a number whose "
            "magnitude is below 3.4e38 (inf and nan are allowed)."
        ) from None


class OutgoingMessage:
    """A payload under construction; the reader must read values in the same order."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    @property
    def buffer(self) -> bytes:
        """The bytes written so far (a copy)."""
        return bytes(self._buffer)

    def write_bool(self, b: bool) -> None:
        """Append a boolean as one byte (0 or 1)."""
        self._buffer += _BOOL.pack(bool(b))

    def write_int32(self, i: int) -> None:
        """Append a 32-bit signed integer."""
        self._buffer += _INT32.pack(_as_int32(i, "write_int32: the value"))

    def write_float32(self, f: float) -> None:
        """Append a float, rounded to 32-bit precision."""
        self._buffer += _as_float32_bytes(f, "write_float32: the value")

    def write_float32_list(self, float_list: Sequence[float]) -> None:
        """Append an int32 count, then each float rounded to 32-bit precision."""
        count = _as_int32(len(float_list), "write_float32_list: the list length")
        encoded = b"".join(
            _as_float32_bytes(f, f"write_float32_list: element {index},")
            for index, f in enumerate(float_list)
        )
        self._buffer += _INT32.pack(count) + encoded

    def write_string(self, s: str) -> None:
        """Append an int32 byte length, then the string encoded as ASCII."""
        try:
            encoded = s.encode("ascii")
        except UnicodeEncodeError as error:
            raise UnitySideChannelEncodeException(
                f"Side-channel strings must be ASCII, but {s!r} holds "
                f"{s[error.start]!r} at position {error.start}. Use only ASCII characters "
                "(for example in parameter and property keys).",
                error,
            ) from None
        except AttributeError:
            raise UnitySideChannelException(
                f"write_string needs a str, got {s!r} ({type(s).__name__})."
            ) from None
        self._buffer += _INT32.pack(_as_int32(len(encoded), "write_string: the length")) + encoded

    def set_raw_bytes(self, buffer: bytes | bytearray) -> None:
        """Replace everything written so far with a copy of buffer."""
        self._buffer = bytearray(buffer)

"""Plain, comparable values of protobuf messages, the same under protobuf 3.20 and 5+.

Wire tests parse the same bytes with two protobuf runtimes (ours and the reference client's,
which lives in its own interpreter) and compare what each one saw. Comparing `str(message)`
or JSON output would depend on each runtime's formatting, so this module turns a message into
a structure of dicts, lists, ints, strings, bools and None that survives a JSON round trip
unchanged. It only uses APIs present in both runtimes and imports nothing from this
repository, so the reference client's scripts can load it by path.

Shape of `canonical(message)`:
- `"@type"`: the message's full name; `"@unknown"`: `[field number, wire type]` pairs of the
  fields the parser did not recognise (a field number or type mismatch ends up here);
- one entry per declared field, keyed `"<number>:<name>"`, default values included;
- `"oneof:<name>"`: the name of the member that is set, or None.
Values: floats as `"f32:<bits>"` / `"f64:<bits>"` (big-endian hex of the IEEE bits, so that
-0.0, NaN and rounding to float32 are compared exactly), bytes as hex, enums as ints, maps as
dicts sorted by key (keys as strings), unset singular messages as None.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

try:  # protobuf >= 4.21; older runtimes only have Message.UnknownFields()
    from google.protobuf.unknown_fields import UnknownFieldSet
except ImportError:  # pragma: no cover - exercised in the reference client's interpreter
    UnknownFieldSet = None

# The canonical form of each float type's default, for `is_default`.
_ZERO_FLOATS = ("f32:00000000", "f64:0000000000000000")


def is_repeated(field: Any) -> bool:
    """Whether a field descriptor is repeated (maps included)."""
    # Newer runtimes deprecate `label` in favour of `is_repeated`.
    flag = getattr(field, "is_repeated", None)
    if flag is not None:
        return bool(flag)
    return field.label == FieldDescriptor.LABEL_REPEATED


def is_map(field: Any) -> bool:
    """Whether a field descriptor is a `map<,>` (a repeated synthetic entry message)."""
    return (
        field.message_type is not None
        and is_repeated(field)
        and field.message_type.GetOptions().map_entry
    )


def unknown_fields(message: Any) -> list[list[int]]:
    """`[field number, wire type]` of each field the parser kept as unknown."""
    entries = UnknownFieldSet(message) if UnknownFieldSet is not None else message.UnknownFields()
    return [[entry.field_number, entry.wire_type] for entry in entries]


def _scalar(field: Any, value: Any) -> Any:
    kind = field.type
    if kind == FieldDescriptor.TYPE_FLOAT:
        # Packing rounds to float32 the way serialization does; a runtime that keeps a set
        # value as a double (pure-Python 3.20 does) then shows the value it would send.
        return "f32:" + struct.pack(">f", value).hex()
    if kind == FieldDescriptor.TYPE_DOUBLE:
        return "f64:" + struct.pack(">d", value).hex()
    if kind == FieldDescriptor.TYPE_BYTES:
        return bytes(value).hex()
    if kind in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_GROUP):
        return canonical(value)
    if kind == FieldDescriptor.TYPE_BOOL:
        return bool(value)
    if kind == FieldDescriptor.TYPE_STRING:
        return str(value)
    # Integers and enums (enums arrive as ints in both runtimes).
    return int(value)


def canonical(message: Any) -> dict[str, Any]:
    """The message as plain, JSON-able values; see the module docstring for the shape."""
    descriptor = message.DESCRIPTOR
    out: dict[str, Any] = {"@type": descriptor.full_name, "@unknown": unknown_fields(message)}
    for field in sorted(descriptor.fields, key=lambda f: f.number):
        key = f"{field.number}:{field.name}"
        value = getattr(message, field.name)
        if is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            out[key] = {str(k): _scalar(value_field, value[k]) for k in sorted(value)}
        elif is_repeated(field):
            out[key] = [_scalar(field, item) for item in value]
        elif field.message_type is not None:
            out[key] = canonical(value) if message.HasField(field.name) else None
        else:
            out[key] = _scalar(field, value)
    for oneof in descriptor.oneofs:
        out[f"oneof:{oneof.name}"] = message.WhichOneof(oneof.name)
    return out


def is_default(value: Any) -> bool:
    """Whether a canonical field value is what an unset field reads as."""
    if isinstance(value, str) and value in _ZERO_FLOATS:
        return True
    return value is None or value is False or value in (0, "", [], {})


def message_nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every canonical message inside a canonical value, outermost first."""
    if isinstance(value, dict):
        if "@type" in value:
            yield value
        for item in value.values():
            yield from message_nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from message_nodes(item)


def unknown_anywhere(value: Any) -> list[tuple[str, list[int]]]:
    """(message type, [number, wire type]) of every unknown field in a canonical value."""
    return [(node["@type"], entry) for node in message_nodes(value) for entry in node["@unknown"]]


def message_classes(modules: Iterable[ModuleType]) -> dict[str, type]:
    """Full name -> generated class, for every message (nested ones too) of `_pb2` modules.

    Map entry types are left out: they are an encoding detail, not messages one builds.
    """
    classes: dict[str, type] = {}

    def add(cls: type) -> None:
        descriptor = cls.DESCRIPTOR  # type: ignore[attr-defined]
        classes[descriptor.full_name] = cls
        for nested in descriptor.nested_types:
            if not nested.GetOptions().map_entry:
                add(getattr(cls, nested.name))

    for module in modules:
        for name in module.DESCRIPTOR.message_types_by_name:
            add(getattr(module, name))
    return classes

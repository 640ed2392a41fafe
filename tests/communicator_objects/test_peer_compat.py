"""Byte compatibility with the reference client, mlagents-envs 0.28.0 (protobuf 3.20).

Every example in wire_examples is built on both sides from the same JSON dict. Bytes cross
between the two interpreters through files, and each side reduces what it parsed to
devtools.proto_values.canonical form (field numbers and names, float32 bits, unknown fields)
for an exact comparison. The reference process is launched once for all examples, and once
more for a real gRPC call.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
import wire_examples
from google.protobuf import json_format
from google.protobuf.descriptor_pb2 import DescriptorProto, EnumDescriptorProto, FileDescriptorProto
from google.protobuf.message import Message

import mlagents_envs.communicator_objects as generated
from devtools.peer_env import run_peer
from devtools.proto_values import canonical, is_default, message_classes, message_nodes
from devtools.proto_values import unknown_anywhere as unknowns
from mlagents_envs.communicator_objects import unity_message_pb2, unity_to_external_pb2_grpc
from mlagents_envs.communicator_objects.unity_message_pb2 import UnityMessageProto

pytestmark = pytest.mark.peer

HERE = Path(__file__).resolve().parent
PEER_SCRIPT = HERE / "peer_roundtrip.py"
PACKAGE = "mlagents_envs.communicator_objects"
NAMES = sorted(wire_examples.EXAMPLES)


def _our_classes() -> dict[str, type[Message]]:
    names = [m.name for m in pkgutil.iter_modules(generated.__path__) if m.name.endswith("_pb2")]
    return message_classes(importlib.import_module(f"{PACKAGE}.{name}") for name in names)


OUR_CLASSES = _our_classes()


def build(full_name: str, value: dict[str, Any]) -> Message:
    return json_format.ParseDict(value, OUR_CLASSES[full_name]())


# Bytes as a peer with a different schema would send them: (type, bytes, expected unknowns).
# HeaderProto is status=1 (varint), message=2 (string); UnityMessageProto.header is field 1.
PROBES: dict[str, tuple[str, bytes, list[tuple[str, list[int]]]]] = {
    # "message" under number 3, as a renumbered field would arrive.
    "renumbered": (
        "communicator_objects.HeaderProto",
        bytes([0x08, 0xC8, 0x01, 0x1A, 0x02]) + b"ok",
        [("communicator_objects.HeaderProto", [3, 2])],
    ),
    # "message" as a varint, as a changed field type would arrive.
    "retyped": (
        "communicator_objects.HeaderProto",
        bytes([0x08, 0xC8, 0x01, 0x10, 0x05]),
        [("communicator_objects.HeaderProto", [2, 0])],
    ),
    # The renumbered header, nested inside a message.
    "nested": (
        "communicator_objects.UnityMessageProto",
        bytes([0x0A, 0x07, 0x08, 0xC8, 0x01, 0x1A, 0x02]) + b"ok",
        [("communicator_objects.HeaderProto", [3, 2])],
    ),
}


@pytest.fixture(scope="module")
def ours() -> dict[str, Message]:
    return {name: build(*wire_examples.EXAMPLES[name]) for name in NAMES}


@pytest.fixture(scope="module")
def peer(ours: dict[str, Message], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The reference client's report on every example (one process for all of them)."""
    folder = tmp_path_factory.mktemp("peer")
    examples = {
        name: {
            "type": full_name,
            "value": value,
            "ours": ours[name].SerializeToString(deterministic=True).hex(),
        }
        for name, (full_name, value) in wire_examples.EXAMPLES.items()
    }
    probes = {
        name: {"type": full_name, "bytes": data.hex()}
        for name, (full_name, data, _) in PROBES.items()
    }
    (folder / "in.json").write_text(json.dumps({"examples": examples, "probes": probes}))
    run_peer(PEER_SCRIPT, "roundtrip", str(folder / "in.json"), str(folder / "out.json"))
    return json.loads((folder / "out.json").read_text())


def test_the_peer_is_the_reference_client(peer: dict[str, Any]) -> None:
    assert peer["protobuf"].startswith("3.20.")
    assert "site-packages" in peer["mlagents_envs"]
    assert sorted(peer["examples"]) == NAMES


@pytest.mark.parametrize("name", sorted(PROBES))
def test_both_runtimes_expose_fields_they_do_not_know(name: str, peer: dict[str, Any]) -> None:
    # The checks below rely on a schema mismatch showing up as unknown fields, on both sides.
    full_name, data, expected = PROBES[name]
    mine = canonical(OUR_CLASSES[full_name].FromString(data))
    theirs = peer["probes"][name]
    assert unknowns(theirs) == expected
    assert unknowns(mine) == expected
    assert mine == theirs


def test_examples_set_every_field_of_every_message(ours: dict[str, Message]) -> None:
    # Guards against a comparison that passes because both sides see defaults: each field of
    # each message type holds a non-default value in at least one example.
    covered = {
        (node["@type"], key)
        for message in ours.values()
        for node in message_nodes(canonical(message))
        for key, value in node.items()
        if not key.startswith(("@", "oneof:")) and not is_default(value)
    }
    expected = {
        (full_name, f"{field.number}:{field.name}")
        for full_name, cls in OUR_CLASSES.items()
        for field in cls.DESCRIPTOR.fields
    }
    assert expected - covered == set()
    # And each message type is also an example of its own.
    assert {full_name for full_name, _ in wire_examples.EXAMPLES.values()} == set(OUR_CLASSES)


@pytest.mark.parametrize("name", NAMES)
def test_our_bytes_parse_to_the_same_values_in_the_reference(
    name: str, ours: dict[str, Message], peer: dict[str, Any]
) -> None:
    parsed = peer["examples"][name]["parsed"]
    assert unknowns(parsed) == []
    assert parsed == canonical(ours[name])


@pytest.mark.parametrize("name", NAMES)
def test_reference_bytes_parse_to_the_same_values_in_ours(
    name: str, ours: dict[str, Message], peer: dict[str, Any]
) -> None:
    theirs = peer["examples"][name]
    parsed = type(ours[name]).FromString(bytes.fromhex(theirs["bytes"]))
    assert unknowns(canonical(parsed)) == []
    assert canonical(parsed) == canonical(ours[name])
    # The reference built the same values from the dict, so the bytes above are its own view.
    assert theirs["built"] == canonical(ours[name])


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_bytes_are_identical(
    name: str, ours: dict[str, Message], peer: dict[str, Any]
) -> None:
    assert ours[name].SerializeToString(deterministic=True).hex() == peer["examples"][name]["bytes"]


def _without_reserved(message: DescriptorProto | EnumDescriptorProto) -> None:
    # Reserved numbers never reach the wire; upstream and we list them differently.
    message.ClearField("reserved_range")
    message.ClearField("reserved_name")
    if isinstance(message, DescriptorProto):
        for nested in [*message.nested_type, *message.enum_type]:
            _without_reserved(nested)


def _normalised(serialized: bytes) -> FileDescriptorProto:
    file = FileDescriptorProto.FromString(serialized)
    file.ClearField("source_code_info")
    for item in [*file.message_type, *file.enum_type]:
        _without_reserved(item)
    # Import order is a matter of style.
    dependencies = sorted(file.dependency)
    file.ClearField("dependency")
    file.dependency.extend(dependencies)
    return file


def test_descriptors_match_the_reference(peer: dict[str, Any]) -> None:
    theirs = peer["descriptors"]
    assert len(theirs) == 21
    for module_name, serialized in sorted(theirs.items()):
        module = importlib.import_module(f"{PACKAGE}.{module_name}")
        expected = _normalised(bytes.fromhex(serialized))
        # Compared as text so that a failure shows the differing declaration.
        assert str(_normalised(module.DESCRIPTOR.serialized_pb)) == str(expected), module_name


class RecordingServicer(unity_to_external_pb2_grpc.UnityToExternalProtoServicer):
    """Answers every Exchange with one fixed message and keeps what it was sent."""

    def __init__(self, reply: UnityMessageProto) -> None:
        self.reply = reply
        self.requests: list[UnityMessageProto] = []

    def Exchange(self, request: UnityMessageProto, context: grpc.ServicerContext) -> Message:
        received = unity_message_pb2.UnityMessageProto()
        received.CopyFrom(request)
        self.requests.append(received)
        return self.reply


def test_grpc_exchange_with_the_reference_stub(tmp_path: Path) -> None:
    reply = build("communicator_objects.UnityMessageProto", wire_examples.PYTHON_REPLY)
    expected_request = build("communicator_objects.UnityMessageProto", wire_examples.ENV_REQUEST)
    servicer = RecordingServicer(reply)
    request_path = tmp_path / "request.json"
    request_path.write_text(json.dumps(wire_examples.ENV_REQUEST))

    with futures.ThreadPoolExecutor(max_workers=2) as pool:
        server = grpc.server(pool)
        unity_to_external_pb2_grpc.add_UnityToExternalProtoServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")  # 0: the OS picks a free port
        assert port > 0
        server.start()
        try:
            result = run_peer(PEER_SCRIPT, "exchange", str(port), str(request_path), timeout=60)
        finally:
            server.stop(grace=None).wait(timeout=10)

    answer = json.loads(result.stdout)
    # Environment -> Python: one call, read exactly as the reference serialized it.
    assert len(servicer.requests) == 1
    (received,) = servicer.requests
    assert unknowns(canonical(received)) == []
    assert canonical(received) == canonical(expected_request)
    assert received.SerializeToString(deterministic=True).hex() == answer["sent"]
    # Python -> environment: the reference read our reply exactly.
    assert unknowns(answer["reply"]) == []
    assert answer["reply"] == canonical(reply)
    assert answer["reply"] != canonical(received)

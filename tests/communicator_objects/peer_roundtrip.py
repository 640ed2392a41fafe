"""The reference client's half of the wire tests; runs under the peer's interpreter.

It imports only the reference `mlagents_envs` (0.28.0, protobuf 3.20) and, by path,
devtools/proto_values.py; never this repository's src/.

    peer_roundtrip.py roundtrip <in.json> <out.json>
        in:  {"examples": {name: {"type": full name, "value": JSON dict, "ours": hex bytes}},
              "probes": {name: {"type": full name, "bytes": hex}}}
        out: {"protobuf": version, "mlagents_envs": its folder,
              "descriptors": {module: hex FileDescriptorProto},
              "examples": {name: {"bytes": hex, "built": canonical, "parsed": canonical}},
              "probes": {name: canonical}}
        "bytes" is the reference's deterministic serialization of "value", "built" what it
        built from "value", "parsed" what it read from our bytes. Probes are hand-made bytes
        that show what this runtime does with fields it does not know.
    peer_roundtrip.py exchange <port> <request.json>
        Calls Exchange on 127.0.0.1:<port> with the UnityMessageProto in request.json (a JSON
        dict) through the reference stub; prints {"sent": hex bytes, "reply": canonical}.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

import google.protobuf
from google.protobuf import json_format

import mlagents_envs.communicator_objects as reference

ROOT = Path(__file__).resolve().parents[2]


def _load_proto_values() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "proto_values", ROOT / "devtools" / "proto_values.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


proto_values = _load_proto_values()


def _reference_modules() -> dict[str, ModuleType]:
    names = [m.name for m in pkgutil.iter_modules(reference.__path__) if m.name.endswith("_pb2")]
    return {name: importlib.import_module(f"{reference.__name__}.{name}") for name in names}


def _check_isolated() -> None:
    # If our package were importable here, the comparison would be ours against ours.
    origin = Path(reference.__file__).resolve()
    if ROOT / "src" in origin.parents:
        raise SystemExit(f"the peer imported mlagents_envs from this repository: {origin}")


def roundtrip(in_path: str, out_path: str) -> None:
    modules = _reference_modules()
    classes = proto_values.message_classes(modules.values())
    request = json.loads(Path(in_path).read_text())
    results = {}
    for name, example in request["examples"].items():
        cls = classes[example["type"]]
        built = json_format.ParseDict(example["value"], cls())
        parsed = cls.FromString(bytes.fromhex(example["ours"]))
        results[name] = {
            "bytes": built.SerializeToString(deterministic=True).hex(),
            "built": proto_values.canonical(built),
            "parsed": proto_values.canonical(parsed),
        }
    probes = {
        name: classes[probe["type"]].FromString(bytes.fromhex(probe["bytes"]))
        for name, probe in request["probes"].items()
    }
    report = {
        "protobuf": google.protobuf.__version__,
        "mlagents_envs": str(Path(reference.__file__).resolve().parent),
        "descriptors": {name: m.DESCRIPTOR.serialized_pb.hex() for name, m in modules.items()},
        "examples": results,
        "probes": {name: proto_values.canonical(message) for name, message in probes.items()},
    }
    Path(out_path).write_text(json.dumps(report))


def exchange(port: str, request_path: str) -> None:
    import grpc

    from mlagents_envs.communicator_objects.unity_message_pb2 import UnityMessageProto
    from mlagents_envs.communicator_objects.unity_to_external_pb2_grpc import (
        UnityToExternalProtoStub,
    )

    request = json_format.ParseDict(json.loads(Path(request_path).read_text()), UnityMessageProto())
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = UnityToExternalProtoStub(channel).Exchange(request, timeout=30)
    sent = request.SerializeToString(deterministic=True).hex()
    print(json.dumps({"sent": sent, "reply": proto_values.canonical(reply)}))


def main(argv: list[str]) -> None:
    _check_isolated()
    command, *args = argv
    {"roundtrip": roundtrip, "exchange": exchange}[command](*args)


if __name__ == "__main__":
    main(sys.argv[1:])

"""devtools.proto_values: the canonical form the wire tests compare."""

from __future__ import annotations

import json

from devtools.proto_values import (
    canonical,
    is_default,
    message_classes,
    message_nodes,
    unknown_anywhere,
)
from mlagents_envs.communicator_objects import (
    header_pb2,
    observation_pb2,
    unity_message_pb2,
    unity_rl_input_pb2,
    unity_rl_output_pb2,
)
from mlagents_envs.communicator_objects.observation_pb2 import ObservationProto


def test_floats_are_compared_as_float32_bits() -> None:
    observation = ObservationProto()
    observation.float_data.data.extend([0.1, -0.0, 0.0, 1e-45])
    values = canonical(observation)["4:float_data"]["1:data"]
    # 0.1 narrowed to float32 is 0x3dcccccd; -0.0 and 0.0 differ; 1e-45 is the smallest subnormal.
    assert values == ["f32:3dcccccd", "f32:80000000", "f32:00000000", "f32:00000001"]


def test_every_field_appears_keyed_by_number_and_name_with_defaults() -> None:
    value = canonical(header_pb2.HeaderProto())
    assert value == {
        "@type": "communicator_objects.HeaderProto",
        "@unknown": [],
        "1:status": 0,
        "2:message": "",
    }


def test_bytes_enums_oneofs_and_unset_messages() -> None:
    observation = ObservationProto(
        compressed_data=b"\x89PNG", compression_type=observation_pb2.PNG, observation_type=1
    )
    value = canonical(observation)
    assert value["3:compressed_data"] == "89504e47"
    assert value["2:compression_type"] == 1
    assert value["7:observation_type"] == 1
    assert value["oneof:observation_data"] == "compressed_data"
    # The unset member of the oneof reads as absent, not as an empty message.
    assert value["4:float_data"] is None
    observation.float_data.SetInParent()
    assert canonical(observation)["4:float_data"]["1:data"] == []
    assert canonical(observation)["oneof:observation_data"] == "float_data"


def test_maps_are_sorted_by_key() -> None:
    message = unity_rl_input_pb2.UnityRLInputProto()
    for key in ["b", "a", "c"]:
        message.agent_actions[key].value.add(value=1.0)
    actions = canonical(message)["1:agent_actions"]
    assert list(actions) == ["a", "b", "c"]
    assert actions["a"]["@type"] == "communicator_objects.UnityRLInputProto.ListAgentActionProto"


def test_the_canonical_form_survives_json() -> None:
    message = unity_rl_output_pb2.UnityRLOutputProto(side_channel=b"\x00\xff")
    message.agentInfos["x"].value.add(id=-3, reward=0.5, action_mask=[True, False])
    value = canonical(message)
    assert json.loads(json.dumps(value)) == value


def test_a_renumbered_field_shows_as_unknown_and_changes_the_value() -> None:
    # HeaderProto bytes whose "message" (2) was sent as number 3, inside a UnityMessageProto.
    header = bytes([0x08, 0xC8, 0x01, 0x1A, 0x02]) + b"ok"
    parsed = unity_message_pb2.UnityMessageProto.FromString(bytes([0x0A, len(header)]) + header)
    value = canonical(parsed)
    assert unknown_anywhere(value) == [("communicator_objects.HeaderProto", [3, 2])]
    assert value["1:header"]["1:status"] == 200
    assert value["1:header"]["2:message"] == ""
    assert value != canonical(
        unity_message_pb2.UnityMessageProto(header=header_pb2.HeaderProto(status=200))
    )


def test_a_field_of_another_wire_type_shows_as_unknown() -> None:
    parsed = header_pb2.HeaderProto.FromString(bytes([0x08, 0x01, 0x10, 0x05]))
    assert canonical(parsed)["@unknown"] == [[2, 0]]


def test_message_nodes_and_defaults() -> None:
    message = unity_message_pb2.UnityMessageProto(header=header_pb2.HeaderProto(status=1))
    types = [node["@type"] for node in message_nodes(canonical(message))]
    assert types == ["communicator_objects.UnityMessageProto", "communicator_objects.HeaderProto"]
    assert all(is_default(v) for v in [None, 0, False, "", [], {}, "f32:00000000"])
    assert not any(is_default(v) for v in [1, True, "x", [0], "f32:80000000", {"@type": "t"}])


def test_message_classes_include_nested_messages_but_not_map_entries() -> None:
    classes = message_classes([unity_rl_output_pb2, observation_pb2])
    assert classes == {
        "communicator_objects.UnityRLOutputProto": unity_rl_output_pb2.UnityRLOutputProto,
        "communicator_objects.UnityRLOutputProto.ListAgentInfoProto": (
            unity_rl_output_pb2.UnityRLOutputProto.ListAgentInfoProto
        ),
        "communicator_objects.ObservationProto": ObservationProto,
        "communicator_objects.ObservationProto.FloatData": ObservationProto.FloatData,
    }

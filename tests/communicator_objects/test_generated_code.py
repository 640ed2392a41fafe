"""The generated communicator_objects modules: fresh, and shaped as PROTOCOL.md says."""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor, FileDescriptor
from google.protobuf.descriptor_pb2 import FileDescriptorProto

from devtools.proto_values import is_map, is_repeated

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "mlagents_envs.communicator_objects"
PROTO_PACKAGE = "communicator_objects"

# One module per .proto file, named after it (snake case), as upstream lays them out.
MODULES = [
    "agent_action",
    "agent_info",
    "agent_info_action_pair",
    "brain_parameters",
    "capabilities",
    "command",
    "custom_reset_parameters",
    "demonstration_meta",
    "engine_configuration",
    "header",
    "observation",
    "space_type",
    "training_analytics",
    "unity_input",
    "unity_message",
    "unity_output",
    "unity_rl_initialization_input",
    "unity_rl_initialization_output",
    "unity_rl_input",
    "unity_rl_output",
    "unity_to_external",
]

OPTIONAL, REPEATED = "optional", "repeated"
CO = PROTO_PACKAGE + "."

# PROTOCOL.md, section "Messages", written out by hand: message full name ->
# {field: (number, type, label, message or enum full name)}. A map is a repeated field whose
# type reads "map<key type, value type>".
MESSAGES: dict[str, dict[str, tuple[int, str, str, str | None]]] = {
    CO + "UnityMessageProto": {
        "header": (1, "message", OPTIONAL, CO + "HeaderProto"),
        "unity_output": (2, "message", OPTIONAL, CO + "UnityOutputProto"),
        "unity_input": (3, "message", OPTIONAL, CO + "UnityInputProto"),
    },
    CO + "HeaderProto": {
        "status": (1, "int32", OPTIONAL, None),
        "message": (2, "string", OPTIONAL, None),
    },
    CO + "UnityOutputProto": {
        "rl_output": (1, "message", OPTIONAL, CO + "UnityRLOutputProto"),
        "rl_initialization_output": (
            2,
            "message",
            OPTIONAL,
            CO + "UnityRLInitializationOutputProto",
        ),
    },
    CO + "UnityInputProto": {
        "rl_input": (1, "message", OPTIONAL, CO + "UnityRLInputProto"),
        "rl_initialization_input": (2, "message", OPTIONAL, CO + "UnityRLInitializationInputProto"),
    },
    CO + "UnityRLOutputProto": {
        "agentInfos": (
            2,
            "map<string, message>",
            REPEATED,
            CO + "UnityRLOutputProto.ListAgentInfoProto",
        ),
        "side_channel": (3, "bytes", OPTIONAL, None),
    },
    CO + "UnityRLOutputProto.ListAgentInfoProto": {
        "value": (1, "message", REPEATED, CO + "AgentInfoProto"),
    },
    CO + "UnityRLInputProto": {
        "agent_actions": (
            1,
            "map<string, message>",
            REPEATED,
            CO + "UnityRLInputProto.ListAgentActionProto",
        ),
        "command": (4, "enum", OPTIONAL, CO + "CommandProto"),
        "side_channel": (5, "bytes", OPTIONAL, None),
    },
    CO + "UnityRLInputProto.ListAgentActionProto": {
        "value": (1, "message", REPEATED, CO + "AgentActionProto"),
    },
    CO + "UnityRLInitializationOutputProto": {
        "name": (1, "string", OPTIONAL, None),
        "communication_version": (2, "string", OPTIONAL, None),
        "log_path": (3, "string", OPTIONAL, None),
        "brain_parameters": (5, "message", REPEATED, CO + "BrainParametersProto"),
        "package_version": (7, "string", OPTIONAL, None),
        "capabilities": (8, "message", OPTIONAL, CO + "UnityRLCapabilitiesProto"),
    },
    CO + "UnityRLInitializationInputProto": {
        "seed": (1, "int32", OPTIONAL, None),
        "communication_version": (2, "string", OPTIONAL, None),
        "package_version": (3, "string", OPTIONAL, None),
        "capabilities": (4, "message", OPTIONAL, CO + "UnityRLCapabilitiesProto"),
        "num_areas": (5, "int32", OPTIONAL, None),
    },
    CO + "UnityRLCapabilitiesProto": {
        "baseRLCapabilities": (1, "bool", OPTIONAL, None),
        "concatenatedPngObservations": (2, "bool", OPTIONAL, None),
        "compressedChannelMapping": (3, "bool", OPTIONAL, None),
        "hybridActions": (4, "bool", OPTIONAL, None),
        "trainingAnalytics": (5, "bool", OPTIONAL, None),
        "variableLengthObservation": (6, "bool", OPTIONAL, None),
        "multiAgentGroups": (7, "bool", OPTIONAL, None),
    },
    CO + "BrainParametersProto": {
        "vector_action_size_deprecated": (3, "int32", REPEATED, None),
        "vector_action_descriptions_deprecated": (5, "string", REPEATED, None),
        "vector_action_space_type_deprecated": (6, "enum", OPTIONAL, CO + "SpaceTypeProto"),
        "brain_name": (7, "string", OPTIONAL, None),
        "is_training": (8, "bool", OPTIONAL, None),
        "action_spec": (9, "message", OPTIONAL, CO + "ActionSpecProto"),
    },
    CO + "ActionSpecProto": {
        "num_continuous_actions": (1, "int32", OPTIONAL, None),
        "num_discrete_actions": (2, "int32", OPTIONAL, None),
        "discrete_branch_sizes": (3, "int32", REPEATED, None),
        "action_descriptions": (4, "string", REPEATED, None),
    },
    CO + "AgentInfoProto": {
        "reward": (7, "float", OPTIONAL, None),
        "done": (8, "bool", OPTIONAL, None),
        "max_step_reached": (9, "bool", OPTIONAL, None),
        "id": (10, "int32", OPTIONAL, None),
        "action_mask": (11, "bool", REPEATED, None),
        "observations": (13, "message", REPEATED, CO + "ObservationProto"),
        "group_id": (14, "int32", OPTIONAL, None),
        "group_reward": (15, "float", OPTIONAL, None),
    },
    CO + "AgentActionProto": {
        "vector_actions_deprecated": (1, "float", REPEATED, None),
        "value": (4, "float", OPTIONAL, None),
        "continuous_actions": (6, "float", REPEATED, None),
        "discrete_actions": (7, "int32", REPEATED, None),
    },
    CO + "ObservationProto": {
        "shape": (1, "int32", REPEATED, None),
        "compression_type": (2, "enum", OPTIONAL, CO + "CompressionTypeProto"),
        "compressed_data": (3, "bytes", OPTIONAL, None),
        "float_data": (4, "message", OPTIONAL, CO + "ObservationProto.FloatData"),
        "compressed_channel_mapping": (5, "int32", REPEATED, None),
        "dimension_properties": (6, "int32", REPEATED, None),
        "observation_type": (7, "enum", OPTIONAL, CO + "ObservationTypeProto"),
        "name": (8, "string", OPTIONAL, None),
    },
    CO + "ObservationProto.FloatData": {
        "data": (1, "float", REPEATED, None),
    },
    CO + "AgentInfoActionPairProto": {
        "agent_info": (1, "message", OPTIONAL, CO + "AgentInfoProto"),
        "action_info": (2, "message", OPTIONAL, CO + "AgentActionProto"),
    },
    CO + "DemonstrationMetaProto": {
        "api_version": (1, "int32", OPTIONAL, None),
        "demonstration_name": (2, "string", OPTIONAL, None),
        "number_steps": (3, "int32", OPTIONAL, None),
        "number_episodes": (4, "int32", OPTIONAL, None),
        "mean_reward": (5, "float", OPTIONAL, None),
    },
    CO + "EngineConfigurationProto": {
        "width": (1, "int32", OPTIONAL, None),
        "height": (2, "int32", OPTIONAL, None),
        "quality_level": (3, "int32", OPTIONAL, None),
        "time_scale": (4, "float", OPTIONAL, None),
        "target_frame_rate": (5, "int32", OPTIONAL, None),
        "show_monitor": (6, "bool", OPTIONAL, None),
    },
    CO + "CustomResetParametersProto": {},
    CO + "TrainingEnvironmentInitialized": {
        "mlagents_version": (1, "string", OPTIONAL, None),
        "mlagents_envs_version": (2, "string", OPTIONAL, None),
        "python_version": (3, "string", OPTIONAL, None),
        "torch_version": (4, "string", OPTIONAL, None),
        "torch_device_type": (5, "string", OPTIONAL, None),
        "num_envs": (6, "int32", OPTIONAL, None),
        "num_environment_parameters": (7, "int32", OPTIONAL, None),
        "run_options": (8, "string", OPTIONAL, None),
    },
    CO + "TrainingBehaviorInitialized": {
        "behavior_name": (1, "string", OPTIONAL, None),
        "trainer_type": (2, "string", OPTIONAL, None),
        "extrinsic_reward_enabled": (3, "bool", OPTIONAL, None),
        "gail_reward_enabled": (4, "bool", OPTIONAL, None),
        "curiosity_reward_enabled": (5, "bool", OPTIONAL, None),
        "rnd_reward_enabled": (6, "bool", OPTIONAL, None),
        "behavioral_cloning_enabled": (7, "bool", OPTIONAL, None),
        "recurrent_enabled": (8, "bool", OPTIONAL, None),
        "visual_encoder": (9, "string", OPTIONAL, None),
        "num_network_layers": (10, "int32", OPTIONAL, None),
        "num_network_hidden_units": (11, "int32", OPTIONAL, None),
        "trainer_threaded": (12, "bool", OPTIONAL, None),
        "self_play_enabled": (13, "bool", OPTIONAL, None),
        "curriculum_enabled": (14, "bool", OPTIONAL, None),
        "config": (15, "string", OPTIONAL, None),
    },
}

ENUMS: dict[str, dict[str, int]] = {
    CO + "CommandProto": {"STEP": 0, "RESET": 1, "QUIT": 2},
    CO + "CompressionTypeProto": {"NONE": 0, "PNG": 1},
    CO + "ObservationTypeProto": {"DEFAULT": 0, "GOAL_SIGNAL": 1},
    CO + "SpaceTypeProto": {"discrete": 0, "continuous": 1},
}

# PROTOCOL.md does not mention it, but upstream declares the observation payload as a oneof,
# so setting one member clears the other: keep that shape.
ONEOFS: dict[str, dict[str, set[str]]] = {
    CO + "ObservationProto": {"observation_data": {"compressed_data", "float_data"}},
}

# The .proto file that declares each top-level message and enum.
FILES: dict[str, str] = {
    "UnityMessageProto": "unity_message",
    "HeaderProto": "header",
    "UnityOutputProto": "unity_output",
    "UnityInputProto": "unity_input",
    "UnityRLOutputProto": "unity_rl_output",
    "UnityRLInputProto": "unity_rl_input",
    "UnityRLInitializationOutputProto": "unity_rl_initialization_output",
    "UnityRLInitializationInputProto": "unity_rl_initialization_input",
    "UnityRLCapabilitiesProto": "capabilities",
    "BrainParametersProto": "brain_parameters",
    "ActionSpecProto": "brain_parameters",
    "AgentInfoProto": "agent_info",
    "AgentActionProto": "agent_action",
    "ObservationProto": "observation",
    "AgentInfoActionPairProto": "agent_info_action_pair",
    "DemonstrationMetaProto": "demonstration_meta",
    "EngineConfigurationProto": "engine_configuration",
    "CustomResetParametersProto": "custom_reset_parameters",
    "TrainingEnvironmentInitialized": "training_analytics",
    "TrainingBehaviorInitialized": "training_analytics",
    "CommandProto": "command",
    "CompressionTypeProto": "observation",
    "ObservationTypeProto": "observation",
    "SpaceTypeProto": "space_type",
}

_TYPE_NAMES = {
    getattr(FieldDescriptor, name): name.removeprefix("TYPE_").lower()
    for name in dir(FieldDescriptor)
    if name.startswith("TYPE_")
}


def _load_generator() -> ModuleType:
    """scripts/generate_protos.py as a fresh module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "generate_protos_under_test", ROOT / "scripts" / "generate_protos.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _module(snake_name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{snake_name}_pb2")


def _files() -> list[FileDescriptor]:
    return [_module(name).DESCRIPTOR for name in MODULES]


def _all_messages() -> dict[str, Descriptor]:
    found: dict[str, Descriptor] = {}

    def add(descriptor: Descriptor) -> None:
        if descriptor.GetOptions().map_entry:
            return  # synthetic; checked through the map field that owns it
        found[descriptor.full_name] = descriptor
        for nested in descriptor.nested_types:
            add(nested)

    for file in _files():
        for descriptor in file.message_types_by_name.values():
            add(descriptor)
    return found


def _all_enums() -> dict[str, EnumDescriptor]:
    found: dict[str, EnumDescriptor] = {}
    for file in _files():
        found.update({e.full_name: e for e in file.enum_types_by_name.values()})
    for message in _all_messages().values():
        found.update({e.full_name: e for e in message.enum_types})
    return found


def _describe(field: FieldDescriptor) -> tuple[int, str, str, str | None]:
    """A field in the table's terms, read from its descriptor."""
    label = REPEATED if is_repeated(field) else OPTIONAL
    if is_map(field):
        key, value = (
            field.message_type.fields_by_name["key"],
            field.message_type.fields_by_name["value"],
        )
        target = value.message_type or value.enum_type
        kind = f"map<{_TYPE_NAMES[key.type]}, {_TYPE_NAMES[value.type]}>"
        return field.number, kind, label, target.full_name if target else None
    target = field.message_type or field.enum_type
    return field.number, _TYPE_NAMES[field.type], label, target.full_name if target else None


# --- (a), (b): the committed code is what the sources generate, and the check notices drift.


def test_committed_code_matches_the_sources(tmp_path: Path) -> None:
    generator = _load_generator()
    (tmp_path / generator.PACKAGE).mkdir(parents=True)
    generator.generate(tmp_path)
    fresh = generator.generated_files(tmp_path)
    # 21 _pb2.py, 21 .pyi, one _pb2_grpc.py: an empty generation would compare equal to nothing.
    assert len(fresh) == 2 * len(MODULES) + 1
    assert generator.differences(tmp_path, generator.OUTPUT_ROOT) == []


def test_the_freshness_check_reports_a_renumbered_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generator = _load_generator()
    protos = tmp_path / "protos"
    shutil.copytree(generator.PROTO_ROOT, protos)
    header = protos / generator.PACKAGE / "header.proto"
    source = header.read_text()
    assert source.count("string message = 2;") == 1
    header.write_text(source.replace("string message = 2;", "string message = 3;"))
    # generate() reads its source root from the module global: point it at the altered copy.
    monkeypatch.setattr(generator, "PROTO_ROOT", protos)
    out = tmp_path / "out"
    (out / generator.PACKAGE).mkdir(parents=True)
    generator.generate(out)

    problems = generator.differences(out, generator.OUTPUT_ROOT)

    assert "differs from its source: header_pb2.py" in problems
    # Only header's modules can differ; the others were generated from untouched sources.
    assert all(problem.endswith(("header_pb2.py", "header_pb2.pyi")) for problem in problems)


# --- (c): messages, fields, enums and the service, as PROTOCOL.md lists them.


def test_every_message_and_enum_is_declared_and_nothing_else() -> None:
    assert sorted(_all_messages()) == sorted(MESSAGES)
    assert sorted(_all_enums()) == sorted(ENUMS)
    assert {file.package for file in _files()} == {PROTO_PACKAGE}
    # Read from the file descriptor proto: newer runtimes deprecate FileDescriptor.syntax.
    syntaxes = {FileDescriptorProto.FromString(file.serialized_pb).syntax for file in _files()}
    assert syntaxes == {"proto3"}


@pytest.mark.parametrize("full_name", sorted(MESSAGES))
def test_message_fields_match_the_protocol(full_name: str) -> None:
    descriptor = _all_messages()[full_name]
    actual = {field.name: _describe(field) for field in descriptor.fields}
    assert actual == MESSAGES[full_name]


def test_map_fields_are_string_keyed_entries() -> None:
    maps = {
        f"{message.full_name}.{field.name}": _describe(field)[1]
        for message in _all_messages().values()
        for field in message.fields
        if is_map(field)
    }
    assert maps == {
        CO + "UnityRLOutputProto.agentInfos": "map<string, message>",
        CO + "UnityRLInputProto.agent_actions": "map<string, message>",
    }


def test_oneofs_match_upstream() -> None:
    actual = {
        message.full_name: {o.name: {f.name for f in o.fields} for o in message.oneofs}
        for message in _all_messages().values()
        if message.oneofs
    }
    assert actual == ONEOFS


@pytest.mark.parametrize("full_name", sorted(ENUMS))
def test_enum_values_match_the_protocol(full_name: str) -> None:
    descriptor = _all_enums()[full_name]
    assert {value.name: value.number for value in descriptor.values} == ENUMS[full_name]


def test_service_has_one_exchange_method() -> None:
    file = _module("unity_to_external").DESCRIPTOR
    assert list(file.services_by_name) == ["UnityToExternalProto"]
    service = file.services_by_name["UnityToExternalProto"]
    assert service.full_name == "communicator_objects.UnityToExternalProto"
    assert [method.name for method in service.methods] == ["Exchange"]
    method = service.methods_by_name["Exchange"]
    assert method.input_type.full_name == CO + "UnityMessageProto"
    assert method.output_type.full_name == CO + "UnityMessageProto"
    # Unary both ways (descriptor fields absent from older runtimes default to False).
    assert not getattr(method, "client_streaming", False)
    assert not getattr(method, "server_streaming", False)
    # The path gRPC routes on is built from these names; check the generated stub uses it.
    grpc_module = importlib.import_module(f"{PACKAGE}.unity_to_external_pb2_grpc")
    stub_source = Path(grpc_module.__file__).read_text()
    assert "'/communicator_objects.UnityToExternalProto/Exchange'" in stub_source


# --- (d): descriptor file paths, as upstream keeps them.


@pytest.mark.parametrize("name", sorted(FILES))
def test_declared_in_the_upstream_file(name: str) -> None:
    full_name = CO + name
    descriptor = _all_messages().get(full_name) or _all_enums()[full_name]
    expected = f"mlagents_envs/communicator_objects/{FILES[name]}.proto"
    assert descriptor.file.name == expected
    # The Python module follows the file name, so `<snake>_pb2.<Name>` finds it.
    assert getattr(_module(FILES[name]), name).DESCRIPTOR.full_name == full_name


def test_every_module_is_named_after_its_file() -> None:
    for name in MODULES:
        assert _module(name).DESCRIPTOR.name == f"mlagents_envs/communicator_objects/{name}.proto"


# --- (e): importing the generated code is silent.


def test_generated_modules_import_without_warnings() -> None:
    # A fresh interpreter: in this one the modules are already imported, and a second import
    # would not run their code again.
    modules = [f"{PACKAGE}.{name}_pb2" for name in MODULES] + [
        f"{PACKAGE}.unity_to_external_pb2_grpc"
    ]
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code, *modules],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""

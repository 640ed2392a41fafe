"""The names scripts import from ML-Agents' mlagents_envs exist here: the nested enums of
the side channels and the other names ML-Agents exposes, checked one by one and against the
reference client's own list."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
from pathlib import Path
from unittest import mock

import pytest

from mlagents_envs.base_env import BehaviorMapping, BehaviorSpec
from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.exception import UnityWorkerInUseException
from mlagents_envs.mock_communicator import MockCommunicator
from mlagents_envs.side_channel import DefaultTrainingAnalyticsSideChannel
from mlagents_envs.side_channel.default_training_analytics_side_channel import (
    TRAINING_ANALYTICS_CHANNEL_ID,
)
from mlagents_envs.side_channel.engine_configuration_channel import (
    ConfigurationType,
    EngineConfigurationChannel,
)
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentDataTypes,
    EnvironmentParametersChannel,
    SamplerTypes,
)
from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage
from mlagents_envs.side_channel.stats_side_channel import (
    StatList,
    StatsAggregationMethod,
    StatsSideChannel,
)

HERE = Path(__file__).resolve().parent

# What ML-Agents' modules hold that scripts do not use: names they imported for themselves
# (sys.platform, logging levels, protobuf enum values) and pieces of their implementation.
NOT_API = {
    ("mlagents_envs.env_utils", "DEBUG"),
    ("mlagents_envs.env_utils", "platform"),
    ("mlagents_envs.mock_communicator", "COMPRESSION_TYPE_NONE"),
    ("mlagents_envs.mock_communicator", "COMPRESSION_TYPE_PNG"),
    ("mlagents_envs.registry.binary_utils", "BLOCK_SIZE"),
    ("mlagents_envs.registry.binary_utils", "ZipFileWithProgress.extract_zip"),
    ("mlagents_envs.registry.binary_utils", "platform"),
    ("mlagents_envs.registry.remote_registry_entry", "platform"),
    ("mlagents_envs.rpc_communicator", "RpcCommunicator.check_port"),
    ("mlagents_envs.rpc_communicator", "RpcCommunicator.create_server"),
    ("mlagents_envs.rpc_communicator", "RpcCommunicator.poll_for_timeout"),
    ("mlagents_envs.rpc_communicator", "UnityToExternalServicerImplementation.Initialize"),
    ("mlagents_envs.rpc_communicator", "platform"),
    ("mlagents_envs.rpc_utils", "COMPRESSION_TYPE_NONE"),
    ("mlagents_envs.rpc_utils", "OffsetBytesIO"),
    ("mlagents_envs.rpc_utils", "PNG_HEADER"),
}


def test_environment_parameters_nested_enums() -> None:
    nested = EnvironmentParametersChannel.EnvironmentDataTypes
    assert nested is EnvironmentDataTypes
    assert (nested.FLOAT, nested.SAMPLER) == (0, 1)
    samplers = EnvironmentParametersChannel.SamplerTypes
    assert samplers is SamplerTypes
    assert (samplers.UNIFORM, samplers.GAUSSIAN, samplers.MULTIRANGEUNIFORM) == (0, 1, 2)


def test_a_message_built_with_the_nested_enums_is_the_channels_own() -> None:
    # As a script that writes its own parameter message would.
    channel = EnvironmentParametersChannel()
    channel.set_float_parameter("gravity", 9.5)
    msg = OutgoingMessage()
    msg.write_string("gravity")
    msg.write_int32(EnvironmentParametersChannel.EnvironmentDataTypes.FLOAT)
    msg.write_float32(9.5)
    assert channel.message_queue == [msg.buffer]


def test_engine_configuration_nested_enum() -> None:
    nested = EngineConfigurationChannel.ConfigurationType
    assert nested is ConfigurationType
    assert (nested.SCREEN_RESOLUTION, nested.TIME_SCALE, nested.CAPTURE_FRAME_RATE) == (0, 2, 4)


def test_training_analytics_channel_id_and_package_export() -> None:
    assert DefaultTrainingAnalyticsSideChannel.CHANNEL_ID == TRAINING_ANALYTICS_CHANNEL_ID
    assert DefaultTrainingAnalyticsSideChannel().channel_id == TRAINING_ANALYTICS_CHANNEL_ID


def test_stats_channel_stats_and_statlist() -> None:
    channel = StatsSideChannel()
    msg = OutgoingMessage()
    msg.write_string("Environment/Length")
    msg.write_float32(12.0)
    msg.write_int32(StatsAggregationMethod.MOST_RECENT.value)
    channel.on_message_received(IncomingMessage(msg.buffer))
    stats: StatList = channel.stats["Environment/Length"]
    assert stats == [(12.0, StatsAggregationMethod.MOST_RECENT)]
    assert channel.get_and_reset_stats() == {"Environment/Length": stats}
    assert channel.stats == {}


@mock.patch("mlagents_envs.env_utils.launch_executable")
@mock.patch("mlagents_envs.environment.UnityEnvironment._get_communicator")
def test_behavior_specs_are_a_base_env_behavior_mapping(
    mock_communicator: mock.MagicMock, mock_launcher: mock.MagicMock
) -> None:
    mock_communicator.return_value = MockCommunicator()
    with UnityEnvironment(" ") as env:
        specs = env.behavior_specs
        assert isinstance(specs, BehaviorMapping)
        assert list(specs) == ["RealFakeBrain"]
        assert isinstance(specs["RealFakeBrain"], BehaviorSpec)


def test_worker_in_use_message_template() -> None:
    template = UnityWorkerInUseException.MESSAGE_TEMPLATE
    assert str(UnityWorkerInUseException(4)) == template.format(4)


@pytest.mark.peer
def test_every_name_of_the_reference_client_exists() -> None:
    from devtools.peer_env import PeerUnavailable, peer_python

    try:
        peer = peer_python()
    except PeerUnavailable as error:
        pytest.skip(f"the reference client is unavailable: {error}")
    # Without PYTHONPATH, which may name our package: the peer lists its own.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [str(peer), str(HERE / "compat_names_script.py")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    assert "mlagents_envs.side_channel.environment_parameters_channel" in theirs
    missing = []
    for module_name, names in theirs.items():
        module = importlib.import_module(module_name)
        for name, attributes in names.items():
            if (module_name, name) in NOT_API:
                continue
            if not hasattr(module, name):
                missing.append(f"{module_name}.{name}")
                continue
            for attribute in attributes or ():
                if (module_name, f"{name}.{attribute}") in NOT_API:
                    continue
                if not hasattr(getattr(module, name), attribute):
                    missing.append(f"{module_name}.{name}.{attribute}")
    assert missing == []

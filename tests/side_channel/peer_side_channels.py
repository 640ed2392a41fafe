"""Run under the mlagents-envs 0.28.0 reference client: replay side-channel calls, parse ours.

Reads a JSON request from the file named by its first argument and writes a JSON report to
the file named by its second (not stdout: the client's logging may print there). Imports only the
reference client's mlagents_envs, never the project's packages.
"""

from __future__ import annotations

import json
import platform
import sys
import uuid

from google.protobuf.any_pb2 import Any

from mlagents_envs.communicator_objects.training_analytics_pb2 import (
    TrainingEnvironmentInitialized,
)
from mlagents_envs.side_channel.default_training_analytics_side_channel import (
    DefaultTrainingAnalyticsSideChannel,
)
from mlagents_envs.side_channel.engine_configuration_channel import (
    EngineConfig,
    EngineConfigurationChannel,
)
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_envs.side_channel.float_properties_channel import FloatPropertiesChannel
from mlagents_envs.side_channel.raw_bytes_channel import RawBytesChannel
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager
from mlagents_envs.side_channel.stats_side_channel import StatsSideChannel


def make_channels(raw_id):
    return {
        "engine": EngineConfigurationChannel(),
        "env_params": EnvironmentParametersChannel(),
        "float_props": FloatPropertiesChannel(),
        "raw": RawBytesChannel(raw_id),
    }


def replay(channels, calls):
    for name, method, kwargs in calls:
        kwargs = dict(kwargs)
        if "config" in kwargs:
            kwargs["config"] = EngineConfig(*kwargs["config"])
        if "data_hex" in kwargs:
            kwargs["data"] = bytearray.fromhex(kwargs.pop("data_hex"))
        getattr(channels[name], method)(**kwargs)


def main():
    with open(sys.argv[1]) as request_file:
        request = json.load(request_file)
    raw_id = uuid.UUID(request["raw_channel_id"])
    report = {"python_to_env": {}}

    # One manager per channel, then all channels in one manager, fed the same calls.
    single = make_channels(raw_id)
    replay(single, request["calls"])
    for name, channel in single.items():
        generated = SideChannelManager([channel]).generate_side_channel_messages()
        report["python_to_env"][name] = bytes(generated).hex()
    combined = make_channels(raw_id)
    replay(combined, request["calls"])
    generated = SideChannelManager(list(combined.values())).generate_side_channel_messages()
    report["python_to_env"]["combined"] = bytes(generated).hex()

    # Environment -> Python: bytes the project produced.
    stats, floats = StatsSideChannel(), FloatPropertiesChannel()
    SideChannelManager([stats, floats]).process_side_channel_message(
        bytes.fromhex(request["env_to_python_hex"])
    )
    report["stats"] = {
        key: [[value, method.value] for value, method in values]
        for key, values in stats.get_and_reset_stats().items()
    }
    report["float_properties"] = floats.get_property_dict_copy()

    # Training analytics both ways: parse the project's payload, and send one of ours.
    packed = Any()
    packed.ParseFromString(bytes.fromhex(request["analytics_hex"]))
    message = TrainingEnvironmentInitialized()
    report["analytics_is_environment_initialized"] = packed.Is(message.DESCRIPTOR)
    packed.Unpack(message)
    report["analytics_fields"] = {
        f.name: getattr(message, f.name) for f in message.DESCRIPTOR.fields
    }
    analytics = DefaultTrainingAnalyticsSideChannel()
    analytics.environment_initialized()
    report["peer_analytics_hex"] = bytes(analytics.message_queue[0]).hex()
    report["peer_python_version"] = platform.python_version()

    with open(sys.argv[2], "w") as report_file:
        json.dump(report, report_file)


if __name__ == "__main__":
    main()

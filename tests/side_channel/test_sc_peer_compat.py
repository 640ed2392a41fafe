"""Byte compatibility with the reference client, mlagents-envs 0.28.0, run in its own venv."""

from __future__ import annotations

import json
import platform
import uuid
from pathlib import Path

import pytest

import mlagents_envs
from mlagents_envs.side_channel import OutgoingMessage
from mlagents_envs.side_channel.default_training_analytics_side_channel import (
    DefaultTrainingAnalyticsSideChannel,
    unpack_training_analytics,
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
from mlagents_envs.side_channel.side_channel import SideChannel
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager
from mlagents_envs.side_channel.stats_side_channel import (
    StatsAggregationMethod,
    StatsSideChannel,
)

PEER_SCRIPT = Path(__file__).with_name("peer_side_channels.py")
RAW_ID = uuid.UUID("f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f")
STATS_ID = uuid.UUID("a1d8f7b7-cec8-50f9-b78b-d3e165a78520")

# (channel, method, keyword arguments): replayed the same way here and by the peer.
CALLS: list[tuple[str, str, dict]] = [
    (
        "engine",
        "set_configuration_parameters",
        {
            "width": 1024,
            "height": 768,
            "quality_level": 5,
            "time_scale": 0.1,
            "target_frame_rate": 60,
            "capture_frame_rate": 30,
        },
    ),
    ("engine", "set_configuration_parameters", {"time_scale": 3.3}),
    ("engine", "set_configuration", {"config": list(EngineConfig.default_config())}),
    ("env_params", "set_float_parameter", {"key": "mass", "value": 0.7}),
    (
        "env_params",
        "set_uniform_sampler_parameters",
        {"key": "scale", "min_value": -1.5, "max_value": 2.3, "seed": 1234},
    ),
    (
        "env_params",
        "set_gaussian_sampler_parameters",
        {"key": "noise", "mean": 0.3, "st_dev": 0.05, "seed": -7},
    ),
    (
        "env_params",
        "set_multirangeuniform_sampler_parameters",
        {"key": "length", "intervals": [[1.0, 2.0], [3.5, 4.1]], "seed": 2**31 - 1},
    ),
    ("float_props", "set_property", {"key": "gravity", "value": -9.81}),
    ("float_props", "set_property", {"key": "wind", "value": 1e-3}),
    ("raw", "send_raw_data", {"data_hex": "00ff10"}),
    ("raw", "send_raw_data", {"data_hex": ""}),
]

# Environment -> Python statistics: every aggregation method, values that float32 rounds.
STATS = [
    ("Environment/Reward", 0.1, StatsAggregationMethod.AVERAGE),
    ("Environment/Reward", -2.5, StatsAggregationMethod.AVERAGE),
    ("Custom/Last", 7.0, StatsAggregationMethod.MOST_RECENT),
    ("Custom/Total", 1e6, StatsAggregationMethod.SUM),
    ("Custom/Sizes", 3.3, StatsAggregationMethod.HISTOGRAM),
]
FLOAT_PROPERTIES = {"speed": 2.2, "friction": -0.75}


def make_channels() -> dict[str, SideChannel]:
    return {
        "engine": EngineConfigurationChannel(),
        "env_params": EnvironmentParametersChannel(),
        "float_props": FloatPropertiesChannel(),
        "raw": RawBytesChannel(RAW_ID),
    }


def replay(channels: dict[str, SideChannel]) -> None:
    for name, method, kwargs in CALLS:
        kwargs = dict(kwargs)
        if "config" in kwargs:
            kwargs["config"] = EngineConfig(*kwargs["config"])
        if "data_hex" in kwargs:
            kwargs["data"] = bytearray.fromhex(kwargs.pop("data_hex"))
        getattr(channels[name], method)(**kwargs)


def our_python_to_env() -> dict[str, str]:
    generated = {}
    single = make_channels()
    replay(single)
    for name, channel in single.items():
        generated[name] = SideChannelManager([channel]).generate_side_channel_messages().hex()
    combined = make_channels()
    replay(combined)
    generated["combined"] = (
        SideChannelManager(list(combined.values())).generate_side_channel_messages().hex()
    )
    return generated


def our_env_to_python() -> bytes:
    # The environment end is played by a RawBytesChannel on the stats id and a
    # FloatPropertiesChannel, both framed by our manager.
    stats_end, floats_end = RawBytesChannel(STATS_ID), FloatPropertiesChannel()
    for key, value, method in STATS:
        msg = OutgoingMessage()
        msg.write_string(key)
        msg.write_float32(value)
        msg.write_int32(method.value)
        stats_end.queue_message_to_send(msg)
    for key, value in FLOAT_PROPERTIES.items():
        floats_end.set_property(key, value)
    return bytes(SideChannelManager([stats_end, floats_end]).generate_side_channel_messages())


@pytest.fixture(scope="module")
def peer_report(tmp_path_factory) -> dict:
    from devtools.peer_env import run_peer

    analytics = DefaultTrainingAnalyticsSideChannel()
    analytics.environment_initialized()
    request = {
        "raw_channel_id": str(RAW_ID),
        "calls": CALLS,
        "env_to_python_hex": our_env_to_python().hex(),
        "analytics_hex": analytics.message_queue[0].hex(),
    }
    folder = tmp_path_factory.mktemp("peer")
    request_path, report_path = folder / "request.json", folder / "report.json"
    request_path.write_text(json.dumps(request))
    run_peer(PEER_SCRIPT, str(request_path), str(report_path))
    return json.loads(report_path.read_text())


@pytest.mark.peer
def test_python_to_env_bytes_equal_the_reference_client(peer_report):
    ours = our_python_to_env()
    theirs = peer_report["python_to_env"]
    assert set(theirs) == {"engine", "env_params", "float_props", "raw", "combined"}
    for name in theirs:
        assert ours[name] == theirs[name], name
    assert all(theirs.values())


@pytest.mark.peer
def test_reference_client_parses_our_env_to_python_bytes(peer_report):
    data = our_env_to_python()
    # What our own channels read from the same bytes, which the peer must match.
    stats, floats = StatsSideChannel(), FloatPropertiesChannel()
    SideChannelManager([stats, floats]).process_side_channel_message(data)
    expected_stats = {
        key: [[value, method.value] for value, method in values]
        for key, values in stats.get_and_reset_stats().items()
    }
    assert peer_report["stats"] == expected_stats
    assert sorted(m for values in expected_stats.values() for _, m in values) == [0, 0, 1, 2, 3]
    assert peer_report["float_properties"] == floats.get_property_dict_copy()
    assert set(peer_report["float_properties"]) == set(FLOAT_PROPERTIES)


@pytest.mark.peer
def test_training_analytics_both_ways(peer_report):
    assert peer_report["analytics_is_environment_initialized"] is True
    fields = peer_report["analytics_fields"]
    assert fields["python_version"] == platform.python_version()
    assert fields["mlagents_envs_version"] == mlagents_envs.__version__
    theirs = unpack_training_analytics(bytes.fromhex(peer_report["peer_analytics_hex"]))
    assert theirs.python_version == peer_report["peer_python_version"]
    assert theirs.mlagents_envs_version == "0.28.0"

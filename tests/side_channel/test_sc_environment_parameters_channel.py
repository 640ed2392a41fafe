"""EnvironmentParametersChannel writes floats and samplers in the documented layout."""

from __future__ import annotations

import struct
import uuid

import pytest

from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel import IncomingMessage
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentDataTypes,
    EnvironmentParametersChannel,
    SamplerTypes,
)
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager

CHANNEL_ID = uuid.UUID("534c891e-810f-11ea-a9d0-822485860400")


def key(s: str) -> bytes:
    return struct.pack("<i", len(s)) + s.encode("ascii")


def test_channel_id_and_enums():
    assert EnvironmentParametersChannel().channel_id == CHANNEL_ID
    assert {t.name: int(t) for t in EnvironmentDataTypes} == {"FLOAT": 0, "SAMPLER": 1}
    assert {t.name: int(t) for t in SamplerTypes} == {
        "UNIFORM": 0,
        "GAUSSIAN": 1,
        "MULTIRANGEUNIFORM": 2,
    }


def test_float_parameter_layout():
    channel = EnvironmentParametersChannel()
    channel.set_float_parameter("mass", 1.25)
    assert channel.message_queue == [key("mass") + struct.pack("<if", 0, 1.25)]


def test_uniform_sampler_layout():
    channel = EnvironmentParametersChannel()
    channel.set_uniform_sampler_parameters("scale", 0.5, 2.0, seed=7)
    assert channel.message_queue == [key("scale") + struct.pack("<iiiff", 1, 7, 0, 0.5, 2.0)]


def test_gaussian_sampler_layout():
    channel = EnvironmentParametersChannel()
    channel.set_gaussian_sampler_parameters("noise", 1.0, 0.1, seed=-3)
    assert channel.message_queue == [key("noise") + struct.pack("<iiiff", 1, -3, 1, 1.0, 0.1)]


def test_multirange_sampler_layout_is_flattened_pairs():
    channel = EnvironmentParametersChannel()
    channel.set_multirangeuniform_sampler_parameters("len", [(1.0, 2.0), (5.0, 7.5)], seed=0)
    assert channel.message_queue == [
        key("len") + struct.pack("<iii", 1, 0, 2) + struct.pack("<i4f", 4, 1.0, 2.0, 5.0, 7.5)
    ]


def test_equal_bounds_are_allowed():
    channel = EnvironmentParametersChannel()
    channel.set_uniform_sampler_parameters("k", 1.0, 1.0, 0)
    channel.set_gaussian_sampler_parameters("k", 1.0, 0.0, 0)
    channel.set_multirangeuniform_sampler_parameters("k", [(2.0, 2.0)], 0)
    assert len(channel.message_queue) == 3


def test_framed_through_the_manager():
    channel = EnvironmentParametersChannel()
    channel.set_float_parameter("a", 2.0)
    payload = key("a") + struct.pack("<if", 0, 2.0)
    data = SideChannelManager([channel]).generate_side_channel_messages()
    assert data == struct.pack("<16si", CHANNEL_ID.bytes_le, len(payload)) + payload


def test_uniform_min_above_max_is_refused():
    channel = EnvironmentParametersChannel()
    with pytest.raises(UnitySideChannelException, match=r"min_value=3\.0") as info:
        channel.set_uniform_sampler_parameters("scale", 3.0, 1.0, 0)
    assert "'scale'" in str(info.value)
    assert "max_value=1.0" in str(info.value)
    assert channel.message_queue == []


def test_negative_st_dev_is_refused():
    channel = EnvironmentParametersChannel()
    with pytest.raises(UnitySideChannelException, match=r"st_dev=-0\.5") as info:
        channel.set_gaussian_sampler_parameters("noise", 0.0, -0.5, 0)
    assert "'noise'" in str(info.value)
    assert channel.message_queue == []


def test_reversed_interval_is_refused():
    channel = EnvironmentParametersChannel()
    with pytest.raises(UnitySideChannelException, match=r"Interval 1 .*\(4.0, 3.0\)") as info:
        channel.set_multirangeuniform_sampler_parameters("len", [(0.0, 1.0), (4.0, 3.0)], 0)
    assert "'len'" in str(info.value)
    assert channel.message_queue == []


def test_interval_that_is_not_a_pair_is_refused():
    with pytest.raises(UnitySideChannelException, match="pair"):
        EnvironmentParametersChannel().set_multirangeuniform_sampler_parameters(
            "len",
            [(0.0, 1.0, 2.0)],  # type: ignore[list-item]
            0,
        )


def test_no_intervals_is_refused():
    with pytest.raises(UnitySideChannelException, match="no intervals"):
        EnvironmentParametersChannel().set_multirangeuniform_sampler_parameters("len", [], 0)


def test_receiving_is_an_error():
    with pytest.raises(UnitySideChannelException, match="only goes from Python"):
        EnvironmentParametersChannel().on_message_received(IncomingMessage(b""))

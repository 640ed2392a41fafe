"""Every side channel in its direction, between UnityEnvironment and an executable."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.side_channel.default_training_analytics_side_channel import (
    DefaultTrainingAnalyticsSideChannel,
)
from mlagents_envs.side_channel.engine_configuration_channel import EngineConfigurationChannel
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_envs.side_channel.float_properties_channel import FloatPropertiesChannel
from mlagents_envs.side_channel.raw_bytes_channel import RawBytesChannel
from mlagents_envs.side_channel.stats_side_channel import (
    StatsAggregationMethod,
    StatsSideChannel,
)

Launch = Callable[..., UnityEnvironment]


def test_engine_configuration_reaches_the_environment(launch: Launch) -> None:
    engine, props = EngineConfigurationChannel(), FloatPropertiesChannel()
    env = launch("Echo", side_channels=[engine, props])
    engine.set_configuration_parameters(width=64, height=48, time_scale=7.5)
    env.reset()
    env.step()
    assert props.get_property("engine/time_scale") == 7.5
    assert props.get_property("engine/width") == 64


def test_float_properties_travel_both_ways(launch: Launch) -> None:
    props = FloatPropertiesChannel()
    env = launch("Echo", side_channels=[props])
    props.set_property("speed", 1.5)
    env.reset()
    env.step()
    assert props.get_property("echo/speed") == 3.0
    props.set_property("speed", 4.0)
    env.step()
    env.step()
    assert props.get_property("echo/speed") == 8.0


def test_environment_parameters_values_and_samplers(launch: Launch) -> None:
    params = EnvironmentParametersChannel()
    env = launch("Echo", side_channels=[params])
    params.set_float_parameter("p", 2.5)
    env.reset()
    assert env.get_steps("Echo?team=0")[0].obs[0][:, 3].tolist() == [2.5] * 3
    params.set_gaussian_sampler_parameters("p", 100.0, 1.0, seed=4)
    drawn = []
    for _ in range(10):
        env.step()
        decision, terminal = env.get_steps("Echo?team=0")
        drawn += [float(decision[i].obs[0][3]) for i in terminal.agent_id.tolist()]
    assert len(drawn) >= 5 and len(set(drawn)) == len(drawn)
    assert all(90 < v < 110 for v in drawn)
    params.set_multirangeuniform_sampler_parameters("p", [(1.0, 2.0), (5.0, 6.0)], seed=1)
    drawn = []
    for _ in range(30):
        env.step()
        decision, terminal = env.get_steps("Echo?team=0")
        drawn += [float(decision[i].obs[0][3]) for i in terminal.agent_id.tolist()]
    assert all(1 <= v <= 2 or 5 <= v <= 6 for v in drawn)
    assert any(v < 3 for v in drawn) and any(v > 3 for v in drawn)


def test_sampler_draws_repeat_for_the_same_seed(launch: Launch) -> None:
    def draws() -> list[float]:
        params = EnvironmentParametersChannel()
        env = launch("Echo", side_channels=[params])
        params.set_uniform_sampler_parameters("p", 0.0, 1.0, seed=9)
        env.reset()
        values = env.get_steps("Echo?team=0")[0].obs[0][:, 3].tolist()
        env.close()
        return values

    first = draws()
    assert len(set(first)) == 3
    assert draws() == first


def test_stats_arrive_with_their_aggregation(launch: Launch) -> None:
    stats = StatsSideChannel()
    env = launch("Echo", side_channels=[stats])
    env.reset()
    assert stats.get_and_reset_stats() == {}
    env.step()
    received = stats.get_and_reset_stats()
    assert received["Echo/ticks"] == [(3.0, StatsAggregationMethod.MOST_RECENT)]
    assert received["Echo/reward"] == [(pytest.approx(3.3), StatsAggregationMethod.SUM)]


def test_training_analytics_reach_the_environment(launch: Launch) -> None:
    analytics, props = DefaultTrainingAnalyticsSideChannel(), FloatPropertiesChannel()
    env = launch("Echo", side_channels=[analytics, props])
    analytics.environment_initialized()
    env.reset()
    env.step()
    assert props.get_property("analytics/received") == 1.0


def test_a_channel_the_environment_does_not_know_is_skipped(launch: Launch) -> None:
    raw = RawBytesChannel(uuid.UUID("11111111-2222-3333-4444-555555555555"))
    props = FloatPropertiesChannel()
    env = launch("Echo", side_channels=[raw, props])
    raw.send_raw_data(b"hello")
    props.set_property("x", 1.0)
    env.reset()
    env.step()
    assert props.get_property("echo/x") == 2.0
    assert raw.get_and_clear_received_messages() == []

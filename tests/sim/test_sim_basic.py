"""Basic and Hybrid: specs, rules on hand-set states, learnability, Basic's statistics and
Hybrid's actions over the wire."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from devtools.envtest import (
    Policy,
    assert_same_records,
    assert_seed_decides,
    discrete_policy,
    episode_returns,
    launch,
    record_steps,
)
from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.side_channel.environment_parameters_channel import SamplerTypes
from mlagents_envs.side_channel.stats_side_channel import (
    StatsAggregationMethod,
    StatsSideChannel,
)
from mlagents_sim.envs.basic import Basic, Hybrid, basic_heuristic, hybrid_heuristic
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.side_channels import Sampler, Stat

AVERAGE = StatsAggregationMethod.AVERAGE


def basic_step(sim: Basic, actions: list[int]):
    discrete = np.asarray(actions, dtype=np.int32)[:, None]
    return sim.tick({"Basic?team=0": ActionTuple(discrete=discrete)})["Basic?team=0"]


def hybrid_step(sim: Hybrid, moves: list[list[float]], boosts: list[int]):
    action = ActionTuple(
        continuous=np.asarray(moves, dtype=np.float32),
        discrete=np.asarray(boosts, dtype=np.int32)[:, None],
    )
    return sim.tick({"Hybrid?team=0": action})["Hybrid?team=0"]


def started_hybrid(seed: int = 0, **kwargs: int) -> Hybrid:
    sim = Hybrid(seed=seed, **kwargs)
    sim.reset_agents("Hybrid?team=0", np.arange(sim.n_agents))
    return sim


def place(sim: Hybrid, x: list[float], y: list[float], tx: list[float], ty: list[float]):
    sim.x[:], sim.y[:] = x, y
    sim.target_x[:], sim.target_y[:] = tx, ty


def hybrid_policy(heuristic: Callable[[np.ndarray], ActionTuple]) -> Policy:
    """The policy of a heuristic from Hybrid observations to hybrid actions."""
    return lambda behavior, decision: heuristic(decision.obs[0])


# --- Basic -------------------------------------------------------------------------------


def test_basic_specs():
    sim = Basic()
    (behavior,) = sim.behaviors
    assert behavior.behavior_id == "Basic?team=0"
    assert behavior.n_agents == 1
    assert behavior.decision_period == 1
    assert behavior.max_step == 100
    assert behavior.reward_accumulates is True
    assert behavior.compressed == (False,)
    assert behavior.spec.observation_specs == [
        ObservationSpec((20,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "OneHotPosition")
    ]
    assert behavior.spec.action_spec == ActionSpec.create_discrete((3,))
    assert Basic(num_areas=3).behaviors[0].n_agents == 3
    assert Basic(num_areas=2, agents_per_area=3).behaviors[0].n_agents == 6
    with pytest.raises(ValueError):
        Basic(agents_per_area=0)


def test_basic_observation_is_one_hot_of_the_position():
    sim = Basic(num_areas=4)
    sim.reset_agents("Basic?team=0", np.arange(4))
    np.testing.assert_array_equal(sim.position, 10)
    sim.position[:] = [0, 7, 13, 19]
    (obs,) = sim.observe("Basic?team=0", np.array([3, 0, 2]))
    assert obs.dtype == np.float32 and obs.shape == (3, 20)
    expected = np.zeros((3, 20), dtype=np.float32)
    expected[[0, 1, 2], [19, 0, 13]] = 1.0
    np.testing.assert_array_equal(obs, expected)
    (empty,) = sim.observe("Basic?team=0", np.zeros(0, dtype=np.int64))
    assert empty.shape == (0, 20) and empty.dtype == np.float32


def test_basic_moves_in_ml_agents_order_and_stays_on_the_line():
    sim = Basic(num_areas=6)
    sim.reset_agents("Basic?team=0", np.arange(6))
    sim.position[:] = [10, 10, 10, 0, 19, 12]
    # stay, left, right, left at the left end, right at the right end, out of range
    transition = basic_step(sim, [0, 1, 2, 1, 2, 5])
    np.testing.assert_array_equal(sim.position, [10, 9, 11, 0, 19, 12])
    assert not transition.done.any()
    assert transition.reward.dtype == np.float32
    np.testing.assert_array_equal(transition.reward, np.float32(-0.01))
    basic_step(sim, [0, 0, 0, 0, 0, -1])
    np.testing.assert_array_equal(sim.position, [10, 9, 11, 0, 19, 12])


def test_basic_goals_end_episodes_with_their_rewards_and_stats():
    sim = Basic(num_areas=5)
    sim.reset_agents("Basic?team=0", np.arange(5))
    sim.position[:] = [8, 16, 6, 18, 12]
    transition = basic_step(sim, [1, 2, 2, 1, 2])
    np.testing.assert_array_equal(sim.position, [7, 17, 7, 17, 13])
    np.testing.assert_array_equal(transition.done, [True, True, True, True, False])
    np.testing.assert_allclose(transition.reward, [0.09, 0.99, 0.09, 0.99, -0.01], rtol=1e-6)
    # One statistic per goal reached, in row order: 1 for the large goal, 0 for the small.
    assert sim.stats.pending == [
        Stat("Basic/Goal", 0.0, AVERAGE),
        Stat("Basic/Goal", 1.0, AVERAGE),
        Stat("Basic/Goal", 0.0, AVERAGE),
        Stat("Basic/Goal", 1.0, AVERAGE),
    ]
    sim.stats.pending.clear()
    sim.reset_agents("Basic?team=0", np.flatnonzero(transition.done))
    np.testing.assert_array_equal(sim.position, [10, 10, 10, 10, 13])
    # Staying on a goal takes it again.
    sim.position[4] = 7
    assert basic_step(sim, [0, 0, 0, 0, 0]).done.tolist() == [False] * 4 + [True]


def test_basic_start_position_parameter():
    sim = Basic(num_areas=4)
    sim.parameters.set("start_position", 3.4)
    sim.reset_agents("Basic?team=0", np.arange(4))
    np.testing.assert_array_equal(sim.position, 3)
    sim.parameters.set("start_position", 25.0)
    sim.reset_agents("Basic?team=0", np.array([0]))
    sim.parameters.set("start_position", float("nan"))
    sim.reset_agents("Basic?team=0", np.array([1]))
    np.testing.assert_array_equal(sim.position, [19, 10, 3, 3])
    # A sampler draws once per agent.
    sim.parameters.set("start_position", Sampler(SamplerTypes.UNIFORM, 1, [8.0, 16.0]))
    sim.reset_agents("Basic?team=0", np.arange(4))
    assert np.all((sim.position >= 8) & (sim.position <= 16))
    first = sim.position.copy()
    draws = [first]
    for _ in range(5):
        sim.reset_agents("Basic?team=0", np.arange(4))
        draws.append(sim.position.copy())
    assert len(np.unique(np.concatenate(draws))) > 3


def test_basic_heuristic_walks_to_the_large_goal():
    obs = np.eye(20, dtype=np.float32)[[0, 10, 16, 18, 19]]
    actions = basic_heuristic(obs)
    assert actions.dtype == np.int32 and actions.shape == (5, 1)
    assert actions[:, 0].tolist() == [2, 2, 2, 1, 1]


def test_basic_episodes_are_interrupted_after_100_ticks():
    with InProcessEnv(Basic(), [StatsSideChannel()]) as env:
        env.reset()
        for step in range(1, 101):
            env.set_actions("Basic?team=0", ActionTuple(discrete=np.zeros((1, 1), np.int32)))
            env.step()
            decision, terminal = env.get_steps("Basic?team=0")
            if step < 100:
                assert len(terminal) == 0 and decision.reward[0] == np.float32(-0.01)
        assert terminal.interrupted.tolist() == [True]
        assert terminal.reward[0] == np.float32(-0.01)
        np.testing.assert_array_equal(decision.obs[0][0], np.eye(20, dtype=np.float32)[10])
        assert decision.reward.tolist() == [0.0]


def test_basic_walking_right_beats_random_and_reports_its_goals():
    stats = StatsSideChannel()
    with InProcessEnv(Basic(num_areas=4), [stats]) as env:
        scripted = episode_returns(env, 160, discrete_policy(basic_heuristic))["Basic?team=0"]
    goals = stats.get_and_reset_stats()["Basic/Goal"]
    # Every agent reaches the large goal every 7 ticks.
    assert len(goals) == len(scripted) == 4 * (160 // 7)
    assert set(goals) == {(1.0, AVERAGE)}
    np.testing.assert_allclose(scripted, 0.93, rtol=1e-5)

    with InProcessEnv(Basic(num_areas=4), [StatsSideChannel()]) as env:
        random = episode_returns(env, 600, seed=2)["Basic?team=0"]
    assert len(random) > 20
    assert np.mean(scripted) - np.mean(random) > 0.6


# --- Hybrid ------------------------------------------------------------------------------


def test_hybrid_specs():
    sim = Hybrid()
    (behavior,) = sim.behaviors
    assert behavior.behavior_id == "Hybrid?team=0"
    assert behavior.n_agents == 4
    assert behavior.decision_period == 1
    assert behavior.max_step == 200
    assert behavior.reward_accumulates is True
    assert behavior.compressed == (False,)
    assert behavior.spec.observation_specs == [
        ObservationSpec(
            (4,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "PositionAndTarget"
        )
    ]
    assert behavior.spec.action_spec == ActionSpec.create_hybrid(2, (2,))
    assert Hybrid(num_areas=3).behaviors[0].n_agents == 12
    assert Hybrid(num_areas=2, agents_per_area=1).behaviors[0].n_agents == 2
    with pytest.raises(ValueError):
        Hybrid(agents_per_area=0)


def test_hybrid_episodes_begin_apart_on_the_square():
    sim = started_hybrid(seed=3, num_areas=50)
    (obs,) = sim.observe("Hybrid?team=0", np.arange(200))
    assert obs.dtype == np.float32 and obs.shape == (200, 4)
    assert np.all(np.abs(obs) <= 1.0)
    distance = np.hypot(obs[:, 2] - obs[:, 0], obs[:, 3] - obs[:, 1])
    assert distance.min() >= 0.5 - 1e-6
    # Spread over the square, not bunched up.
    assert obs.min() < -0.9 and obs.max() > 0.9
    # Restarting some agents leaves the others alone.
    sim.reset_agents("Hybrid?team=0", np.array([0, 5]))
    (again,) = sim.observe("Hybrid?team=0", np.arange(200))
    changed = np.any(again != obs, axis=1)
    assert np.flatnonzero(changed).tolist() == [0, 5]


def test_hybrid_observation_on_hand_set_state():
    sim = started_hybrid()
    place(sim, [0.1, -0.2, 0.3, -0.4], [0.5, 0.6, -0.7, 0.8], [1, -1, 0, 0.25], [0, 0, 1, -1])
    (obs,) = sim.observe("Hybrid?team=0", np.array([2, 0]))
    np.testing.assert_array_equal(
        obs, np.array([[0.3, -0.7, 0.0, 1.0], [0.1, 0.5, 1.0, 0.0]], dtype=np.float32)
    )
    (empty,) = sim.observe("Hybrid?team=0", np.zeros(0, dtype=np.int64))
    assert empty.shape == (0, 4) and empty.dtype == np.float32


def test_hybrid_moves_boosts_and_walls():
    sim = started_hybrid()
    place(sim, [0.0, 0.0, 0.95, 0.0], [0.0, 0.0, -0.95, 0.0], [-1] * 4, [-1] * 4)
    transition = hybrid_step(
        sim, [[0.5, -1.0], [0.5, -1.0], [1.0, -1.0], [3.0, float("nan")]], [0, 1, 1, 0]
    )
    np.testing.assert_allclose(sim.x, [0.05, 0.1, 1.0, 0.1])
    np.testing.assert_allclose(sim.y, [-0.1, -0.2, -1.0, 0.0])
    assert not transition.done.any()
    np.testing.assert_allclose(transition.reward, [-0.01, -0.015, -0.015, -0.01], rtol=1e-6)
    # Boost values other than 1 do not boost.
    place(sim, [0.0] * 4, [0.0] * 4, [-1] * 4, [-1] * 4)
    hybrid_step(sim, [[1.0, 0.0]] * 4, [0, 1, 2, -1])
    np.testing.assert_allclose(sim.x, [0.1, 0.2, 0.1, 0.1])


def test_hybrid_target_taken_only_by_an_unboosted_move():
    sim = started_hybrid()
    place(sim, [0.0, 0.0, 0.0, 0.0], [0.0] * 4, [0.15, 0.15, 0.2, 0.5], [0.0] * 4)
    # Ends within 0.1 unboosted; within 0.1 boosted; on it boosted (1.5 clips); still far.
    transition = hybrid_step(sim, [[1.0, 0.0], [0.5, 0.0], [1.5, 0.0], [1.0, 0.0]], [0, 1, 1, 0])
    np.testing.assert_array_equal(transition.done, [True, False, False, False])
    np.testing.assert_allclose(transition.reward, [0.99, -0.015, -0.015, -0.01], rtol=1e-6)
    # A plain move (even a standstill) on the target takes it.
    transition = hybrid_step(sim, [[0.0, 0.0]] * 4, [0, 0, 0, 0])
    np.testing.assert_array_equal(transition.done, [True, True, True, False])


def test_hybrid_same_seed_same_run_other_seed_other_run():
    def run(seed: int) -> list[np.ndarray]:
        sim = started_hybrid(seed=seed, num_areas=2)
        rng = np.random.default_rng(7)
        record = []
        for _ in range(300):
            moves = rng.uniform(-1, 1, (8, 2))
            transition = hybrid_step(sim, moves.tolist(), rng.integers(0, 2, 8).tolist())
            record += [sim.observe("Hybrid?team=0", np.arange(8))[0], transition.reward]
            record.append(transition.done)
            if transition.done.any():
                sim.reset_agents("Hybrid?team=0", np.flatnonzero(transition.done))
        return record

    first = assert_seed_decides(run)
    assert any(r.dtype == bool and r.any() for r in first)  # some episodes did restart


def test_hybrid_heuristic_output():
    obs = np.array([[0, 0, 0.8, -0.1], [0, 0, 0.15, 0.05], [0.5, 0.5, 0.5, 0.45]], np.float32)
    action = hybrid_heuristic(obs)
    assert action.continuous.dtype == np.float32 and action.continuous.shape == (3, 2)
    assert action.discrete.dtype == np.int32 and action.discrete.shape == (3, 1)
    assert action.discrete[:, 0].tolist() == [1, 0, 0]
    np.testing.assert_allclose(action.continuous, [[1, -0.5], [1, 0.5], [0, -0.5]], atol=1e-6)


def test_hybrid_heuristic_beats_never_boosting_always_boosting_and_random():
    def never_boost(obs: np.ndarray) -> ActionTuple:
        move = np.clip((obs[:, 2:] - obs[:, :2]) / 0.1, -1, 1).astype(np.float32)
        return ActionTuple(move, np.zeros((len(obs), 1), np.int32))

    def always_boost(obs: np.ndarray) -> ActionTuple:
        return ActionTuple(hybrid_heuristic(obs).continuous, np.ones((len(obs), 1), np.int32))

    results = {}
    for label, policy, steps in [
        ("scripted", hybrid_policy(hybrid_heuristic), 200),
        ("never", hybrid_policy(never_boost), 200),
        ("always", hybrid_policy(always_boost), 250),
        ("random", None, 800),
    ]:
        with InProcessEnv(Hybrid(seed=4, num_areas=3)) as env:
            results[label] = episode_returns(env, steps, policy, seed=1)["Hybrid?team=0"]
    scripted = np.mean(results["scripted"])
    assert len(results["scripted"]) > 200
    assert 0.9 < scripted < 0.95
    assert scripted > np.mean(results["never"]) + 0.01
    np.testing.assert_allclose(results["always"], -3.0, rtol=1e-4)  # every one interrupted
    assert len(results["random"]) > 10
    assert scripted - np.mean(results["random"]) > 2.0


# --- As executables ----------------------------------------------------------------------


def test_basic_statistics_cross_the_wire(executables: dict[str, Path]):
    wire_stats, local_stats = StatsSideChannel(), StatsSideChannel()
    with launch(executables["Basic"], seed=11, num_areas=2, side_channels=[wire_stats]) as env:
        over_wire = record_steps(env, 160, seed=5)
    with InProcessEnv(Basic(seed=11, num_areas=2), [local_stats]) as env:
        in_process = record_steps(env, 160, seed=5)
    assert_same_records(over_wire, in_process)
    # The same statistics came over the wire as in-process.
    wire, local = wire_stats.get_and_reset_stats(), local_stats.get_and_reset_stats()
    assert wire == local
    assert len(wire["Basic/Goal"]) > 5


def test_hybrid_action_spec_reaches_the_wire(executables: dict[str, Path]):
    with launch(executables["Hybrid"]) as env:
        env.reset()
        spec = env.behavior_specs["Hybrid?team=0"]
        assert spec.action_spec.continuous_size == 2
        assert spec.action_spec.discrete_branches == (2,)
        assert [o.shape for o in spec.observation_specs] == [(4,)]
        decision, _ = env.get_steps("Hybrid?team=0")
        assert len(decision) == 4
        action = hybrid_heuristic(decision.obs[0])
        env.set_actions("Hybrid?team=0", action)
        env.step()
        # The boost reached the environment: each agent moved by the heuristic's reach.
        moved = env.get_steps("Hybrid?team=0")[0].obs[0][:, :2] - decision.obs[0][:, :2]
        reach = 0.1 * np.where(action.discrete[:, 0] == 1, 2.0, 1.0)
        expected = (
            np.clip(decision.obs[0][:, :2] + reach[:, None] * action.continuous, -1.0, 1.0)
            - decision.obs[0][:, :2]
        )
        np.testing.assert_allclose(moved, expected, atol=1e-6)

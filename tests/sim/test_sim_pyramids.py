"""Pyramids: specs, placement, moves, the switch and the brick, rewards and episode ends, the
room_size parameter, seeds, the scripted policy against random actions, in-process and as an
executable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from devtools.envtest import (
    assert_same_records,
    assert_seed_decides,
    discrete_policy,
    episode_returns,
    launch,
    record_steps,
    recorded,
)
from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
    SamplerTypes,
)
from mlagents_envs.side_channel.stats_side_channel import StatsSideChannel
from mlagents_sim.catalog import EXPECTED_REWARDS
from mlagents_sim.envs.pyramids import (
    BACK,
    FORWARD,
    NOTHING,
    TURN_LEFT,
    TURN_RIGHT,
    Pyramids,
    pyramids_heuristic,
)
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.side_channels import Sampler

ENV = "Pyramids"
#: The behavior id, as the environment names it (not written out here).
NAME = Pyramids().behaviors[0].behavior_id
NORTH, EAST, SOUTH, WEST = range(4)
PENALTY = np.float32(-1.0 / 500)


def started(seed: int = 0, num_areas: int = 1) -> Pyramids:
    sim = Pyramids(seed=seed, num_areas=num_areas)
    sim.reset_agents(NAME, np.arange(sim.n_agents))
    return sim


def place(
    sim: Pyramids,
    row: int,
    agent: tuple[int, int],
    heading: int,
    switch: tuple[int, int],
    brick: tuple[int, int],
    on: bool = False,
) -> None:
    sim.x[row], sim.y[row] = agent
    sim.heading[row] = heading
    sim.switch_x[row], sim.switch_y[row] = switch
    sim.brick_x[row], sim.brick_y[row] = brick
    sim.switch_on[row] = on


def step(sim: Pyramids, actions):
    discrete = np.asarray(actions, dtype=np.int32).reshape(-1, 1)
    return sim.tick({NAME: ActionTuple(discrete=discrete)})[NAME]


def cells(sim: Pyramids) -> list[tuple[int, int]]:
    return list(zip(sim.x.tolist(), sim.y.tolist()))


def test_behavior_and_specs():
    sim = Pyramids(num_areas=3)
    (behavior,) = sim.behaviors
    assert behavior.name == "Pyramids" and behavior.team_id == 0
    assert behavior.behavior_id == "Pyramids?team=0"
    assert behavior.n_agents == 3
    assert behavior.decision_period == 1
    assert behavior.max_step == 500
    assert behavior.reward_accumulates is True
    assert behavior.compressed == (False,)
    assert behavior.spec.observation_specs == [
        ObservationSpec((9,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "VectorSensor")
    ]
    assert behavior.spec.action_spec == ActionSpec.create_discrete((5,))
    assert sim.action_masks(NAME, np.arange(3)) is None
    assert EXPECTED_REWARDS[ENV] == 1.75


def test_episodes_begin_with_agent_switch_and_brick_in_three_zones():
    sim = started(seed=3, num_areas=400)
    assert np.all(sim.room_size == 16)
    # Zones of a 16-cell side: cells 0-5, 6-10, 11-15.
    zone = {
        name: 3 * getattr(sim, f"{name}x") // 16 + 3 * (3 * getattr(sim, f"{name}y") // 16)
        for name in ("", "switch_", "brick_")
    }
    assert np.all(zone[""] != zone["switch_"])
    assert np.all(zone[""] != zone["brick_"]) and np.all(zone["switch_"] != zone["brick_"])
    for name in zone:
        assert set(zone[name].tolist()) == set(range(9))
        for axis in "xy":
            coordinate = getattr(sim, f"{name}{axis}")
            assert coordinate.min() == 0 and coordinate.max() == 15
    assert set(sim.heading.tolist()) == {NORTH, EAST, SOUTH, WEST}
    assert not sim.switch_on.any()
    (obs,) = sim.observe(NAME, np.arange(400))
    assert obs.dtype == np.float32 and obs.shape == (400, 9)
    # The switch is off and the brick hidden; the switch is always somewhere else.
    assert np.all(obs[:, 0] == 0) and np.all(obs[:, 3:5] == 0)
    assert np.all(np.abs(obs[:, 1:3]).sum(axis=1) > 0)
    empty = sim.observe(NAME, np.zeros(0, dtype=np.int64))
    assert [o.shape for o in empty] == [(0, 9)] and empty[0].dtype == np.float32


def test_observation_of_a_hand_set_state():
    sim = started()
    place(sim, 0, agent=(2, 3), heading=EAST, switch=(5, 3), brick=(2, 0))
    (obs,) = sim.observe(NAME, np.array([0]))
    expected = [0, 3 / 16, 0, 0, 0, 2 * 2 / 15 - 1, 2 * 3 / 15 - 1, 1, 0]
    np.testing.assert_allclose(obs[0], np.array(expected, np.float32), rtol=0, atol=1e-7)
    # Once the switch is on, the brick shows: 3 cells south is to the right of east.
    sim.switch_on[0] = True
    (obs,) = sim.observe(NAME, np.array([0]))
    np.testing.assert_allclose(obs[0, [0, 3, 4]], [1, 0, 3 / 16], atol=1e-7)
    # Heading north, the same switch is 3 to the right, the brick 3 behind.
    sim.heading[0] = NORTH
    (obs,) = sim.observe(NAME, np.array([0]))
    np.testing.assert_allclose(obs[0, 1:5], [0, 3 / 16, -3 / 16, 0], atol=1e-7)
    np.testing.assert_array_equal(obs[0, 7:], [0, 1])
    # Heading west: the switch is behind; south is to the left.
    sim.heading[0] = WEST
    (obs,) = sim.observe(NAME, np.array([0]))
    np.testing.assert_allclose(obs[0, 1:5], [-3 / 16, 0, 0, -3 / 16], atol=1e-7)
    np.testing.assert_array_equal(obs[0, 7:], [-1, 0])


def test_moves_turns_and_walls():
    sim = started(num_areas=7)
    far = ((7, 7), (12, 12))  # switch and brick out of the way
    place(sim, 0, (3, 3), NORTH, *far)
    place(sim, 1, (3, 3), EAST, *far)
    place(sim, 2, (3, 3), NORTH, *far)
    place(sim, 3, (3, 3), NORTH, *far)
    place(sim, 4, (0, 15), NORTH, *far)  # against the north wall
    place(sim, 5, (0, 15), WEST, *far)  # backs away from the west wall
    place(sim, 6, (3, 3), SOUTH, *far)
    t = step(sim, [FORWARD, FORWARD, BACK, TURN_RIGHT, FORWARD, BACK, 9])
    assert cells(sim) == [(3, 4), (4, 3), (3, 2), (3, 3), (0, 15), (1, 15), (3, 3)]
    assert sim.heading.tolist() == [NORTH, EAST, NORTH, EAST, NORTH, WEST, SOUTH]
    np.testing.assert_array_equal(t.reward, np.full(7, PENALTY))
    assert not t.done.any()
    step(sim, [TURN_LEFT, TURN_LEFT, NOTHING, FORWARD, TURN_LEFT, -1, TURN_RIGHT])
    assert sim.heading.tolist() == [WEST, NORTH, NORTH, EAST, WEST, WEST, WEST]
    assert cells(sim) == [(3, 4), (4, 3), (3, 2), (4, 3), (0, 15), (1, 15), (3, 3)]


def test_the_switch_shows_the_brick_and_the_brick_ends_the_episode():
    sim = started(num_areas=3)
    place(sim, 0, (3, 3), EAST, switch=(4, 3), brick=(4, 5))
    place(sim, 1, (3, 4), NORTH, switch=(8, 8), brick=(3, 5))  # the brick, still hidden
    place(sim, 2, (3, 4), NORTH, switch=(8, 8), brick=(3, 5), on=True)
    t = step(sim, [FORWARD, FORWARD, FORWARD])
    assert sim.switch_on.tolist() == [True, False, True]
    # Walking over a hidden brick does nothing; a shown one ends the episode with +2, set
    # over the tick's penalty.
    np.testing.assert_array_equal(t.done, [False, False, True])
    np.testing.assert_array_equal(t.reward, np.array([PENALTY, PENALTY, 2.0], np.float32))
    np.testing.assert_array_equal(t.set_reward, t.done)
    (obs,) = sim.observe(NAME, np.arange(2))
    np.testing.assert_allclose(obs[:, 0], [1, 0])
    # Agent 0 faces east: the brick, 2 cells north, is 2 to its left...
    np.testing.assert_allclose(obs[0, 3:5], [0, -2 / 16], atol=1e-7)
    # ...and straight ahead after a left turn; the switch is under the agent.
    step(sim, [TURN_LEFT, NOTHING, NOTHING])
    (obs,) = sim.observe(NAME, np.arange(1))
    np.testing.assert_allclose(obs[0, 1:5], [0, 0, 2 / 16, 0], atol=1e-7)
    # The switch stays on once left; the brick ends agent 0's episode.
    t1 = step(sim, [FORWARD, NOTHING, NOTHING])
    t2 = step(sim, [FORWARD, NOTHING, NOTHING])
    assert not t1.done[0] and t2.done[0] and t2.reward[0] == 2.0
    assert sim.switch_on[0]


def test_a_success_totals_two_less_the_earlier_penalties_and_a_time_out_minus_one():
    with InProcessEnv(Pyramids(seed=2, num_areas=2)) as env:
        env.reset()
        (name,) = env.behavior_specs
        sim = env.simulation
        assert isinstance(sim, Pyramids)
        # Agent 0 four moves from the switch, then three from the brick; agent 1 idles.
        place(sim, 0, (0, 0), NORTH, switch=(0, 4), brick=(0, 7))
        place(sim, 1, (13, 13), NORTH, switch=(0, 0), brick=(5, 5))
        totals = np.zeros(2)
        ended: dict[int, tuple[float, bool]] = {}
        for tick in range(500):
            decision, terminal = env.get_steps(name)
            for agent, reward, cut in zip(terminal.agent_id, terminal.reward, terminal.interrupted):
                ended[int(agent)] = (totals[agent] + reward, bool(cut))
                totals[agent] = 0.0
            if tick:
                totals[decision.agent_id] += decision.reward
            moves = [FORWARD if 0 not in ended else NOTHING, NOTHING]
            env.set_actions(name, ActionTuple(discrete=np.array(moves, np.int32)[:, None]))
            env.step()
        decision, terminal = env.get_steps(name)
        assert terminal.agent_id.tolist() == [1] and terminal.interrupted.all()
        assert ended[0] == (pytest.approx(2.0 - 6 / 500, abs=1e-5), False)
        assert totals[1] + terminal.reward[0] == pytest.approx(-1.0, abs=1e-4)


def test_room_size_parameter_is_read_per_episode_rounded_and_clipped():
    sim = Pyramids(seed=1, num_areas=200)
    rows = np.arange(200)
    for value, size in ((8.0, 8), (9.6, 10), (2.0, 6), (100.0, 64), (np.nan, 16)):
        sim.parameters.set("room_size", value)
        sim.reset_agents(NAME, rows)
        np.testing.assert_array_equal(sim.room_size, size)
        (obs,) = sim.observe(NAME, rows)
        for axis in ("x", "y", "switch_x", "switch_y", "brick_x", "brick_y"):
            coordinate = getattr(sim, axis)
            assert coordinate.min() >= 0 and coordinate.max() <= size - 1
            if size <= 10:  # 200 agents fill every row and column of a small room
                assert coordinate.min() == 0 and coordinate.max() == size - 1
                assert obs[:, 5:7].min() == -1 and obs[:, 5:7].max() == 1
    # A sampler draws per episode; walls follow each agent's own room.
    sim.parameters.set("room_size", Sampler(SamplerTypes.UNIFORM, 3, [6.0, 10.0]))
    sim.reset_agents(NAME, rows)
    assert set(sim.room_size.tolist()) == {6, 7, 8, 9, 10}
    sim.x[:], sim.y[:], sim.heading[:] = 0, 0, NORTH
    for _ in range(12):
        step(sim, [FORWARD] * 200)
    np.testing.assert_array_equal(sim.y, sim.room_size - 1)


def test_room_size_sets_how_often_random_actions_succeed():
    def random_success(room_size: float) -> float:
        parameters = EnvironmentParametersChannel()
        parameters.set_float_parameter("room_size", room_size)
        with InProcessEnv(Pyramids(seed=3, num_areas=32), [parameters]) as env:
            (returns,) = episode_returns(env, 3000, None, seed=3).values()
        return float(np.mean(np.array(returns) > 0))

    small, default = random_success(10.0), random_success(16.0)
    assert small > 0.08
    assert default < 0.05
    assert small > default + 0.05


def test_same_seed_same_run_other_seed_other_run():
    def run(seed: int) -> list[np.ndarray]:
        sim = started(seed=seed, num_areas=4)
        rows = np.arange(4)
        actions = np.random.default_rng(11)
        record = []
        steps = np.zeros(4, dtype=np.int64)
        for _ in range(400):
            t = step(sim, actions.integers(0, 5, 4))
            steps += 1
            record += [*sim.observe(NAME, rows), t.reward, t.done]
            ended = t.done | (steps >= 100)
            if ended.any():
                sim.reset_agents(NAME, np.flatnonzero(ended))
                steps[ended] = 0
        return record

    assert_seed_decides(run)


def test_the_heuristic_takes_a_shortest_path():
    sim = started(num_areas=3)
    # Switch 3 ahead and 2 to the right, then the brick 4 behind: 3 + 1 + 2, then 4.
    place(sim, 0, (2, 2), NORTH, switch=(4, 5), brick=(0, 5))
    # Switch straight behind (2 back), then the brick to the left: 2, then 1 + 3.
    place(sim, 1, (6, 6), EAST, switch=(4, 6), brick=(4, 9))
    # Switch to the left, level with the agent: 1 + 5, then the brick 1 ahead.
    place(sim, 2, (7, 2), SOUTH, switch=(12, 2), brick=(13, 2))
    rows = np.arange(3)
    took = np.zeros(3, dtype=np.int64)
    done = np.zeros(3, dtype=bool)
    first = []
    for _ in range(30):
        actions = pyramids_heuristic(sim.observe(NAME, rows)[0])
        assert actions.shape == (3, 1) and actions.dtype == np.int32
        first.append(actions[:, 0].tolist())
        t = step(sim, np.where(done, NOTHING, actions[:, 0]))
        took += ~done
        done |= t.done
        if done.all():
            break
    assert done.all()
    assert took.tolist() == [10, 6, 7]
    assert first[0] == [FORWARD, BACK, TURN_LEFT]


def test_scripted_policy_reaches_the_expected_reward_and_random_does_not():
    stats = StatsSideChannel()
    with InProcessEnv(Pyramids(seed=0, num_areas=8), [stats]) as env:
        (scripted,) = episode_returns(env, 600, discrete_policy(pyramids_heuristic)).values()
    with InProcessEnv(Pyramids(seed=0, num_areas=8)) as env:
        (random,) = episode_returns(env, 5000, None, seed=0).values()
    assert len(scripted) > 150 and min(scripted) > 1.5
    assert np.mean(scripted) > EXPECTED_REWARDS[ENV]
    assert len(random) >= 70
    assert np.mean(random) < -0.8 and np.mean(np.array(random) > 0) < 0.1
    # The agent sends no statistics, as upstream's.
    assert stats.get_and_reset_stats() == {}


# --- As an executable ----------------------------------------------------------------------


def test_executable_and_in_process_agree_with_the_scripted_policy(executables: dict[str, Path]):
    def parameters() -> EnvironmentParametersChannel:
        channel = EnvironmentParametersChannel()
        channel.set_float_parameter("room_size", 9.0)
        return channel

    policy = discrete_policy(pyramids_heuristic)
    with launch(executables[ENV], seed=7, num_areas=3, side_channels=[parameters()]) as env:
        over_wire = record_steps(env, 120, seed=2, policy=policy)
        (name,) = env.behavior_specs
        assert name.partition("?")[0] == ENV
    with InProcessEnv(Pyramids(seed=7, num_areas=3), [parameters()]) as env:
        in_process = record_steps(env, 120, seed=2, policy=policy)
        assert env.simulation.room_size.tolist() == [9, 9, 9]  # type: ignore[attr-defined]
    assert_same_records(over_wire, in_process)
    # Episodes ended on the brick, with its reward.
    rewards = np.concatenate(recorded(in_process, "terminal.reward")[name])
    assert len(rewards) >= 6 and np.all(rewards == 2.0)
    positions = np.concatenate(recorded(in_process, "decision.obs[0]")[name])[:, 5:7]
    # Positions of a 9-cell room: multiples of 2/8 between -1 and 1.
    np.testing.assert_allclose(positions * 4, np.round(positions * 4), atol=1e-5)

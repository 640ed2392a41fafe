"""Pyramids: specs, placement, what the agent perceives, moves, the switch, the stones and
the brick, rewards and episode ends, the room_size parameter, seeds, the scripted policy
against random actions, in-process and as an executable."""

from __future__ import annotations

import math
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
PENALTY = np.float32(-1.0 / 200)
#: Observation columns: the switch flag, then 8 sectors per channel.
WALL, SWITCH_OFF, SWITCH_ON, BRICK, STONE = (slice(1 + 8 * c, 9 + 8 * c) for c in range(5))
#: The default room's diagonal, the unit of distances.
DIAGONAL = 20 * math.sqrt(2)


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
    """A hand-set state: the stones stand on the brick's four sides, as at an episode begin."""
    sim.x[row], sim.y[row] = agent
    sim.heading[row] = heading
    sim.switch_x[row], sim.switch_y[row] = switch
    sim.brick_x[row], sim.brick_y[row] = brick
    sim.switch_on[row] = on
    stones = [(brick[0], brick[1] + 1), (brick[0] + 1, brick[1])]
    stones += [(brick[0], brick[1] - 1), (brick[0] - 1, brick[1])]
    size = sim.room_size[row]
    for j, (x, y) in enumerate(stones):
        sim.stone_x[row, j], sim.stone_y[row, j] = x, y
        sim.stone_in[row, j] = 0 <= x < size and 0 <= y < size


def step(sim: Pyramids, actions):
    discrete = np.asarray(actions, dtype=np.int32).reshape(-1, 1)
    return sim.tick({NAME: ActionTuple(discrete=discrete)})[NAME]


def cells(sim: Pyramids) -> list[tuple[int, int]]:
    return list(zip(sim.x.tolist(), sim.y.tolist()))


def observe(sim: Pyramids, row: int = 0) -> np.ndarray:
    return sim.observe(NAME, np.array([row]))[0][0]


def test_behavior_and_specs():
    sim = Pyramids(num_areas=3)
    (behavior,) = sim.behaviors
    assert behavior.name == "Pyramids" and behavior.team_id == 0
    assert behavior.behavior_id == "Pyramids?team=0"
    assert behavior.n_agents == 3
    assert behavior.decision_period == 1
    assert behavior.max_step == 200
    assert behavior.reward_accumulates is True
    assert behavior.compressed == (False,)
    assert behavior.spec.observation_specs == [
        ObservationSpec((41,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "VectorSensor")
    ]
    assert behavior.spec.action_spec == ActionSpec.create_discrete((5,))
    assert sim.action_masks(NAME, np.arange(3)) is None
    assert EXPECTED_REWARDS[ENV] == 1.75


def test_episodes_begin_with_the_switch_next_to_the_agent_and_the_brick_far_from_it():
    sim = started(seed=3, num_areas=2000)
    assert np.all(sim.room_size == 20)
    # Zones of a 20-cell side: cells 0-6, 7-13, 14-19.
    zone_x = {name: 3 * getattr(sim, f"{name}x") // 20 for name in ("", "switch_", "brick_")}
    zone_y = {name: 3 * getattr(sim, f"{name}y") // 20 for name in ("", "switch_", "brick_")}
    gap = {
        (a, b): (np.abs(zone_x[a] - zone_x[b]), np.abs(zone_y[a] - zone_y[b]))
        for a, b in (("", "switch_"), ("switch_", "brick_"))
    }
    # The switch's zone shares a side with the agent's; the brick's is two zones away from
    # the switch's along some axis; the switch is never in the centre zone.
    assert np.all(sum(gap["", "switch_"]) == 1)
    assert np.all(np.maximum(*gap["switch_", "brick_"]) == 2)
    assert not np.any((zone_x["switch_"] == 1) & (zone_y["switch_"] == 1))
    names = ("", "switch_", "brick_")
    layouts = {tuple((zone_x[k][i], zone_y[k][i]) for k in names) for i in range(2000)}
    assert len(layouts) == 76  # every allowed layout comes up
    for name in ("", "switch_", "brick_"):
        for axis in "xy":
            coordinate = getattr(sim, f"{name}{axis}")
            assert coordinate.min() == 0 and coordinate.max() == 19
    assert set(sim.heading.tolist()) == {NORTH, EAST, SOUTH, WEST}
    assert not sim.switch_on.any()
    # The stones stand on the brick's four sides, those inside the room.
    offsets = np.stack([sim.stone_x - sim.brick_x[:, None], sim.stone_y - sim.brick_y[:, None]])
    assert offsets[:, 0].T.tolist() == [[0, 1], [1, 0], [0, -1], [-1, 0]]
    assert np.array_equal(offsets[:, 1:], np.broadcast_to(offsets[:, :1], offsets[:, 1:].shape))
    inside = (sim.stone_x >= 0) & (sim.stone_x < 20) & (sim.stone_y >= 0) & (sim.stone_y < 20)
    assert np.array_equal(sim.stone_in, inside) and not inside.all()
    (obs,) = sim.observe(NAME, np.arange(2000))
    assert obs.dtype == np.float32 and obs.shape == (2000, 41)
    # The switch is off, seen in exactly one sector; the pyramid is hidden.
    assert np.all(obs[:, 0] == 0)
    assert np.all((obs[:, SWITCH_OFF] > 0).sum(axis=1) == 1)
    assert np.all(obs[:, SWITCH_ON] == 0) and np.all(obs[:, BRICK] == 0)
    assert np.all(obs[:, STONE] == 0)
    empty = sim.observe(NAME, np.zeros(0, dtype=np.int64))
    assert [o.shape for o in empty] == [(0, 41)] and empty[0].dtype == np.float32


def test_what_the_agent_perceives_of_a_hand_set_state():
    sim = started()
    place(sim, 0, agent=(2, 3), heading=EAST, switch=(5, 3), brick=(6, 7))
    obs = observe(sim)
    assert obs[0] == 0
    # Walls along each sector's centre, clockwise from ahead (east): 17 cells east, 3 south
    # and 2 west on the diagonals, 3 south, 2 west, 16 north, 16 on the diagonal north-east.
    r2 = math.sqrt(2)
    walls = [17, 3 * r2, 3, 2 * r2, 2, 2 * r2, 16, 16 * r2]
    np.testing.assert_allclose(obs[WALL], np.array(walls) / DIAGONAL, rtol=1e-6)
    # The switch 3 cells straight ahead; the pyramid hidden.
    np.testing.assert_allclose(obs[SWITCH_OFF], [1 - 3 / DIAGONAL, 0, 0, 0, 0, 0, 0, 0], 1e-6)
    assert not obs[SWITCH_ON].any() and not obs[BRICK].any() and not obs[STONE].any()
    # Once the switch is on, it moves to its own channel and the pyramid shows: the brick 4
    # cells ahead and 4 to the left (sector 7, 45 degrees left), its stones the same way,
    # the nearest 5 cells away.
    sim.switch_on[0] = True
    obs = observe(sim)
    assert obs[0] == 1 and not obs[SWITCH_OFF].any()
    np.testing.assert_allclose(obs[SWITCH_ON], [1 - 3 / DIAGONAL, 0, 0, 0, 0, 0, 0, 0], 1e-6)
    np.testing.assert_allclose(obs[BRICK], [0] * 7 + [1 - 4 * r2 / DIAGONAL], rtol=1e-6)
    np.testing.assert_allclose(obs[STONE], [0] * 7 + [1 - 5 / DIAGONAL], rtol=1e-6)
    # Turning right shifts every channel by two sectors: what was ahead is now to the left.
    sim.heading[0] = SOUTH
    turned = observe(sim)
    np.testing.assert_allclose(turned[1:].reshape(5, 8), np.roll(obs[1:].reshape(5, 8), -2, 1))
    # Next to the pyramid, stones fill several sectors: heading north from (5, 6), the
    # stones at (5, 7) and (6, 6) are one cell ahead and right, those at (6, 8) and (7, 7)
    # lie with the brick (6, 7) 45 degrees to the right.
    place(sim, 0, agent=(5, 6), heading=NORTH, switch=(5, 3), brick=(6, 7), on=True)
    obs = observe(sim)
    near, far = 1 - 1 / DIAGONAL, 1 - math.sqrt(5) / DIAGONAL
    np.testing.assert_allclose(obs[STONE], [near, far, near, 0, 0, 0, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(obs[BRICK], [0, 1 - r2 / DIAGONAL, 0, 0, 0, 0, 0, 0], 1e-6)
    # The switch 3 cells behind.
    np.testing.assert_allclose(obs[SWITCH_ON], [0, 0, 0, 0, 1 - 3 / DIAGONAL, 0, 0, 0], 1e-6)


def test_moves_turns_and_walls():
    sim = started(num_areas=7)
    far = ((7, 7), (12, 12))  # switch and brick out of the way
    place(sim, 0, (3, 3), NORTH, *far)
    place(sim, 1, (3, 3), EAST, *far)
    place(sim, 2, (3, 3), NORTH, *far)
    place(sim, 3, (3, 3), NORTH, *far)
    place(sim, 4, (0, 19), NORTH, *far)  # against the north wall
    place(sim, 5, (0, 19), WEST, *far)  # backs away from the west wall
    place(sim, 6, (3, 3), SOUTH, *far)
    t = step(sim, [FORWARD, FORWARD, BACK, TURN_RIGHT, FORWARD, BACK, 9])
    assert cells(sim) == [(3, 4), (4, 3), (3, 2), (3, 3), (0, 19), (1, 19), (3, 3)]
    assert sim.heading.tolist() == [NORTH, EAST, NORTH, EAST, NORTH, WEST, SOUTH]
    np.testing.assert_array_equal(t.reward, np.full(7, PENALTY))
    assert not t.done.any()
    step(sim, [TURN_LEFT, TURN_LEFT, NOTHING, FORWARD, TURN_LEFT, -1, TURN_RIGHT])
    assert sim.heading.tolist() == [WEST, NORTH, NORTH, EAST, WEST, WEST, WEST]
    assert cells(sim) == [(3, 4), (4, 3), (3, 2), (4, 3), (0, 19), (1, 19), (3, 3)]


def test_the_switch_shows_the_pyramid_and_the_brick_ends_the_episode():
    sim = started(num_areas=3)
    place(sim, 0, (3, 3), EAST, switch=(4, 3), brick=(4, 8))
    place(sim, 1, (3, 6), NORTH, switch=(12, 12), brick=(3, 8))  # all of it still hidden
    place(sim, 2, (3, 6), NORTH, switch=(12, 12), brick=(3, 7), on=True)
    sim.stone_in[2] = False  # no stone in agent 2's way
    t = step(sim, [FORWARD, FORWARD, FORWARD])
    assert sim.switch_on.tolist() == [True, False, True]
    # A hidden pyramid is no obstacle: agent 1 walks onto a stone's cell.
    assert cells(sim)[1] == (3, 7)
    # A shown brick ends the episode with +2, set over the tick's penalty.
    np.testing.assert_array_equal(t.done, [False, False, True])
    np.testing.assert_array_equal(t.reward, np.array([PENALTY, PENALTY, 2.0], np.float32))
    np.testing.assert_array_equal(t.set_reward, t.done)
    obs = observe(sim, 0)
    assert obs[0] == 1 and obs[BRICK].any() and obs[STONE].any()
    assert not observe(sim, 1)[BRICK].any()
    # Walking over a hidden brick does nothing.
    t = step(sim, [NOTHING, FORWARD, NOTHING])
    assert cells(sim)[1] == (3, 8) and not t.done[1]
    # The switch stays on once left.
    step(sim, [BACK, NOTHING, NOTHING])
    assert sim.switch_on[0]


def test_stones_are_knocked_onto_a_random_free_cell_around_them():
    n = 400
    sim = started(num_areas=n)
    # Heading north from (5, 5) towards the brick (5, 7), the stone (5, 6) in the way.
    for row in range(n):
        place(sim, row, (5, 5), NORTH, switch=(15, 15), brick=(5, 7), on=True)
    t = step(sim, [FORWARD] * n)
    assert cells(sim) == [(5, 5)] * n and not t.done.any()
    np.testing.assert_array_equal(t.reward, np.full(n, PENALTY))
    # Around (5, 6): the brick, the agent and two stones are taken; four cells are free.
    landed = set(zip(sim.stone_x[:, 2].tolist(), sim.stone_y[:, 2].tolist()))
    assert landed == {(6, 6), (6, 5), (4, 5), (4, 6)}
    assert sim.stone_x[:, [0, 1, 3]].tolist() == [[5, 6, 4]] * n
    # The way is free: onto the stone's old cell, then onto the brick.
    step(sim, [FORWARD] * n)
    assert cells(sim) == [(5, 6)] * n
    t = step(sim, [FORWARD] * n)
    assert t.done.all() and np.all(t.reward == 2.0)


def test_a_stone_with_nowhere_to_go_breaks():
    sim = started()
    # The brick in a corner's neighbourhood: its stone at (0, 0) is boxed in by the wall,
    # the brick (0, 1), the stone (1, 1) and the agent (1, 0).
    place(sim, 0, (1, 0), WEST, switch=(15, 15), brick=(0, 1), on=True)
    assert sim.stone_in[0].tolist() == [True, True, True, False]
    step(sim, [FORWARD])
    assert cells(sim) == [(1, 0)]
    assert sim.stone_in[0].tolist() == [True, True, False, False]
    step(sim, [FORWARD])
    assert cells(sim) == [(0, 0)]
    t = step(sim, [TURN_RIGHT])
    t = step(sim, [FORWARD])
    assert t.done[0] and t.reward[0] == 2.0


def test_a_success_totals_two_less_the_earlier_penalties_and_a_time_out_minus_one():
    with InProcessEnv(Pyramids(seed=2, num_areas=2)) as env:
        env.reset()
        (name,) = env.behavior_specs
        sim = env.simulation
        assert isinstance(sim, Pyramids)
        # Agent 0 four moves from the switch, then three from the brick (no stone in its
        # way); agent 1 idles.
        place(sim, 0, (0, 0), NORTH, switch=(0, 4), brick=(0, 7))
        sim.stone_in[0] = False
        place(sim, 1, (13, 13), NORTH, switch=(0, 0), brick=(5, 5))
        totals = np.zeros(2)
        ended: dict[int, tuple[float, bool]] = {}
        for tick in range(200):
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
        assert ended[0] == (pytest.approx(2.0 - 6 / 200, abs=1e-5), False)
        assert totals[1] + terminal.reward[0] == pytest.approx(-1.0, abs=1e-4)


def test_room_size_parameter_is_read_per_episode_rounded_and_clipped():
    sim = Pyramids(seed=1, num_areas=400)
    rows = np.arange(400)
    for value, size in ((8.0, 8), (9.6, 10), (2.0, 6), (100.0, 64), (np.nan, 20)):
        sim.parameters.set("room_size", value)
        sim.reset_agents(NAME, rows)
        np.testing.assert_array_equal(sim.room_size, size)
        for axis in ("x", "y", "switch_x", "switch_y", "brick_x", "brick_y"):
            coordinate = getattr(sim, axis)
            assert coordinate.min() >= 0 and coordinate.max() <= size - 1
            if size <= 10:  # 400 agents fill every row and column of a small room
                assert coordinate.min() == 0 and coordinate.max() == size - 1
        # Walls are seen at most a room's side away (the diagonal's share of it).
        (obs,) = sim.observe(NAME, rows)
        straight = obs[:, WALL][:, ::2]
        assert straight.min() == 0 and straight.max() <= (size - 1) / (size * math.sqrt(2))
    # A sampler draws per episode; walls follow each agent's own room.
    sim.parameters.set("room_size", Sampler(SamplerTypes.UNIFORM, 3, [6.0, 10.0]))
    sim.reset_agents(NAME, rows)
    assert set(sim.room_size.tolist()) == {6, 7, 8, 9, 10}
    sim.x[:], sim.y[:], sim.heading[:] = 0, 0, NORTH
    sim.switch_on[:] = False
    for _ in range(12):
        step(sim, [FORWARD] * 400)
    np.testing.assert_array_equal(sim.y, sim.room_size - 1)


def test_room_size_sets_how_often_random_actions_succeed():
    def random_success(room_size: float) -> float:
        parameters = EnvironmentParametersChannel()
        parameters.set_float_parameter("room_size", room_size)
        with InProcessEnv(Pyramids(seed=3, num_areas=32), [parameters]) as env:
            (returns,) = episode_returns(env, 2000, None, seed=3).values()
        return float(np.mean(np.array(returns) > 0))

    small, default = random_success(8.0), random_success(20.0)
    assert small > 0.02
    assert default < 0.01


def test_same_seed_same_run_other_seed_other_run():
    def run(seed: int) -> list[np.ndarray]:
        sim = started(seed=seed, num_areas=4)
        sim.switch_on[:] = True  # the pyramid shows, so that stones get knocked about
        rows = np.arange(4)
        actions = np.random.default_rng(11)
        record = []
        steps = np.zeros(4, dtype=np.int64)
        for _ in range(400):
            t = step(sim, actions.integers(0, 5, 4))
            steps += 1
            record += [*sim.observe(NAME, rows), t.reward, t.done, sim.stone_x.copy()]
            ended = t.done | (steps >= 100)
            if ended.any():
                sim.reset_agents(NAME, np.flatnonzero(ended))
                steps[ended] = 0
        return record

    assert_seed_decides(run)


def test_the_heuristic_walks_to_the_switch_then_knocks_its_way_to_the_brick():
    sim = started(num_areas=2)
    # Switch 3 ahead and 2 to the right: 3 forward (diagonally ahead), a right turn, 2
    # forward. Then the brick 7 to the left: a left turn, 5 forward, a knock at the stone in
    # the way, 2 forward.
    place(sim, 0, (2, 2), NORTH, switch=(4, 5), brick=(4, 12))
    # Switch 2 behind: two right turns, 2 forward. Then the brick 3 to the right: a turn, 1
    # forward, a knock, 2 forward.
    place(sim, 1, (6, 6), EAST, switch=(4, 6), brick=(4, 9))
    rows = np.arange(2)
    took = np.zeros(2, dtype=np.int64)
    done = np.zeros(2, dtype=bool)
    first = []
    for _ in range(40):
        actions = pyramids_heuristic(sim.observe(NAME, rows)[0])
        assert actions.shape == (2, 1) and actions.dtype == np.int32
        first.append(actions[:, 0].tolist())
        t = step(sim, np.where(done, NOTHING, actions[:, 0]))
        took += ~done
        done |= t.done
        if done.all():
            break
    assert done.all()
    assert took.tolist() == [15, 9]
    assert first[:2] == [[FORWARD, TURN_RIGHT], [FORWARD, TURN_RIGHT]]


def test_scripted_policy_reaches_the_expected_reward_and_random_does_not():
    stats = StatsSideChannel()
    with InProcessEnv(Pyramids(seed=0, num_areas=8), [stats]) as env:
        (scripted,) = episode_returns(env, 600, discrete_policy(pyramids_heuristic)).values()
    with InProcessEnv(Pyramids(seed=0, num_areas=8)) as env:
        (random,) = episode_returns(env, 3000, None, seed=0).values()
    assert len(scripted) > 80 and min(scripted) > 1.5
    assert np.mean(scripted) > EXPECTED_REWARDS[ENV]
    assert len(random) >= 100
    assert np.mean(random) < -0.9 and np.mean(np.array(random) > 0) < 0.02
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
    # Episodes ended on the brick, with its reward, the pyramid seen on the way.
    rewards = np.concatenate(recorded(in_process, "terminal.reward")[name])
    assert len(rewards) >= 6 and np.all(rewards == 2.0)
    observations = np.concatenate(recorded(in_process, "decision.obs[0]")[name])
    assert observations[:, STONE].any()

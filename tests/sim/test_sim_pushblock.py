"""Cooperative Push Block: grid rules, group rewards and group episodes, in-process and as
an executable."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count
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
    recorded,
)
from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    DecisionSteps,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.side_channel.stats_side_channel import (
    StatsAggregationMethod,
    StatsSideChannel,
)
from mlagents_sim.envs.pushblock import (
    DOWN,
    LEFT,
    RIGHT,
    STAY,
    UP,
    CooperativePushBlock,
    push_planner,
)
from mlagents_sim.in_process import InProcessEnv

ENV = "PushBlock"
NAME = "PushBlock?team=0"
STAT = "PushBlock/Blocks delivered"
PENALTY = np.float32(-1.0 / 500)

Cell = tuple[int, int]


def started(seed: int = 0, num_areas: int = 1) -> CooperativePushBlock:
    sim = CooperativePushBlock(seed=seed, num_areas=num_areas)
    sim.reset_agents(NAME, np.arange(sim.n_agents))
    return sim


def place(
    sim: CooperativePushBlock,
    agents: Sequence[Cell],
    blocks: Sequence[Cell | None],
    area: int = 0,
) -> None:
    """Hand-set an area: its 3 agents' cells, and the lower-left cell of its blocks of side
    1, 2 and 3 (None: delivered)."""
    for i, (x, y) in enumerate(agents):
        sim.agent_x[3 * area + i], sim.agent_y[3 * area + i] = x, y
    for b, corner in enumerate(blocks):
        j = 3 * area + b
        sim.block_alive[j] = corner is not None
        if corner is not None:
            sim.block_x[j], sim.block_y[j] = corner


def step(sim: CooperativePushBlock, moves: Sequence[int]):
    discrete = np.asarray(moves, dtype=np.int32).reshape(-1, 1)
    return sim.tick({NAME: ActionTuple(discrete=discrete)})[NAME]


def agents_of(sim: CooperativePushBlock, area: int = 0) -> list[Cell]:
    rows = range(3 * area, 3 * area + 3)
    return [(int(sim.agent_x[r]), int(sim.agent_y[r])) for r in rows]


def blocks_of(sim: CooperativePushBlock, area: int = 0) -> list[Cell | None]:
    return [
        (int(sim.block_x[j]), int(sim.block_y[j])) if sim.block_alive[j] else None
        for j in range(3 * area, 3 * area + 3)
    ]


# Agents parked far from the blocks of the rule tests, standing still.
PARKED = [(7, 7), (6, 7), (5, 7)]


def test_behavior_and_specs():
    sim = CooperativePushBlock(num_areas=2)
    (behavior,) = sim.behaviors
    assert behavior.behavior_id == NAME
    assert behavior.n_agents == 6
    assert behavior.decision_period == 1
    assert behavior.max_step == 500
    assert behavior.reward_accumulates is True
    assert behavior.compressed == (False, False)
    assert behavior.spec.observation_specs == [
        ObservationSpec((15,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "VectorSensor"),
        ObservationSpec((294,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "GridSensor"),
    ]
    assert behavior.spec.action_spec == ActionSpec.create_discrete((5,))
    groups = sim.group_ids(NAME)
    assert groups.dtype == np.int32
    assert groups.tolist() == [1, 1, 1, 2, 2, 2]
    assert sim.action_masks(NAME, np.arange(6)) is None


def test_episodes_begin_with_a_solvable_layout():
    sim = started(seed=3, num_areas=300)
    x, y = sim.block_x.reshape(-1, 3), sim.block_y.reshape(-1, 3)
    sizes = np.array([1, 2, 3])
    assert sim.block_alive.all()
    # Above the bottom row, top edge at least two rows below the goal row, on the grid.
    assert (y >= 1).all() and (y + sizes - 1 <= 5).all()
    assert (x >= 0).all() and (x + sizes <= 8).all()
    # Separate columns: pushing every block straight up delivers all of them.
    for a, b in ((0, 1), (0, 2), (1, 2)):
        assert ((x[:, a] + sizes[a] <= x[:, b]) | (x[:, b] + sizes[b] <= x[:, a])).all()
    # Agents in distinct free cells below the goal row.
    ax, ay = sim.agent_x.reshape(-1, 3), sim.agent_y.reshape(-1, 3)
    codes = ay * 8 + ax
    assert (np.sort(codes, axis=1)[:, 1:] != np.sort(codes, axis=1)[:, :-1]).all()
    assert (ay <= 6).all() and (ax >= 0).all() and (ax < 8).all() and (ay >= 0).all()
    for b, s in enumerate(sizes):
        inside = (
            (ax >= x[:, b : b + 1])
            & (ax < x[:, b : b + 1] + s)
            & (ay >= y[:, b : b + 1])
            & (ay < y[:, b : b + 1] + s)
        )
        assert not inside.any()
    # Layouts vary: every order of the blocks and every height occurs.
    assert len({tuple(np.argsort(row)) for row in x}) == 6
    assert set(y[:, 0].tolist()) == {1, 2, 3, 4, 5}


def grid_view(sim: CooperativePushBlock, row: int) -> np.ndarray:
    """The grid sensor of one agent as (dy, dx, channel), dy and dx from -3 to 3."""
    return sim.observe(NAME, np.array([row]))[1].reshape(7, 7, 6)


def test_the_grid_sensor_sees_walls_goal_blocks_and_agents_around_the_agent():
    sim = started(num_areas=2)
    place(sim, [(1, 5), (3, 6), (6, 1)], [(2, 3), (3, 3), None], area=1)
    grid = sim.observe(NAME, np.array([3, 4, 5]))[1]
    assert grid.dtype == np.float32 and grid.shape == (3, 294)
    assert set(np.unique(grid).tolist()) == {0.0, 1.0}
    view = grid_view(sim, 3)  # the agent at (1, 5): cell (x, y) is view[y - 5 + 3, x - 1 + 3]

    def seen(channel: int) -> set[Cell]:
        return {
            (int(dx) - 3 + 1, int(dy) - 3 + 5) for dy, dx in zip(*np.nonzero(view[..., channel]))
        }

    inside = {(x, y) for x in range(-2, 5) for y in range(2, 9)}
    assert seen(0) == {(x, y) for x, y in inside if x < 0 or y > 7}  # off the grid
    assert seen(1) == {(x, 7) for x in range(0, 5)}  # the goal row
    assert seen(2) == {(2, 3)}
    assert seen(3) == {(3, 3), (4, 3), (3, 4), (4, 4)}
    assert seen(4) == set()  # delivered
    assert seen(5) == {(3, 6)}  # (6, 1) is out of view
    # Cells are seen relative to the agent: the same surroundings, the same view.
    place(sim, [(2, 5), (4, 6), (7, 1)], [(3, 3), (4, 3), None], area=1)
    np.testing.assert_array_equal(grid_view(sim, 3)[:, :, 2:], view[:, :, 2:])
    # The other agents see it too, from where they stand.
    assert grid_view(sim, 4)[5 - 6 + 3, 2 - 4 + 3, 5] == 1


def test_reset_restarts_only_the_areas_asked():
    sim = started(seed=1, num_areas=2)
    step(sim, [UP] * 6)
    before = (agents_of(sim, 0), blocks_of(sim, 0), agents_of(sim, 1), blocks_of(sim, 1))
    sim.reset_agents(NAME, np.array([3, 4, 5]))
    assert agents_of(sim, 0) == before[0] and blocks_of(sim, 0) == before[1]
    assert (agents_of(sim, 1), blocks_of(sim, 1)) != before[2:]
    assert sim.episode_steps.tolist() == [1, 0]
    sim.reset_agents(NAME, np.zeros(0, dtype=np.int64))  # nothing to restart
    assert sim.episode_steps.tolist() == [1, 0]


def test_observations_on_a_hand_set_state():
    sim = started(num_areas=2)
    place(sim, [(2, 1), (5, 0), (0, 6)], [(4, 4), (6, 2), None], area=1)
    obs = sim.observe(NAME, np.array([3, 4, 5]))[0]
    assert obs.dtype == np.float32 and obs.shape == (3, 15)
    size2_center = (6.5, 2.5)
    expected = np.array(
        [
            [2, 1, 3, -1, -2, 5, 2, 3, 0, size2_center[0] - 2, size2_center[1] - 1, 0, 0, 0, 0],
            [5, 0, -3, 1, -5, 6, -1, 4, 0, size2_center[0] - 5, size2_center[1], 0, 0, 0, 0],
            [0, 6, 2, -5, 5, -6, 4, -2, 0, size2_center[0], size2_center[1] - 6, 0, 0, 0, 0],
        ]
    )
    expected /= 8
    expected[:, [8, 11, 14]] = [0, 0, 1]  # only the big block was delivered
    np.testing.assert_array_equal(obs, expected.astype(np.float32))
    # Any rows, in any order, and none.
    np.testing.assert_array_equal(sim.observe(NAME, np.array([5, 3]))[0], obs[[2, 0]])
    assert sim.observe(NAME, np.zeros(0, dtype=np.int64))[0].shape == (0, 15)
    # Centers of the 3x3 block are whole cells.
    place(sim, [(0, 0), (1, 0), (2, 0)], [None, None, (3, 2)], area=0)
    np.testing.assert_array_equal(sim.observe(NAME, np.array([0]))[0][0, 12:], [4 / 8, 3 / 8, 0])


def test_agents_move_and_are_stopped_by_walls_blocks_and_each_other():
    sim = started()
    place(sim, [(0, 0), (3, 3), (7, 6)], [(5, 5), None, None])
    step(sim, [LEFT, RIGHT, UP])  # a wall; a free cell; into the goal row is allowed
    assert agents_of(sim) == [(0, 0), (4, 3), (7, 7)]
    step(sim, [DOWN, DOWN, UP])
    assert agents_of(sim) == [(0, 0), (4, 2), (7, 7)]
    # Into a block of side 2 alone: nothing moves.
    place(sim, [(2, 1), (0, 5), (7, 7)], [None, (2, 2), None])
    step(sim, [UP, STAY, STAY])
    assert agents_of(sim) == [(2, 1), (0, 5), (7, 7)] and blocks_of(sim)[1] == (2, 2)
    # Two agents for one cell: both stay. Swapping cells: both stay.
    place(sim, [(2, 5), (4, 5), (0, 0)], [None, None, None])
    step(sim, [RIGHT, LEFT, STAY])
    assert agents_of(sim) == [(2, 5), (4, 5), (0, 0)]
    place(sim, [(2, 5), (3, 5), (0, 0)], [None, None, None])
    step(sim, [RIGHT, LEFT, STAY])
    assert agents_of(sim) == [(2, 5), (3, 5), (0, 0)]
    # Into a cell its agent leaves on the same tick: it was held, so it waits.
    step(sim, [RIGHT, RIGHT, UP])
    assert agents_of(sim) == [(2, 5), (4, 5), (0, 1)]
    step(sim, [RIGHT, RIGHT, UP])
    assert agents_of(sim) == [(3, 5), (5, 5), (0, 2)]


@pytest.mark.parametrize("size", [1, 2, 3])
def test_a_block_moves_only_with_as_many_pushers_as_its_side(size: int):
    blocks: list[Cell | None] = [None, None, None]
    blocks[size - 1] = (2, 2)
    below = [(2 + i, 1) for i in range(size)]
    for pushers in range(1, size + 1):
        sim = started()
        agents = below[:pushers] + PARKED[pushers:]
        place(sim, agents, blocks)
        t = step(sim, [UP] * pushers + [STAY] * (3 - pushers))
        if pushers < size:
            assert blocks_of(sim)[size - 1] == (2, 2)
            assert agents_of(sim) == agents
        else:
            assert blocks_of(sim)[size - 1] == (2, 3)
            assert agents_of(sim)[:pushers] == [(2 + i, 2) for i in range(size)]
        assert not t.done.any()
    # Pushing right takes as many, on its left side.
    sim = started()
    place(sim, [(1, 2 + i) for i in range(size)] + PARKED[size:], blocks)
    step(sim, [RIGHT] * size + [STAY] * (3 - size))
    assert blocks_of(sim)[size - 1] == (3, 2)


def test_pushers_must_share_a_side_and_a_direction():
    sim = started()
    # Side 2: one pushes up from below, one pushes left from the right side.
    place(sim, [(2, 1), (4, 3), (7, 7)], [None, (2, 2), None])
    step(sim, [UP, LEFT, STAY])
    assert blocks_of(sim)[1] == (2, 2) and agents_of(sim)[:2] == [(2, 1), (4, 3)]
    # Both below it, only one pushing.
    place(sim, [(2, 1), (3, 1), (7, 7)], [None, (2, 2), None])
    step(sim, [UP, STAY, STAY])
    assert blocks_of(sim)[1] == (2, 2)
    # Side 1 pushed from two sides at once (opposite, or crossing): it stays.
    place(sim, [(2, 3), (4, 3), (7, 7)], [(3, 3), None, None])
    step(sim, [RIGHT, LEFT, STAY])
    assert blocks_of(sim)[0] == (3, 3) and agents_of(sim)[:2] == [(2, 3), (4, 3)]
    place(sim, [(2, 3), (3, 2), (7, 7)], [(3, 3), None, None])
    step(sim, [RIGHT, UP, STAY])
    assert blocks_of(sim)[0] == (3, 3)


def test_a_block_stops_at_walls_blocks_agents_and_other_moving_blocks():
    sim = started()
    place(sim, [(1, 3), (7, 7), (6, 7)], [(0, 3), None, None])
    step(sim, [LEFT, STAY, STAY])
    assert blocks_of(sim)[0] == (0, 3) and agents_of(sim)[0] == (1, 3)
    # Into another block.
    place(sim, [(3, 2), (7, 7), (6, 7)], [(3, 3), (3, 4), None])
    step(sim, [UP, STAY, STAY])
    assert blocks_of(sim)[:2] == [(3, 3), (3, 4)] and agents_of(sim)[0] == (3, 2)
    # Onto an agent.
    place(sim, [(3, 2), (3, 4), (6, 7)], [(3, 3), None, None])
    step(sim, [UP, STAY, STAY])
    assert blocks_of(sim)[0] == (3, 3) and agents_of(sim)[0] == (3, 2)
    # Two blocks moving into the same cell: both stay.
    place(sim, [(1, 3), (6, 3), (6, 4)], [(2, 3), (4, 3), None])
    step(sim, [RIGHT, LEFT, LEFT])
    assert blocks_of(sim)[:2] == [(2, 3), (4, 3)]
    assert agents_of(sim) == [(1, 3), (6, 3), (6, 4)]
    # Two blocks pushed on the same tick in different places both move.
    place(sim, [(0, 3), (4, 2), (5, 2)], [(1, 3), (4, 3), None])
    step(sim, [RIGHT, UP, UP])
    assert blocks_of(sim)[:2] == [(2, 3), (4, 4)]
    assert agents_of(sim) == [(1, 3), (4, 3), (5, 3)]


def test_delivering_a_block_rewards_the_group_and_removes_it():
    sim = started(num_areas=2)
    place(sim, [(3, 4), (4, 4), (0, 0)], [(0, 2), (3, 5), (5, 1)], area=0)
    t = step(sim, [UP, UP, STAY, STAY, STAY, STAY])
    assert blocks_of(sim) == [(0, 2), None, (5, 1)]
    assert agents_of(sim) == [(3, 5), (4, 5), (0, 0)]
    assert t.reward.dtype == np.float32
    np.testing.assert_array_equal(t.reward, 0.0)  # individual rewards: none
    assert t.group_reward is not None and t.group_reward.dtype == np.float32
    np.testing.assert_array_equal(t.group_reward, [2 + PENALTY] * 3 + [PENALTY] * 3)
    assert not t.done.any()
    obs = sim.observe(NAME, np.array([0]))[0][0]
    np.testing.assert_array_equal(obs[9:12], [0, 0, 1])
    # Where it was is free now.
    step(sim, [UP, UP, STAY, STAY, STAY, STAY])
    assert agents_of(sim)[:2] == [(3, 6), (4, 6)]
    assert sim.stats.pending == []


def test_the_last_delivery_ends_the_whole_group():
    sim = started(num_areas=2)
    place(sim, [(5, 5), (0, 0), (7, 7)], [(5, 6), None, None], area=1)
    t = step(sim, [STAY, STAY, STAY, UP, STAY, STAY])
    np.testing.assert_array_equal(t.done, [False] * 3 + [True] * 3)
    np.testing.assert_array_equal(t.group_reward, [PENALTY] * 3 + [1 + PENALTY] * 3)
    (stat,) = sim.stats.pending
    assert (stat.key, stat.value, stat.aggregation) == (STAT, 3.0, StatsAggregationMethod.AVERAGE)


def test_the_statistic_is_sent_when_max_step_interrupts():
    sim = started(num_areas=2)
    place(sim, [(0, 0), (1, 0), (7, 7)], [None, (2, 2), (5, 1)], area=0)
    sim.episode_steps[:] = [498, 10]
    t = step(sim, [STAY] * 6)
    assert sim.stats.pending == [] and not t.done.any()
    t = step(sim, [STAY] * 6)
    (stat,) = sim.stats.pending
    assert (stat.key, stat.value) == (STAT, 1.0)
    assert not t.done.any()  # interrupting is the Academy's business


def test_same_seed_same_run_other_seed_other_run():
    def run(seed: int) -> list[np.ndarray]:
        sim = started(seed=seed, num_areas=2)
        rng = np.random.default_rng(4)
        record = []
        for _ in range(300):
            t = step(sim, rng.integers(0, 5, 6))
            record += [sim.observe(NAME, np.arange(6))[0], t.group_reward, t.done]
            ended = t.done | np.repeat(sim.episode_steps >= 100, 3)
            if ended.any():
                sim.reset_agents(NAME, np.flatnonzero(ended))
        return record

    assert_seed_decides(run)


def test_groups_of_an_unknown_behavior_and_actions_out_of_range_are_refused():
    sim = started()
    with pytest.raises(KeyError):
        sim.group_ids("Walker")
    with pytest.raises(ValueError):
        step(sim, [UP, UP, 5])
    with pytest.raises(ValueError):
        step(sim, [UP, UP, -1])


def test_the_planner_decides_from_each_agents_own_observation():
    sim = started()
    place(sim, [(3, 2), (0, 0), (7, 7)], [(3, 3), None, None])
    actions = push_planner(sim.observe(NAME, np.arange(3))[0])
    assert actions.shape == (3, 1) and actions.dtype == np.int32
    assert actions[0, 0] == UP  # under the last block: push
    # Rows decided one by one agree with the batch: nothing but its own row is needed.
    sim = started(seed=8, num_areas=4)
    obs = sim.observe(NAME, np.arange(12))[0]
    batch = push_planner(obs)
    for i in range(12):
        np.testing.assert_array_equal(push_planner(obs[i : i + 1]), batch[i : i + 1])


def test_the_planner_beats_random_moves_by_far():
    planner = discrete_policy(push_planner)
    with InProcessEnv(CooperativePushBlock(seed=1, num_areas=4)) as env:
        scripted = episode_returns(env, 250, planner, group=True)[NAME]
    with InProcessEnv(CooperativePushBlock(seed=1, num_areas=6)) as env:
        random = episode_returns(env, 501, group=True)[NAME]
    assert len(scripted) >= 3 * 25 and len(random) == 3 * 6
    assert np.mean(scripted) > 5.7  # all 6 points in about 30 ticks
    assert np.mean(random) < 1.0
    assert np.mean(scripted) - np.mean(random) > 4.5


def test_groups_end_together_with_their_group_reward():
    stats = StatsSideChannel()
    ended_groups = 0
    with InProcessEnv(CooperativePushBlock(seed=2, num_areas=3), side_channels=[stats]) as env:
        env.reset()
        decision, terminal = env.get_steps(NAME)
        assert len(terminal) == 0
        # One group per area, each with its own id.
        np.testing.assert_array_equal(decision.group_id, decision.agent_id // 3 + 1)
        assert decision.group_id.dtype == np.int32
        assert sorted(set(decision.group_id.tolist())) == [1, 2, 3]
        np.testing.assert_array_equal(decision.group_reward, 0.0)
        for _ in range(120):
            env.set_actions(NAME, ActionTuple(discrete=push_planner(decision.obs[0])))
            env.step()
            decision, terminal = env.get_steps(NAME)
            assert len(decision) == 9
            np.testing.assert_array_equal(decision.group_id, decision.agent_id // 3 + 1)
            np.testing.assert_array_equal(decision.reward, 0.0)
            assert decision.group_reward.dtype == np.float32
            restarted = np.isin(decision.agent_id, terminal.agent_id)
            # A restarted agent's new episode has earned nothing yet; the others got this
            # tick's group reward: the time penalty, plus the sides of the blocks delivered.
            np.testing.assert_array_equal(decision.group_reward[restarted], 0.0)
            per_group = decision.group_reward.reshape(3, 3)
            assert (per_group == per_group[:, :1]).all()
            delivered = decision.group_reward[~restarted] - PENALTY
            assert set(np.round(delivered, 4).tolist()) <= {0, 1, 2, 3}
            if not len(terminal):
                continue
            # Every agent of a group ends in the same output, with the group's id.
            np.testing.assert_array_equal(terminal.group_id, terminal.agent_id // 3 + 1)
            for group in set(terminal.group_id.tolist()):
                members = terminal.agent_id[terminal.group_id == group]
                assert sorted(members.tolist()) == [3 * (group - 1) + i for i in range(3)]
                ended_groups += 1
            assert not terminal.interrupted.any()
            np.testing.assert_array_equal(terminal.reward, 0.0)
            # The group reward of the last tick comes with the terminal steps: the last
            # block delivered, less the time penalty.
            last = terminal.group_reward - PENALTY
            assert set(np.round(last, 4).tolist()) <= {1, 2, 3}
            for group in set(terminal.group_id.tolist()):
                assert len(set(terminal.group_reward[terminal.group_id == group])) == 1
    assert ended_groups >= 6
    values = stats.get_and_reset_stats()[STAT]
    assert len(values) == ended_groups
    assert values == [(3.0, StatsAggregationMethod.AVERAGE)] * ended_groups


def test_max_step_interrupts_every_agent_of_every_group_together():
    stats = StatsSideChannel()
    with InProcessEnv(CooperativePushBlock(seed=2, num_areas=2), side_channels=[stats]) as env:
        env.reset()
        total = np.zeros(6, dtype=np.float32)
        for tick in range(500):
            decision, terminal = env.get_steps(NAME)
            assert len(terminal) == 0
            total[decision.agent_id] += decision.group_reward
            env.set_actions(NAME, ActionTuple(discrete=np.zeros((6, 1), np.int32)))
            env.step()
            if tick < 499:
                assert STAT not in stats.get_and_reset_stats()
        decision, terminal = env.get_steps(NAME)
        assert sorted(terminal.agent_id.tolist()) == list(range(6))
        assert terminal.interrupted.all()
        np.testing.assert_array_equal(terminal.group_id, terminal.agent_id // 3 + 1)
        np.testing.assert_array_equal(terminal.group_reward, PENALTY)
        total[terminal.agent_id] += terminal.group_reward
        np.testing.assert_allclose(total, -1.0, rtol=1e-4)  # standing still costs 1
        np.testing.assert_array_equal(decision.group_reward, 0.0)  # all restarted
    assert stats.get_and_reset_stats()[STAT] == [(0.0, StatsAggregationMethod.AVERAGE)] * 2


def planner_then_random(planned: int, seed: int) -> Policy:
    """The planner for the first `planned` steps (so that groups finish episodes), then
    seeded random actions."""
    rng = np.random.default_rng(seed)
    steps = count()

    def policy(behavior: str, decision: DecisionSteps) -> ActionTuple:
        if next(steps) < planned:
            return ActionTuple(discrete=push_planner(decision.obs[0]))
        return ActionSpec.create_discrete((5,)).random_action(len(decision), rng)

    return policy


def test_executable_and_in_process_agree_as_groups_finish(executables: dict[str, Path]):
    with launch(executables[ENV], seed=11, num_areas=2) as env:
        over_wire = record_steps(env, 240, seed=5, policy=planner_then_random(80, seed=5))
    with InProcessEnv(CooperativePushBlock(seed=11, num_areas=2)) as env:
        in_process = record_steps(env, 240, seed=5, policy=planner_then_random(80, seed=5))
    assert_same_records(over_wire, in_process)
    # The run did see groups end, and their group rewards.
    assert sum(map(len, recorded(in_process, "terminal.agent_id")[NAME])) >= 6
    assert any(np.any(r > 0) for r in recorded(in_process, "decision.group_reward")[NAME])

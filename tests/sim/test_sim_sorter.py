"""Sorter: specs, the variable-length entity buffer, rules, parameters and the scripted
policy."""

from __future__ import annotations

import numpy as np
import pytest

from devtools.envtest import assert_seed_decides, discrete_policy, episode_returns
from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_envs.side_channel.stats_side_channel import (
    StatsAggregationMethod,
    StatsSideChannel,
)
from mlagents_sim.envs.sorter import (
    DOWN,
    LEFT,
    MAX_STEP,
    RIGHT,
    STAY,
    UP,
    Sorter,
    sort_heuristic,
)
from mlagents_sim.in_process import InProcessEnv

ENV = "Sorter"
NAME = "Sorter?team=0"
TICK = -1.0 / MAX_STEP
VECTOR_SPEC = ObservationSpec(
    (3,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "VectorSensor"
)
BUFFER_SPEC = ObservationSpec(
    (20, 22),
    (DimensionProperty.VARIABLE_SIZE, DimensionProperty.NONE),
    ObservationType.DEFAULT,
    "BufferSensor",
)


def started(seed: int = 0, **kwargs: int) -> tuple[Sorter, np.ndarray]:
    sim = Sorter(seed=seed, **kwargs)
    rows = np.arange(sim.behaviors[0].n_agents)
    sim.reset_agents(NAME, rows)
    return sim, rows


def step(sim: Sorter, actions: np.ndarray | list[int]):
    discrete = np.asarray(actions, dtype=np.int32).reshape(-1, 1)
    return sim.tick({NAME: ActionTuple(discrete=discrete)})[NAME]


def hand_set(sim: Sorter, row: int, agent: tuple[int, int], tiles: list[tuple[int, int, int]]):
    """Put the agent at row on a cell and its tiles (number, x, y) in the given order."""
    sim.agent_x[row], sim.agent_y[row] = agent
    sim.number[row] = 0
    for column, (number, x, y) in enumerate(tiles):
        sim.number[row, column] = number
        sim.tile_x[row, column], sim.tile_y[row, column] = x, y
    sim.num_tiles[row] = len(tiles)
    sim.touched[row] = 0
    sim.episode_steps[row] = 0


def non_zero_rows(entities: np.ndarray) -> np.ndarray:
    return entities.any(axis=-1).sum(axis=-1)


def assert_padded(entities: np.ndarray, remaining: np.ndarray) -> None:
    """Tile rows first, then rows of zeros only: the BufferSensor's padding."""
    filled = entities.any(axis=-1)
    np.testing.assert_array_equal(filled, np.arange(20) < remaining[:, None])
    np.testing.assert_array_equal(entities[~filled], 0.0)


def test_behavior_and_specs():
    sim = Sorter()
    (behavior,) = sim.behaviors
    assert behavior.behavior_id == NAME
    assert behavior.n_agents == 8
    assert behavior.decision_period == 1
    assert behavior.max_step == 500
    assert behavior.reward_accumulates is True
    assert behavior.compressed == (False, False)
    assert behavior.spec.observation_specs == [VECTOR_SPEC, BUFFER_SPEC]
    assert behavior.spec.action_spec == ActionSpec.create_discrete((5,))


def test_areas_multiply_agents():
    sim, rows = started(num_areas=3)
    assert sim.behaviors[0].n_agents == 24
    vector, entities = sim.observe(NAME, rows)
    assert vector.shape == (24, 3) and entities.shape == (24, 20, 22)
    assert step(sim, np.zeros(24)).reward.shape == (24,)
    assert Sorter(num_areas=2, agents_per_area=3).behaviors[0].n_agents == 6
    with pytest.raises(ValueError):
        Sorter(agents_per_area=0)


def test_episode_begin():
    sim, rows = started(seed=3, num_areas=4)
    counts = sim.num_tiles
    assert np.all((counts >= 1) & (counts <= 20))
    assert len(np.unique(counts)) > 5  # the default draws the count per episode
    vector, entities = sim.observe(NAME, rows)
    assert vector.dtype == np.float32 and entities.dtype == np.float32
    np.testing.assert_array_equal(vector[:, 2], 0.0)
    assert np.all(np.abs(vector[:, :2]) <= 1.0)
    assert_padded(entities, counts)
    for row, count in enumerate(counts.tolist()):
        one_hot = entities[row, :count, :20]
        np.testing.assert_array_equal(one_hot.sum(axis=1), 1.0)
        numbers = one_hot.argmax(axis=1) + 1
        assert len(set(numbers.tolist())) == count  # distinct numbers in 1..20
        # Tiles stand in distinct non-corner wall cells.
        x = sim.agent_x[row] + np.rint(entities[row, :count, 20] * 6)
        y = sim.agent_y[row] + np.rint(entities[row, :count, 21] * 6)
        on_wall = (x == 0) | (x == 6) | (y == 0) | (y == 6)
        corner = ((x == 0) | (x == 6)) & ((y == 0) | (y == 6))
        assert np.all(on_wall & ~corner)
        assert len(set(zip(x.tolist(), y.tolist()))) == count
    empty = sim.observe(NAME, np.zeros(0, dtype=np.int64))
    assert [o.shape for o in empty] == [(0, 3), (0, 20, 22)]


def test_observations_of_a_hand_set_state():
    sim, _ = started(agents_per_area=2)
    hand_set(sim, 0, (2, 4), [(7, 0, 3), (3, 5, 6), (12, 6, 1)])
    vector, entities = sim.observe(NAME, np.array([0]))
    np.testing.assert_allclose(vector, [[-0.5, 0.5, 0.0]])
    expected = np.zeros((20, 22), dtype=np.float32)
    for i, (number, dx, dy) in enumerate([(7, -2, -1), (3, 3, 2), (12, 4, -3)]):
        expected[i, number - 1] = 1.0
        expected[i, 20:] = [dx / 6, dy / 6]
    np.testing.assert_array_equal(entities[0], expected)

    # The agent walks up next to tile 3 (at x=5 on the top wall) and touches it: it leaves
    # the buffer and the rows after it move up, in order.
    for action in (RIGHT, RIGHT, RIGHT, UP, UP):
        step(sim, [action, STAY])
    assert (sim.agent_x[0], sim.agent_y[0]) == (5, 5)
    assert sim.number[0, 1] == 0
    vector, entities = sim.observe(NAME, np.array([0]))
    np.testing.assert_allclose(vector, [[1.0, 1.0, 1 / 3]], rtol=1e-6)
    assert non_zero_rows(entities).tolist() == [2]
    assert entities[0, 0, 6] == 1 and entities[0, 1, 11] == 1
    np.testing.assert_allclose(entities[0, :2, 20:], [[-5 / 6, -2 / 6], [1 / 6, -4 / 6]])
    np.testing.assert_array_equal(entities[0, 2:], 0.0)


def test_right_tile_wrong_tile_and_walls():
    sim, rows = started(agents_per_area=5)
    tiles = [(4, 3, 0), (9, 0, 3)]
    for row in rows:
        hand_set(sim, row, (3, 1) if row < 3 else (1, 3), tiles)
    # Row 0 touches the lowest tile, row 1 stays, row 2's action is outside the branch (it
    # stays), row 3 touches tile 9 before tile 4, row 4 walks to an inner cell.
    before = sim.observe(NAME, rows)[1]
    t = step(sim, [DOWN, STAY, 7, LEFT, UP])
    assert t.reward.dtype == np.float32
    np.testing.assert_allclose(t.reward, [1 + TICK, TICK, TICK, -1 + TICK, TICK], rtol=1e-6)
    np.testing.assert_array_equal(t.done, [False, False, False, True, False])
    assert sim.agent_x.tolist() == [3, 3, 3, 1, 1] and sim.agent_y.tolist() == [1, 1, 1, 3, 4]
    after = sim.observe(NAME, rows)[1]
    assert non_zero_rows(after).tolist() == [1, 2, 2, 2, 2]
    np.testing.assert_array_equal(after[1:3], before[1:3])
    # Walls stop the agents: row 0 pushes into the slot its tile left, row 4 into an empty
    # one; row 1 touches tile 4.
    t = step(sim, [DOWN, DOWN, -1, STAY, LEFT])
    assert sim.agent_x.tolist() == [3, 3, 3, 1, 1] and sim.agent_y.tolist() == [1, 1, 1, 3, 4]
    np.testing.assert_allclose(t.reward, [TICK, 1 + TICK, TICK, TICK, TICK], rtol=1e-6)


def test_touching_every_tile_ends_the_episode():
    sim, _ = started(agents_per_area=1)
    hand_set(sim, 0, (1, 1), [(20, 1, 0), (2, 0, 1)])
    t = step(sim, [LEFT])
    assert t.reward[0] == np.float32(1 + TICK) and not t.done[0]
    t = step(sim, [DOWN])
    assert t.reward[0] == np.float32(1 + TICK) and t.done[0]
    np.testing.assert_array_equal(sim.observe(NAME, np.array([0]))[1], 0.0)
    assert sim.observe(NAME, np.array([0]))[0][0, 2] == 1.0


def test_tiles_statistic_per_ended_episode():
    sim, _ = started(agents_per_area=3)
    for row in range(3):
        hand_set(sim, row, (1, 1), [(1, 1, 0), (2, 0, 1), (3, 6, 1)])
    step(sim, [DOWN, DOWN, STAY])  # rows 0 and 1 touch tile 1
    assert sim.stats.pending == []
    step(sim, [LEFT, DOWN, STAY])  # row 0 touches tile 2; row 1 pushes into the empty slot
    assert sim.stats.pending == []
    sim.episode_steps[1] = MAX_STEP - 1  # its next tick is the last one
    step(sim, [RIGHT, STAY, UP])
    assert [(s.key, s.value, s.aggregation) for s in sim.stats.pending] == [
        ("Sorter/Tiles", 1.0, StatsAggregationMethod.AVERAGE)
    ]
    sim.stats.pending.clear()
    for _ in range(4):
        step(sim, [RIGHT, STAY, STAY])  # row 0 walks to x=5, then touches tile 3 at x=6
    assert [s.value for s in sim.stats.pending] == [3.0]


def test_same_seed_same_run_other_seed_other_run():
    def run(seed: int) -> list[np.ndarray]:
        sim, rows = started(seed=seed, num_areas=2)
        actions = np.random.default_rng(11)
        record = []
        for _ in range(300):
            t = step(sim, actions.integers(0, 5, len(rows)))
            record += [*sim.observe(NAME, rows), t.reward, t.done]
            if t.done.any():
                sim.reset_agents(NAME, np.flatnonzero(t.done))
        return record

    first = assert_seed_decides(run)
    assert any(r.dtype == bool and r.any() for r in first)


def test_heuristic_sorts_and_random_does_not():
    with InProcessEnv(Sorter(seed=1, num_areas=2)) as env:
        scripted = episode_returns(env, 1500, discrete_policy(sort_heuristic))[NAME]
    with InProcessEnv(Sorter(seed=1, num_areas=2)) as env:
        randomly = episode_returns(env, 1500)[NAME]
    assert len(scripted) > 200 and len(randomly) > 200
    # Every episode of the heuristic touches all its tiles (at least 1 each), quickly.
    assert min(scripted) > 1 + 60 * TICK
    assert np.mean(scripted) > 9.0
    assert np.mean(randomly) < 0.0


def test_heuristic_output():
    sim, _ = started(agents_per_area=4)
    hand_set(sim, 0, (3, 3), [(5, 6, 2), (2, 3, 6)])  # walk up to (3, 5), then push up
    hand_set(sim, 1, (3, 5), [(2, 3, 6)])  # next to it: push up
    hand_set(sim, 2, (5, 2), [(8, 3, 0), (9, 0, 4)])  # walk left first
    hand_set(sim, 3, (2, 2), [(1, 2, 6)])
    sim.number[3] = 0  # no tile left: stay
    actions = sort_heuristic(*sim.observe(NAME, np.arange(4)))
    assert actions.dtype == np.int32 and actions.shape == (4, 1)
    assert actions[:, 0].tolist() == [UP, UP, LEFT, STAY]


def test_num_tiles_parameter_is_read_per_episode():
    parameters = EnvironmentParametersChannel()
    parameters.set_float_parameter("num_tiles", 4.0)
    with InProcessEnv(Sorter(seed=2), side_channels=[parameters]) as env:
        env.reset()
        decision, _ = env.get_steps(NAME)
        assert non_zero_rows(decision.obs[1]).tolist() == [4] * 8
        parameters.set_float_parameter("num_tiles", 7.0)
        # Running episodes keep their tiles; episodes that begin after read 7.
        rng = np.random.default_rng(0)
        seen_new = 0
        for _ in range(60):
            env.set_actions(NAME, ActionTuple(discrete=rng.integers(0, 5, (8, 1))))
            env.step()
            decision, terminal = env.get_steps(NAME)
            remaining = non_zero_rows(decision.obs[1])
            assert_padded(decision.obs[1], remaining)
            assert set(env.simulation.num_tiles.tolist()) <= {4, 7}  # type: ignore[attr-defined]
            restarted = np.isin(decision.agent_id, terminal.agent_id)
            assert np.all(remaining[restarted] == 7)
            seen_new += int(restarted.sum())
        assert seen_new > 0
        env.reset()  # a reset begins every episode anew, with the new value
        assert non_zero_rows(env.get_steps(NAME)[0].obs[1]).tolist() == [7] * 8


@pytest.mark.parametrize(("value", "count"), [(0.0, 1), (3.6, 4), (25.0, 20), (np.nan, None)])
def test_num_tiles_is_rounded_and_clipped(value: float, count: int | None):
    sim = Sorter(seed=4)
    sim.parameters.set("num_tiles", value)
    sim.reset_agents(NAME, np.arange(8))
    if count is None:  # not a number: the random default
        assert len(np.unique(sim.num_tiles)) > 1
    else:
        np.testing.assert_array_equal(sim.num_tiles, count)


def test_num_tiles_sampler_draws_per_episode():
    parameters = EnvironmentParametersChannel()
    parameters.set_uniform_sampler_parameters("num_tiles", 2.0, 9.0, seed=3)
    stats = StatsSideChannel()
    with InProcessEnv(Sorter(seed=2), side_channels=[parameters, stats]) as env:
        rewards = episode_returns(env, 200, discrete_policy(sort_heuristic))[NAME]
        counts = env.simulation.num_tiles  # type: ignore[attr-defined]
        assert np.all((counts >= 2) & (counts <= 9))
        tiles = stats.get_and_reset_stats()["Sorter/Tiles"]
    assert len(tiles) == len(rewards) > 20
    assert all(method == StatsAggregationMethod.AVERAGE for _, method in tiles)
    values = [value for value, _ in tiles]
    assert min(values) >= 2 and max(values) <= 9 and len(set(values)) > 3
    # The heuristic's episodes earn their tile count, less the time it took.
    np.testing.assert_allclose(values, np.round(rewards), atol=0)

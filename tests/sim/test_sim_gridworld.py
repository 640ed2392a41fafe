"""GridWorld: specs, placement, moves and masks, rewards, rendering, parameters and
policies."""

from __future__ import annotations

import numpy as np
import pytest

from devtools.envtest import Policy, assert_seed_decides, discrete_policy, episode_returns
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
from mlagents_sim.envs.gridworld import GridWorld, walk_to_goal
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.side_channels import Sampler

ENV = "GridWorld"
NAME = "GridWorld?team=0"
NOOP, UP, DOWN, LEFT, RIGHT = range(5)
GRAY, BLACK = np.float32(128) / np.float32(255), 0.0


def cell(row: int, col: int) -> int:
    """The frame cell of playable (row, col): the frame is 7 x 7 with a wall border."""
    return (row + 1) * 7 + col + 1


def started(seed: int = 0, num_areas: int = 1) -> tuple[GridWorld, np.ndarray]:
    sim = GridWorld(seed=seed, num_areas=num_areas)
    rows = np.arange(sim.n_agents)
    sim.reset_agents(NAME, rows)
    return sim, rows


def place(sim: GridWorld, row: int, agent: tuple, plus: tuple, ex: tuple, target: int) -> None:
    sim.agent[row], sim.plus[row], sim.ex[row] = cell(*agent), cell(*plus), cell(*ex)
    sim.target[row] = target


def step(sim: GridWorld, actions):
    discrete = np.asarray(actions, dtype=np.int32).reshape(-1, 1)
    return sim.tick({NAME: ActionTuple(discrete=discrete)})[NAME]


def cell_pixels(image: np.ndarray, frame_row: int, frame_col: int) -> np.ndarray:
    return image[6 * frame_row : 6 * frame_row + 6, 6 * frame_col : 6 * frame_col + 6]


def test_behavior_and_specs():
    sim = GridWorld()
    (behavior,) = sim.behaviors
    assert behavior.behavior_id == NAME
    assert behavior.n_agents == 9
    assert behavior.decision_period == 1
    assert behavior.max_step == 100
    assert behavior.compressed == (True, False)
    assert behavior.spec.observation_specs == [
        ObservationSpec(
            (42, 42, 3),
            (
                DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
                DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
                DimensionProperty.NONE,
            ),
            ObservationType.DEFAULT,
            "GridCamera",
        ),
        ObservationSpec((2,), (DimensionProperty.NONE,), ObservationType.GOAL_SIGNAL, "GoalSignal"),
    ]
    assert behavior.spec.action_spec == ActionSpec.create_discrete((5,))
    assert GridWorld(num_areas=3).behaviors[0].n_agents == 27


def test_episode_begin_places_three_distinct_cells_and_a_target():
    sim, rows = started(seed=3, num_areas=20)
    cells = np.stack([sim.agent, sim.plus, sim.ex], axis=1)
    assert np.all(cells[:, 0] != cells[:, 1])
    assert np.all(cells[:, 0] != cells[:, 2]) and np.all(cells[:, 1] != cells[:, 2])
    r, c = np.divmod(cells, 7)
    assert r.min() == 1 and r.max() == 5 and c.min() == 1 and c.max() == 5
    assert set(sim.target.tolist()) == {0, 1}
    image, goal = sim.observe(NAME, rows)
    assert image.dtype == goal.dtype == np.float32
    assert image.shape == (180, 42, 42, 3) and goal.shape == (180, 2)
    np.testing.assert_array_equal(goal, np.eye(2)[sim.target])
    # An empty selection of rows still has the right shapes.
    empty = sim.observe(NAME, np.zeros(0, dtype=np.int64))
    assert [o.shape for o in empty] == [(0, 42, 42, 3), (0, 2)]
    assert [o.dtype for o in empty] == [np.float32, np.float32]
    assert [m.shape for m in sim.action_masks(NAME, np.zeros(0, dtype=np.int64))] == [(0, 5)]


def test_rendering_of_a_hand_set_state():
    sim, _ = started()
    place(sim, 0, agent=(0, 0), plus=(2, 3), ex=(4, 4), target=0)
    image = sim.observe(NAME, np.array([0]))[0][0]
    # Exact multiples of 1/255, as a PNG gives back, and the uint8 rendering scaled.
    np.testing.assert_array_equal(np.rint(image * 255) / np.float32(255), image)
    np.testing.assert_array_equal(sim.render([0])[0].astype(np.float32) / np.float32(255), image)
    # The border is wall, gray everywhere.
    for frame_row, frame_col in [(0, 0), (0, 3), (6, 6), (3, 0), (3, 6), (6, 2)]:
        np.testing.assert_array_equal(cell_pixels(image, frame_row, frame_col), GRAY)
    # The agent fills its cell with blue.
    np.testing.assert_array_equal(cell_pixels(image, 1, 1), np.broadcast_to([0, 0, 1], (6, 6, 3)))
    plus = cell_pixels(image, 3, 4)
    expected_plus = np.zeros((6, 6))
    expected_plus[2:4, :] = expected_plus[:, 2:4] = 1
    np.testing.assert_array_equal(plus[..., 1], expected_plus)
    np.testing.assert_array_equal(plus[..., [0, 2]], 0)
    ex = cell_pixels(image, 5, 5)
    expected_ex = np.eye(6) + np.fliplr(np.eye(6))
    np.testing.assert_array_equal(ex[..., 0], expected_ex)
    np.testing.assert_array_equal(ex[..., 1:], 0)
    # Everything else is floor.
    np.testing.assert_array_equal(cell_pixels(image, 2, 2), BLACK)
    kinds = np.zeros((7, 7), dtype=bool)
    kinds[[1, 3, 5], [1, 4, 5]] = True
    kinds[0, :] = kinds[6, :] = kinds[:, 0] = kinds[:, 6] = True
    tiles = image.reshape(7, 6, 7, 6, 3).max(axis=(1, 3, 4))
    np.testing.assert_array_equal(tiles[~kinds], 0)
    # An agent standing on a goal hides it (only terminal observations show this).
    sim.agent[0] = sim.plus[0]
    np.testing.assert_array_equal(
        cell_pixels(sim.observe(NAME, np.array([0]))[0][0], 3, 4),
        np.broadcast_to([0, 0, 1], (6, 6, 3)),
    )


def test_moves_masks_and_masked_moves_do_nothing():
    sim, _ = started()
    far = ((4, 0), (4, 1))  # goals out of the way
    place(sim, 0, (0, 0), *far, target=0)
    place(sim, 1, (2, 2), *far, target=0)
    place(sim, 2, (4, 4), *far, target=0)
    place(sim, 3, (2, 4), *far, target=0)
    (mask,) = sim.action_masks(NAME, np.array([0, 1, 2, 3]))
    assert mask.dtype == bool and mask.shape == (4, 5)
    np.testing.assert_array_equal(
        mask,
        [
            [False, True, False, True, False],  # top-left corner: no up, no left
            [False] * 5,
            [False, False, True, False, True],  # bottom-right corner: no down, no right
            [False, False, False, False, True],  # right edge
        ],
    )
    before = sim.agent.copy()
    # Masked moves (and out-of-range actions) leave the agent where it was.
    step(sim, [UP, RIGHT, DOWN, RIGHT, 7, -1, NOOP, NOOP, NOOP])
    expected = before.copy()
    expected[1] = cell(2, 3)
    np.testing.assert_array_equal(sim.agent, expected)
    step(sim, [RIGHT, UP, LEFT, DOWN] + [NOOP] * 5)
    expected[:4] = [cell(0, 1), cell(1, 3), cell(4, 3), cell(3, 4)]
    np.testing.assert_array_equal(sim.agent, expected)


def test_rewards_and_episode_ends():
    sim, _ = started()
    place(sim, 0, (1, 1), plus=(1, 2), ex=(3, 3), target=0)  # right: to the plus, its target
    place(sim, 1, (1, 1), plus=(1, 2), ex=(3, 3), target=1)  # right: to the plus, not it
    place(sim, 2, (1, 1), plus=(3, 3), ex=(0, 1), target=1)  # up: to the ex, its target
    place(sim, 3, (1, 1), plus=(0, 1), ex=(3, 3), target=1)  # up: to the plus, not it
    place(sim, 4, (1, 1), plus=(3, 3), ex=(0, 0), target=0)  # no-op: nothing
    for row in range(5, 9):
        place(sim, row, (4, 4), plus=(0, 0), ex=(0, 1), target=0)
    sim.stats.pending.clear()
    t = step(sim, [RIGHT, RIGHT, UP, UP, NOOP, UP, UP, UP, UP])
    assert t.reward.dtype == np.float32
    np.testing.assert_array_equal(t.done, [True] * 4 + [False] * 5)
    np.testing.assert_array_equal(t.reward, np.array([1, -1, 1, -1] + [-0.01] * 5, np.float32))
    # The goal's reward replaces the tick's and what the agent collected (SetReward).
    np.testing.assert_array_equal(t.set_reward, t.done)
    stats = [(s.key, s.value, s.aggregation) for s in sim.stats.pending]
    average = StatsAggregationMethod.AVERAGE
    assert stats == [("GridWorld/Goal reached", v, average) for v in (1.0, 0.0, 1.0, 0.0)]


def test_an_episode_times_out_at_max_step_with_minus_one():
    with InProcessEnv(GridWorld(seed=2)) as env:
        env.reset()
        sim = env.simulation
        assert isinstance(sim, GridWorld)
        total = np.zeros(9)
        for tick in range(100):
            decision, terminal = env.get_steps(NAME)
            if tick:
                total[decision.agent_id] += decision.reward
            # Keep the agents on cells no goal can be on, so nothing ends but time.
            sim.plus[:], sim.ex[:] = cell(4, 4), cell(4, 3)
            sim.agent[:] = cell(0, 0)
            assert len(terminal) == 0
            env.set_actions(NAME, ActionTuple(discrete=np.zeros((9, 1), np.int32)))
            env.step()
        decision, terminal = env.get_steps(NAME)
        assert len(terminal) == 9 and terminal.interrupted.all()
        np.testing.assert_allclose(total + terminal.reward, -1.0, atol=1e-5)
        assert len(decision) == 9  # restarted and asking again in the same output


def test_same_seed_same_run_other_seed_other_run():
    def run(seed: int) -> list[np.ndarray]:
        sim, rows = started(seed=seed)
        actions = np.random.default_rng(11)
        record = []
        for _ in range(150):
            t = step(sim, actions.integers(0, 5, 9))
            record += [*sim.observe(NAME, rows), *sim.action_masks(NAME, rows), t.reward, t.done]
            if t.done.any():
                sim.reset_agents(NAME, np.flatnonzero(t.done))
        return record

    first = assert_seed_decides(run)
    assert any(r.dtype == bool and r.ndim == 1 and r.any() for r in first)


def test_grid_size_parameter_shrinks_the_playable_area_and_keeps_the_specs():
    sim = GridWorld(seed=1, num_areas=10)
    sim.parameters.set("gridSize", 3.0)
    rows = np.arange(90)
    sim.reset_agents(NAME, rows)
    cells = np.stack([sim.agent, sim.plus, sim.ex], axis=1)
    r, c = np.divmod(cells, 7)
    assert r.max() == 3 and c.max() == 3 and r.min() == 1 and c.min() == 1
    image = sim.observe(NAME, rows)[0]
    assert image.shape == (90, 42, 42, 3)
    # Frame rows and columns 4 and 5 became wall.
    np.testing.assert_array_equal(cell_pixels(image[0], 4, 2), GRAY)
    np.testing.assert_array_equal(cell_pixels(image[0], 2, 5), GRAY)
    place(sim, 0, (2, 2), plus=(0, 0), ex=(0, 1), target=0)
    np.testing.assert_array_equal(
        sim.action_masks(NAME, np.array([0]))[0], [[False, False, True, False, True]]
    )
    step(sim, [DOWN] + [NOOP] * 89)
    assert sim.agent[0] == cell(2, 2)
    # Out-of-range values are clipped to [2, 5]; samplers draw per agent.
    for value, size in ((1.0, 2), (9.0, 5), (4.4, 4)):
        sim.parameters.set("gridSize", value)
        sim.reset_agents(NAME, rows)
        np.testing.assert_array_equal(sim.grid_size, size)
    sim.parameters.set("gridSize", Sampler(SamplerTypes.UNIFORM, 3, [2.0, 5.0]))
    sim.reset_agents(NAME, rows)
    assert set(sim.grid_size.tolist()) == {2, 3, 4, 5}
    r, c = np.divmod(np.stack([sim.agent, sim.plus, sim.ex]), 7)
    assert np.all(np.maximum(r, c) <= sim.grid_size)


def test_walk_to_goal_goes_around_the_other_goal():
    sim, rows = started()
    # The other goal stands between the agent and its target.
    place(sim, 0, (0, 0), plus=(0, 2), ex=(0, 1), target=0)
    place(sim, 1, (4, 2), plus=(0, 2), ex=(2, 2), target=0)
    place(sim, 2, (3, 3), plus=(0, 0), ex=(1, 1), target=1)
    path = {row: [int(sim.agent[row])] for row in range(3)}
    ended = np.zeros(9, dtype=bool)
    for _ in range(10):
        actions = walk_to_goal(*sim.observe(NAME, rows))
        assert actions.shape == (9, 1) and actions.dtype == np.int32
        masks = sim.action_masks(NAME, rows)[0]
        assert not masks[rows, actions[:, 0]].any()  # never a masked move
        t = step(sim, np.where(ended, NOOP, actions[:, 0]))
        for row in range(3):
            if not ended[row]:
                path[row].append(int(sim.agent[row]))
        assert not (t.done & (t.reward < 0)).any()
        ended |= t.done
    assert ended[:3].all()
    assert path[0] == [cell(0, 0), cell(1, 0), cell(1, 1), cell(1, 2), cell(0, 2)]
    assert len(path[1]) == 7 and path[1][-1] == cell(0, 2)
    assert path[2][-1] == cell(1, 1) and len(path[2]) == 5


def run_episodes(policy: Policy | None, steps: int, seed: int) -> tuple[list[float], dict]:
    """Episode returns of policy (None: random actions) over steps steps, and the stats."""
    stats = StatsSideChannel()
    with InProcessEnv(GridWorld(seed=seed, num_areas=2), [stats]) as env:
        returns = episode_returns(env, steps, policy, seed)[NAME]
    return returns, stats.get_and_reset_stats()


def test_scripted_policy_beats_random_by_far():
    scripted, stats = run_episodes(discrete_policy(walk_to_goal), 300, seed=0)
    random, _ = run_episodes(None, 300, seed=0)
    assert len(scripted) > 1000
    assert np.mean(scripted) > 0.95 and min(scripted) > 0.8
    assert np.mean(random) < 0.0
    reached = stats["GridWorld/Goal reached"]
    assert {aggregation for _, aggregation in reached} == {StatsAggregationMethod.AVERAGE}
    assert len(reached) == len(scripted) and all(value == 1.0 for value, _ in reached)


@pytest.mark.parametrize("behavior", ["3DBall", ""])
def test_masks_of_an_unknown_behavior(behavior: str):
    sim, rows = started()
    with pytest.raises(KeyError):
        sim.action_masks(behavior, rows)

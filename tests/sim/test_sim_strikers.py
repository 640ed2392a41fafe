"""StrikersVsGoalie: two behaviors deciding at different rates in one scene, driven directly
and in process."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from devtools.envtest import assert_seed_decides, episode_returns
from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    DecisionSteps,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.conformance import check_env
from mlagents_envs.exception import UnityActionException
from mlagents_envs.side_channel.environment_parameters_channel import SamplerTypes
from mlagents_envs.side_channel.stats_side_channel import (
    StatsAggregationMethod,
    StatsSideChannel,
)
from mlagents_sim.envs.strikers import (
    DOWN,
    GOALS_STAT,
    LEFT,
    RIGHT,
    STAY,
    UP,
    StrikersVsGoalie,
    goalie_heuristic,
    striker_heuristic,
)
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.side_channels import Sampler

STRIKER, GOALIE = "Striker?team=0", "Goalie?team=1"
#: Observations of the agents of a behavior to their discrete actions; None acts at random.
Heuristic = Callable[[np.ndarray], np.ndarray] | None
# Goalie actions.
G_STAY, G_LEFT, G_RIGHT = 0, 1, 2


def started(seed: int = 0, num_areas: int = 1) -> StrikersVsGoalie:
    """A simulation whose areas have all kicked off, as after the Academy's reset."""
    sim = StrikersVsGoalie(seed=seed, num_areas=num_areas)
    sim.reset_agents(STRIKER, np.arange(2 * num_areas))
    sim.reset_agents(GOALIE, np.arange(num_areas))
    sim.observe(STRIKER, np.arange(2 * num_areas))
    return sim


def place(
    sim: StrikersVsGoalie,
    ball: tuple[int, int],
    strikers: tuple[tuple[int, int], tuple[int, int]],
    goalie: int,
    area: int = 0,
) -> None:
    """Set the scene of one area by hand."""
    sim.ball_x[area], sim.ball_y[area] = ball
    for j, (x, y) in enumerate(strikers):
        sim.striker_x[area, j], sim.striker_y[area, j] = x, y
    sim.goalie_x[area] = goalie


def step(sim: StrikersVsGoalie, strikers: list[int], goalie: list[int]):
    return sim.tick(
        {
            STRIKER: ActionTuple(discrete=np.array(strikers, dtype=np.int32)[:, None]),
            GOALIE: ActionTuple(discrete=np.array(goalie, dtype=np.int32)[:, None]),
        }
    )


def scene(sim: StrikersVsGoalie, area: int = 0) -> tuple:
    return (
        (int(sim.ball_x[area]), int(sim.ball_y[area])),
        tuple(zip(sim.striker_x[area].tolist(), sim.striker_y[area].tolist())),
        int(sim.goalie_x[area]),
    )


# --- specs ----------------------------------------------------------------------------------


def test_behaviors_and_specs():
    sim = StrikersVsGoalie()
    striker, goalie = sim.behaviors
    assert (striker.behavior_id, goalie.behavior_id) == (STRIKER, GOALIE)
    assert (striker.n_agents, goalie.n_agents) == (2, 1)
    assert (striker.decision_period, striker.decision_offset) == (1, 0)
    assert (goalie.decision_period, goalie.decision_offset) == (2, 1)
    assert striker.max_step == goalie.max_step == 300
    assert striker.reward_accumulates and goalie.reward_accumulates
    assert striker.compressed == goalie.compressed == (False,)
    sensor = (DimensionProperty.NONE,), ObservationType.DEFAULT, "VectorSensor"
    assert striker.spec.observation_specs == [ObservationSpec((8,), *sensor)]
    assert goalie.spec.observation_specs == [ObservationSpec((7,), *sensor)]
    assert striker.spec.action_spec == ActionSpec.create_discrete((5,))
    assert goalie.spec.action_spec == ActionSpec.create_discrete((3,))


def test_areas_multiply_agents_and_strikers_of_an_area_share_a_group():
    sim = started(num_areas=3)
    assert [b.n_agents for b in sim.behaviors] == [6, 3]
    assert sim.group_ids(STRIKER).tolist() == [1, 1, 2, 2, 3, 3]
    assert sim.group_ids(GOALIE) is None
    assert sim.observe(STRIKER, np.arange(6))[0].shape == (6, 8)
    assert sim.observe(GOALIE, np.arange(3))[0].shape == (3, 7)
    for name, size in ((STRIKER, 8), (GOALIE, 7)):
        (empty,) = sim.observe(name, np.zeros(0, dtype=np.int64))
        assert empty.shape == (0, size) and empty.dtype == np.float32
    t = step(sim, [STAY] * 6, [G_STAY] * 3)
    assert t[STRIKER].reward.shape == (6,) and t[GOALIE].reward.shape == (3,)


# --- kick-off and observations ---------------------------------------------------------------


def test_kickoff():
    sim = started(seed=3, num_areas=40)
    assert np.all((sim.ball_x >= 1) & (sim.ball_x <= 5)) and np.all(sim.ball_y == 4)
    assert len(np.unique(sim.ball_x)) == 5
    assert np.all((sim.striker_y >= 0) & (sim.striker_y <= 1))
    assert np.all((sim.striker_x >= 0) & (sim.striker_x <= 6))
    same_cell = (sim.striker_x[:, 0] == sim.striker_x[:, 1]) & (
        sim.striker_y[:, 0] == sim.striker_y[:, 1]
    )
    assert not same_cell.any()
    assert np.all(sim.goalie_x == 3)
    assert np.all(sim.kick_distance == 2)


def test_observations_on_a_hand_set_scene():
    sim = started(num_areas=2)
    place(sim, ball=(2, 5), strikers=((1, 3), (4, 0)), goalie=4, area=1)
    (obs,) = sim.observe(STRIKER, np.array([3, 2]))
    assert obs.dtype == np.float32
    # Striker 1 of area 1 (row 3), at (4, 0); striker 0 (row 2), at (1, 3).
    expected = np.array(
        [
            [-2 / 6, 5 / 8, -1 / 6, 9 / 8, -3 / 6, 3 / 8, 0 / 6, 8 / 8],
            [1 / 6, 2 / 8, 2 / 6, 6 / 8, 3 / 6, -3 / 8, 3 / 6, 5 / 8],
        ],
        dtype=np.float32,
    )
    np.testing.assert_array_equal(obs, expected)
    (goalie,) = sim.observe(GOALIE, np.array([1]))
    # The goalie at (4, 8): ball, goal center (x only), striker 0, striker 1.
    np.testing.assert_array_equal(
        goalie,
        np.array([[-2 / 6, -3 / 8, -1 / 6, -3 / 6, -5 / 8, 0 / 6, -8 / 8]], dtype=np.float32),
    )


# --- movement, kicks, goals -----------------------------------------------------------------


def test_strikers_move_and_stop_at_walls_and_players():
    sim = started()
    place(sim, ball=(3, 4), strikers=((0, 0), (1, 0)), goalie=3)
    step(sim, [LEFT, DOWN], [G_STAY])  # walls
    assert scene(sim)[1] == ((0, 0), (1, 0))
    step(sim, [RIGHT, UP], [G_STAY])  # striker 0 into striker 1's cell, who moves only after
    assert scene(sim)[1] == ((0, 0), (1, 1))
    step(sim, [UP, RIGHT], [G_STAY])
    assert scene(sim)[1] == ((0, 1), (2, 1))
    place(sim, ball=(3, 4), strikers=((3, 7), (5, 5)), goalie=3)
    step(sim, [UP, STAY], [G_STAY])  # into the goalie
    assert scene(sim)[1] == ((3, 7), (5, 5))
    place(sim, ball=(3, 4), strikers=((1, 8), (5, 5)), goalie=3)
    step(sim, [UP, STAY], [G_STAY])  # past the goal line: a wall for players
    assert scene(sim)[1] == ((1, 8), (5, 5))
    # Out-of-range actions stay put.
    step(sim, [7, -1], [5])
    assert scene(sim) == ((3, 4), ((1, 8), (5, 5)), 3)


def test_a_kick_moves_the_ball_two_cells_and_the_striker_one():
    sim = started()
    place(sim, ball=(3, 3), strikers=((3, 2), (0, 0)), goalie=3)
    t = step(sim, [UP, STAY], [G_STAY])
    assert scene(sim) == ((3, 5), ((3, 3), (0, 0)), 3)
    np.testing.assert_allclose(t[STRIKER].reward, -0.001)
    np.testing.assert_allclose(t[GOALIE].reward, 0.001)
    assert not t[STRIKER].done.any() and not t[GOALIE].done.any()
    # Sideways; the ball stops before the field's rim.
    place(sim, ball=(2, 3), strikers=((3, 3), (0, 0)), goalie=3)
    step(sim, [LEFT, STAY], [G_STAY])
    assert scene(sim)[:2] == ((1, 3), ((2, 3), (0, 0)))
    # Against the rim the ball cannot move, and neither can its kicker.
    step(sim, [LEFT, STAY], [G_STAY])
    assert scene(sim)[:2] == ((1, 3), ((2, 3), (0, 0)))
    # The teammate stops the ball.
    place(sim, ball=(2, 3), strikers=((1, 3), (4, 3)), goalie=3)
    step(sim, [RIGHT, STAY], [G_STAY])
    assert scene(sim)[:2] == ((3, 3), ((2, 3), (4, 3)))
    # Outside the mouth the goal line is the rim; inside the mouth the ball may roll onto it.
    place(sim, ball=(1, 6), strikers=((1, 5), (0, 0)), goalie=3)
    step(sim, [UP, STAY], [G_STAY])
    assert scene(sim)[0] == (1, 7)
    place(sim, ball=(2, 6), strikers=((2, 5), (0, 0)), goalie=3)
    step(sim, [UP, STAY], [G_STAY])
    assert scene(sim)[0] == (2, 8)


def test_a_save():
    sim = started()
    place(sim, ball=(3, 6), strikers=((3, 5), (0, 0)), goalie=3)
    t = step(sim, [UP, STAY], [G_STAY])
    assert scene(sim)[:2] == ((3, 7), ((3, 6), (0, 0)))
    np.testing.assert_allclose(t[GOALIE].reward, 0.101)
    # Straight into the goalie: no move, still a save.
    t = step(sim, [UP, STAY], [G_STAY])
    assert scene(sim)[:2] == ((3, 7), ((3, 6), (0, 0)))
    np.testing.assert_allclose(t[GOALIE].reward, 0.101)
    assert not t[GOALIE].done.any()


def test_a_goal_ends_the_episode_of_its_area_only():
    sim = started(num_areas=2)
    place(sim, ball=(3, 7), strikers=((3, 6), (0, 0)), goalie=2, area=1)
    place(sim, ball=(3, 4), strikers=((3, 3), (0, 0)), goalie=3, area=0)
    t = step(sim, [STAY, STAY, UP, STAY], [G_STAY, G_STAY])
    assert scene(sim, 1)[0] == (3, 9)
    assert t[STRIKER].done.tolist() == [False, False, True, True]
    assert t[GOALIE].done.tolist() == [False, True]
    np.testing.assert_allclose(t[STRIKER].reward, [-0.001, -0.001, 0.999, 0.999])
    np.testing.assert_allclose(t[STRIKER].group_reward, [0, 0, 1, 1])
    np.testing.assert_allclose(t[GOALIE].reward, [0.001, -0.999])
    assert t[GOALIE].group_reward is None
    assert [(s.key, s.value, s.aggregation) for s in sim.stats.pending] == [
        (GOALS_STAT, 1.0, StatsAggregationMethod.SUM)
    ]
    # A ball on the goal line goes in, whatever the goalie does; a goal stops the area.
    place(sim, ball=(4, 8), strikers=((4, 7), (3, 7)), goalie=3, area=0)
    t = step(sim, [UP, RIGHT, STAY, STAY], [G_RIGHT, G_STAY])
    assert t[GOALIE].done.tolist() == [True, False]
    assert scene(sim, 0) == ((4, 9), ((4, 8), (3, 7)), 3)


def test_the_goalie_moves_along_the_mouth_only():
    sim = started()
    place(sim, ball=(3, 4), strikers=((0, 0), (1, 0)), goalie=3)
    for action, x in ((G_LEFT, 2), (G_LEFT, 2), (G_RIGHT, 3), (G_RIGHT, 4), (G_RIGHT, 4)):
        step(sim, [STAY, STAY], [action])
        assert sim.goalie_x[0] == x
    # Not into the ball or a striker on the goal line.
    place(sim, ball=(3, 8), strikers=((2, 8), (0, 0)), goalie=4)
    step(sim, [STAY, STAY], [G_LEFT])
    assert sim.goalie_x[0] == 4
    place(sim, ball=(3, 4), strikers=((2, 8), (0, 0)), goalie=3)
    step(sim, [STAY, STAY], [G_LEFT])
    assert sim.goalie_x[0] == 3
    # Strikers move first: the goalie sees where they went.
    place(sim, ball=(3, 4), strikers=((2, 8), (0, 0)), goalie=4)
    step(sim, [RIGHT, STAY], [G_LEFT])
    assert scene(sim)[1:] == (((3, 8), (0, 0)), 4)
    step(sim, [LEFT, STAY], [G_LEFT])
    assert scene(sim)[1:] == (((2, 8), (0, 0)), 3)


def test_parameters_are_read_per_area_when_it_restarts():
    sim = StrikersVsGoalie(seed=1, num_areas=3)
    sim.parameters.set("kick_distance", 3.0)
    sim.parameters.set("ball_row", Sampler(SamplerTypes.UNIFORM, 4, [2.0, 7.0]))
    sim.reset_agents(STRIKER, np.arange(6))
    sim.reset_agents(GOALIE, np.arange(3))
    step(sim, [STAY] * 6, [G_STAY] * 3)  # a tick restarts waiting areas too
    assert sim.kick_distance.tolist() == [3, 3, 3]
    first_rows = sim.ball_y.copy()
    assert np.all((first_rows >= 2) & (first_rows <= 7)) and len(set(first_rows)) > 1
    place(sim, ball=(3, 2), strikers=((3, 1), (0, 0)), goalie=3)
    step(sim, [UP, STAY] + [STAY] * 4, [G_STAY] * 3)
    assert sim.ball_y[0] == 5
    # Out-of-range values are clipped, non-finite ones read as the default.
    sim.parameters.set("kick_distance", 9.0)
    sim.parameters.set("ball_row", float("nan"))
    sim.reset_agents(GOALIE, np.array([2]))
    sim.observe(GOALIE, np.array([2]))
    assert sim.kick_distance.tolist() == [3, 3, 4]
    assert sim.ball_y[2] == 4 and sim.ball_y[1] == first_rows[1]


def test_an_area_restarts_when_it_is_needed_not_when_its_first_agent_does():
    sim = started()
    place(sim, ball=(3, 9), strikers=((3, 8), (1, 1)), goalie=2)
    sim.reset_agents(STRIKER, np.arange(2))
    # The goalie's terminal observation, taken after the strikers restarted, shows the goal.
    (goalie,) = sim.observe(GOALIE, np.array([0]))
    np.testing.assert_array_equal(goalie[0, :2], np.float32([1 / 6, 1 / 8]))
    sim.reset_agents(GOALIE, np.array([0]))
    (striker,) = sim.observe(STRIKER, np.arange(2))
    assert scene(sim)[0][1] == 4 and sim.goalie_x[0] == 3
    np.testing.assert_array_equal(striker[:, 1], (4 - sim.striker_y[0]) / np.float32(8))


def test_same_seed_same_run_other_seed_other_run():
    def run(seed: int) -> list[np.ndarray]:
        sim = started(seed=seed, num_areas=4)
        rng = np.random.default_rng(7)
        record = []
        for _ in range(400):
            t = step(sim, rng.integers(0, 5, 8).tolist(), rng.integers(0, 3, 4).tolist())
            record += [sim.observe(STRIKER, np.arange(8))[0], t[STRIKER].reward]
            record += [sim.observe(GOALIE, np.arange(4))[0], t[GOALIE].reward]
            ended = np.flatnonzero(t[GOALIE].done)
            if len(ended):
                sim.reset_agents(STRIKER, np.concatenate([2 * ended, 2 * ended + 1]))
                sim.reset_agents(GOALIE, ended)
        return record

    assert_seed_decides(run)


# --- scripted policies ----------------------------------------------------------------------


def test_heuristic_outputs():
    sim = started(num_areas=4)
    place(sim, ball=(3, 5), strikers=((3, 4), (0, 0)), goalie=3, area=0)  # push up
    place(sim, ball=(3, 7), strikers=((4, 7), (1, 1)), goalie=3, area=1)  # dodge the goalie
    place(sim, ball=(3, 5), strikers=((3, 6), (0, 0)), goalie=3, area=2)  # walk around it
    place(sim, ball=(1, 5), strikers=((0, 5), (3, 2)), goalie=3, area=3)  # into the mouth
    actions = striker_heuristic(sim.observe(STRIKER, np.arange(8))[0])
    assert actions.shape == (8, 1) and actions.dtype == np.int32
    assert actions[[0, 2, 4, 6], 0].tolist() == [UP, LEFT, LEFT, RIGHT]
    place(sim, ball=(5, 5), strikers=((0, 0), (1, 0)), goalie=3, area=0)
    place(sim, ball=(1, 5), strikers=((0, 0), (1, 0)), goalie=3, area=1)
    place(sim, ball=(3, 5), strikers=((0, 0), (1, 0)), goalie=3, area=2)
    place(sim, ball=(4, 5), strikers=((0, 0), (1, 0)), goalie=4, area=3)
    goalie = goalie_heuristic(sim.observe(GOALIE, np.arange(4))[0])
    assert goalie.shape == (4, 1) and goalie.dtype == np.int32
    assert goalie[:, 0].tolist() == [G_RIGHT, G_LEFT, G_STAY, G_STAY]


def mean_episode_rewards(
    strikers: Heuristic, goalie: Heuristic, steps: int = 600
) -> tuple[float, float, int]:
    """Mean striker and goalie rewards per episode, and goals, in process."""
    rng = np.random.default_rng(0)
    heuristics = {STRIKER: strikers, GOALIE: goalie}
    specs = {b.behavior_id: b.spec.action_spec for b in StrikersVsGoalie().behaviors}

    def policy(behavior: str, decision: DecisionSteps) -> ActionTuple:
        heuristic = heuristics[behavior]
        if heuristic is None:
            return specs[behavior].random_action(len(decision), rng)
        return ActionTuple(discrete=heuristic(decision.obs[0]))

    stats = StatsSideChannel()
    with InProcessEnv(StrikersVsGoalie(seed=2, num_areas=4), side_channels=[stats]) as env:
        ended = episode_returns(env, steps, policy)
    goals = sum(value for value, _ in stats.get_and_reset_stats().get(GOALS_STAT, []))
    return float(np.mean(ended[STRIKER])), float(np.mean(ended[GOALIE])), int(goals)


def test_scripted_strikers_score_far_more_than_random_ones():
    scripted, scripted_goalie, scripted_goals = mean_episode_rewards(striker_heuristic, None)
    random, random_goalie, random_goals = mean_episode_rewards(None, None)
    assert scripted > 0.95 and scripted_goalie < -0.9
    assert random < 0.0 and random_goalie > 0.0
    assert scripted_goals > 20 * max(random_goals, 1)
    against_scripted, _, _ = mean_episode_rewards(striker_heuristic, goalie_heuristic)
    assert against_scripted > 0.95


# --- as an environment ------------------------------------------------------------------------


def test_two_behaviors_at_two_rates_in_process():
    with InProcessEnv(StrikersVsGoalie(seed=1, num_areas=2)) as env:
        env.reset()
        # The goalie first asks on tick 1: the first output holds only strikers.
        assert list(env.behavior_specs) == [STRIKER]
        assert env.get_steps(STRIKER)[0].agent_id.tolist() == [0, 1, 2, 3]
        assert env.get_steps(STRIKER)[0].group_id.tolist() == [1, 1, 2, 2]
        env.step()
        assert list(env.behavior_specs) == [STRIKER, GOALIE]
        sim = env.simulation
        spec = env.behavior_specs[GOALIE].action_spec
        for tick in range(1, 12):
            striker, _ = env.get_steps(STRIKER)
            goalie, _ = env.get_steps(GOALIE)
            assert len(striker) == 4
            assert goalie.agent_id.tolist() == ([4, 5] if tick % 2 else [])
            assert goalie.group_id.tolist() == ([0, 0] if tick % 2 else [])
            if tick % 2:
                sim.goalie_x[:] = 3
                env.set_actions(GOALIE, ActionTuple(discrete=np.array([[G_LEFT], [G_RIGHT]])))
                env.step()
                assert sim.goalie_x.tolist() == [2, 4]
                # Between two decisions the goalie holds its action: back to the middle, it
                # moves again.
                sim.goalie_x[:] = 3
            else:
                # Nobody asks: the only actions are empty ones; one for an agent is refused.
                env.set_actions(GOALIE, spec.empty_action(0))
                with pytest.raises(UnityActionException):
                    env.set_actions(GOALIE, spec.empty_action(1))
                env.step()
                assert sim.goalie_x.tolist() == [2, 4]


def test_a_goal_through_the_academy():
    stats = StatsSideChannel()
    with InProcessEnv(StrikersVsGoalie(seed=1), side_channels=[stats]) as env:
        env.reset()
        sim = env.simulation
        place(sim, ball=(3, 7), strikers=((3, 6), (0, 0)), goalie=2)
        env.set_actions(STRIKER, ActionTuple(discrete=np.array([[UP], [STAY]])))
        env.step()
        decision, terminal = env.get_steps(STRIKER)
        assert terminal.agent_id.tolist() == [0, 1] and decision.agent_id.tolist() == [0, 1]
        np.testing.assert_allclose(terminal.reward, 0.999)
        np.testing.assert_allclose(terminal.group_reward, 1.0)
        assert not terminal.interrupted.any()
        np.testing.assert_array_equal(terminal.obs[0][0, :2], np.float32([0, 2 / 8]))
        np.testing.assert_array_equal(decision.reward, 0.0)
        g_decision, g_terminal = env.get_steps(GOALIE)
        assert g_terminal.agent_id.tolist() == [2] and g_decision.agent_id.tolist() == [2]
        np.testing.assert_allclose(g_terminal.reward, -0.999)
        assert g_terminal.group_id.tolist() == [0]
        # The goalie's terminal observation still shows the ball in the goal.
        np.testing.assert_array_equal(g_terminal.obs[0][0, :2], np.float32([1 / 6, 1 / 8]))
        kickoff = [(int(sim.ball_x[0]) - 3) / 6, (int(sim.ball_y[0]) - 8) / 8]
        np.testing.assert_array_equal(g_decision.obs[0][0, :2], np.float32(kickoff))
        assert stats.get_and_reset_stats()[GOALS_STAT] == [(1.0, StatsAggregationMethod.SUM)]


def test_episodes_are_interrupted_for_everyone_at_max_step():
    with InProcessEnv(StrikersVsGoalie(seed=4)) as env:
        env.reset()
        for _ in range(300):
            assert len(env.get_steps(STRIKER)[1]) == 0
            env.step()  # nobody moves: zeros are "stay"
        _, terminal = env.get_steps(STRIKER)
        _, g_terminal = env.get_steps(GOALIE)
        assert terminal.interrupted.tolist() == [True, True]
        assert g_terminal.interrupted.tolist() == [True]
        np.testing.assert_allclose(terminal.reward, -0.001)
        np.testing.assert_allclose(g_terminal.reward, 0.001)


def test_both_decision_rates_through_the_conformance_suite():
    report = check_env(InProcessEnv(StrikersVsGoalie(seed=3, num_areas=2)), steps=400)
    assert report.decisions[STRIKER] == 4 * 400
    assert report.decisions[GOALIE] == 2 * 200
    assert report.terminals[STRIKER] > 0 and report.interrupted[STRIKER] > 0

"""SoccerTwos: the grid rules, both teams' frames, group rewards and group episode ends, the
scripted policy and its graded strength, and the scripted opponent inside the scene,
in-process and as an executable."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
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
)
from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.conformance import check_env
from mlagents_envs.registry import default_registry
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_sim.catalog import EXPECTED_REWARDS
from mlagents_sim.envs.soccer import (
    SoccerTwos,
    play_match,
    scripted_policy,
    soccer_heuristic,
)
from mlagents_sim.experts import expert
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.player import parse_args

ENV = "SoccerTwos"
BLUE, PURPLE = "SoccerTwos?team=0", "SoccerTwos?team=1"

# Actions: (forward/backward, sideways) in the team's own frame.
STAY = (0, 0)
FORWARD, BACKWARD = (1, 0), (2, 0)
RIGHT, LEFT = (0, 1), (0, 2)
FORWARD_RIGHT, FORWARD_LEFT = (1, 1), (1, 2)

Cell = tuple[int, int]


def started(seed: int = 0, num_areas: int = 1, **kwargs) -> SoccerTwos:
    sim = SoccerTwos(seed=seed, num_areas=num_areas, **kwargs)
    for behavior in sim.behaviors:
        sim.reset_agents(behavior.behavior_id, np.arange(behavior.n_agents))
    sim.observe(BLUE, np.arange(1))  # the kick-off waits for this
    return sim


def place(sim: SoccerTwos, players: Sequence[Cell], ball: Cell, area: int = 0) -> None:
    """Hand-set an area: its 4 players' cells (team 0's two, then team 1's) and the ball."""
    for p, (x, y) in enumerate(players):
        sim.player_x[area, p], sim.player_y[area, p] = x, y
    sim.ball_x[area], sim.ball_y[area] = ball


def players_of(sim: SoccerTwos, area: int = 0) -> list[Cell]:
    return [(int(sim.player_x[area, p]), int(sim.player_y[area, p])) for p in range(4)]


def ball_of(sim: SoccerTwos, area: int = 0) -> Cell:
    return int(sim.ball_x[area]), int(sim.ball_y[area])


def step(sim: SoccerTwos, moves: Sequence[tuple[int, int]]):
    """One tick with moves for every player of every area (team 0's, then team 1's, area
    by area within each team)."""
    n = 2 * sim.num_areas
    actions = np.asarray(moves, dtype=np.int32).reshape(2, n, 2)
    return sim.tick(
        {BLUE: ActionTuple(discrete=actions[0]), PURPLE: ActionTuple(discrete=actions[1])}
    )


# Players parked in the corners, out of everyone's way.
PARKED = [(0, 0), (0, 6), (8, 0), (8, 6)]


def test_behaviors_specs_and_groups():
    sim = SoccerTwos(num_areas=2)
    assert [b.behavior_id for b in sim.behaviors] == [BLUE, PURPLE]
    spec = ObservationSpec(
        (14,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "VectorSensor"
    )
    for team, behavior in enumerate(sim.behaviors):
        assert (behavior.name, behavior.team_id) == (ENV, team)
        assert behavior.n_agents == 4
        assert behavior.decision_period == 1
        assert behavior.max_step == 300
        assert behavior.compressed == (False,)
        assert behavior.spec.observation_specs == [spec]
        assert behavior.spec.action_spec == ActionSpec.create_discrete((3, 3))
    # Every team of every area is its own group.
    assert sim.group_ids(BLUE).tolist() == [1, 1, 3, 3]
    assert sim.group_ids(PURPLE).tolist() == [2, 2, 4, 4]
    assert sim.group_ids(BLUE).dtype == np.int32
    assert sim.action_masks(BLUE, np.arange(4)) is None


def test_kick_off_layout():
    sim = started(seed=2, num_areas=300)
    assert set(sim.ball_x.tolist()) == {3, 4, 5}
    assert set(sim.ball_y.tolist()) == {2, 3, 4}
    x, y = sim.player_x, sim.player_y
    assert set(x[:, :2].ravel().tolist()) == {0, 1, 2}
    assert set(x[:, 2:].ravel().tolist()) == {6, 7, 8}
    assert set(y.ravel().tolist()) == set(range(7))
    # Teammates on distinct cells; teams drawn apart, not as mirror images.
    for team in (slice(0, 2), slice(2, 4)):
        assert (
            (x[:, team][:, 0] != x[:, team][:, 1]) | (y[:, team][:, 0] != y[:, team][:, 1])
        ).all()
    assert not ((x[:, 2:] == 8 - x[:, :2]) & (y[:, 2:] == 6 - y[:, :2])).all()
    assert (sim.episode_ticks == 0).all()


def test_observations_in_each_teams_frame():
    sim = started(num_areas=2)
    place(sim, [(2, 1), (0, 3), (6, 5), (8, 2)], ball=(4, 2), area=1)
    blue = sim.observe(BLUE, np.array([2, 3]))[0]
    purple = sim.observe(PURPLE, np.array([2, 3]))[0]
    assert blue.dtype == purple.dtype == np.float32
    scale = np.array([8, 6] * 7, dtype=np.float64)
    expected_blue = np.array(
        [
            # own, ball, mate, opponents, goal attacked (8, 3), goal defended (0, 3)
            [2, 1, 2, 1, -2, 2, 4, 4, 6, 1, 6, 2, -2, 2],
            [0, 3, 4, -1, 2, -2, 6, 2, 8, -1, 8, 0, 0, 0],
        ]
    )
    np.testing.assert_array_equal(blue, (expected_blue / scale).astype(np.float32))
    # Team 1 sees the field turned half a turn: (x, y) -> (8 - x, 6 - y).
    # Its players are at (2, 1) and (0, 4) of its own frame, the ball at (4, 4).
    expected_purple = np.array(
        [
            [2, 1, 2, 3, -2, 3, 4, 4, 6, 2, 6, 2, -2, 2],
            [0, 4, 4, 0, 2, -3, 6, 1, 8, -1, 8, -1, 0, -1],
        ]
    )
    np.testing.assert_array_equal(purple, (expected_purple / scale).astype(np.float32))
    # Any rows, in any order, and none.
    np.testing.assert_array_equal(sim.observe(PURPLE, np.array([3, 2]))[0], purple[::-1])
    assert sim.observe(BLUE, np.zeros(0, dtype=np.int64))[0].shape == (0, 14)


def test_the_game_is_the_same_from_both_sides():
    """A state turned half a turn with the teams swapped looks to team 1 as the original
    looks to team 0, and the same actions give the turned outcome: one policy plays both
    sides."""
    players = [(2, 1), (1, 4), (5, 3), (7, 5)]
    ball = (3, 2)
    moves = [FORWARD_RIGHT, FORWARD, BACKWARD, LEFT]
    sim = started(seed=1)
    place(sim, players, ball)
    before = sim.observe(BLUE, np.arange(2))[0]
    step(sim, moves)
    after = sim.observe(BLUE, np.arange(2))[0]

    def turn(cell: Cell) -> Cell:
        return 8 - cell[0], 6 - cell[1]

    swapped = [turn(c) for c in players[2:] + players[:2]]
    mirror = started(seed=1)
    place(mirror, swapped, turn(ball))
    np.testing.assert_array_equal(mirror.observe(PURPLE, np.arange(2))[0], before)
    step(mirror, moves[2:] + moves[:2])
    np.testing.assert_array_equal(mirror.observe(PURPLE, np.arange(2))[0], after)


def test_moves_are_in_the_teams_frame():
    sim = started()
    place(sim, [(3, 3), (0, 0), (5, 3), (8, 6)], ball=(7, 5))
    # Team 0's forward is +x and its right -y; team 1's forward is -x and its right +y.
    for moves, blue, purple in (
        ([FORWARD, STAY, STAY, STAY], (4, 3), (5, 3)),
        ([STAY, STAY, FORWARD, STAY], (4, 3), (5, 3)),  # into team 0's player: it stays
        ([RIGHT, STAY, RIGHT, STAY], (4, 2), (5, 4)),
        ([BACKWARD, STAY, LEFT, STAY], (3, 2), (5, 3)),
        ([FORWARD_LEFT, STAY, FORWARD_RIGHT, STAY], (4, 3), (4, 4)),
    ):
        step(sim, moves)
        assert (players_of(sim)[0], players_of(sim)[2]) == (blue, purple), moves
    # Off the field: it stays.
    place(sim, [(0, 0), (8, 6), (1, 1), (0, 6)], ball=(4, 3))
    step(sim, [BACKWARD, FORWARD, STAY, FORWARD])
    step(sim, [FORWARD_RIGHT, STAY, STAY, STAY])
    assert players_of(sim) == [(0, 0), (8, 6), (1, 1), (0, 6)]


def test_a_kick_rolls_the_ball_two_cells_and_the_kicker_follows():
    sim = started()
    place(sim, [(2, 3), *PARKED[1:]], ball=(3, 3))
    t = step(sim, [FORWARD, STAY, STAY, STAY])
    assert ball_of(sim) == (5, 3) and players_of(sim)[0] == (3, 3)
    np.testing.assert_array_equal(t[BLUE].reward, 0.0)  # ball_touch is 0 by default
    # Diagonally, stopping at the edge of the inner field (rows 1..5).
    place(sim, [(2, 3), *PARKED[1:]], ball=(3, 4))
    step(sim, [FORWARD_LEFT, STAY, STAY, STAY])
    assert ball_of(sim) == (4, 5) and players_of(sim)[0] == (3, 4)
    # Against the edge: the ball does not move, nor does the kicker.
    place(sim, [(3, 4), *PARKED[1:]], ball=(3, 5))
    step(sim, [LEFT, STAY, STAY, STAY])
    assert ball_of(sim) == (3, 5) and players_of(sim)[0] == (3, 4)
    # Stopped by a player after one cell.
    place(sim, [(2, 3), (0, 0), (5, 3), (8, 6)], ball=(3, 3))
    step(sim, [FORWARD, STAY, STAY, STAY])
    assert ball_of(sim) == (4, 3) and players_of(sim)[0] == (3, 3)


def test_a_ball_kicked_into_a_player_glances_off_to_a_side():
    sides = set()
    for seed in range(12):
        sim = started(seed=seed)
        place(sim, [(2, 3), (0, 0), (4, 3), (8, 6)], ball=(3, 3))
        step(sim, [FORWARD, STAY, STAY, STAY])
        sides.add(ball_of(sim))
        assert players_of(sim)[0] == (3, 3)
    assert sides == {(3, 2), (3, 4)}
    # One side taken: the other.
    sim = started()
    place(sim, [(2, 3), (3, 2), (4, 3), (8, 6)], ball=(3, 3))
    step(sim, [FORWARD, STAY, STAY, STAY])
    assert ball_of(sim) == (3, 4)
    # Both taken: it stays, and so does the kicker.
    place(sim, [(2, 3), (3, 2), (4, 3), (3, 4)], ball=(3, 3))
    step(sim, [FORWARD, STAY, STAY, STAY])
    assert ball_of(sim) == (3, 3) and players_of(sim)[0] == (2, 3)


def test_a_goal_rewards_both_teams_and_ends_the_area():
    sim = started(num_areas=2)
    place(sim, [(6, 3), (0, 0), (8, 6), (8, 0)], ball=(7, 3), area=1)
    sim.episode_ticks[:] = [10, 59]
    t = step(sim, [STAY] * 2 + [FORWARD, STAY] + [STAY] * 4)
    assert ball_of(sim, 1) == (8, 3)
    win = np.float32(1 - 60 / 300)
    np.testing.assert_array_equal(t[BLUE].group_reward, [0, 0, win, win])
    np.testing.assert_array_equal(t[PURPLE].group_reward, [0, 0, -1, -1])
    for team in (BLUE, PURPLE):
        np.testing.assert_array_equal(t[team].done, [False, False, True, True])
        np.testing.assert_array_equal(t[team].reward, 0.0)
    # Team 1 scores at x = 0: its forward is -x and its right +y, so this kick goes
    # diagonally into the lowest mouth row.
    sim = started()
    place(sim, [(8, 6), (8, 0), (2, 0), (0, 6)], ball=(1, 1))
    t = step(sim, [STAY, STAY, FORWARD_RIGHT, STAY])
    assert ball_of(sim) == (0, 2) and players_of(sim)[2] == (1, 1)
    np.testing.assert_array_equal(t[PURPLE].group_reward, np.float32([1 - 1 / 300] * 2))
    np.testing.assert_array_equal(t[BLUE].group_reward, [-1, -1])
    # Below the mouth the ball may not leave the inner field: it stays.
    sim = started()
    place(sim, [(8, 6), (8, 0), (2, 2), (0, 6)], ball=(1, 1))
    t = step(sim, [STAY, STAY, FORWARD_LEFT, STAY])
    assert ball_of(sim) == (1, 1) and players_of(sim)[2] == (2, 2)
    assert not t[PURPLE].done.any()


def test_the_ball_enters_the_end_columns_only_in_the_mouth_and_a_keeper_blocks_it():
    sim = started()
    place(sim, [(6, 1), (0, 0), (8, 6), (0, 6)], ball=(7, 1))
    t = step(sim, [FORWARD, STAY, STAY, STAY])
    assert ball_of(sim) == (7, 1) and not t[BLUE].done.any()
    # A player standing in the mouth keeps the ball out.
    place(sim, [(6, 3), (0, 0), (8, 3), (0, 6)], ball=(7, 3))
    t = step(sim, [FORWARD, STAY, STAY, STAY])
    assert ball_of(sim) != (8, 3) and not t[BLUE].done.any()


def test_ball_touch_pays_each_kick_that_moves_the_ball():
    channel = EnvironmentParametersChannel()
    channel.set_float_parameter("ball_touch", 0.5)
    with InProcessEnv(SoccerTwos(seed=1), side_channels=[channel]) as env:
        env.reset()
        sim = env.simulation
        place(sim, [(2, 3), (0, 0), (8, 6), (8, 0)], ball=(3, 3))
        env.set_actions(BLUE, ActionTuple(discrete=np.array([FORWARD, STAY], dtype=np.int32)))
        env.step()
        np.testing.assert_allclose(env.get_steps(BLUE)[0].reward, [0.1, 0.0])
        np.testing.assert_array_equal(env.get_steps(PURPLE)[0].reward, 0.0)
        # Leaning on a ball that cannot move (against the edge of the inner field) pays
        # nothing: a touch is a kick that moves it.
        place(sim, [(3, 4), (0, 0), (8, 6), (8, 0)], ball=(3, 5))
        env.set_actions(BLUE, ActionTuple(discrete=np.array([LEFT, STAY], dtype=np.int32)))
        env.step()
        assert ball_of(sim) == (3, 5)
        np.testing.assert_array_equal(env.get_steps(BLUE)[0].reward, 0.0)
        # Read at kick-off: the next episodes pay the new value.
        assert sim.ball_touch.tolist() == [0.5]


def test_same_seed_same_game_other_seed_other_game():
    def run(seed: int) -> list[np.ndarray]:
        sim = started(seed=seed, num_areas=2)
        rng = np.random.default_rng(4)
        record = []
        for _ in range(300):
            t = step(sim, rng.integers(0, 3, (8, 2)))
            record += [sim.player_x.copy(), sim.ball_x.copy(), t[BLUE].group_reward]
            ended = t[BLUE].done | np.repeat(sim.episode_ticks >= 100, 2)
            if ended.any():
                sim.reset_agents(BLUE, np.flatnonzero(ended))
                sim.reset_agents(PURPLE, np.flatnonzero(ended))
        return record

    assert_seed_decides(run)


def test_unknown_behaviors_and_bad_actions_are_refused():
    sim = started()
    with pytest.raises(KeyError, match="Walker"):
        sim.group_ids("Walker?team=0")
    with pytest.raises(ValueError, match=PURPLE.replace("?", r"\?")):
        step(sim, [STAY, STAY, STAY, (3, 0)])
    with pytest.raises(ValueError, match="shape"):
        sim.tick(
            {
                BLUE: ActionTuple(discrete=np.zeros((2, 1), np.int32)),
                PURPLE: ActionTuple(discrete=np.zeros((2, 2), np.int32)),
            }
        )


# --- the scripted policy ----------------------------------------------------------------------


def test_the_heuristic_decides_from_each_players_own_observation():
    sim = started(seed=8, num_areas=4)
    for behavior in (BLUE, PURPLE):
        obs = sim.observe(behavior, np.arange(8))[0]
        batch = soccer_heuristic(obs)
        assert batch.shape == (8, 2) and batch.dtype == np.int32
        assert ((batch >= 0) & (batch < 3)).all()
        for i in range(8):
            np.testing.assert_array_equal(soccer_heuristic(obs[i : i + 1]), batch[i : i + 1])
    assert expert(ENV, PURPLE) is soccer_heuristic


def test_the_heuristic_shoots_past_the_keeper_and_keeps_goal():
    sim = started()
    # Team 0's attacker behind the ball, team 1's keeper in the middle of its mouth, team
    # 0's keeper in its own mouth in the ball's row.
    place(sim, [(5, 3), (0, 3), (8, 3), (6, 6)], ball=(6, 3))
    first = soccer_heuristic(sim.observe(BLUE, np.arange(2))[0])
    assert tuple(first[1]) == STAY
    for _ in range(6):
        moves = [tuple(a) for a in soccer_heuristic(sim.observe(BLUE, np.arange(2))[0])]
        t = step(sim, [*moves, STAY, STAY])
        assert players_of(sim)[1] == (0, 3)
        if t[BLUE].done.any():
            break
    # Past the keeper, into a free mouth row.
    assert t[BLUE].done.all() and ball_of(sim) in {(8, 2), (8, 4)}
    # The keeper clears a ball just ahead of it while its teammate (as near the spot to
    # kick from, and first in position order) comes to attack.
    place(sim, [(0, 1), (0, 3), (8, 3), (6, 6)], ball=(1, 2))
    attacker, keeper = soccer_heuristic(sim.observe(BLUE, np.arange(2))[0]).tolist()
    assert tuple(attacker) == LEFT and tuple(keeper) == FORWARD_RIGHT


def test_skill_mixes_best_and_random_moves():
    sim = started(seed=3, num_areas=50)
    obs = sim.observe(BLUE, np.arange(100))[0]
    best = soccer_heuristic(obs)
    np.testing.assert_array_equal(scripted_policy(1.0, seed=1)(obs), best)
    agree = [(scripted_policy(s, seed=1)(obs) == best).all(axis=1).mean() for s in (0.0, 0.5)]
    # At random a move matches the best one time in nine; half the time it is the best.
    assert agree[0] < 0.25 and 0.4 < agree[1] < 0.72
    for bad in (-0.1, 1.5, float("nan"), "high"):
        with pytest.raises(ValueError, match="skill"):
            scripted_policy(bad)  # type: ignore[arg-type]


def test_a_stronger_scripted_team_beats_a_weaker_one():
    """The ordering the docstring measures, on fixed seeds and shorter matches."""

    def score(a: float, b: float) -> float:
        result = play_match(scripted_policy(a, seed=1), scripted_policy(b, seed=2), steps=800)
        assert result.episodes >= 20
        return result.score

    assert score(1.0, 0.5) > 0.85
    assert score(0.5, 0.25) > 0.75
    assert score(0.25, 0.0) > 0.8
    # Both sides alike: even, and the same whichever side plays it.
    assert 0.35 < score(1.0, 1.0) < 0.65
    assert score(0.0, 0.25) < 0.2


def test_scripted_play_reaches_the_expected_reward_and_random_play_does_not():
    """Solved means a mean team-0 group reward of 0.5 against the scripted opponent of
    skill 0.5."""
    assert EXPECTED_REWARDS[ENV] == 0.5
    runs = {}
    for label, policy in (("scripted", discrete_policy(expert(ENV, BLUE))), ("random", None)):
        with InProcessEnv(SoccerTwos(seed=1, num_areas=2, opponent_skill=0.5)) as env:
            runs[label] = episode_returns(env, 400, policy, group=True)
            assert list(env.behavior_specs) == [BLUE]
    scripted, random = runs["scripted"][BLUE], runs["random"][BLUE]
    assert len(scripted) > 50 and len(random) > 10
    assert np.mean(scripted) > 0.85 > EXPECTED_REWARDS[ENV] > -0.9 > np.mean(random)


# --- the scripted opponent inside the scene ---------------------------------------------------


def test_a_scripted_opponent_plays_team_1_inside_the_scene():
    with InProcessEnv(SoccerTwos(seed=2, num_areas=2, opponent_skill=1.0)) as env:
        env.reset()
        assert list(env.behavior_specs) == [BLUE]
        sim = env.simulation
        assert [b.behavior_id for b in sim.behaviors] == [BLUE]
        before = players_of(sim, 0)[2:]
        for _ in range(3):
            env.step()  # team 0 stays (zeros); team 1 plays
        assert players_of(sim, 0)[2:] != before
    # Against nobody moving, the scripted team scores.
    result = play_match(lambda obs: np.zeros((len(obs), 2), np.int32), 1.0, steps=200, seed=1)
    assert result.losses >= 10 and result.wins == 0


def test_the_opponent_skill_parameter_overrides_the_constructors():
    channel = EnvironmentParametersChannel()
    channel.set_float_parameter("opponent_skill", 0.0)
    with InProcessEnv(SoccerTwos(seed=2, opponent_skill=1.0), side_channels=[channel]) as env:
        env.reset()
        env.step()
        assert env.simulation.opponent_skill.tolist() == [0.0]
    with pytest.raises(ValueError, match="skill"):
        SoccerTwos(opponent_skill=2.0)


def test_the_opponent_skill_on_the_command_line():
    options, rest = SoccerTwos.command_line_options(
        ["-batchmode", "--opponent-skill", "0.25", "-x"]
    )
    assert options == {"opponent_skill": 0.25} and rest == ["-batchmode", "-x"]
    for bad in (["--opponent-skill"], ["--opponent-skill", "strong"], ["--opponent-skill", "3"]):
        with pytest.raises(ValueError, match="skill"):
            SoccerTwos.command_line_options(bad)
    # The player leaves it to the scene, which refuses a bad value before connecting.
    assert parse_args(["--opponent-skill", "0.3"]).ignored == ["--opponent-skill", "0.3"]
    command = [sys.executable, "-m", "mlagents_sim.player", "--env", ENV, "--opponent-skill", "7"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, env=os.environ)
    assert run.returncode == 2 and "skill" in run.stderr


def test_the_registry_makes_it_with_a_scripted_opponent():
    with default_registry[ENV].make_in_process(seed=1, opponent_skill=0.5) as env:
        env.reset()
        assert list(env.behavior_specs) == [BLUE]


def test_an_executable_with_a_scripted_opponent_matches_in_process(executables: dict[str, Path]):
    args = ["--opponent-skill", "0.5"]
    with launch(executables[ENV], seed=5, num_areas=2, additional_args=args) as env:
        over_wire = record_steps(env, 120, seed=9)
        specs = dict(env.behavior_specs)
    assert list(specs) == [BLUE]
    with InProcessEnv(SoccerTwos(seed=5, num_areas=2, opponent_skill=0.5)) as env:
        in_process = record_steps(env, 120, seed=9)
    assert_same_records(over_wire, in_process)


# --- as an environment ------------------------------------------------------------------------


def test_episodes_are_interrupted_for_both_teams_at_max_step():
    with InProcessEnv(SoccerTwos(seed=4)) as env:
        env.reset()
        for _ in range(300):
            assert len(env.get_steps(BLUE)[1]) == 0
            env.step()  # nobody moves: zeros are "stay"
        for team, group in ((BLUE, 1), (PURPLE, 2)):
            decision, terminal = env.get_steps(team)
            assert terminal.interrupted.tolist() == [True, True]
            assert terminal.group_id.tolist() == [group, group]
            np.testing.assert_array_equal(terminal.group_reward, 0.0)
            assert decision.group_id.tolist() == [group, group]


def test_both_teams_through_the_conformance_suite():
    report = check_env(InProcessEnv(SoccerTwos(seed=3, num_areas=2)), steps=400)
    assert report.decisions[BLUE] == report.decisions[PURPLE] == 4 * 400
    assert report.terminals[BLUE] > 0 and report.interrupted[BLUE] > 0

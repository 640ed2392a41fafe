"""Self-play: the self_play settings, the ELO arithmetic (against ML-Agents' own controller),
the ghost trainer's snapshot window, swaps and routing around a real PPO trainer, the
learning team changing across StrikersVsGoalie's two behaviors, the Elo completion
measure, and mlagents-learn with self_play on an executable with two teams of one
behavior."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from devtools.envtest import free_port
from devtools.peer_env import REFERENCE_TRAINER, PeerUnavailable, peer_python
from devtools.trainer_runs import environment
from mlagents.plugins.trainer_type import register_trainer_plugins
from mlagents.trainers.agent_processor import AgentManagerQueue
from mlagents.trainers.behavior_id_utils import BehaviorIdentifiers
from mlagents.trainers.checkpoints import TrainingStatus
from mlagents.trainers.environment_parameters import CompletionCriteriaSettings
from mlagents.trainers.ghost.controller import GhostController
from mlagents.trainers.ghost.elo import (
    ELO_K_FACTOR,
    elo_change,
    expected_score,
    game_result,
)
from mlagents.trainers.ghost.trainer import ELO_STAT, GhostTrainer
from mlagents.trainers.learn import main
from mlagents.trainers.policy.policy import Policy
from mlagents.trainers.ppo.trainer import PPOTrainer
from mlagents.trainers.settings import RunOptions, TrainerConfigError, load_config
from mlagents.trainers.simple_env_manager import SimpleEnvManager
from mlagents.trainers.stats import StatsReporter
from mlagents.trainers.trainer_controller import TrainerController
from mlagents.trainers.trainer_settings import SelfPlaySettings
from mlagents.trainers.trajectory import AgentExperience, Trajectory
from mlagents_envs.base_env import BehaviorSpec, DecisionSteps
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_sim.build import build_executable
from mlagents_sim.envs.strikers import StrikersVsGoalie
from mlagents_sim.in_process import InProcessEnv

ROOT = Path(__file__).resolve().parents[2]


def parse_error(config: dict) -> str:
    with pytest.raises(TrainerConfigError) as error:
        RunOptions.from_dict(config)
    return str(error.value)


# --- Settings ------------------------------------------------------------------------------


def test_self_play_defaults_are_ml_agents_defaults() -> None:
    options = RunOptions.from_dict({"behaviors": {"B": {"self_play": None}}})
    assert options.behaviors["B"].self_play is None  # null: no self-play
    options = RunOptions.from_dict({"behaviors": {"B": {"self_play": {}}}})
    sp = options.behaviors["B"].self_play
    assert sp == SelfPlaySettings()
    assert (sp.save_steps, sp.team_change, sp.swap_steps, sp.window) == (20000, 100000, 2000, 10)
    assert (sp.play_against_latest_model_ratio, sp.initial_elo) == (0.5, 1200.0)


def test_team_change_follows_save_steps_unless_given_and_round_trips() -> None:
    options = RunOptions.from_dict(
        {
            "behaviors": {
                "A": {"self_play": {"save_steps": 300}},
                "B": {"self_play": {"save_steps": 300, "team_change": 700}},
            }
        }
    )
    assert options.behaviors["A"].self_play.team_change == 1500
    assert options.behaviors["B"].self_play.team_change == 700
    assert options.as_dict()["behaviors"]["A"]["self_play"]["team_change"] == 1500
    assert RunOptions.from_dict(options.as_dict()) == options


def test_default_settings_self_play_reaches_every_behavior() -> None:
    options = RunOptions.from_dict(
        {
            "default_settings": {"self_play": {"window": 4, "swap_steps": 100}},
            "behaviors": {"Striker": {"self_play": {"swap_steps": 400}}, "Goalie": None},
        }
    )
    striker, goalie = options.behaviors["Striker"].self_play, options.behaviors["Goalie"].self_play
    assert (striker.window, striker.swap_steps) == (4, 400)
    assert (goalie.window, goalie.swap_steps) == (4, 100)


@pytest.mark.parametrize(
    ("self_play", "expected"),
    [
        ({"window": 0}, "behaviors.B.self_play.window: must be >= 1, got 0"),
        ({"save_steps": -1}, "behaviors.B.self_play.save_steps: must be >= 0, got -1"),
        ({"team_change": "often"}, "behaviors.B.self_play.team_change: expected an integer"),
        (
            {"swap_step": 10},
            "behaviors.B.self_play.swap_step: unknown key; did you mean swap_steps?",
        ),
        ({"initial_elo": "high"}, "behaviors.B.self_play.initial_elo: expected a number"),
        (5, "behaviors.B.self_play: expected a mapping"),
    ],
)
def test_self_play_errors_name_the_key_path(self_play: object, expected: str) -> None:
    assert parse_error({"behaviors": {"B": {"self_play": self_play}}}).startswith(expected)


def test_a_latest_model_ratio_outside_0_1_warns_as_ml_agents_does(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        options = RunOptions.from_dict(
            {"behaviors": {"B": {"self_play": {"play_against_latest_model_ratio": 1.5}}}}
        )
    assert options.behaviors["B"].self_play.play_against_latest_model_ratio == 1.5
    assert "behaviors.B.self_play.play_against_latest_model_ratio: 1.5 is not a probability" in (
        caplog.text
    )


def _elo_curriculum(behavior: str) -> dict:
    criteria = {"behavior": behavior, "measure": "Elo", "threshold": 1250.0}
    return {
        "level": {
            "curriculum": [
                {"name": "easy", "value": 1.0, "completion_criteria": criteria},
                {"name": "hard", "value": 2.0},
            ]
        }
    }


def test_the_elo_measure_needs_self_play_of_its_behavior() -> None:
    error = parse_error({"behaviors": {"B": {}}, "environment_parameters": _elo_curriculum("B")})
    assert error.startswith(
        "environment_parameters.level.curriculum[0].completion_criteria.measure: Elo rates "
        "self-play, but behavior 'B' has no self_play settings"
    )
    options = RunOptions.from_dict(
        {"behaviors": {"B": {"self_play": {}}}, "environment_parameters": _elo_curriculum("B")}
    )
    criteria = options.environment_parameters["level"].lessons[0].completion_criteria
    assert criteria.measure == "Elo"


def test_the_elo_measure_compares_the_rating_with_smoothing() -> None:
    criteria = CompletionCriteriaSettings(
        behavior="B", measure="Elo", threshold=1250.0, min_lesson_length=2
    )
    # Too few episodes in the lesson, or no rating: not reached.
    assert criteria.reached(progress=0.0, rewards=[1.0], elo=2000.0) == (False, 0.0)
    assert criteria.reached(progress=0.0, rewards=[1.0, 1.0], elo=None) == (False, 0.0)
    # Smoothed as rewards are: a quarter of the previous value, three quarters of now.
    done, smoothed = criteria.reached(progress=0.0, rewards=[0.0, 0.0], elo=1600.0)
    assert (done, smoothed) == (False, 0.75 * 1600.0)
    done, smoothed = criteria.reached(progress=0.0, rewards=[0.0, 0.0], elo=1600.0, smoothing=1200)
    assert (done, smoothed) == (True, 0.25 * 1200 + 0.75 * 1600.0)
    plain = CompletionCriteriaSettings(
        behavior="B", measure="Elo", threshold=1250.0, signal_smoothing=False
    )
    assert plain.reached(progress=1.0, rewards=[], elo=1250.5) == (True, 0.0)
    assert plain.reached(progress=1.0, rewards=[], elo=1249.5) == (False, 0.0)


def test_strikers_config_trains_both_behaviors_with_self_play() -> None:
    options = load_config(ROOT / "config" / "ppo" / "StrikersVsGoalie.yaml")
    striker, goalie = options.behaviors["Striker"].self_play, options.behaviors["Goalie"].self_play
    assert striker is not None and goalie is not None
    # The goalie plays a quarter of the strikers' steps: the opponents' swaps are spaced
    # in their own steps so that both sides see as many snapshots per learning step.
    assert striker.swap_steps == 4 * goalie.swap_steps
    assert striker.team_change == goalie.team_change


# --- ELO -----------------------------------------------------------------------------------


def _upstream_expected(rating: float, opponent: float) -> float:
    """ML-Agents' expected score, written as its controller computes it."""
    r1, r2 = 10 ** (rating / 400), 10 ** (opponent / 400)
    return r1 / (r1 + r2)


@pytest.mark.parametrize("rating", [800.0, 1200.0, 1337.5, 2000.0])
@pytest.mark.parametrize("opponent", [900.0, 1200.0, 1600.0])
@pytest.mark.parametrize("result", [1.0, 0.5, 0.0])
def test_elo_change_is_ml_agents_formula(rating: float, opponent: float, result: float) -> None:
    assert expected_score(rating, opponent) == pytest.approx(_upstream_expected(rating, opponent))
    change = elo_change(rating, opponent, result)
    assert change == pytest.approx(result - _upstream_expected(rating, opponent))
    assert abs(change) <= ELO_K_FACTOR == 1.0
    # Zero-sum: the opponent's side of the game is the opposite change.
    assert elo_change(opponent, rating, 1.0 - result) == pytest.approx(-change)


def test_a_game_is_won_drawn_or_lost_by_the_sign_of_the_last_reward() -> None:
    assert [game_result(r) for r in (1.0, 0.001, 0.0, -0.0, -0.5)] == [1.0, 1.0, 0.5, 0.5, 0.0]
    assert elo_change(1200.0, 1200.0, 1.0) == 0.5
    assert expected_score(1600.0, 1200.0) == pytest.approx(1 / (1 + 10**-1))


# The reference controller rates a series of games between two stand-in trainers; ours
# must give the same ratings.
_REFERENCE_GAMES = """
import json, sys
import mlagents.trainers.trainer  # first: the reference's ghost modules import each other
from mlagents.trainers.ghost.controller import GhostController

class Side:
    def __init__(self, elos, opponent):
        self.policy_elos, self.current_opponent = list(elos), opponent
    def get_opponent_elo(self):
        return self.policy_elos[self.current_opponent]
    def change_opponent_elo(self, change):
        self.policy_elos[self.current_opponent] -= change

games = json.loads(sys.argv[1])
learner, other = Side([1200.0] * 4, -1), Side([1180.0, 1250.0, 1300.0, 1210.0], 1)
controller = GhostController()
controller.subscribe_team_id(0, learner)
controller.subscribe_team_id(1, other)
for opponent, result in games:
    other.current_opponent = opponent
    learner.policy_elos[-1] += controller.compute_elo_rating_changes(
        learner.policy_elos[-1], result
    )
print(json.dumps([learner.policy_elos, other.policy_elos]))
"""


def _spec(env: InProcessEnv, behavior_id: str) -> BehaviorSpec:
    return env.behavior_specs[behavior_id]


def _ghost(
    brain: str,
    spec: BehaviorSpec,
    controller: GhostController,
    seed: int = 0,
    **self_play: float,
) -> GhostTrainer:
    """A ghost trainer around a PPO trainer that never updates (its buffer is never full),
    so that its policy changes only where a test changes it."""
    options = RunOptions.from_dict(
        {
            "behaviors": {
                brain: {
                    "hyperparameters": {"buffer_size": 10**6, "batch_size": 10**6},
                    "network_settings": {"hidden_units": 8, "num_layers": 1},
                    "summary_freq": 10**9,
                    "self_play": self_play,
                }
            }
        }
    )
    trainer = PPOTrainer(
        brain, spec, options.behaviors[brain], seed=seed, stats_reporter=StatsReporter(brain)
    )
    return GhostTrainer(trainer, controller, seed=seed)


@pytest.mark.peer
def test_elo_ratings_match_ml_agents_controller() -> None:
    try:
        python = peer_python(peer=REFERENCE_TRAINER)
    except PeerUnavailable as error:
        pytest.skip(f"the reference trainer is unavailable: {error}")
    rng = np.random.default_rng(4)
    games = [(int(rng.integers(-1, 4)), float(rng.choice([0.0, 0.5, 1.0]))) for _ in range(40)]
    run = subprocess.run(
        [str(python), "-c", _REFERENCE_GAMES, json.dumps(games)],
        capture_output=True,
        text=True,
        env=environment(keep_pythonpath=False),
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    reference_learner, reference_other = json.loads(run.stdout)

    # Ours: two real ghost trainers (an asymmetric game) with the same snapshot ratings.
    with InProcessEnv(StrikersVsGoalie()) as env:
        env.reset()
        env.step()  # the goalie first asks at the second step
        ids = list(env.behavior_specs)
        specs = [_spec(env, i) for i in ids]
    controller = GhostController()
    ghosts = []
    for behavior_id, spec in zip(ids, specs, strict=True):
        behavior = BehaviorIdentifiers.from_name_behavior_id(behavior_id)
        ghost = _ghost(behavior.brain_name, spec, controller, window=3)
        ghost.add_policy(behavior, spec)
        ghosts.append(ghost)
    learner, other = ghosts
    assert controller.learning_team == BehaviorIdentifiers.from_name_behavior_id(ids[0]).team_id
    other.policy_elos = [1180.0, 1250.0, 1300.0, 1210.0]
    for opponent, result in games:
        other.current_opponent = opponent
        learner.policy_elos[-1] += controller.compute_elo_rating_changes(
            learner.current_elo, result
        )
    assert learner.policy_elos == pytest.approx(reference_learner, abs=1e-9)
    assert other.policy_elos == pytest.approx(reference_other, abs=1e-9)
    assert learner.current_elo != 1200.0  # the games moved it


# --- The ghost trainer around a real PPO trainer ---------------------------------------------


class _Symmetric:
    """A ghost trainer of a two-team behavior (team_envs' TwoTeamBasic: "Basic?team=0/1"),
    wired as the trainer controller wires it: a trajectory queue and a policy queue per
    behavior id."""

    def __init__(self, seed: int = 0, **self_play: float) -> None:
        from team_envs import TwoTeamBasic

        with InProcessEnv(TwoTeamBasic(seed=seed)) as env:
            env.reset()
            self.ids = sorted(env.behavior_specs)
            self.spec = _spec(env, self.ids[0])
            self.decisions: DecisionSteps = env.get_steps(self.ids[0])[0]
        self.controller = GhostController()
        brain = BehaviorIdentifiers.from_name_behavior_id(self.ids[0]).brain_name
        self.ghost = _ghost(brain, self.spec, self.controller, seed=seed, **self_play)
        self.trajectories: dict[str, AgentManagerQueue[Trajectory]] = {}
        self.policies: dict[str, AgentManagerQueue[Policy]] = {}
        self.acting: dict[str, Policy] = {}
        for behavior_id in self.ids:
            behavior = BehaviorIdentifiers.from_name_behavior_id(behavior_id)
            self.acting[behavior_id] = self.ghost.add_policy(behavior, self.spec)
            self.trajectories[behavior_id] = AgentManagerQueue(behavior_id)
            self.policies[behavior_id] = AgentManagerQueue(behavior_id)
            self.ghost.subscribe_trajectory_queue(self.trajectories[behavior_id])
            self.ghost.publish_policy_queue(self.policies[behavior_id])

    @property
    def learner(self) -> str:
        return next(i for i in self.ids if self.team(i) == self.controller.learning_team)

    @property
    def opponent(self) -> str:
        return next(i for i in self.ids if self.team(i) != self.controller.learning_team)

    @staticmethod
    def team(behavior_id: str) -> int:
        return BehaviorIdentifiers.from_name_behavior_id(behavior_id).team_id

    def trajectory(self, behavior_id: str, length: int, final_reward: float = 0.0) -> None:
        """Queue a trajectory of behavior_id: length decisions of a real policy output;
        it ends the episode with final_reward when that is not zero."""
        info = self.ghost.trainer.policy.get_action(self.decisions)
        outputs = {key: value[0] for key, value in info.outputs.items()}
        obs = [o[0] for o in self.decisions.obs]
        steps = [
            AgentExperience(
                obs=obs,
                reward=final_reward if (k == length - 1) else 0.0,
                done=bool(final_reward) and k == length - 1,
                interrupted=False,
                continuous_action=info.action.continuous[0],
                discrete_action=info.action.discrete[0],
                action_mask=None,
                outputs=outputs,
                group_id=0,
                group_reward=0.0,
            )
            for k in range(length)
        ]
        self.trajectories[behavior_id].put(Trajectory(steps, obs, "$0-0", behavior_id))


def _fill(policy: Policy, value: float) -> None:
    with torch.no_grad():
        for parameter in policy.actor.parameters():  # type: ignore[attr-defined]
            parameter.fill_(value)


def _filled_with(policy: Policy) -> float:
    """The value every parameter of policy holds (they were filled with one)."""
    values = torch.cat([p.detach().flatten() for p in policy.actor.parameters()])  # type: ignore[attr-defined]
    assert bool((values == values[0]).all())
    return float(values[0])


def test_the_learning_team_acts_with_the_learning_policy_the_other_with_a_copy() -> None:
    pair = _Symmetric()
    learner, opponent = pair.learner, pair.opponent
    assert pair.acting[learner] is pair.ghost.trainer.policy
    assert pair.acting[opponent] is not pair.ghost.trainer.policy
    assert set(pair.ghost.policies) == set(pair.ids)
    # Only the learning team's experience reaches the wrapped trainer.
    pair.trajectory(learner, 7)
    pair.trajectory(opponent, 5)
    pair.ghost.advance()
    assert pair.ghost.trainer.step == pair.ghost.step == 7
    assert pair.ghost.ghost_step == 5


def test_the_window_keeps_the_latest_snapshots_with_their_ratings() -> None:
    pair = _Symmetric(save_steps=10, swap_steps=10**6, team_change=10**6, window=3)
    policy = pair.ghost.trainer.policy
    assert len(pair.ghost.snapshots) == 1  # the initial policy
    for k in range(1, 6):
        _fill(policy, float(k))
        pair.ghost.policy_elos[-1] = 1200.0 + k
        pair.trajectory(pair.learner, 11)  # passes save_steps: a snapshot of weights k
        pair.ghost.advance()
    weight = next(name for name, _ in policy.actor.named_parameters())
    kept = sorted(float(snapshot[weight].flatten()[0]) for snapshot in pair.ghost.snapshots)
    # Slot 0 held the initial policy, then 1, 2 went to slots 1, 2; 3, 4, 5 overwrote 0..2.
    assert len(pair.ghost.snapshots) == 3
    assert kept == [3.0, 4.0, 5.0]
    assert sorted(pair.ghost.policy_elos[:3]) == [1203.0, 1204.0, 1205.0]


def _opponent_plays(pair: _Symmetric) -> Policy:
    """The policy the opponent's policy queue last received."""
    published = pair.policies[pair.opponent].drain()
    assert published, "no policy was published to the opponent"
    return published[-1]


@pytest.mark.parametrize("ratio", [0.0, 1.0])
def test_swaps_play_the_latest_policy_or_a_snapshot(ratio: float) -> None:
    pair = _Symmetric(
        seed=5,
        save_steps=10,
        swap_steps=4,
        team_change=10**6,
        window=4,
        play_against_latest_model_ratio=ratio,
    )
    policy = pair.ghost.trainer.policy
    for k in range(1, 5):
        _fill(policy, float(k))
        pair.trajectory(pair.learner, 11)  # a snapshot of weights k
        pair.ghost.advance()
    _fill(policy, 9.0)  # the latest policy is none of the snapshots
    seen = set()
    for _ in range(12):
        pair.trajectory(pair.opponent, 5)  # passes swap_steps: a new draw
        pair.ghost.advance()
        played = _opponent_plays(pair)
        assert played is pair.ghost.policies[pair.opponent] is not policy
        seen.add(_filled_with(played))
        if pair.ghost.current_opponent >= 0:
            assert (
                pair.ghost.get_opponent_elo() == pair.ghost.policy_elos[pair.ghost.current_opponent]
            )
    if ratio == 1.0:
        assert seen == {9.0}
        assert pair.ghost.current_opponent == -1
    else:
        assert seen <= {1.0, 2.0, 3.0, 4.0} and len(seen) > 1


def test_half_the_swaps_play_the_latest_policy_at_ratio_one_half() -> None:
    pair = _Symmetric(seed=2, save_steps=10**6, swap_steps=0, team_change=10**6)
    latest = 0
    draws = 400
    for _ in range(draws):
        pair.trajectory(pair.opponent, 1)
        pair.ghost.advance()
        latest += pair.ghost.current_opponent == -1
    assert 0.4 < latest / draws < 0.6


def test_games_against_snapshots_move_the_rating_and_against_itself_not() -> None:
    pair = _Symmetric(save_steps=10**6, swap_steps=10**6, team_change=10**6, window=2)
    ghost = pair.ghost
    ghost.policy_elos = [1100.0, 1300.0, 1200.0]
    ghost.current_opponent = 0
    pair.trajectory(pair.learner, 3, final_reward=1.0)  # a win against snapshot 0
    ghost.advance()
    gain = elo_change(1200.0, 1100.0, 1.0)
    assert ghost.current_elo == pytest.approx(1200.0 + gain)
    assert ghost.policy_elos[0] == pytest.approx(1100.0 - gain)
    ghost.current_opponent = 1
    pair.trajectory(pair.learner, 3, final_reward=-1.0)  # a loss against snapshot 1
    ghost.advance()
    loss = elo_change(1200.0 + gain, 1300.0, 0.0)
    assert ghost.current_elo == pytest.approx(1200.0 + gain + loss)
    assert ghost.policy_elos[1] == pytest.approx(1300.0 - loss)
    # Against the latest policy, itself: ML-Agents' books cancel out.
    ghost.current_opponent = -1
    before = list(ghost.policy_elos)
    pair.trajectory(pair.learner, 3, final_reward=1.0)
    ghost.advance()
    assert ghost.policy_elos == pytest.approx(before)
    # A trajectory that does not end the episode, or the opponent's, rates nothing.
    ghost.current_opponent = 0
    pair.trajectory(pair.learner, 3)
    pair.trajectory(pair.opponent, 3, final_reward=1.0)
    ghost.advance()
    assert ghost.policy_elos == pytest.approx(before)
    elos = ghost.stats_reporter.get_stats_summaries(ELO_STAT).full_dist
    assert elos == pytest.approx([1200.0 + gain, 1200.0 + gain + loss, before[-1]])


def test_a_team_change_hands_the_learning_policy_to_the_other_team() -> None:
    pair = _Symmetric(save_steps=10**6, swap_steps=10**6, team_change=10)
    first, second = pair.learner, pair.opponent
    policy = pair.ghost.trainer.policy
    pair.trajectory(first, 11)
    pair.ghost.advance()
    assert pair.controller.learning_team == pair.team(second)
    assert pair.controller.should_reset() and not pair.controller.should_reset()
    assert pair.policies[second].drain()[-1] is policy
    assert pair.policies[first].drain()[-1] is pair.ghost.policies[first]
    # From now on the second team's experience trains, the first team's does not.
    pair.trajectory(first, 4)
    pair.trajectory(second, 3)
    pair.ghost.advance()
    assert (pair.ghost.step, pair.ghost.ghost_step) == (11 + 3, 4)


def test_training_status_keeps_the_rating_for_resume() -> None:
    pair = _Symmetric(window=2, initial_elo=1000.0)
    assert pair.ghost.current_elo == 1000.0
    pair.ghost.policy_elos[-1] = 1234.5
    assert pair.ghost.training_status() == {"elo": 1234.5}
    resumed = _Symmetric(window=2, initial_elo=1000.0)
    resumed.ghost.load_training_status({"elo": 1234.5, "checkpoints": []})
    assert resumed.ghost.policy_elos == [1234.5] * 3
    resumed.ghost.load_training_status({"checkpoints": []})  # none saved: unchanged
    assert resumed.ghost.current_elo == 1234.5


# --- The learning team across StrikersVsGoalie's two behaviors --------------------------------


def _strikers_controller(
    tmp_path: Path, seed: int, max_steps: int = 10**6, **self_play: int
) -> TrainerController:
    options = RunOptions.from_dict(
        {
            "default_settings": {
                "hyperparameters": {"batch_size": 64, "buffer_size": 256, "num_epoch": 1},
                "network_settings": {"hidden_units": 16, "num_layers": 1},
                "time_horizon": 16,
                "max_steps": max_steps,
                "summary_freq": 10**6,
                "self_play": self_play,
            },
            "behaviors": {"Striker": None, "Goalie": None},
        }
    )
    params = EnvironmentParametersChannel()
    env_manager = SimpleEnvManager(
        InProcessEnv(StrikersVsGoalie(seed=seed, num_areas=2), [params]), params
    )
    status = TrainingStatus(tmp_path / "training_status.json")
    controller = TrainerController(options, env_manager, tmp_path, status, seed=seed)
    env_manager.reset()
    return controller


def test_the_learning_team_changes_between_the_two_behaviors(tmp_path: Path) -> None:
    controller = _strikers_controller(
        tmp_path, seed=3, save_steps=100, team_change=400, swap_steps=50, window=3
    )
    env_manager = controller.env_manager
    controller.advance()
    controller.advance()  # the goalie first asks at the second step
    teams = {
        BehaviorIdentifiers.from_name_behavior_id(b).team_id: b
        for b in env_manager.training_behaviors
    }
    assert sorted(teams) == [0, 1]  # upstream's team ids: one behavior per team
    trainers = {
        team: controller.trainers[BehaviorIdentifiers.from_name_behavior_id(b).brain_name]
        for team, b in teams.items()
    }
    assert all(isinstance(t, GhostTrainer) for t in trainers.values())
    ghost = controller.ghost_controller
    learning = [ghost.learning_team]
    changes = []  # (team that stopped learning, its step then)
    since_change, checked = 10, 0
    for _ in range(3000):
        team = ghost.learning_team
        idle = trainers[1 - team]
        idle_step = idle.step
        controller.advance()
        since_change += 1
        # The team that does not learn only plays: its behavior's trainer does not train.
        assert idle.step == idle_step
        if ghost.learning_team != team:
            changes.append((team, trainers[team].step))
            learning.append(ghost.learning_team)
            since_change = 0
        elif since_change >= 2:
            # The policies published at a change are installed by the step after the
            # reset: the learning behavior acts with its trainer's policy, the other with
            # its copy, which plays snapshots.
            assert env_manager.policies[teams[team]] is trainers[team].policy
            other = env_manager.policies[teams[1 - team]]
            assert other is trainers[1 - team].policies[teams[1 - team]]
            assert other is not trainers[1 - team].policy
            checked += 1
        if len(changes) >= 3:
            break
    assert learning[:4] == [learning[0], 1 - learning[0], learning[0], 1 - learning[0]]
    assert checked > 0
    # Each turn lasts team_change steps of the learning behavior's own trainer.
    starts: dict[int, int] = {0: 0, 1: 0}
    for team, step in changes:
        assert step - starts[team] > 400
        starts[team] = step
    # Both took snapshots of their own policy while they learned, within the window.
    assert all(1 < len(t.snapshots) <= 3 for t in trainers.values())
    # Both played snapshots while the other learned.
    assert all(t.ghost_step > 0 for t in trainers.values())


def test_a_behavior_done_learning_hands_over_for_good(tmp_path: Path) -> None:
    """When the learning behavior reaches max_steps the other one learns to its end, and
    the run ends (it does not wait for a team change that never comes)."""
    controller = _strikers_controller(
        tmp_path, seed=4, max_steps=300, save_steps=100, team_change=10**6, swap_steps=50
    )
    controller.advance()
    controller.advance()  # the goalie first asks at the second step
    trainers = list(controller.trainers.values())
    assert len(trainers) == 2
    for _ in range(2000):
        if not any(t.should_still_train() for t in trainers):
            break
        controller.advance()
    assert all(t.step >= 300 for t in trainers)


@pytest.mark.parametrize(("threshold", "lesson"), [(1199.0, 1), (1300.0, 0)])
def test_a_curriculum_moves_on_when_the_elo_passes_its_threshold(
    tmp_path: Path, threshold: float, lesson: int
) -> None:
    """A lesson measured by Elo moves on once the behavior's rating (smoothed) passes the
    threshold: one just below the initial rating soon, one far above it not."""
    criteria = {"behavior": "Striker", "measure": "Elo", "threshold": threshold}
    options = RunOptions.from_dict(
        {
            "default_settings": {
                "network_settings": {"hidden_units": 8, "num_layers": 1},
                "summary_freq": 10**6,
                "self_play": {"swap_steps": 10**6},
            },
            "behaviors": {"Striker": None, "Goalie": None},
            "environment_parameters": {
                "ball_row": {
                    "curriculum": [
                        {"name": "near", "value": 7, "completion_criteria": criteria},
                        {"name": "far", "value": 2},
                    ]
                }
            },
        }
    )
    params = EnvironmentParametersChannel()
    env_manager = SimpleEnvManager(
        InProcessEnv(StrikersVsGoalie(seed=1, num_areas=4), [params]), params
    )
    controller = TrainerController(
        options, env_manager, tmp_path, TrainingStatus(tmp_path / "s.json"), seed=1
    )
    env_manager.reset()
    for _ in range(60):
        controller.advance()
    env_manager.close()
    assert controller.lessons == {"ball_row": lesson}
    assert abs(controller.trainers["Striker"].current_elo - 1200.0) < 60


# --- mlagents-learn --------------------------------------------------------------------------


_BASIC_CONFIG = {
    "behaviors": {
        "Basic": {
            "hyperparameters": {"batch_size": 32, "buffer_size": 128, "num_epoch": 1},
            "network_settings": {"hidden_units": 8, "num_layers": 1},
            "max_steps": 1500,
            "time_horizon": 16,
            "summary_freq": 500,
            "checkpoint_interval": 1000,
            "self_play": {"save_steps": 200, "team_change": 600, "swap_steps": 100, "window": 3},
        }
    }
}


def _two_team_learn(tmp_path: Path, executable: Path, config: dict, *flags: str) -> str:
    path = tmp_path / "selfplay.yaml"
    path.write_text(yaml.safe_dump(config))
    argv = [str(path), "--env", str(executable), "--results-dir", str(tmp_path / "results")]
    argv += ["--run-id", "sp", "--base-port", str(free_port()), "--seed", "2", *flags]
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = main(argv)
    assert code == 0, output.getvalue()
    return output.getvalue()


@pytest.mark.slow
def test_mlagents_learn_with_self_play_writes_models_checkpoints_and_elo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mlagents-learn on an executable sending "Basic?team=0" and "Basic?team=1": one ghost
    trainer, one model and checkpoints named by the brain name, the rating in the events,
    the summaries, the progress line and training_status.json, which --resume reads."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    # The executable runs in a new process that imports team_envs by name.
    tests_folder = str(Path(__file__).resolve().parent)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [tests_folder, os.environ.get("PYTHONPATH")]))
    )
    executable = build_executable("team_envs:TwoTeamBasic", tmp_path / "build")
    # Two environments: the subprocess environment manager installs the swapped policies.
    text = _two_team_learn(tmp_path, executable, _BASIC_CONFIG, "--num-envs", "2")
    run = tmp_path / "results" / "sp"
    assert sorted(p.name for p in run.iterdir()) == [
        "Basic",
        "Basic.onnx",
        "configuration.yaml",
        "run_logs",
    ]
    status = json.loads((run / "run_logs" / "training_status.json").read_text())
    assert [c["steps"] >= 1000 for c in status["Basic"]["checkpoints"]] == [True, True]
    assert (run / "Basic" / "checkpoint.pt").is_file()
    saved = torch.load(run / "Basic" / "checkpoint.pt", weights_only=True)
    assert saved["trainer_type"] == "ppo" and saved["step"] >= 1500
    # Basic's episodes end on a goal, a positive last reward: won games against snapshots.
    assert status["Basic"]["elo"] > 1200.0
    events = EventAccumulator(str(run / "Basic"))
    events.Reload()
    elos = [event.value for event in events.Scalars(ELO_STAT)]
    assert elos and elos[-1] > 1200.0
    assert "Basic. Step: 500." in text and "ELO: 1" in text  # the summary lines
    assert ", ELO 1" in text  # the progress line
    assert "several teams" not in text  # self-play trains them against each other

    # --resume takes the saved rating back, not the file's initial_elo.
    config = copy.deepcopy(_BASIC_CONFIG)
    config["behaviors"]["Basic"]["self_play"]["initial_elo"] = 500.0
    _two_team_learn(tmp_path, executable, config, "--resume")
    resumed = json.loads((run / "run_logs" / "training_status.json").read_text())
    assert resumed["Basic"]["elo"] == pytest.approx(status["Basic"]["elo"])


@pytest.mark.parametrize("trainer_type", ["ppo", "sac"])
def test_self_play_wraps_any_trainer_type(tmp_path: Path, trainer_type: str) -> None:
    """A ghost trainer takes the trainer of the behavior's trainer_type, whose policy the
    learning team's experience trains."""
    from team_envs import TwoTeamBasic

    hyperparameters: dict[str, Any] = {"batch_size": 32, "buffer_size": 128}
    if trainer_type == "sac":
        hyperparameters = {"batch_size": 32, "buffer_init_steps": 64, "steps_per_update": 4}
    options = RunOptions.from_dict(
        {
            "behaviors": {
                "Basic": {
                    "trainer_type": trainer_type,
                    "hyperparameters": hyperparameters,
                    "network_settings": {"hidden_units": 8, "num_layers": 1},
                    "time_horizon": 16,
                    "summary_freq": 10**6,
                    "self_play": {"save_steps": 100, "team_change": 200, "swap_steps": 50},
                }
            }
        }
    )
    params = EnvironmentParametersChannel()
    env_manager = SimpleEnvManager(InProcessEnv(TwoTeamBasic(seed=1), [params]), params)
    controller = TrainerController(
        options, env_manager, tmp_path, TrainingStatus(tmp_path / "s.json"), seed=1
    )
    env_manager.reset()
    for _ in range(400):
        controller.advance()
    env_manager.close()
    (trainer,) = controller.trainers.values()
    assert isinstance(trainer, GhostTrainer)
    assert trainer.trainer.get_trainer_name() == trainer_type
    assert trainer.step > 200 and trainer.ghost_step > 0
    weights = trainer.trainer.policy.actor.state_dict()
    assert any(not torch.equal(weights[k], trainer.snapshots[0][k]) for k in weights)


def test_soccer_config_has_upstreams_self_play() -> None:
    options = load_config(ROOT / "config" / "ppo" / "SoccerTwos.yaml")
    sp = options.behaviors["SoccerTwos"].self_play
    assert sp is not None
    assert (sp.save_steps, sp.team_change, sp.swap_steps, sp.window) == (50000, 200000, 2000, 10)
    assert (sp.play_against_latest_model_ratio, sp.initial_elo) == (0.5, 1200.0)


def test_one_team_against_a_scripted_opponent_learns_alone(tmp_path: Path) -> None:
    """With the scripted team 1 inside the scene only team 0 is sent: self-play settings
    then train it like its trainer alone (no team to change to, no game to rate)."""
    from mlagents_sim.envs.soccer import SoccerTwos

    options = RunOptions.from_dict(
        {
            "behaviors": {
                "SoccerTwos": {
                    "hyperparameters": {"batch_size": 64, "buffer_size": 256, "num_epoch": 1},
                    "network_settings": {"hidden_units": 16, "num_layers": 1},
                    "time_horizon": 16,
                    "summary_freq": 10**6,
                    "self_play": {"save_steps": 100, "team_change": 200, "swap_steps": 50},
                }
            }
        }
    )

    class CountingResets(SimpleEnvManager):
        resets = 0

        def reset(self, config: Any = None) -> int:
            self.resets += 1
            return super().reset(config)

    params = EnvironmentParametersChannel()
    sim = SoccerTwos(seed=2, num_areas=2, opponent_skill=1.0)
    env_manager = CountingResets(InProcessEnv(sim, [params]), params)
    controller = TrainerController(
        options, env_manager, tmp_path, TrainingStatus(tmp_path / "s.json"), seed=2
    )
    env_manager.reset()
    (behavior_id,) = env_manager.training_behaviors
    for _ in range(300):
        controller.advance()
    env_manager.close()
    resets = env_manager.resets - 1
    (trainer,) = controller.trainers.values()
    assert isinstance(trainer, GhostTrainer)
    assert trainer.step > 400 and trainer.ghost_step == 0 and resets == 0
    assert env_manager.policies[behavior_id] is trainer.trainer.policy
    assert set(controller.ghost_controller.teams) == {0}
    elos = trainer.stats_reporter.get_stats_summaries(ELO_STAT).full_dist
    assert elos and set(elos) == {1200.0}  # games against the scripted team are not rated


@pytest.mark.skipif(
    "poca" not in register_trainer_plugins()[0], reason="the POCA trainer is not merged yet"
)
def test_self_play_trains_poca_on_two_teams_of_groups(tmp_path: Path) -> None:
    """POCA learns from the learning team's groups (their teammates' observations and the
    group rewards), and the games its groups finish are rated: a member that leaves early
    waits for its group's end."""
    from mlagents_sim.envs.soccer import SoccerTwos

    options = RunOptions.from_dict(
        {
            "behaviors": {
                "SoccerTwos": {
                    "trainer_type": "poca",
                    "hyperparameters": {"batch_size": 64, "buffer_size": 256, "num_epoch": 1},
                    "network_settings": {"hidden_units": 16, "num_layers": 1},
                    "time_horizon": 32,
                    "summary_freq": 10**6,
                    "self_play": {"save_steps": 200, "team_change": 600, "swap_steps": 100},
                }
            },
            "environment_parameters": {"ball_touch": 1.0},
        }
    )
    params = EnvironmentParametersChannel()
    env_manager = SimpleEnvManager(InProcessEnv(SoccerTwos(seed=3, num_areas=4), [params]), params)
    controller = TrainerController(
        options, env_manager, tmp_path, TrainingStatus(tmp_path / "s.json"), seed=3
    )
    env_manager.reset(controller._env_config())
    learning = set()
    for _ in range(600):
        controller.advance()
        learning.add(controller.ghost_controller.learning_team)
    env_manager.close()
    (trainer,) = controller.trainers.values()
    assert isinstance(trainer, GhostTrainer)
    assert trainer.trainer.get_trainer_name() == "poca"
    assert learning == {0, 1} and trainer.ghost_step > 0
    weights = trainer.trainer.policy.actor.state_dict()
    assert any(not torch.equal(weights[k], trainer.snapshots[0][k]) for k in weights)
    assert trainer.stats_reporter.get_stats_summaries(ELO_STAT).num > 0

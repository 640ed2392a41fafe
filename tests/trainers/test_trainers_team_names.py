"""Unity's team-qualified behavior names, "<BehaviorName>?team=<TeamId>", on the trainer
side: the id parsing, settings looked up by brain name, one trainer for the teams of one
behavior, and mlagents-learn against an executable that sends such names."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import torch
import yaml
from hypothesis import given
from hypothesis import strategies as st
from team_envs import TeamBasic, TwoTeamBasic

from devtools.envtest import free_port
from mlagents.trainers.agent_processor import AgentManager
from mlagents.trainers.behavior_id_utils import BehaviorIdentifiers, create_name_behavior_id
from mlagents.trainers.checkpoints import TrainingStatus
from mlagents.trainers.learn import main
from mlagents.trainers.policy import RandomPolicy
from mlagents.trainers.ppo.trainer import PPOTrainer
from mlagents.trainers.settings import RunOptions, TrainerConfigError, TrainerSettings
from mlagents.trainers.simple_env_manager import SimpleEnvManager
from mlagents.trainers.stats import StatsReporter
from mlagents.trainers.trainer_controller import TrainerController
from mlagents_envs.base_env import ActionSpec, BehaviorSpec
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_envs.side_channel.stats_side_channel import StatsSideChannel
from mlagents_sim.build import build_executable
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.specs import vector_observation

# --- Parsing behavior ids ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("behavior_id", "brain_name", "team_id"),
    [
        ("3DBall?team=0", "3DBall", 0),
        ("SoccerTwos?team=1", "SoccerTwos", 1),
        ("Basic", "Basic", 0),
        ("Basic?", "Basic", 0),
        ("Walker?team=2&extra=5", "Walker", 2),
        ("Walker?extra=5&team=3", "Walker", 3),
        ("Walker?extra=5", "Walker", 0),
        ("Walker?team=4&team=5", "Walker", 4),  # the first, as ML-Agents reads it
        ("Big Agent?team=12", "Big Agent", 12),
        ("Agent:v2?team=1", "Agent:v2", 1),  # kept whole (a URL parser cuts "Agent:")
    ],
)
def test_a_behavior_id_splits_into_brain_name_and_team(
    behavior_id: str, brain_name: str, team_id: int
) -> None:
    assert BehaviorIdentifiers.from_name_behavior_id(behavior_id) == (
        behavior_id,
        brain_name,
        team_id,
    )


def test_a_team_that_is_not_an_integer_is_an_environment_error() -> None:
    with pytest.raises(UnityEnvironmentException, match=r"'Basic\?team=blue'.*'blue'"):
        BehaviorIdentifiers.from_name_behavior_id("Basic?team=blue")


_PLAIN_NAMES = st.text(
    st.characters(categories=("Lu", "Ll", "Nd"), include_characters="_-.", codec="ascii"),
    min_size=1,
)


@given(name=st.text(min_size=1).filter(lambda s: "?" not in s), team=st.integers(-5, 10**6))
def test_create_and_parse_are_inverse(name: str, team: int) -> None:
    behavior_id = create_name_behavior_id(name, team)
    assert behavior_id == f"{name}?team={team}"
    assert BehaviorIdentifiers.from_name_behavior_id(behavior_id) == (behavior_id, name, team)


@given(name=_PLAIN_NAMES, team=st.integers(0, 10**6))
def test_plain_names_parse_as_ml_agents_url_parsing_does(name: str, team: int) -> None:
    behavior_id = create_name_behavior_id(name, team)
    url = urlparse(behavior_id)
    parsed = BehaviorIdentifiers.from_name_behavior_id(behavior_id)
    assert (parsed.brain_name, parsed.team_id) == (url.path, int(parse_qs(url.query)["team"][0]))


# --- Settings ------------------------------------------------------------------------------


def test_a_behavior_listed_by_brain_name_applies_to_every_team() -> None:
    options = RunOptions.from_dict(
        {
            "default_settings": {"max_steps": 11},
            "behaviors": {"3DBall": {"max_steps": 22}},
        }
    )
    for name in ("3DBall", "3DBall?team=0", "3DBall?team=1"):
        assert options.settings_for(name).max_steps == 22
    assert options.settings_for("Other?team=0").max_steps == 11


def test_a_config_key_with_a_team_suffix_is_refused_naming_the_brain_name() -> None:
    with pytest.raises(TrainerConfigError) as error:
        RunOptions.from_dict({"behaviors": {"3DBall?team=0": {"max_steps": 22}}})
    assert str(error.value).startswith(
        "behaviors.3DBall?team=0: '3DBall?team=0': name the behavior without its team "
        "suffix, '3DBall'"
    )


def test_a_curriculum_watching_a_team_suffixed_name_is_refused() -> None:
    lesson = {
        "name": "a",
        "value": 1.0,
        "completion_criteria": {"behavior": "Basic?team=1", "measure": "progress"},
    }
    config = {
        "behaviors": {"Basic": {}},
        "environment_parameters": {"level": {"curriculum": [lesson, {"name": "b", "value": 2}]}},
    }
    with pytest.raises(TrainerConfigError, match=r"completion_criteria\.behavior: .*'Basic'"):
        RunOptions.from_dict(config)


# --- One trainer for the teams of a behavior -----------------------------------------------


def _spec(obs_size: int) -> BehaviorSpec:
    return BehaviorSpec([vector_observation(obs_size, "Obs")], ActionSpec.create_discrete((3,)))


def test_the_teams_of_a_brain_share_its_trainers_policy(caplog: pytest.LogCaptureFixture):
    trainer = PPOTrainer("Basic", _spec(20), TrainerSettings())
    first = trainer.add_policy(BehaviorIdentifiers.from_name_behavior_id("Basic?team=0"), _spec(20))
    assert not caplog.records
    with caplog.at_level(logging.WARNING):
        second = trainer.add_policy(
            BehaviorIdentifiers.from_name_behavior_id("Basic?team=1"), _spec(20)
        )
    assert first is second is trainer.policy
    assert set(trainer.policies) == {"Basic?team=0", "Basic?team=1"}
    assert "several teams (Basic?team=0, Basic?team=1)" in caplog.text
    assert "self-play" in caplog.text


def test_teams_of_a_brain_with_different_specs_are_refused() -> None:
    trainer = PPOTrainer("Basic", _spec(20), TrainerSettings())
    trainer.add_policy(BehaviorIdentifiers.from_name_behavior_id("Basic?team=0"), _spec(20))
    with pytest.raises(UnityEnvironmentException, match=r"'Basic\?team=0' and 'Basic\?team=1'"):
        trainer.add_policy(BehaviorIdentifiers.from_name_behavior_id("Basic?team=1"), _spec(21))


@pytest.mark.parametrize("simulation", [TeamBasic, TwoTeamBasic])
def test_one_trainer_takes_the_experience_of_every_team(
    simulation: type[TeamBasic], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With a time horizon of 1, every environment step after the first ends one
    experience per agent; the one trainer of Basic counts those of both teams."""
    caplog.set_level(logging.WARNING)
    options = RunOptions.from_dict(
        {"behaviors": {"Basic": {"time_horizon": 1, "max_steps": 10**6, "summary_freq": 10**6}}}
    )
    params = EnvironmentParametersChannel()
    env_manager = SimpleEnvManager(InProcessEnv(simulation(seed=3), [params]), params)
    status = TrainingStatus(tmp_path / "training_status.json")
    controller = TrainerController(options, env_manager, tmp_path, status, seed=3)
    env_manager.reset()
    steps = 25
    for _ in range(steps):
        controller.advance()
    env_manager.close()
    behavior_ids = [f"Basic?team={team}" for team in simulation.TEAMS]
    assert list(controller.trainers) == ["Basic"]
    assert sorted(controller.managers) == behavior_ids
    trainer = controller.trainers["Basic"]
    assert trainer.settings.time_horizon == 1  # the file's settings, found by brain name
    assert [queue.behavior_id for queue in trainer.trajectory_queues] == behavior_ids
    assert all(env_manager.policies[b] is trainer.policy for b in behavior_ids)
    assert all(
        controller.managers[b].stats_reporter is trainer.stats_reporter for b in behavior_ids
    )
    assert trainer.step == len(behavior_ids) * (steps - 1)
    # Found in the file by brain name (no warning), and one team is no "several teams".
    assert [r.getMessage() for r in caplog.records if "several teams" in r.getMessage()] == (
        [
            "Behavior Basic has several teams (Basic?team=0, Basic?team=1); PPO without "
            "self-play trains them as one policy, not against each other. Enable self-play to "
            "train adversarial games."
        ]
        if len(behavior_ids) > 1
        else []
    )
    assert "not in the configuration" not in caplog.text


def test_teams_sharing_a_reporter_take_each_environment_statistic_once() -> None:
    params, stats = EnvironmentParametersChannel(), StatsSideChannel()
    env = InProcessEnv(TwoTeamBasic(seed=2), [params, stats])
    env_manager = SimpleEnvManager(env, params, stats)
    reporter = StatsReporter("Basic")
    env_manager.reset()
    for behavior_id, spec in env_manager.training_behaviors.items():
        env_manager.set_agent_manager(behavior_id, AgentManager(None, behavior_id, reporter))
        env_manager.set_policy(behavior_id, RandomPolicy(spec, seed=4))
    goals = 0  # Basic sends one "Basic/Goal" per goal reached: per episode not interrupted
    for _ in range(300):
        step_infos = env_manager.get_steps()
        for step_info in step_infos:
            for _, terminal in step_info.current_all_step_result.values():
                goals += int((~terminal.interrupted).sum())
        env_manager.process_steps(step_infos)
    env_manager.close()
    assert goals > 0
    assert reporter.get_stats_summaries("Basic/Goal").num == goals


# --- mlagents-learn against an executable that sends team-qualified names -----------------

TEAM_CONFIG = {
    # What a behavior the file does not list would get: a short run, so that a lookup by
    # the whole behavior id ends the run quickly (and fails the test) instead of training
    # toward the default 500,000 steps.
    "default_settings": {"max_steps": 50, "network_settings": {"hidden_units": 5}},
    "behaviors": {
        "Basic": {
            "hyperparameters": {"batch_size": 16, "buffer_size": 64, "num_epoch": 1},
            "network_settings": {"hidden_units": 7, "num_layers": 1},
            "max_steps": 300,
            "time_horizon": 16,
            "summary_freq": 100,
            "checkpoint_interval": 200,
            "keep_checkpoints": 2,
        }
    },
}


@pytest.mark.slow
def test_mlagents_learn_keys_everything_by_the_brain_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's Basic block applies to "Basic?team=0" and "Basic?team=1" (max_steps stops
    the run, the network has 7 hidden units), one trainer takes both teams, and no result
    is named with "?team="."""
    # The executable runs in a new process that imports team_envs by name.
    tests_folder = str(Path(__file__).resolve().parent)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [tests_folder, os.environ.get("PYTHONPATH")]))
    )
    executable = build_executable("team_envs:TwoTeamBasic", tmp_path / "build")
    config = tmp_path / "teams.yaml"
    config.write_text(yaml.safe_dump(TEAM_CONFIG))
    results = tmp_path / "results"
    argv = [str(config), "--env", str(executable), "--results-dir", str(results)]
    argv += ["--run-id", "teams", "--base-port", str(free_port()), "--seed", "1"]
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = main(argv)
    text = output.getvalue()
    assert code == 0, text
    run = results / "teams"
    assert not [p for p in run.rglob("*") if "?" in p.name], sorted(run.rglob("*"))
    assert sorted(p.name for p in run.iterdir()) == [
        "Basic",
        "Basic.onnx",
        "configuration.yaml",
        "run_logs",
    ]
    assert list((run / "Basic").glob("events.out.tfevents.*"))  # TensorBoard's run "Basic"
    status = json.loads((run / "run_logs" / "training_status.json").read_text())
    assert set(status) == {"metadata", "lessons", "Basic"}
    # A checkpoint at the file's checkpoint_interval (200), then the final one.
    checkpoints = status["Basic"]["checkpoints"]
    assert [200 <= c["steps"] < 300 for c in checkpoints] == [True, False]
    for entry in checkpoints:
        assert Path(entry["file_path"]) == run / "Basic" / f"Basic-{entry['steps']}.onnx"
        assert (run / "Basic" / f"Basic-{entry['steps']}.pt").is_file()
    saved = torch.load(run / "Basic" / "checkpoint.pt", weights_only=True)
    assert 300 <= saved["step"] < 1000  # the file's max_steps, not the default 500,000
    # Every layer is 7 wide, but for the action logits (3) and the value head (1).
    widths = {w.shape[0] for k, w in saved["policy"].items() if k.endswith("weight")}
    assert widths == {7, 3}, widths
    critic = saved["optimizer"]["critic"]
    assert {w.shape[0] for k, w in critic.items() if k.endswith("weight")} == {7, 1}
    assert text.count("Created trainer for behavior") == 1, text
    assert "Created trainer for behavior Basic " in text
    assert "several teams (Basic?team=0, Basic?team=1)" in text
    assert "not in the configuration" not in text
    assert "Basic. Step: 100" in text  # summaries under the brain name

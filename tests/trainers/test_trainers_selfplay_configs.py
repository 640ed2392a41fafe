"""ML-Agents' self-play configurations (upstream_configs/poca/SoccerTwos.yaml and
StrikersVsGoalie.yaml, upstream_configs/selfplay/SoccerTwosCurriculum.yaml): they parse
with every key as given, and the asymmetric one trains both behaviors in turns; and ours,
config/poca's self-play files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from mlagents.plugins.trainer_type import register_trainer_plugins
from mlagents.trainers.checkpoints import TrainingStatus
from mlagents.trainers.ghost.trainer import GhostTrainer
from mlagents.trainers.settings import RunOptions
from mlagents.trainers.simple_env_manager import SimpleEnvManager
from mlagents.trainers.trainer_controller import TrainerController
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_sim.envs.strikers import StrikersVsGoalie
from mlagents_sim.in_process import InProcessEnv

UPSTREAM = Path(__file__).resolve().parent / "upstream_configs"
#: Where each upstream self-play file is (the POCA ones are also the POCA tests' data).
PLACES = {
    "SoccerTwos.yaml": "poca",
    "SoccerTwosCurriculum.yaml": "selfplay",
    "StrikersVsGoalie.yaml": "poca",
}
FILES = sorted(PLACES)


def upstream(name: str) -> dict[str, Any]:
    """A file's configuration; its POCA behaviors read as PPO while POCA is not registered
    here (the hyperparameters upstream gives POCA are all PPO's)."""
    config = yaml.safe_load((UPSTREAM / PLACES[name] / name).read_text())
    if "poca" not in register_trainer_plugins()[0]:
        for behavior in config["behaviors"].values():
            behavior["trainer_type"] = "ppo"
    return config


def test_the_upstream_self_play_files_are_all_here() -> None:
    for name, place in PLACES.items():
        assert "self_play" in (UPSTREAM / place / name).read_text()
    assert sorted(p.name for p in (UPSTREAM / "selfplay").glob("*.yaml")) == [
        "SoccerTwosCurriculum.yaml"
    ]


@pytest.mark.parametrize("name", FILES)
def test_upstream_self_play_configs_parse_as_given(name: str) -> None:
    config = upstream(name)
    options = RunOptions.from_dict(config)
    for brain, raw in config["behaviors"].items():
        settings = options.behaviors[brain]
        assert settings.self_play is not None
        assert settings.self_play.as_dict() == raw["self_play"]  # every key read as given
        assert settings.as_dict()["hyperparameters"].items() >= raw["hyperparameters"].items()
    if name == "SoccerTwosCurriculum.yaml":
        lesson = options.environment_parameters["ball_touch"].lessons[0]
        assert lesson.completion_criteria.measure == "Elo"
        assert lesson.completion_criteria.threshold == 1250.0


def _shrunk(config: dict[str, Any]) -> dict[str, Any]:
    """Sizes for a test run: small networks and buffers, self-play step counts divided by
    1000 (their proportions kept); every other setting upstream's."""
    config = copy.deepcopy(config)
    for behavior in config["behaviors"].values():
        behavior["hyperparameters"].update(batch_size=32, buffer_size=128)
        behavior["network_settings"]["hidden_units"] = 16
        behavior.update(max_steps=10**6, time_horizon=32, summary_freq=10**6)
        sp = behavior["self_play"]
        for key in ("save_steps", "team_change", "swap_steps"):
            sp[key] = max(sp[key] // 1000, 1)
    return config


def test_upstream_strikers_vs_goalie_trains_both_behaviors_in_turns(tmp_path: Path) -> None:
    options = RunOptions.from_dict(_shrunk(upstream("StrikersVsGoalie.yaml")))
    params = EnvironmentParametersChannel()
    env_manager = SimpleEnvManager(
        InProcessEnv(StrikersVsGoalie(seed=2, num_areas=2), [params]), params
    )
    controller = TrainerController(
        options, env_manager, tmp_path, TrainingStatus(tmp_path / "status.json"), seed=2
    )
    env_manager.reset()
    controller.advance()
    controller.advance()  # the goalie first asks at the second step
    trainers = controller.trainers
    assert sorted(trainers) == ["Goalie", "Striker"]
    assert all(isinstance(t, GhostTrainer) for t in trainers.values())
    initial = {name: t.snapshots[0] for name, t in trainers.items()}
    learners = {controller.ghost_controller.learning_team}
    for _ in range(1500):
        controller.advance()
        learners.add(controller.ghost_controller.learning_team)
        if len(learners) == 2 and all(t.step > 256 for t in trainers.values()):
            break
    env_manager.close()
    assert learners == {0, 1}
    for name, trainer in trainers.items():
        weights = trainer.trainer.policy.actor.state_dict()
        changed = [k for k in weights if not torch.equal(weights[k], initial[name][k])]
        assert changed, f"{name} never updated its policy"


ROOT = Path(__file__).resolve().parents[2]
OUR_POCA = ["SoccerTwos.yaml", "StrikersVsGoalie.yaml"]


def _as_ppo(config: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(config)
    for section in [config.get("default_settings") or {}, *config["behaviors"].values()]:
        if section and "trainer_type" in section:
            section["trainer_type"] = "ppo"
    return config


@pytest.mark.parametrize("name", OUR_POCA)
def test_our_poca_self_play_configs_are_the_ppo_ones_with_poca(name: str) -> None:
    poca = yaml.safe_load((ROOT / "config" / "poca" / name).read_text())
    ppo = yaml.safe_load((ROOT / "config" / "ppo" / name).read_text())
    assert _as_ppo(poca) == ppo
    behaviors = RunOptions.from_dict(ppo).behaviors.values()
    assert all(b.self_play is not None for b in behaviors)


@pytest.mark.skipif(
    "poca" not in register_trainer_plugins()[0], reason="the POCA trainer is not merged yet"
)
@pytest.mark.parametrize("name", OUR_POCA)
def test_our_poca_self_play_configs_train(name: str, tmp_path: Path) -> None:
    from mlagents_sim.envs.soccer import SoccerTwos

    config = yaml.safe_load((ROOT / "config" / "poca" / name).read_text())
    for section in [config.get("default_settings") or {}, *config["behaviors"].values()]:
        section.pop("hyperparameters", None)
        section.pop("self_play", None)
    config["default_settings"] = {
        **(config.get("default_settings") or {}),
        "trainer_type": "poca",
        "hyperparameters": {"batch_size": 32, "buffer_size": 128, "num_epoch": 1},
        "network_settings": {"hidden_units": 16, "num_layers": 1},
        "max_steps": 10**6,
        "time_horizon": 32,
        "summary_freq": 10**6,
        "self_play": {"save_steps": 100, "team_change": 300, "swap_steps": 50},
    }
    options = RunOptions.from_dict(config)
    sim = SoccerTwos(seed=1, num_areas=2) if name == "SoccerTwos.yaml" else None
    sim = sim or StrikersVsGoalie(seed=1, num_areas=2)
    params = EnvironmentParametersChannel()
    env_manager = SimpleEnvManager(InProcessEnv(sim, [params]), params)
    controller = TrainerController(
        options, env_manager, tmp_path, TrainingStatus(tmp_path / "status.json"), seed=1
    )
    env_manager.reset(controller._env_config())
    learners = set()
    for _ in range(800):
        controller.advance()
        learners.add(controller.ghost_controller.learning_team)
    env_manager.close()
    assert learners == {0, 1}
    for trainer in controller.trainers.values():
        assert isinstance(trainer, GhostTrainer)
        assert trainer.trainer.get_trainer_name() == "poca"
        assert trainer.step > 128

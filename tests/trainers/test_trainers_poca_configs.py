"""Upstream's 0.28-era POCA configurations (upstream_configs/poca, see its README) and
config/poca: each parses with every value read as given; those without self-play train a
few updates on PushBlock (sizes shrunk, every other setting upstream's), reporting POCA's
stats under ML-Agents' names."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from mlagents.trainers.poca.settings import POCASettings
from mlagents.trainers.poca.trainer import POCATrainer
from mlagents.trainers.settings import TrainerSettings, load_config
from mlagents.trainers.simple_env_manager import SimpleEnvManager
from mlagents.trainers.trainer.trainer_factory import create_trainer
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.record import ensure_expert_demo
from tests.trainers.training_testing import run_trainer

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = Path(__file__).resolve().parent / "upstream_configs" / "poca"
#: Upstream's cooperative configurations, trained here on PushBlock (a group of three);
#: DungeonEscape's Unity example is a group game too.
COOPERATIVE = ["PushBlockCollab.yaml", "DungeonEscape.yaml"]
#: With self_play: the ghost trainer's (issue 13, second half); parsed only.
SELF_PLAY = ["SoccerTwos.yaml", "StrikersVsGoalie.yaml"]
HAS_SELF_PLAY = importlib.util.find_spec("mlagents.trainers.ghost") is not None


def raw(name: str) -> dict:
    return yaml.safe_load((UPSTREAM / name).read_text(encoding="utf-8"))


def test_every_upstream_poca_file_is_here() -> None:
    assert sorted(p.name for p in UPSTREAM.glob("*.yaml")) == sorted(COOPERATIVE + SELF_PLAY)


@pytest.mark.parametrize("name", COOPERATIVE + SELF_PLAY)
def test_upstream_poca_settings_parse_as_given(name: str) -> None:
    data = raw(name)
    for behavior, settings in data["behaviors"].items():
        settings = dict(settings)
        settings.pop("self_play", None)  # the ghost trainer's part, checked below
        parsed = TrainerSettings.from_dict(settings)
        assert parsed.trainer_type == "poca", behavior
        assert isinstance(parsed.hyperparameters, POCASettings)
        given = settings["hyperparameters"]
        for key, value in given.items():
            assert getattr(parsed.hyperparameters, key) == value, (behavior, key)
        assert parsed.network_settings.hidden_units == settings["network_settings"]["hidden_units"]
        assert parsed.max_steps == settings["max_steps"]
        assert parsed.time_horizon == settings["time_horizon"]


@pytest.mark.skipif(not HAS_SELF_PLAY, reason="self-play (the ghost trainer) is not merged yet")
@pytest.mark.parametrize("name", SELF_PLAY)
def test_upstream_self_play_poca_files_parse_whole(name: str) -> None:
    options = load_config(UPSTREAM / name)
    for behavior in raw(name)["behaviors"]:
        assert options.behaviors[behavior].trainer_type == "poca"


def shrunk(settings: dict) -> dict:
    """Sizes for a few updates in seconds: batch 64 of a 256-step buffer, 32 hidden units;
    every other setting as given."""
    settings = copy.deepcopy(settings)
    settings["hyperparameters"].update(batch_size=64, buffer_size=256)
    settings["network_settings"]["hidden_units"] = 32
    settings["max_steps"] = 10**6
    return settings


@pytest.mark.parametrize("name", COOPERATIVE)
def test_upstream_cooperative_poca_files_train_on_pushblock(name: str) -> None:
    torch.set_num_threads(1)
    (behavior, settings), *_ = raw(name)["behaviors"].items()
    params = EnvironmentParametersChannel()
    env = InProcessEnv(make_simulation("PushBlock", seed=0, num_areas=2), side_channels=[params])
    manager = SimpleEnvManager(env, params)
    manager.reset()
    (behavior_id, spec), *_ = manager.training_behaviors.items()
    trainer = create_trainer(behavior, spec, TrainerSettings.from_dict(shrunk(settings)))
    assert isinstance(trainer, POCATrainer)
    run_trainer(trainer, manager, behavior_id, 3000, settings["time_horizon"])
    stats = trainer.stats_reporter
    for stat in (
        "Losses/Policy Loss",
        "Losses/Value Loss",
        "Losses/Baseline Loss",
        "Policy/Extrinsic Value Estimate",
        "Policy/Extrinsic Baseline Estimate",
        "Policy/Learning Rate",
    ):
        summary = stats.get_stats_summaries(stat)
        assert summary.num > 0 and np.isfinite(summary.mean), stat
    # Constant learning rate, as the file says.
    assert stats.get_stats_summaries("Policy/Learning Rate").mean == pytest.approx(3e-4)


def test_config_poca_pushblock_is_poca_for_the_pushblock_behavior() -> None:
    options = load_config(ROOT / "config" / "poca" / "PushBlock.yaml")
    settings = options.behaviors["PushBlock"]
    assert settings.trainer_type == "poca"
    assert isinstance(settings.hyperparameters, POCASettings)


def test_poca_trains_with_learned_reward_signals_and_cloning(tmp_path) -> None:
    """Curiosity, RND and GAIL rewards and behavioral cloning work with POCA (upstream warns
    that signals other than extrinsic are not meant for it, and runs them): each reports its
    stats, and the extrinsic signal alone counts the teammates' rewards."""
    torch.set_num_threads(1)
    demo = str(ensure_expert_demo("PushBlock", tmp_path, steps=300))
    settings = TrainerSettings.from_dict(
        {
            "trainer_type": "poca",
            "hyperparameters": {"batch_size": 64, "buffer_size": 256},
            "network_settings": {"hidden_units": 32, "num_layers": 1},
            "reward_signals": {
                "extrinsic": {"gamma": 0.99, "strength": 1.0},
                "curiosity": {"gamma": 0.99, "strength": 0.02, "encoding_size": 16},
                "rnd": {"gamma": 0.99, "strength": 0.01, "encoding_size": 16},
                "gail": {"gamma": 0.99, "strength": 0.01, "encoding_size": 16, "demo_path": demo},
            },
            "behavioral_cloning": {"demo_path": demo, "strength": 0.5, "steps": 10000},
            "summary_freq": 10**9,
        }
    )
    params = EnvironmentParametersChannel()
    env = InProcessEnv(make_simulation("PushBlock", seed=0, num_areas=2), side_channels=[params])
    manager = SimpleEnvManager(env, params)
    manager.reset()
    (behavior_id, spec), *_ = manager.training_behaviors.items()
    trainer = create_trainer("PushBlock", spec, settings)
    assert trainer.optimizer.reward_signals["extrinsic"].add_groupmate_rewards
    assert not getattr(trainer.optimizer.reward_signals["curiosity"], "add_groupmate_rewards", 0)
    run_trainer(trainer, manager, behavior_id, 800, 64)
    stats = trainer.stats_reporter
    for stat in (
        "Losses/Curiosity Forward Loss",
        "Losses/RND Loss",
        "Losses/GAIL Loss",
        "Losses/Pretraining Loss",
        "Policy/Curiosity Baseline Estimate",
        "Policy/Gail Value Estimate",
        "Losses/Baseline Loss",
    ):
        summary = stats.get_stats_summaries(stat)
        assert summary.num > 0 and np.isfinite(summary.mean), stat

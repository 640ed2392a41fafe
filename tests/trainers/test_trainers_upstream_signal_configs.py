"""Upstream's 0.28-era configurations that use curiosity, RND, GAIL or behavioral cloning
(upstream_configs/ppo, upstream_configs/imitation and upstream_configs/sac/Pyramids.yaml;
see the README of each folder). Each parses with every value read as given, its demo_path
values rewritten to demonstrations recorded here, and trains a few updates on a built-in
environment of its kind: sizes shrunk, every other setting upstream's, each signal's stats
reported under ML-Agents' names. imitation/Hallway.yaml (recurrent memory) is refused."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from mlagents.trainers.ppo.settings import PPOSettings
from mlagents.trainers.sac.settings import SACSettings
from mlagents.trainers.settings import RunOptions, TrainerConfigError, load_config
from mlagents.trainers.signal_settings import SIGNAL_SETTINGS
from mlagents.trainers.simple_env_manager import SimpleEnvManager
from mlagents.trainers.trainer.trainer import Trainer
from mlagents.trainers.trainer.trainer_factory import create_trainer
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.record import ensure_expert_demo
from tests.trainers.training_testing import run_trainer

UPSTREAM = Path(__file__).resolve().parent / "upstream_configs"

#: Each configuration, the built-in environment it trains on (observations and actions of
#: the kind its Unity example has) and the steps it trains for: enough for a few updates and
#: for episodes to end (Pyramids and PushBlock time out after 500 decisions of a poor
#: policy; PushBlock has 3 agents).
TRAINED_ON: dict[str, tuple[str, int]] = {
    "ppo/Pyramids.yaml": ("Pyramids", 520),
    "ppo/PyramidsRND.yaml": ("Pyramids", 520),
    # Images for the simple encoder, which needs 20x20 (VisualHallway's are 12 high).
    "ppo/VisualPyramids.yaml": ("GridWorld", 300),
    # Continuous actions (Crawler's are continuous, as 3DBall's).
    "imitation/Crawler.yaml": ("3DBall", 400),
    "imitation/PushBlock.yaml": ("PushBlock", 1600),
    "imitation/Pyramids.yaml": ("Pyramids", 520),
    "sac/Pyramids.yaml": ("Pyramids", 1200),
}
HALLWAY = "imitation/Hallway.yaml"
#: Trainings of about two seconds or more (cloning passes over the whole demonstration;
#: PushBlock needs 1600 steps for an episode to end).
SLOW = {"imitation/Crawler.yaml", "imitation/PushBlock.yaml", "imitation/Pyramids.yaml"}

#: The stats each reward signal reports, by ML-Agents' names.
SIGNAL_STATS: dict[str, list[str]] = {
    "extrinsic": ["Policy/Extrinsic Reward", "Policy/Extrinsic Value Estimate"],
    "curiosity": [
        "Policy/Curiosity Reward",
        "Policy/Curiosity Value Estimate",
        "Losses/Curiosity Forward Loss",
        "Losses/Curiosity Inverse Loss",
    ],
    "rnd": ["Policy/Rnd Reward", "Policy/Rnd Value Estimate", "Losses/RND Loss"],
    "gail": [
        "Policy/Gail Reward",
        "Policy/Gail Value Estimate",
        "Losses/GAIL Loss",
        "Policy/GAIL Policy Estimate",
        "Policy/GAIL Expert Estimate",
        "Policy/GAIL Grad Mag Loss",
    ],
}
VAIL_STATS = ["Policy/GAIL Beta", "Losses/GAIL KL Loss"]
BC_STAT = "Losses/Pretraining Loss"

#: The settings shrunk for training: sizes only.
SIZES = {"batch_size", "buffer_size", "hidden_units", "encoding_size", "max_steps", "time_horizon"}


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)  # small networks: threads would only wait on each other


@pytest.fixture(scope="module")
def demo_for(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    """Demonstrations of a built-in environment played by its scripted policy, recorded
    once per environment."""
    folder = tmp_path_factory.mktemp("demos")
    return lambda env_name: str(ensure_expert_demo(env_name, folder, steps=300))


def read(name: str) -> dict[str, Any]:
    return yaml.safe_load((UPSTREAM / name).read_text(encoding="utf-8"))


def demo_paths(tree: Any, path: str = "") -> list[str]:
    """The key paths of every demo_path in a configuration."""
    if not isinstance(tree, dict):
        return []
    found = []
    for key, value in tree.items():
        sub = f"{path}.{key}" if path else str(key)
        found += [sub] if key == "demo_path" else demo_paths(value, sub)
    return found


def with_demo(tree: Any, demo: str) -> Any:
    """A copy of a configuration with every demo_path set to demo."""
    if not isinstance(tree, dict):
        return tree
    return {
        key: demo if key == "demo_path" else with_demo(value, demo) for key, value in tree.items()
    }


def write(folder: Path, name: str, config: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(name).name
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def assert_read_as_given(given: Any, resolved: Any, where: str) -> None:
    """Every key given is in the resolved settings, with the value given."""
    if isinstance(given, dict):
        assert isinstance(resolved, dict), where
        for key, value in given.items():
            assert key in resolved, f"{where}.{key}"
            assert_read_as_given(value, resolved[key], f"{where}.{key}")
    elif isinstance(given, str) and isinstance(resolved, int | float):
        # PyYAML reads 1.0e7 as a string (YAML 1.1 floats need a signed exponent); it is
        # read as the number it spells, as ML-Agents reads it.
        assert resolved == float(given), where
    else:
        assert resolved == given, where


def without_sizes(tree: Any) -> Any:
    if not isinstance(tree, dict):
        return tree
    return {key: without_sizes(value) for key, value in tree.items() if key not in SIZES}


def test_the_folders_hold_the_configs_they_list() -> None:
    found = {
        f"{folder}/{path.name}"
        for folder in ("ppo", "imitation")
        for path in (UPSTREAM / folder).glob("*.yaml")
    }
    assert found == set(TRAINED_ON) - {"sac/Pyramids.yaml"} | {HALLWAY}
    assert (UPSTREAM / "sac/Pyramids.yaml").is_file()


@pytest.mark.parametrize("name", sorted(TRAINED_ON))
def test_upstream_signal_configs_parse_with_every_value_read(
    name: str, demo_for: Callable[[str], str], tmp_path: Path
) -> None:
    raw = read(name)
    if demo_paths(raw):
        # As written, the demonstrations are files of Unity's project: refused when read.
        with pytest.raises(TrainerConfigError) as info:
            load_config(UPSTREAM / name)
        assert info.value.path == demo_paths(raw)[0]
        assert "does not exist" in info.value.problem

    demo = demo_for(TRAINED_ON[name][0])
    given = with_demo(raw, demo)
    options = load_config(write(tmp_path, name, given))
    assert set(options.behaviors) == set(raw["behaviors"])
    for behavior, settings in options.behaviors.items():
        config = given["behaviors"][behavior]
        assert settings.trainer_type == config["trainer_type"]
        hyperparameters = {"ppo": PPOSettings, "sac": SACSettings}[config["trainer_type"]]
        assert type(settings.hyperparameters) is hyperparameters
        assert_read_as_given(config, settings.as_dict(), behavior)
        assert list(settings.reward_signals) == list(config["reward_signals"])
        for signal, signal_settings in settings.reward_signals.items():
            assert type(signal_settings) is SIGNAL_SETTINGS[signal]
            # The older encoding_size is the signal network's hidden_units.
            size = config["reward_signals"][signal].get("encoding_size")
            if size is not None:
                assert signal_settings.network_settings.hidden_units == size  # type: ignore[attr-defined]
        cloning = config.get("behavioral_cloning")
        assert (settings.behavioral_cloning is None) == (cloning is None)
    assert RunOptions.from_dict(options.as_dict()) == options


def test_hallway_with_memory_is_refused_and_parses_without_it(
    demo_for: Callable[[str], str], tmp_path: Path
) -> None:
    raw = with_demo(read(HALLWAY), demo_for("Basic"))
    with pytest.raises(TrainerConfigError) as info:
        load_config(write(tmp_path, HALLWAY, raw))
    assert info.value.path == "behaviors.Hallway.network_settings.memory"
    assert info.value.problem == (
        "recurrent memory (an LSTM) is not implemented here; remove the key or set it to null"
    )
    assert str(info.value).startswith(f"{tmp_path / 'Hallway.yaml'}: ")
    # Memory is the only thing refused: without it, the rest is read as given.
    raw["behaviors"]["Hallway"]["network_settings"]["memory"] = None
    options = load_config(write(tmp_path, HALLWAY, raw))
    resolved = options.behaviors["Hallway"].as_dict()
    del raw["behaviors"]["Hallway"]["network_settings"]["memory"]
    assert_read_as_given(raw["behaviors"]["Hallway"], resolved, "Hallway")


def shrunk(config: dict[str, Any], steps: int) -> dict[str, Any]:
    """config with its sizes small enough for a few updates in a second or two."""
    config = copy.deepcopy(config)
    config["hyperparameters"].update(batch_size=16)
    # SAC's replay buffer holds the whole run; PPO updates each 64 steps.
    config["hyperparameters"]["buffer_size"] = 64 if config["trainer_type"] == "ppo" else steps * 2
    config["network_settings"]["hidden_units"] = 32
    for signal in config["reward_signals"].values():
        if "encoding_size" in signal:
            signal["encoding_size"] = 16
        if "hidden_units" in signal.get("network_settings", {}):
            signal["network_settings"]["hidden_units"] = 16
    config.update(max_steps=steps, time_horizon=16)
    return config


def parameters(trainer: Trainer) -> list[torch.Tensor]:
    return [p.detach().clone() for p in trainer.policy.actor.parameters()]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=[pytest.mark.slow] if name in SLOW else [])
        for name in sorted(TRAINED_ON)
    ],
)
def test_upstream_signal_configs_train(
    name: str, demo_for: Callable[[str], str], tmp_path: Path
) -> None:
    env_name, steps = TRAINED_ON[name]
    given = with_demo(read(name), demo_for(env_name))
    ((upstream_name, upstream),) = given["behaviors"].items()

    params = EnvironmentParametersChannel()
    env = InProcessEnv(make_simulation(env_name, seed=0), side_channels=[params])
    manager = SimpleEnvManager(env, params)
    manager.reset()
    ((behavior_id, spec),) = manager.training_behaviors.items()
    brain = behavior_id.partition("?")[0]
    path = write(tmp_path, name, {"behaviors": {brain: shrunk(upstream, steps)}})
    settings = load_config(path).behaviors[brain]
    # Only sizes differ from upstream's settings.
    upstream_settings = load_config(write(tmp_path / "upstream", name, given)).behaviors[
        upstream_name
    ]
    assert without_sizes(settings.as_dict()) == without_sizes(upstream_settings.as_dict())

    trainer = create_trainer(brain, spec, settings, seed=0)
    before = parameters(trainer)
    run_trainer(trainer, manager, behavior_id, steps, time_horizon=settings.time_horizon)

    assert trainer.step >= steps
    report = trainer.stats_reporter
    updates = report.get_stats_summaries("Losses/Policy Loss").num
    assert updates >= 3
    assert not any(torch.equal(a, b) for a, b in zip(before, parameters(trainer), strict=True))
    for signal, stats in SIGNAL_STATS.items():
        for stat in stats:
            summary = report.get_stats_summaries(stat)
            if signal in settings.reward_signals:
                assert summary.num > 0 and np.isfinite(summary.full_dist).all(), stat
            else:
                assert summary.num == 0, stat
    for stat in VAIL_STATS:  # use_vail is false in every upstream configuration
        assert report.get_stats_summaries(stat).num == 0, stat
    for signal, provider in trainer.optimizer.learning_signals.items():
        assert provider.updates > 0, signal
    assert set(trainer.optimizer.reward_signals) == set(settings.reward_signals)
    cloning = report.get_stats_summaries(BC_STAT)
    if settings.behavioral_cloning is None:
        assert trainer.optimizer.bc_module is None and cloning.num == 0
    else:
        # PPO clones once after each buffer update.
        assert cloning.num == updates and np.isfinite(cloning.full_dist).all()

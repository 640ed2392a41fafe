"""config/sac/*.yaml: each parses, trains its behaviors with SAC, and names them as the built-in
environment it is for names its brains (read from the environment, not written here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlagents.trainers.behavior_id_utils import BehaviorIdentifiers
from mlagents.trainers.sac.settings import SACSettings
from mlagents.trainers.settings import load_config
from mlagents_envs.registry import default_registry
from mlagents_sim.catalog import ENVIRONMENTS

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config" / "sac"
CONFIGS = sorted(CONFIG_DIR.glob("*.yaml"))
#: Built-in environments without a SAC config, and why (config/sac/README.md says more).
LEFT_OUT = {
    "StrikersVsGoalie": "self-play: config/ppo and config/poca have it",
    "Pyramids": "sparse reward: needs curiosity or RND",
    "SoccerTwos": "self-play: config/ppo and config/poca have it",
}


def environment_of(config: Path) -> str:
    """The built-in environment a config is for: its file name up to the first "_"
    (3DBall_randomize.yaml is 3DBall's)."""
    return config.stem.split("_")[0]


def brain_names(env_name: str) -> set[str]:
    env = default_registry[env_name].make_in_process(seed=0)
    try:
        env.reset()
        return {BehaviorIdentifiers.from_name_behavior_id(b).brain_name for b in env.behavior_specs}
    finally:
        env.close()


def test_there_are_configs_and_each_names_a_built_in_environment() -> None:
    assert CONFIGS, f"no configs in {CONFIG_DIR}"
    unknown = [c.name for c in CONFIGS if environment_of(c) not in ENVIRONMENTS]
    assert not unknown, f"{unknown} name no built-in environment ({sorted(ENVIRONMENTS)})"


def test_every_built_in_environment_has_a_config_unless_left_out() -> None:
    covered = {environment_of(c) for c in CONFIGS}
    assert covered.isdisjoint(LEFT_OUT)
    assert covered | set(LEFT_OUT) == set(ENVIRONMENTS)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda path: path.stem)
def test_a_config_trains_the_environments_brains_with_sac(config: Path) -> None:
    options = load_config(config)
    assert options.behaviors, f"{config.name} configures no behavior"
    for name, settings in options.behaviors.items():
        assert settings.trainer_type == "sac", f"{config.name}: {name} is {settings.trainer_type}"
        assert isinstance(settings.hyperparameters, SACSettings)
    assert set(options.behaviors) == brain_names(environment_of(config))

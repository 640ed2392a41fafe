"""Helpers of the ONNX tests: built-in environments in either generation of Unity builds,
policies as config/ppo makes them, and model inputs as Unity fills them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlagents.trainers.settings import NetworkSettings, load_config
from mlagents_envs.base_env import BaseEnv, BehaviorSpec, DecisionSteps
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X, PACKAGE_VERSION_3X, channels_first
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv

GENERATIONS = (PACKAGE_VERSION_2X, PACKAGE_VERSION_3X)
CONFIG = Path(__file__).resolve().parents[2] / "config" / "ppo"


def make_env(name: str, package_version: str, seed: int = 0) -> InProcessEnv:
    return InProcessEnv(make_simulation(name, seed=seed), package_version=package_version)


def network_settings(env_name: str, behavior_id: str) -> NetworkSettings:
    """The network settings config/ppo/<env_name>.yaml gives a behavior."""
    options = load_config(CONFIG / f"{env_name}.yaml")
    return options.settings_for(behavior_id.partition("?")[0]).network_settings


def decision_batches(env: BaseEnv, steps: int, seed: int = 0) -> dict[str, list[DecisionSteps]]:
    """Every behavior's non-empty decision steps over `steps` steps of random actions."""
    rng = np.random.default_rng(seed)
    env.reset()
    found: dict[str, list[DecisionSteps]] = {name: [] for name in env.behavior_specs}
    for _ in range(steps):
        for name, spec in env.behavior_specs.items():
            decisions, _ = env.get_steps(name)
            if len(decisions):
                found.setdefault(name, []).append(decisions)
                env.set_actions(name, spec.action_spec.random_action(len(decisions), rng))
        env.step()
    return found


def unity_feeds(
    decisions: DecisionSteps, spec: BehaviorSpec, package_version: str
) -> dict[str, np.ndarray]:
    """The model inputs Unity fills for these agents. Images go in as N, C, H, W: a 2.x
    build's (H, W, C) observations transposed, a 3.x build's (C, H, W) as they are (the
    generation decides, as in Unity, not the observation's dimension properties)."""
    feeds = {}
    for k, (obs, obs_spec) in enumerate(zip(decisions.obs, spec.observation_specs)):
        value = np.asarray(obs, dtype=np.float32)
        if len(obs_spec.shape) == 3 and not channels_first(package_version):
            value = np.ascontiguousarray(value.transpose(0, 3, 1, 2))
        feeds[f"obs_{k}"] = value
    if spec.action_spec.discrete_branches:
        assert decisions.action_mask is not None
        feeds["action_masks"] = (~np.concatenate(decisions.action_mask, axis=1)).astype(np.float32)
    return feeds

"""Cooperative Push Block is learnable on a small budget: PPO (config/ppo/PushBlock.yaml,
hidden_units 64 for speed, 8 areas in-process) gets clearly past random play within 300,000
steps. POCA against PPO takes 600,000 steps and more, too long for the suite:
benchmarks/poca_vs_ppo_pushblock.py measures it (its docstring has the figures)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from mlagents.trainers.settings import load_config
from mlagents.trainers.simple_env_manager import SimpleEnvManager
from mlagents.trainers.trainer.trainer_factory import create_trainer
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_sim.envs.pushblock import CooperativePushBlock
from mlagents_sim.in_process import InProcessEnv
from tests.trainers.training_testing import run_trainer

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).resolve().parents[2] / "config"
#: Agent steps of the run (3 agents a group, 8 groups).
BUDGET = 300_000
AREAS = 8
SEEDS = (1,)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)  # small networks: threads would only wait on each other


def late_group_reward(trainer_type: str, seed: int) -> float:
    """Train config/<trainer_type>/PushBlock.yaml for BUDGET steps; the mean group reward
    of the last fifth of its group episodes."""
    params = EnvironmentParametersChannel()
    env = InProcessEnv(CooperativePushBlock(seed=seed, num_areas=AREAS), side_channels=[params])
    manager = SimpleEnvManager(env, params)
    manager.reset()
    ((behavior, spec),) = manager.training_behaviors.items()
    settings = load_config(CONFIG / trainer_type / "PushBlock.yaml").settings_for("PushBlock")
    assert settings.trainer_type == trainer_type
    network = replace(settings.network_settings, hidden_units=64)
    # summary_freq out of reach: every episode stays in the reporter.
    settings = replace(settings, network_settings=network, summary_freq=10**12)
    trainer = create_trainer("PushBlock", spec, settings, seed=seed)
    run_trainer(trainer, manager, behavior, BUDGET, settings.time_horizon)
    summary = trainer.stats_reporter.get_stats_summaries("Environment/Group Cumulative Reward")
    # One entry per agent of an ended group episode: the three of a group are equal.
    rewards = np.array(summary.full_dist)
    assert len(rewards) >= 3 * AREAS * 10, len(rewards)
    return float(np.mean(rewards[-len(rewards) // 5 :]))


def test_ppo_gets_past_random_play() -> None:
    rewards = [late_group_reward("ppo", seed) for seed in SEEDS]
    # Random moves score about -0.7 a group episode (the block of side 1 in 3 episodes of
    # 10), delivering that block every episode and nothing else about 0. Measured at this
    # budget: 0.15 on seeds 1 and 2 (before the grid sensor: -0.53).
    assert min(rewards) > -0.3, rewards

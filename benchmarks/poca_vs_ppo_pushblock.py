"""MA-POCA against PPO (group rewards added to each agent's) on Cooperative Push Block, in
process, the same budget, seeds and network sizes: the mean group reward of the first and
last fifth of each run's group episodes, and its time.

Both read config/poca/PushBlock.yaml and config/ppo/PushBlock.yaml (the same sizes), with
--hidden-units (64 by default, for speed) and --areas groups of three agents.

    .venv/bin/python benchmarks/poca_vs_ppo_pushblock.py [--steps 600000] [--seeds 0 1 2]
        [--areas 8] [--hidden-units 64] [--trainers poca ppo]

Measured (600,000 steps, 8 areas, hidden 64, on 2 shared cores; random moves score about
-0.7, the scripted planner 5.945), last fifth: seed 0 POCA 1.60, PPO 0.96; seed 1 POCA 1.25,
PPO 0.40; seed 2 POCA -0.09, PPO 0.50 (means 0.92 and 0.62). At 300,000 steps (seeds 1, 2):
POCA -0.43 and -0.45, PPO 0.15 and 0.15: POCA starts slower, its policy's entropy stays
higher. A run took about 400 s with POCA, 70 s with PPO.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.trainers, as the other benchmarks reach devtools

from mlagents.trainers.settings import load_config  # noqa: E402
from mlagents.trainers.simple_env_manager import SimpleEnvManager  # noqa: E402
from mlagents.trainers.trainer.trainer_factory import create_trainer  # noqa: E402
from mlagents_envs.side_channel.environment_parameters_channel import (  # noqa: E402
    EnvironmentParametersChannel,
)
from mlagents_sim.envs.pushblock import CooperativePushBlock  # noqa: E402
from mlagents_sim.in_process import InProcessEnv  # noqa: E402
from tests.trainers.training_testing import run_trainer  # noqa: E402


def group_rewards(trainer_type: str, steps: int, seed: int, areas: int, hidden: int) -> None:
    torch.set_num_threads(1)
    params = EnvironmentParametersChannel()
    env = InProcessEnv(CooperativePushBlock(seed=seed, num_areas=areas), side_channels=[params])
    manager = SimpleEnvManager(env, params)
    manager.reset()
    ((behavior, spec),) = manager.training_behaviors.items()
    config = ROOT / "config" / trainer_type / "PushBlock.yaml"
    settings = load_config(config).settings_for("PushBlock")
    network = replace(settings.network_settings, hidden_units=hidden)
    # summary_freq out of reach: every episode stays in the reporter.
    settings = replace(settings, network_settings=network, summary_freq=10**12)
    trainer = create_trainer("PushBlock", spec, settings, seed=seed)
    start = time.perf_counter()
    run_trainer(trainer, manager, behavior, steps, settings.time_horizon)
    seconds = time.perf_counter() - start
    summary = trainer.stats_reporter.get_stats_summaries("Environment/Group Cumulative Reward")
    rewards = np.array(summary.full_dist)  # one entry per agent of an ended group episode
    fifth = max(1, len(rewards) // 5)
    print(
        f"{trainer_type:4s} seed {seed}: {len(rewards) // 3} group episodes, {seconds:.0f} s; "
        f"first fifth {rewards[:fifth].mean():+.2f}, last fifth {rewards[-fifth:].mean():+.2f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=600_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--areas", type=int, default=8)
    parser.add_argument("--hidden-units", type=int, default=64)
    parser.add_argument("--trainers", nargs="+", default=["poca", "ppo"])
    args = parser.parse_args()
    for seed in args.seeds:
        for trainer_type in args.trainers:
            group_rewards(trainer_type, args.steps, seed, args.areas, args.hidden_units)


if __name__ == "__main__":
    main()

"""Pyramids' sparse reward: how often random actions, the scripted policy and a trainer reach
the brick (the share of episodes that end on it, and the mean episode reward).

The trainer trains in-process (the environment as InProcessEnv, num-areas areas) with each
config given for behavior "Pyramids" (by default the extrinsic reward alone, curiosity and
RND: config/ppo/Pyramids_extrinsic.yaml, Pyramids.yaml, Pyramids_rnd.yaml), one run per
seed, for --steps agent steps (the configs' schedules are constant, so the length of the
run does not change them); each run reports its first and last fifth of episodes.

    .venv/bin/python benchmarks/pyramids_exploration.py [--configs FILE ...] [--steps 60000]
        [--seeds 1 2 3] [--areas 16] [--room-size 14] [--skip-baselines]

Measured (16 areas, 60,000 steps, seeds 1-8, one core: 7 s a run with the extrinsic reward
alone, 10 s with RND, 18 s with curiosity; random actions reach the brick in none of 1,600
episodes, the scripted policy in all, scoring 1.83):
- extrinsic alone: no episode of any run reaches the brick;
- curiosity: the last fifth of episodes reach it in 100 % on every seed (mean rewards
  1.80, 1.79, 1.68, 1.78, 1.79, 1.65, 1.75, 1.77);
- RND: likewise 100 % on every seed (1.76, 1.76, 1.76, 1.79, 1.79, 1.79, 1.77, 1.79).
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
sys.path.insert(0, str(ROOT))  # for devtools, as the other benchmarks do

from devtools.envtest import discrete_policy, episode_returns  # noqa: E402
from mlagents.trainers.agent_processor import AgentManager  # noqa: E402
from mlagents.trainers.settings import load_config  # noqa: E402
from mlagents.trainers.simple_env_manager import SimpleEnvManager  # noqa: E402
from mlagents.trainers.trainer.trainer_factory import create_trainer  # noqa: E402
from mlagents_envs.side_channel.environment_parameters_channel import (  # noqa: E402
    EnvironmentParametersChannel,
)
from mlagents_sim.envs.pyramids import Pyramids, pyramids_heuristic  # noqa: E402
from mlagents_sim.in_process import InProcessEnv  # noqa: E402


def environment(
    seed: int, areas: int, room_size: float | None
) -> tuple[InProcessEnv, EnvironmentParametersChannel]:
    parameters = EnvironmentParametersChannel()
    if room_size is not None:
        parameters.set_float_parameter("room_size", room_size)
    return InProcessEnv(Pyramids(seed=seed, num_areas=areas), [parameters]), parameters


def describe(returns: np.ndarray) -> str:
    return f"success {np.mean(returns > 0):6.1%}, reward {np.mean(returns):+.3f}"


def baselines(areas: int, room_size: float | None) -> None:
    for label, policy, steps in (
        ("random", None, 20000),
        ("scripted", discrete_policy(pyramids_heuristic), 2000),
    ):
        env, _ = environment(0, areas, room_size)
        with env:
            (returns,) = episode_returns(env, steps, policy, seed=0).values()
        r = np.array(returns)
        print(f"{label:8s}: {len(r)} episodes in {steps * areas} agent steps: {describe(r)}")


def train(config: Path, steps: int, seed: int, areas: int, room_size: float | None) -> None:
    torch.set_num_threads(1)
    env, parameters = environment(seed, areas, room_size)
    manager = SimpleEnvManager(env, parameters)
    manager.reset()
    ((behavior_id, spec),) = manager.training_behaviors.items()
    # No summaries: every episode's reward stays in the reporter.
    settings = load_config(config).settings_for("Pyramids")
    settings = replace(settings, summary_freq=10**12)
    trainer = create_trainer("Pyramids", spec, settings, seed=seed)
    agents = AgentManager(
        trainer.policy, behavior_id, trainer.stats_reporter, settings.time_horizon
    )
    trainer.subscribe_trajectory_queue(agents.trajectory_queue)
    trainer.publish_policy_queue(agents.policy_queue)
    manager.set_agent_manager(behavior_id, agents)
    manager.set_policy(behavior_id, trainer.policy)
    start = time.perf_counter()
    while trainer.step < steps:
        manager.process_steps(manager.get_steps())
        trainer.advance()
    manager.close()
    summary = trainer.stats_reporter.get_stats_summaries("Environment/Cumulative Reward")
    r = np.array(summary.full_dist)
    fifth = max(1, len(r) // 5)
    print(
        f"seed {seed}: {len(r)} episodes ({np.sum(r > 0)} reached the brick), "
        f"{time.perf_counter() - start:.0f} s; first fifth {describe(r[:fifth])}; "
        f"last fifth {describe(r[-fifth:])}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    configs = [ROOT / "config/ppo" / f"Pyramids{n}.yaml" for n in ("_extrinsic", "", "_rnd")]
    parser.add_argument("--configs", type=Path, nargs="+", default=configs)
    parser.add_argument("--steps", type=int, default=60000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--areas", type=int, default=16)
    parser.add_argument("--room-size", type=float, default=None)
    parser.add_argument("--skip-baselines", action="store_true")
    args = parser.parse_args()
    if not args.skip_baselines:
        baselines(args.areas, args.room_size)
    for config in args.configs:
        print(f"{config.name}, {args.steps} steps:", flush=True)
        for seed in args.seeds:
            train(config, args.steps, seed, args.areas, args.room_size)


if __name__ == "__main__":
    main()

"""Training speed on 3DBall: agent steps and wall-clock time to a mean reward of 90.

Ours: PPO from config/ppo/3DBall.yaml, trained through SimpleEnvManager on the 3DBall
executable (over the wire, as a Unity build) or in-process (--in-process). The same for
Stable-Baselines3's PPO through the vectorized adapter (UnityVecEnv) on the in-process
environment, with SB3's defaults where ML-Agents' config has no counterpart.

    .venv/bin/python benchmarks/train_3dball.py [--target 90] [--max-steps 300000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for devtools, as the other benchmarks do

from devtools.envtest import free_port  # noqa: E402
from mlagents.trainers.agent_processor import AgentManager  # noqa: E402
from mlagents.trainers.ppo.trainer import PPOTrainer  # noqa: E402
from mlagents.trainers.settings import load_config  # noqa: E402
from mlagents.trainers.simple_env_manager import SimpleEnvManager  # noqa: E402
from mlagents.trainers.stats import StatsReporter, StatsSummary, StatsWriter  # noqa: E402


class _RewardLog(StatsWriter):
    """Keeps the mean episode reward of each summary the trainer writes."""

    def __init__(self) -> None:
        self.means: list[tuple[int, float]] = []

    def write_stats(self, category: str, values: dict[str, StatsSummary], step: int) -> None:
        reward = values.get("Environment/Cumulative Reward")
        if reward is not None and reward.num:
            self.means.append((step, reward.mean))


from mlagents_envs.registry import default_registry  # noqa: E402
from mlagents_envs.side_channel.environment_parameters_channel import (  # noqa: E402
    EnvironmentParametersChannel,
)

ROOT = Path(__file__).resolve().parent.parent


def train_ours(target: float, max_steps: int, in_process: bool) -> tuple[int | None, float]:
    settings = load_config(ROOT / "config" / "ppo" / "3DBall.yaml").behaviors["3DBall"]
    params = EnvironmentParametersChannel()
    entry = default_registry["3DBall"]
    if in_process:
        env = entry.make_in_process(seed=0, side_channels=[params])  # type: ignore[attr-defined]
    else:
        env = entry.make(seed=0, base_port=free_port(), no_graphics=True, side_channels=[params])
    manager = SimpleEnvManager(env, params)
    manager.reset()
    # The environment sends "3DBall?team=0": the trainer is keyed by the brain name.
    ((behavior_id, spec),) = manager.training_behaviors.items()
    trainer = PPOTrainer("3DBall", spec, settings, seed=0)
    agents = AgentManager(
        trainer.policy, behavior_id, trainer.stats_reporter, settings.time_horizon
    )
    trainer.subscribe_trajectory_queue(agents.trajectory_queue)
    trainer.publish_policy_queue(agents.policy_queue)
    manager.set_agent_manager(behavior_id, agents)
    manager.set_policy(behavior_id, trainer.policy)
    log = _RewardLog()
    StatsReporter.add_writer(log)
    start = time.perf_counter()
    reached = None
    try:
        while trainer.step < max_steps and reached is None:
            manager.process_steps(manager.get_steps())
            trainer.advance()  # writes a summary every summary_freq steps
            while log.means:
                step, mean = log.means.pop(0)
                elapsed = time.perf_counter() - start
                print(f"  ours: {step:7d} steps, {elapsed:6.1f} s, mean reward {mean:6.2f}")
                if mean >= target:
                    reached = step
    finally:
        StatsReporter.remove_writers()
        manager.close()
    return reached, time.perf_counter() - start


def train_sb3(target: float, max_steps: int) -> tuple[int | None, float]:
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback

    from mlagents_envs.envs.sb3_vec_env import UnityVecEnv

    class Stop(BaseCallback):
        reached: int | None = None

        def _on_step(self) -> bool:
            episodes = [info["r"] for info in self.model.ep_info_buffer]
            if len(episodes) >= 20 and np.mean(episodes[-50:]) >= target:
                Stop.reached = self.num_timesteps
                return False
            return True

    vec = UnityVecEnv(lambda seed: default_registry["3DBall"].make_in_process(seed=seed))
    from stable_baselines3.common.vec_env import VecMonitor

    env = VecMonitor(vec)
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=1000,
        batch_size=96,
        gamma=0.99,
        gae_lambda=0.99,
        learning_rate=3e-4,
        ent_coef=1e-3,
        n_epochs=3,
        seed=0,
        verbose=0,
    )
    start = time.perf_counter()
    model.learn(total_timesteps=max_steps, callback=Stop())
    env.close()
    return Stop.reached, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=float, default=90.0)
    parser.add_argument("--max-steps", type=int, default=300_000)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--skip-sb3", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    where = "in-process" if args.in_process else "executable over gRPC"
    print(f"ours (PPO, config/ppo/3DBall.yaml, {where}):")
    steps, seconds = train_ours(args.target, args.max_steps, args.in_process)
    results = [("ours", steps, seconds)]
    if not args.skip_sb3:
        print("SB3 PPO through UnityVecEnv (in-process):")
        results.append(("SB3", *train_sb3(args.target, args.max_steps)))
    print(f"\nagent steps and wall-clock time to a mean reward of {args.target:g}:")
    for name, reached, spent in results:
        what = f"{reached} steps" if reached is not None else f"not within {args.max_steps} steps"
        print(f"  {name:5s} {what}, {spent:.1f} s")


if __name__ == "__main__":
    main()

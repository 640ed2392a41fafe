"""Environment manager throughput: EnvironmentSteps processed per second on 3DBall
executables (12 agents each), with a RandomPolicy and an AgentManager per behavior, as a
trainer's loop drives them (get_steps, process_steps, trajectories taken off the queue).

- SubprocessEnvManager with 1 and with 2 workers (each worker one executable), with the
  scheduler free to place processes, and with worker_cpu_affinity=True (worker i and its
  environment on CPU i);
- SimpleEnvManager in this process (one executable, no worker), for reference.

The managers run in interleaved rounds (one round of each, then again) and the best round
of each counts; the ratio of 2 workers to 1 is what matters on a 2-core machine.

    .venv/bin/python benchmarks/env_manager.py [--seconds 2] [--rounds 5]
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.envtest import free_port  # noqa: E402
from mlagents.trainers.agent_processor import AgentManager  # noqa: E402
from mlagents.trainers.env_manager import EnvManager  # noqa: E402
from mlagents.trainers.policy import RandomPolicy  # noqa: E402
from mlagents.trainers.simple_env_manager import SimpleEnvManager  # noqa: E402
from mlagents.trainers.stats import StatsReporter  # noqa: E402
from mlagents.trainers.subprocess_env_manager import SubprocessEnvManager  # noqa: E402
from mlagents_envs.base_env import BaseEnv  # noqa: E402
from mlagents_envs.environment import UnityEnvironment  # noqa: E402
from mlagents_envs.side_channel.environment_parameters_channel import (  # noqa: E402
    EnvironmentParametersChannel,
)
from mlagents_envs.side_channel.side_channel import SideChannel  # noqa: E402
from mlagents_envs.side_channel.stats_side_channel import StatsSideChannel  # noqa: E402
from mlagents_sim.build import build_executable  # noqa: E402


def launch(
    executable: str, base_port: int, worker_id: int, side_channels: list[SideChannel]
) -> BaseEnv:
    """The factory of the worker processes (pickled by reference to this module)."""
    return UnityEnvironment(
        executable,
        worker_id=worker_id,
        base_port=base_port,
        no_graphics=True,
        side_channels=side_channels,
    )


def prepare(manager: EnvManager) -> list[AgentManager]:
    """Reset, then a RandomPolicy and an AgentManager (time horizon 64) per behavior."""
    manager.reset()
    agent_managers = []
    for name, spec in manager.training_behaviors.items():
        policy = RandomPolicy(spec, seed=0)
        manager.set_policy(name, policy)
        agent_manager = AgentManager(policy, name, StatsReporter(name), 64)
        manager.set_agent_manager(name, agent_manager)
        agent_managers.append(agent_manager)
    return agent_managers


def run(manager: EnvManager, agent_managers: list[AgentManager], seconds: float) -> float:
    """EnvironmentSteps processed per second over about `seconds`."""
    processed = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        processed += manager.process_steps(manager.get_steps())
        for agent_manager in agent_managers:
            # What a trainer would take; dropped, so that memory stays flat.
            agent_manager.trajectory_queue.drain()
    return processed / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="env_manager_bench-")
    executable = str(build_executable("3DBall", folder))
    params, stats = EnvironmentParametersChannel(), StatsSideChannel()
    simple_env = UnityEnvironment(
        executable, base_port=free_port(), no_graphics=True, side_channels=[params, stats]
    )
    managers: dict[str, EnvManager] = {}
    for pinned in (False, True):
        for n_env in (1, 2):
            name = f"subprocess, {n_env} worker{'s' if n_env > 1 else ''}{', pinned' * pinned}"
            factory = functools.partial(launch, executable, free_port())
            managers[name] = SubprocessEnvManager(factory, n_env, worker_cpu_affinity=pinned)
    managers["simple (in this process)"] = SimpleEnvManager(simple_env, params, stats)
    try:
        prepared = {name: prepare(manager) for name, manager in managers.items()}
        for name, manager in managers.items():
            run(manager, prepared[name], 0.3)  # warm up
        best = dict.fromkeys(managers, 0.0)
        for round_index in range(args.rounds):
            for name, manager in managers.items():
                rate = run(manager, prepared[name], args.seconds)
                best[name] = max(best[name], rate)
                print(f"round {round_index + 1}: {name:<34} {rate:8.0f} steps/s", flush=True)
    finally:
        for manager in managers.values():
            manager.close()

    print(
        f"\n3DBall executables, 12 agents each; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}; best of {args.rounds} rounds of {args.seconds:g} s"
    )
    for name, rate in best.items():
        print(f"{name:<34} {rate:8.0f} EnvironmentSteps/s")
    for pinned in ("", ", pinned"):
        ratio = best[f"subprocess, 2 workers{pinned}"] / best[f"subprocess, 1 worker{pinned}"]
        print(f"2 workers / 1 worker{pinned}: {ratio:.2f}x")


if __name__ == "__main__":
    main()

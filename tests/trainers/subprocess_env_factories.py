"""Environment factories for the SubprocessEnvManager tests. They run in the worker
processes, which import this module by name (the tests' folder is on the path pytest gives
them), so they live here rather than in the test module."""

from __future__ import annotations

import os
from pathlib import Path

from mlagents_envs.base_env import BaseEnv
from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.side_channel.side_channel import SideChannel
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv


def launch_executable(
    executable: str,
    base_port: int,
    pid_dir: str | None,
    worker_id: int,
    side_channels: list[SideChannel],
) -> BaseEnv:
    """Launch executable as worker worker_id; when pid_dir is given, record there the pids of
    this worker and of its environment process, as a file "<worker_id>-<worker pid>-<env
    pid>" (the tests kill environments and check that nothing is left)."""
    env = UnityEnvironment(
        executable,
        worker_id=worker_id,
        base_port=base_port,
        no_graphics=True,
        timeout_wait=30,
        side_channels=side_channels,
    )
    if pid_dir is not None:
        process = env._process
        assert process is not None
        Path(pid_dir, f"{worker_id}-{os.getpid()}-{process.pid}").touch()
    return env


class FailingStepEnv(InProcessEnv):
    """An in-process 3DBall whose third step raises a plain RuntimeError (a bug, not an
    environment failure)."""

    def __init__(self, side_channels: list[SideChannel]) -> None:
        super().__init__(make_simulation("3DBall"), side_channels)
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps == 3:
            raise RuntimeError("the simulation broke on step 3")
        super().step()


def failing_step_env(worker_id: int, side_channels: list[SideChannel]) -> BaseEnv:
    return FailingStepEnv(side_channels)


def failing_factory(worker_id: int, side_channels: list[SideChannel]) -> BaseEnv:
    raise RuntimeError(f"no environment for worker {worker_id}")


class StuckCloseEnv(InProcessEnv):
    """An in-process 3DBall that never finishes closing (until terminated)."""

    def close(self) -> None:
        import time

        time.sleep(120)


def stuck_close_env(worker_id: int, side_channels: list[SideChannel]) -> BaseEnv:
    return StuckCloseEnv(make_simulation("3DBall"), side_channels)

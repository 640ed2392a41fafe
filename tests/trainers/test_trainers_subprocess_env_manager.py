"""SubprocessEnvManager with real worker processes and real environment executables:
stepping with policies and agent managers, environment parameters, a killed environment
restarted, a worker's exception raised with its traceback, and a clean close."""

from __future__ import annotations

import functools
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import subprocess_env_factories as factories

from devtools.envtest import free_port
from mlagents.trainers.agent_processor import AgentManager
from mlagents.trainers.env_manager import EnvironmentStep
from mlagents.trainers.policy import RandomPolicy
from mlagents.trainers.stats import StatsReporter
from mlagents.trainers.subprocess_env_manager import (
    EnvironmentWorkerException,
    SubprocessEnvManager,
)
from mlagents.trainers.trajectory import Trajectory
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_sim.build import build_executable

# 3DBall observation columns: the ball's height above the platform center, its y velocity.
BALL_Y, BALL_VY = 3, 6

Make = Callable[..., SubprocessEnvManager]


@pytest.fixture(scope="module")
def executables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("subprocess_builds")
    return {name: str(build_executable(name, folder)) for name in ("3DBall", "Basic")}


@pytest.fixture
def pid_dir(tmp_path: Path) -> Path:
    """Where the factories record "<worker_id>-<worker pid>-<env pid>" files."""
    folder = tmp_path / "pids"
    folder.mkdir()
    return folder


@pytest.fixture
def make(executables: dict[str, str], pid_dir: Path) -> Iterator[Make]:
    """Start managers of executables (or of any factory); all are closed after the test."""
    started: list[SubprocessEnvManager] = []

    def start(env: str | None = None, n_env: int = 2, factory=None, **kwargs):
        if factory is None:
            assert env is not None
            factory = functools.partial(
                factories.launch_executable, executables[env], free_port(), str(pid_dir)
            )
        manager = SubprocessEnvManager(factory, n_env, **kwargs)
        started.append(manager)
        return manager

    yield start
    for manager in started:
        manager.close()


def recorded_pids(pid_dir: Path) -> list[tuple[int, int, int]]:
    """(worker_id, worker pid, env pid) of every environment the factories launched."""
    return sorted(tuple(int(part) for part in path.name.split("-")) for path in pid_dir.iterdir())


def is_alive(pid: int) -> bool:
    if not os.path.isdir("/proc"):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # A zombie (state Z) has exited; only its parent's wait is missing.
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def assert_all_exited(pids: list[int], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while any(map(is_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if is_alive(pid)], "processes left running"


def use_random_policies(manager: SubprocessEnvManager) -> dict[str, AgentManager]:
    """A RandomPolicy and an AgentManager (time horizon 16, reporting to the StatsReporter
    in its .stats) for every behavior."""
    agent_managers = {}
    for name, spec in manager.training_behaviors.items():
        policy = RandomPolicy(spec, seed=0)
        manager.set_policy(name, policy)
        stats = StatsReporter(name)
        agent_managers[name] = AgentManager(policy, name, stats, 16)
        agent_managers[name].stats = stats  # type: ignore[attr-defined]
        manager.set_agent_manager(name, agent_managers[name])
    return agent_managers


def _senders(trajectories: list[Trajectory]) -> set[str]:
    """The workers ("$0", "$1") whose agents the trajectories are from."""
    return {t.agent_id.split("-")[0] for t in trajectories}


def test_two_workers_step_in_parallel_with_policies_and_agent_managers(make, pid_dir):
    manager = make("Basic")
    assert manager.reset() == 2
    (agent_manager,) = use_random_policies(manager).values()
    steps: list[EnvironmentStep] = []
    trajectories = []
    # 300 steps at least (episodes end and report their statistics), then until both
    # workers have sent a trajectory: on a loaded machine one worker can answer many times
    # before the other does. The cap only ends a test that would otherwise never end.
    while len(steps) < 300 or _senders(trajectories) != {"$0", "$1"}:
        assert len(steps) < 20_000, f"after {len(steps)} steps: {_senders(trajectories)}"
        new = manager.get_steps()
        assert new, "get_steps() returns at least one worker's step"
        assert manager.process_steps(new) == len(new)
        steps += new
        trajectories += agent_manager.trajectory_queue.drain()
    # Both workers answered, each with its own agents and the actions that led there.
    assert {step.worker_id for step in steps} == {0, 1}
    acted = [step for step in steps if step.brain_name_to_action_info]
    assert {step.worker_id for step in acted} == {0, 1}
    # Statistics came from the environments' stats channels, and episodes were recorded.
    stats = agent_manager.stats
    assert stats.get_stats_summaries("Basic/Goal").num > 0
    assert stats.get_stats_summaries("Environment/Episode Length").num > 0
    # Each worker launched its own environment process (on its own port: worker_id offsets
    # base_port, or the second launch would have failed).
    pids = recorded_pids(pid_dir)
    assert [worker_id for worker_id, _, _ in pids] == [0, 1]
    manager.close()
    manager.close()
    assert_all_exited([pid for _, worker, env in pids for pid in (worker, env)])
    with pytest.raises(UnityEnvironmentException, match="closed"):
        manager.get_steps()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="Linux only")
def test_worker_cpu_affinity_pins_each_worker_and_its_environment(make, pid_dir):
    manager = make("Basic", worker_cpu_affinity=True)
    manager.reset()
    cpus = sorted(os.sched_getaffinity(0))
    for worker_id, worker, env in recorded_pids(pid_dir):
        expected = {cpus[worker_id % len(cpus)]}
        assert os.sched_getaffinity(worker) == expected
        assert os.sched_getaffinity(env) == expected
    assert manager.get_steps()


def ball_rows(steps: list[EnvironmentStep]) -> dict[int, list[np.ndarray]]:
    """Per worker, the observation rows of the 3DBall agents that asked, step by step."""
    rows: dict[int, list[np.ndarray]] = {0: [], 1: []}
    for step in steps:
        decision, terminal = step.current_all_step_result["3DBall?team=0"]
        assert len(terminal) == 0, "a ball fell"
        rows[step.worker_id].append(decision.obs[0])
    return rows


def step_n(manager: SubprocessEnvManager, n: int) -> list[EnvironmentStep]:
    """Step until each worker has returned n steps (or one worker 50 n, if the other fails)."""
    steps: list[EnvironmentStep] = []
    counts = [0, 0]
    while min(counts) < n and max(counts) < 50 * n:
        for step in manager.get_steps():
            counts[step.worker_id] += 1
            steps.append(step)
    return steps


def test_environment_parameters_reach_every_worker(make):
    manager = make("3DBall")
    manager.set_env_parameters({"gravity": 0.0})
    # Parameters apply from the next episodes: those the reset begins.
    manager.reset()
    use_random_policies(manager)
    rows = ball_rows(manager.get_steps() + step_n(manager, 20))
    for worker_id in (0, 1):
        assert len(rows[worker_id]) > 20
        # Without gravity no ball moves off its starting height of 4, whatever the tilt.
        for obs in rows[worker_id]:
            np.testing.assert_array_equal(obs[:, BALL_Y], 4.0)
            np.testing.assert_array_equal(obs[:, BALL_VY], 0.0)
    # reset(config) sends parameters too: with gravity back, every ball falls.
    manager.reset({"gravity": 9.81})
    rows = ball_rows(manager.get_steps() + step_n(manager, 2))
    for worker_id in (0, 1):
        # Every ball falls at some step (a busy machine can let one worker run on until its
        # balls land and bounce, so not necessarily at the last step).
        falling = np.stack(rows[worker_id])[:, :, BALL_VY] < 0
        assert falling.any(axis=0).all(), falling


def test_killed_environment_is_restarted_and_stepping_goes_on(make, pid_dir, caplog):
    caplog.set_level(logging.WARNING, "mlagents.trainers.subprocess_env_manager")
    manager = make("3DBall", restarts_rate_limit_n=1, restarts_rate_limit_period_s=60)
    manager.reset({"gravity": 0.0})
    (agent_manager,) = use_random_policies(manager).values()
    manager.process_steps(step_n(manager, 10))
    ((_, worker0, env0), (_, worker1, env1)) = recorded_pids(pid_dir)

    os.kill(env1, signal.SIGKILL)
    after: list[EnvironmentStep] = []
    # A bound on waiting, not a speed check: a busy CI machine gets plenty of time.
    deadline = time.monotonic() + 120
    while sum(step.worker_id == 1 for step in after) < 20:
        assert time.monotonic() < deadline, "worker 1 did not come back"
        new = manager.get_steps()
        manager.process_steps(new)
        after += new
    assert manager.restart_counts == [0, 1]
    (line,) = [r.getMessage() for r in caplog.records if "Restarting" in r.getMessage()]
    assert line.startswith("Restarting environment worker 1 (its restart 1;")
    assert "failed with UnityEnvironmentException" in line and "SIGKILL" in line
    # A new worker with a new environment process; worker 0 kept its own.
    pids = recorded_pids(pid_dir)
    assert len(pids) == 3 and (0, worker0, env0) in pids
    (new_worker, new_env) = next((w, e) for wid, w, e in pids if wid == 1 and e != env1)
    assert not is_alive(env1) and new_env != env1
    # The restart ended every episode and reset both workers: one first step (no actions)
    # came from each, and experience flows again from both.
    assert [s.worker_id for s in after if not s.brain_name_to_action_info] == [0, 1]
    manager.process_steps(step_n(manager, 20))
    assert {t.agent_id.split("-")[0] for t in agent_manager.trajectory_queue.drain()} == {
        "$0",
        "$1",
    }
    np.testing.assert_array_equal(ball_rows(after)[1][-1][:, BALL_Y], 4.0)

    # A second failure within the rate limit's period is one too many.
    os.kill(new_env, signal.SIGKILL)
    with pytest.raises(UnityEnvironmentException, match="restarts_rate_limit_n=1") as raised:
        step_n(manager, 500)
    assert "Environment worker 1" in str(raised.value)
    assert isinstance(raised.value.__cause__, EnvironmentWorkerException)
    manager.close()
    assert_all_exited([worker0, env0, worker1, new_worker, new_env])


def test_killed_worker_process_is_restarted(make, pid_dir, caplog):
    caplog.set_level(logging.WARNING, "mlagents.trainers.subprocess_env_manager")
    manager = make("Basic", n_env=1)
    manager.reset()
    for _ in range(3):
        assert manager.get_steps()
    ((_, worker, env),) = recorded_pids(pid_dir)
    os.kill(worker, signal.SIGKILL)
    for _ in range(3):
        assert [step.worker_id for step in manager.get_steps()] == [0]
    assert manager.restart_counts == [1]
    assert "WorkerExited: the worker process exited with code -9 (signal SIGKILL)" in caplog.text
    # The environment the dead worker left behind notices and quits; the new one runs.
    assert_all_exited([worker, env])
    assert len(recorded_pids(pid_dir)) == 2


@pytest.mark.parametrize(
    ("factory", "expected"),
    [
        (factories.failing_step_env, "RuntimeError: the simulation broke on step 3"),
        (factories.failing_factory, "RuntimeError: no environment for worker 0"),
    ],
)
def test_worker_exception_surfaces_with_its_traceback(make, factory, expected):
    manager = make(factory=factory, n_env=1)
    with pytest.raises(EnvironmentWorkerException) as raised:
        manager.reset()
        use_random_policies(manager)
        for _ in range(5):
            manager.get_steps()
    message = str(raised.value)
    assert raised.value.worker_id == 0
    assert f"Environment worker 0 failed with {expected}" in message
    # The worker's own traceback, down to the line that raised.
    assert "Traceback (most recent call last):" in message
    assert "subprocess_env_factories.py" in message and "raise RuntimeError" in message
    assert manager.restart_counts == [0], "a bug is not retried"


def test_close_terminates_a_stuck_worker(make, caplog):
    manager = make(factory=factories.stuck_close_env, n_env=1, close_timeout=1.0)
    manager.reset()
    (w,) = manager._workers
    start = time.monotonic()
    manager.close()
    assert time.monotonic() - start < 8
    assert not w.process.is_alive()
    assert "did not stop in time; terminating it" in caplog.text


def test_refuses_fork_and_factories_workers_cannot_get():
    with pytest.raises(ValueError, match="spawn"):
        SubprocessEnvManager(factories.failing_factory, start_method="fork")
    with pytest.raises(ValueError, match="cannot be pickled"):
        SubprocessEnvManager(lambda worker_id, channels: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="n_env=0"):
        SubprocessEnvManager(factories.failing_factory, 0)

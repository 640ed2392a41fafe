"""The Python examples of seeds 000 (the environment layer) and 001 (environment
management), as written, on built-in environments.

The executables are written where the snippets look for them ("path/to/environment",
"environment", relative to the working directory), and `UnityEnvironment`'s default port
points at a free one. The 000 gym snippets open Basic (UnityToGymWrapper needs a single
agent); the direct loop opens 3DBall. Fragments of 001 run with the names they use
(env, env_params_channel, behavior_name, policy, agent_manager, training, new_config)
defined beforehand, the rest unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pytest
from seeds_launch import free_ports
from seeds_snippets import SNIPPETS, adapt

from devtools.envtest import free_port
from mlagents.trainers.agent_processor import AgentManager
from mlagents.trainers.policy.random_policy import RandomPolicy
from mlagents.trainers.simple_env_manager import SimpleEnvManager
from mlagents.trainers.stats import StatsReporter
from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_sim.build import build_executable
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv


def run(code: str, namespace: dict[str, Any]) -> dict[str, Any]:
    exec(compile(code, "<seed snippet>", "exec"), namespace)
    return namespace


@pytest.fixture
def in_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(UnityEnvironment, "BASE_ENVIRONMENT_PORT", free_port())
    return tmp_path


def test_000_gym_wrapper_setup(in_builds: Path) -> None:
    build_executable("Basic", in_builds / "path" / "to", name="environment")
    namespace = run(SNIPPETS["000-gym"], {})
    try:
        gym_env = namespace["gym_env"]
        assert gym_env.observation_space.contains(namespace["obs"])
        assert isinstance(namespace["reward"], float)
        assert namespace["done"] in (True, False)
        assert "step" in namespace["info"]
    finally:
        namespace["unity_env"].close()


def test_000_gym_wrapper_options(in_builds: Path) -> None:
    build_executable("Basic", in_builds / "path" / "to", name="environment")
    build_executable("Basic", in_builds, name="environment")
    namespace = run(SNIPPETS["000-gym"], {})
    base = free_ports(4)
    code = adapt(SNIPPETS["000-gym-options"], [("base_port=5005", f"base_port={base}")])
    try:
        run(code, namespace)
        gym_env = namespace["gym_env"]
        # allow_multiple_obs: a list of observations; flatten_branched: one Discrete.
        assert isinstance(gym_env.reset(), list)
        assert isinstance(gym_env.action_space, gymnasium.spaces.Discrete)
        assert len(namespace["environments"]) == 4
        for wrapper in namespace["environments"]:
            wrapper.reset()
            _, reward, _, _ = wrapper.step(wrapper.action_space.sample())
            assert isinstance(reward, float)
    finally:
        for wrapper in namespace.get("environments", []):
            wrapper.close()
        namespace["unity_env"].close()


def test_000_direct_base_env_loop(in_builds: Path) -> None:
    build_executable("3DBall", in_builds, name="environment")
    namespace = run(SNIPPETS["000-base-env"], {})
    # The loop ends on the first step that reports an ended episode.
    assert len(namespace["terminal_steps"]) > 0
    with pytest.raises(Exception, match="closed"):
        namespace["env"].reset()


class _Countdown:
    """True a given number of times: how long `while training:` goes on."""

    def __init__(self, times: int) -> None:
        self.left = times

    def __bool__(self) -> bool:
        self.left -= 1
        return self.left >= 0


def _manager_names(seed: int = 0) -> dict[str, Any]:
    env_params_channel = EnvironmentParametersChannel()
    env = InProcessEnv(make_simulation("3DBall", seed=seed), side_channels=[env_params_channel])
    env.reset()
    behavior_name = next(iter(env.behavior_specs))
    policy = RandomPolicy(env.behavior_specs[behavior_name], seed=seed)
    return {
        "SimpleEnvManager": SimpleEnvManager,
        "env": env,
        "env_params_channel": env_params_channel,
        "behavior_name": behavior_name,
        "policy": policy,
        "agent_manager": AgentManager(policy, behavior_name, StatsReporter(behavior_name)),
        "training": _Countdown(40),
        "new_config": {"mass": 2.5},
    }


def test_001_env_manager_loop() -> None:
    namespace = run(SNIPPETS["001-manager"], _manager_names())
    try:
        assert namespace["training"].left < 0
        assert namespace["num_steps"] == 1
        # Random tilting drops balls within 40 steps: whole episodes reached the trainer side.
        assert namespace["agent_manager"].trajectory_queue.qsize() > 0
    finally:
        namespace["env"].close()


def test_001_reset_with_configuration() -> None:
    namespace = run(SNIPPETS["001-manager"], _manager_names())
    run(SNIPPETS["001-reset"], namespace)
    env, manager = namespace["env"], namespace["env_manager"]
    try:
        assert namespace["num_envs"] == 1
        manager.get_steps()  # the steps of the reset
        manager.get_steps()  # a step, which carries the new parameters
        parameters = env.simulation.parameters
        assert parameters.get("parameter_name", np.nan) == 1.0
        assert parameters.get("mass", np.nan) == 2.5
    finally:
        env.close()

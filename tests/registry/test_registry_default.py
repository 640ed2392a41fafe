"""default_registry holds the built-in environments and works offline; the CLI."""

from __future__ import annotations

import subprocess
import sys

from devtools.envtest import free_port
from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.registry import default_registry
from mlagents_sim.catalog import ENVIRONMENTS
from mlagents_sim.registry import SimRegistryEntry


def test_every_builtin_environment_is_registered() -> None:
    assert set(ENVIRONMENTS) <= set(default_registry)
    for name in ENVIRONMENTS:
        entry = default_registry[name]
        assert isinstance(entry, SimRegistryEntry)
        assert entry.description and entry.expected_reward is not None


def test_make_launches_an_executable_with_the_given_arguments() -> None:
    with default_registry["3DBall"].make(base_port=free_port(), seed=4, num_areas=3) as env:
        assert isinstance(env, UnityEnvironment)
        env.reset()
        assert len(env.get_steps("3DBall?team=0")[0]) == 36


def test_make_in_process_matches() -> None:
    with default_registry["3DBall"].make_in_process(seed=4) as env:  # type: ignore[attr-defined]
        env.reset()
        assert len(env.get_steps("3DBall?team=0")[0]) == 12


def test_command_line_lists_and_launches() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "mlagents_envs.registry", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "3DBall" in listed.stdout and "100" in listed.stdout
    launched = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlagents_envs.registry",
            "launch",
            "3DBall",
            "--steps",
            "30",
            "--base-port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "30 steps with random actions" in launched.stdout

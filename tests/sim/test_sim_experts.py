"""The scripted policies by environment and behavior, the record command, and the expert
demonstrations shipped in demos/ (what the documented commands record, at the solved level)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mlagents.trainers.buffer import BufferKey
from mlagents.trainers.demo_loader import demo_to_buffer, read_demonstration_file
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_sim.catalog import ENVIRONMENTS, EXPECTED_REWARDS, make_simulation
from mlagents_sim.experts import EXPERTS, act, expert
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.record import ensure_expert_demo, record_expert

ROOT = Path(__file__).resolve().parents[2]
DEMOS = ROOT / "demos"
#: The shipped demonstrations and the arguments of `python -m mlagents_sim.record` that
#: made them (demos/README.md).
SHIPPED = {"Basic": 1000, "3DBall": 3000, "Pyramids": 1000}


@pytest.mark.parametrize("env_name", sorted(ENVIRONMENTS))
def test_every_behavior_of_every_environment_has_a_scripted_policy(env_name: str) -> None:
    sim = make_simulation(env_name)
    assert sorted(EXPERTS[env_name]) == sorted({b.name for b in sim.behaviors})
    with InProcessEnv(sim) as env:
        env.reset()
        for _ in range(3):
            act(env, env_name)  # the actions fit the specs, or the env refuses them
            env.step()


def test_unknown_experts_are_refused() -> None:
    with pytest.raises(UnityEnvironmentException, match="'Walker'"):
        expert("Walker", "Walker")
    with pytest.raises(UnityEnvironmentException, match=r"'Keeper'.*\['Goalie', 'Striker'\]"):
        expert("StrikersVsGoalie", "Keeper?team=0")


def episode_returns(path: Path) -> list[float]:
    """The return of every episode that ended in the file."""
    returns, running = [], 0.0
    for pair in read_demonstration_file(path).pairs:
        running += pair.agent_info.reward
        if pair.agent_info.done:
            returns.append(running)
            running = 0.0
    return returns


@pytest.mark.parametrize("env_name", sorted(SHIPPED))
def test_shipped_demonstrations_are_what_the_record_command_makes(
    tmp_path: Path, env_name: str
) -> None:
    shipped = DEMOS / f"Expert{env_name}.demo"
    assert shipped.stat().st_size < 300_000
    (made,) = record_expert(env_name, tmp_path / shipped.name, SHIPPED[env_name])
    if env_name == "Basic":
        assert made.read_bytes() == shipped.read_bytes()
    else:
        # Physics in floating point may differ in the last bits from machine to machine.
        _, again = demo_to_buffer(made, 1)
        _, before = demo_to_buffer(shipped, 1)
        assert set(again) == set(before)
        for key in before:
            np.testing.assert_allclose(again[key], before[key], rtol=0, atol=1e-4)
    meta = read_demonstration_file(shipped).meta
    assert meta.number_steps == SHIPPED[env_name]
    returns = episode_returns(shipped)
    assert len(returns) == meta.number_episodes - 1
    assert np.mean(returns) >= EXPECTED_REWARDS[env_name] - 1e-4
    with InProcessEnv(make_simulation(env_name)) as env:
        env.reset()
        spec = next(iter(env.behavior_specs.values()))
    _, buffer = demo_to_buffer(shipped, 1, spec)
    assert len(buffer) == meta.number_steps - 1


def test_the_record_command_records_images_of_the_generation_asked(tmp_path: Path) -> None:
    out = tmp_path / "grid"
    command = [sys.executable, "-m", "mlagents_sim.record", "--env", "GridWorld", "--steps"]
    command += ["30", "--out", str(out), "--package-version", PACKAGE_VERSION_2X, "--agents", "2"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, env=os.environ)
    assert run.returncode == 0, run.stderr
    paths = [Path(line) for line in run.stdout.split()]
    assert [p.name for p in paths] == ["GridWorld.demo", "GridWorld_0.demo"]
    spec, buffer = demo_to_buffer(out, 1)
    assert spec.observation_specs[0].shape == (42, 42, 3)  # height, width, channels
    assert len(buffer) == 2 * 29
    assert buffer[BufferKey.ACTION_MASK].shape == (58, 5)


def test_the_record_command_refuses_an_unknown_environment(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "mlagents_sim.record", "--env", "Walker", "--steps", "5"]
    run = subprocess.run(
        [*command, "--out", str(tmp_path / "w.demo")], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2 and "Walker" in run.stderr
    assert not (tmp_path / "w.demo").exists()


def test_ensure_expert_demo_records_once(tmp_path: Path) -> None:
    path = ensure_expert_demo("Hybrid", tmp_path, steps=50)
    assert path == tmp_path / "ExpertHybrid.demo"
    assert read_demonstration_file(path).meta.number_steps == 50
    before = path.stat().st_mtime_ns
    assert ensure_expert_demo("Hybrid", tmp_path, steps=50) == path
    assert path.stat().st_mtime_ns == before
    assert [p.name for p in tmp_path.iterdir()] == ["ExpertHybrid.demo"]

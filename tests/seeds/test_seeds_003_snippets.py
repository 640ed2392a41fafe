"""Seed 003's examples, as written, on built-in environments, and the loop its API was
written for.

Changes to the snippets, listed where they run: `mlagents.envs.environment` becomes
`mlagents_envs.legacy.brain_info` (the adapter); brain names come from the environment
(`info[brain_name]` for the placeholder `info['brain_name']`; `brain1`/`brain2` are the
environment's two brains); the default port points at a free one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from seeds_sims import TwoBrains
from seeds_snippets import SNIPPETS, adapt

from devtools.envtest import free_port
from mlagents_envs.base_env import ActionTuple
from mlagents_envs.exception import UnityActionException
from mlagents_envs.legacy import brain_info
from mlagents_envs.legacy.brain_info import BrainInfoEnv
from mlagents_envs.side_channel.engine_configuration_channel import EngineConfigurationChannel
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_sim.build import build_executable
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv

ADAPTER_IMPORT = (
    "from mlagents.envs.environment import UnityEnvironment",
    "from mlagents_envs.legacy.brain_info import UnityEnvironment",
)


def run(code: str, namespace: dict[str, Any]) -> dict[str, Any]:
    exec(compile(code, "<seed 003>", "exec"), namespace)
    return namespace


def in_process(sim: Any) -> BrainInfoEnv:
    engine, parameters = EngineConfigurationChannel(), EnvironmentParametersChannel()
    return BrainInfoEnv(InProcessEnv(sim, side_channels=[engine, parameters]), engine, parameters)


def test_003_load_and_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_executable("3DBall", tmp_path)
    monkeypatch.chdir(tmp_path)  # "in the same directory as envs"
    monkeypatch.setattr(brain_info.UnityEnvironment, "BASE_ENVIRONMENT_PORT", free_port())
    namespace = run(adapt(SNIPPETS["003-load"], [ADAPTER_IMPORT]), {})
    env = namespace["env"]
    try:
        reset_info = env.reset(train_mode=True)
        brain_name = env.external_brain_names[0]
        namespace.update(brain_name=brain_name)
        run(adapt(SNIPPETS["003-step"], [("info['brain_name']", "info[brain_name]")]), namespace)
        text = str(env)
        assert brain_name in text
        assert "Vector Action space type: continuous" in text
    finally:
        env.close()
    observations = namespace["observations"]
    brain = env.brains[brain_name]
    assert observations.shape == (
        len(reset_info[brain_name].agents),
        brain.vector_observation_space_size,
    )
    # seed=1 reached the environment: the same scene in-process with seed 1 agrees.
    with in_process(make_simulation("3DBall", seed=1)) as same_seed:
        expected = same_seed.reset()[brain_name].vector_observations
        np.testing.assert_array_equal(reset_info[brain_name].vector_observations, expected)
        np.testing.assert_array_equal(
            observations, same_seed.step()[brain_name].vector_observations
        )


def test_003_two_brains() -> None:
    with in_process(TwoBrains()) as env:
        env.reset(train_mode=True)
        names = env.external_brain_names
        brain1, brain2 = (next(n for n in names if n.startswith(b)) for b in ("brain1", "brain2"))
        code = adapt(SNIPPETS["003-two-brains"], [("'brain1'", "brain1"), ("'brain2'", "brain2")])
        action = run(code, {"brain1": brain1, "brain2": brain2})["action"]
        info = env.step(action)
    # Each agent observes the action it holds.
    np.testing.assert_array_equal(info[brain1].vector_observations, [[1.0, 2.0]])
    np.testing.assert_array_equal(info[brain2].vector_observations, [[3.0, 4.0]])
    np.testing.assert_array_equal(info[brain1].previous_actions, [[1.0, 2.0]])


def test_003_episode_loop_matches_the_base_env() -> None:
    """The loop 003's API was made for (reset per episode, step until local_done) gives the
    same episode returns as the same random actions through the BaseEnv API."""
    rng = np.random.default_rng(7)
    returns = []
    with in_process(make_simulation("Basic", seed=3)) as env:
        env.reset()
        brain_name = env.external_brain_names[0]
        for _ in range(5):
            env_info = env.reset(train_mode=True)[brain_name]
            episode_return, done = 0.0, False
            while not done:
                action = rng.integers(0, 3, size=(len(env_info.agents), 1))
                env_info = env.step(action)[brain_name]
                episode_return += env_info.rewards[0]
                done = env_info.local_done[0]
            returns.append(episode_return)
    rng = np.random.default_rng(7)
    expected = []
    with InProcessEnv(make_simulation("Basic", seed=3)) as base:
        for _ in range(5):
            base.reset()
            name = next(iter(base.behavior_specs))
            decision, terminal = base.get_steps(name)
            total = 0.0
            while not len(terminal):
                action = rng.integers(0, 3, size=(len(decision), 1))
                base.set_actions(name, ActionTuple(discrete=action))
                base.step()
                decision, terminal = base.get_steps(name)
                total += float(terminal.reward[0] if len(terminal) else decision.reward[0])
            expected.append(total)
    assert returns == pytest.approx(expected)
    assert len(set(np.round(returns, 4))) > 1  # episodes of different outcomes


def test_a_refused_step_sets_nothing() -> None:
    with in_process(TwoBrains()) as env:
        env.reset()
        brain1, brain2 = env.external_brain_names
        with pytest.raises(UnityActionException, match=re.escape(f"brain {brain2!r} expected 2")):
            env.step({brain1: [1.0, 2.0], brain2: [3.0]})
        info = env.step({brain2: [3.0, 4.0]})
    # brain1's refused action was never set: it held zeros.
    np.testing.assert_array_equal(info[brain1].vector_observations, [[0.0, 0.0]])
    np.testing.assert_array_equal(info[brain2].vector_observations, [[3.0, 4.0]])

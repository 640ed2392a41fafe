"""The BrainInfo API over a BaseEnv: train_mode and config through the side channels (or a
clear warning or error without them), the layout of a BrainInfo, memories and previous
actions kept per agent, and what it refuses."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from mlagents_envs.base_env import ActionTuple
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X, PACKAGE_VERSION_3X
from mlagents_envs.exception import (
    UnityActionException,
    UnityEnvironmentException,
    UnityObservationException,
)
from mlagents_envs.legacy.brain_info import BrainInfoEnv
from mlagents_envs.side_channel.engine_configuration_channel import EngineConfigurationChannel
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv


def with_channels(
    name: str, seed: int = 0, package_version: str = PACKAGE_VERSION_3X
) -> tuple[BrainInfoEnv, Any]:
    sim = make_simulation(name, seed=seed)
    engine, parameters = EngineConfigurationChannel(), EnvironmentParametersChannel()
    env = InProcessEnv(sim, side_channels=[engine, parameters], package_version=package_version)
    return BrainInfoEnv(env, engine, parameters), sim


def test_train_mode_selects_the_engine_configuration() -> None:
    env, sim = with_channels("3DBall")
    with env:
        env.reset(train_mode=False)
        engine = sim.engine
        assert (engine.width, engine.height, engine.quality_level) == (1280, 720, 5)
        assert (engine.time_scale, engine.target_frame_rate) == (1.0, 60)
        env.reset(train_mode=True)
        assert (engine.width, engine.height, engine.quality_level) == (80, 80, 1)
        assert (engine.time_scale, engine.target_frame_rate) == (20.0, -1)


def test_train_mode_without_an_engine_channel_is_a_warning_once() -> None:
    with BrainInfoEnv(InProcessEnv(make_simulation("Basic"))) as env:
        with pytest.warns(UserWarning, match="train_mode=False cannot be applied"):
            env.reset(train_mode=False)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            env.reset()


def test_config_sets_environment_parameters() -> None:
    env, sim = with_channels("3DBall")
    with env:
        env.reset(config={"mass": 2.0, "scale": 3})
        assert sim.parameters.get("mass", -1.0) == 2.0
        assert sim.parameters.get("scale", -1.0) == 3.0
        assert env.reset_parameters == {"mass": 2.0, "scale": 3.0}
        assert "mass -> 2.0" in str(env)
        with pytest.raises(UnityEnvironmentException, match="'mass' must be an int or a float"):
            env.reset(config={"mass": "heavy"})
        with pytest.raises(UnityEnvironmentException, match="reset\\(config="):
            env.reset({"mass": 1.0})  # type: ignore[arg-type]
    bare = BrainInfoEnv(InProcessEnv(make_simulation("3DBall")))
    with bare, pytest.raises(UnityEnvironmentException, match="EnvironmentParametersChannel"):
        bare.reset(config={"mass": 2.0})


def test_step_needs_a_reset_and_actions_that_fit() -> None:
    env, _ = with_channels("3DBall")
    with env:
        with pytest.raises(UnityActionException, match="without first calling reset"):
            env.step()
        info = env.reset()
        (name,) = info
        n = len(info[name].agents)
        with pytest.raises(UnityActionException, match=f"expected {2 * n} continuous"):
            env.step(np.zeros(2 * n + 1))
        with pytest.raises(UnityActionException, match="external brain"):
            env.step({"Nobody": [0.0, 0.0]})
        env.step(np.zeros((n, 2)).tolist())  # nested lists are actions too


def test_several_brains_need_a_dict() -> None:
    env, _ = with_channels("StrikersVsGoalie")
    with env:
        env.reset()
        env.step()  # the goalie asks from the second step on
        assert env.number_brains == env.number_external_brains == 2
        with pytest.raises(UnityActionException, match="2 brains"):
            env.step([0])
        info = env.step({})  # brains without actions get zeros
        assert set(info) == set(env.brain_names) == set(env.brains)


def test_brain_info_rows_match_the_base_env() -> None:
    rng = np.random.default_rng(5)
    env, _ = with_channels("3DBall", seed=8)
    ended = 0
    with env, InProcessEnv(make_simulation("3DBall", seed=8)) as twin:
        info = env.reset()
        twin.reset()
        (name,) = info
        for _ in range(120):
            decision, terminal = twin.get_steps(name)
            n_t = len(terminal)
            brain = info[name]
            ended += n_t
            assert brain.agents == [*terminal.agent_id.tolist(), *decision.agent_id.tolist()]
            assert brain.local_done == [True] * n_t + [False] * len(decision)
            assert brain.max_reached == [*terminal.interrupted.tolist(), *[False] * len(decision)]
            assert brain.rewards == pytest.approx([*terminal.reward, *decision.reward])
            np.testing.assert_array_equal(brain.vector_observations[n_t:], decision.obs[0])
            assert brain.text_observations == [""] * len(brain.agents)
            np.testing.assert_array_equal(brain.action_masks, np.ones((len(brain.agents), 2)))
            action = rng.uniform(-1, 1, (len(brain.agents), 2)).astype(np.float32)
            info = env.step(action)
            twin.set_actions(name, ActionTuple(continuous=action[n_t:]))
            twin.step()
    assert ended > 0


def test_memories_and_previous_actions_follow_their_agents() -> None:
    """What step sent an agent comes back on its rows until its episode ends: the row of the
    ended episode still shows it, the agent's next row (a new episode) starts from zeros."""
    env, _ = with_channels("3DBall", seed=1)
    memories: dict[int, np.ndarray] = {}
    actions: dict[int, np.ndarray] = {}
    both_rows = 0
    with env:
        info = env.reset()
        (name,) = info
        brain = info[name]
        assert brain.memories.shape == (len(brain.agents), 0)
        assert not brain.previous_actions.any()
        for step in range(60):
            rows = len(brain.agents)
            action = np.full((rows, 2), 0.9, dtype=np.float32)  # tilt hard: balls fall
            memory = np.arange(rows * 3, dtype=np.float32).reshape(rows, 3) + step
            first = brain.local_done.count(True)  # the rows of agents that ask start here
            memories.update(zip(brain.agents[first:], memory[first:]))
            actions.update(zip(brain.agents[first:], action[first:]))
            brain = env.step(action, memory=memory)[name]
            n_t = brain.local_done.count(True)
            both_rows += len(set(brain.agents[:n_t]) & set(brain.agents[n_t:]))
            for row, (agent, done) in enumerate(zip(brain.agents, brain.local_done)):
                memory_row = memories.pop(agent, None) if done else memories.get(agent)
                action_row = actions.pop(agent, None) if done else actions.get(agent)
                np.testing.assert_array_equal(
                    brain.memories[row], np.zeros(3) if memory_row is None else memory_row
                )
                np.testing.assert_array_equal(
                    brain.previous_actions[row], np.zeros(2) if action_row is None else action_row
                )
        assert both_rows > 0, "no agent ended and asked in the same step: the case went untested"
        assert brain.previous_vector_actions is brain.previous_actions


@pytest.mark.parametrize("version", [PACKAGE_VERSION_2X, PACKAGE_VERSION_3X])
def test_gridworld_images_masks_and_camera_resolutions(version: str) -> None:
    env, _ = with_channels("GridWorld", package_version=version)
    twin = InProcessEnv(make_simulation("GridWorld"), package_version=version)
    with env, twin:
        info = env.reset()
        twin.reset()
        (name,) = info
        spec = twin.behavior_specs[name]
        decision, _ = twin.get_steps(name)
        brain, parameters = info[name], env.brains[name]
        images = [i for i, o in enumerate(spec.observation_specs) if len(o.shape) == 3]
        vectors = [i for i, o in enumerate(spec.observation_specs) if len(o.shape) == 1]
        assert len(brain.visual_observations) == parameters.number_visual_observations == 1
        # Images come in the layout the environment sends.
        np.testing.assert_array_equal(brain.visual_observations[0], decision.obs[images[0]])
        np.testing.assert_array_equal(brain.vector_observations, decision.obs[vectors[0]])
        assert parameters.vector_observation_space_size == brain.vector_observations.shape[1]
        shape = spec.observation_specs[images[0]].shape
        height, width, channels = shape[1:] + shape[:1] if version == PACKAGE_VERSION_3X else shape
        assert channels == 3
        assert parameters.camera_resolutions == [
            {"height": height, "width": width, "blackAndWhite": False}
        ]
        assert decision.action_mask is not None
        np.testing.assert_array_equal(brain.action_masks, 1.0 - decision.action_mask[0])
        assert parameters.vector_action_space_type == "discrete"
        assert parameters.vector_action_space_size == [5]


@pytest.mark.parametrize(
    ("name", "error", "match"),
    [
        ("Sorter", UnityObservationException, "has no place for"),
        ("Hybrid", UnityActionException, "hybrid actions"),
    ],
)
def test_behaviors_a_brain_cannot_describe_are_refused(name, error, match) -> None:
    env, _ = with_channels(name)
    with env, pytest.raises(error, match=match):
        env.reset()


def test_text_actions_and_values_are_dropped_with_a_warning() -> None:
    env, _ = with_channels("Basic")
    with env:
        env.reset()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            env.step([0], text_action=[""])  # nothing to send: no warning
        with pytest.warns(UserWarning, match="text_action is dropped"):
            env.step([0], text_action=["hello"])
        with pytest.warns(UserWarning, match="value is dropped"):
            env.step([0], value=[0.5])

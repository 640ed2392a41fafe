"""UnityToGymWrapper: ML-Agents' gym wrapper (obs = reset(); obs, reward, done, info =
step(action)) over built-in environments, in-process and as an executable."""

from __future__ import annotations

import numpy as np
import pytest
from envs_testing import probe_env, sim_env
from gymnasium import spaces

from mlagents_envs.base_env import ActionSpec, ActionTuple, DecisionSteps, TerminalSteps
from mlagents_envs.envs.unity_gym_env import (
    ActionFlattener,
    UnityGymException,
    UnityToGymWrapper,
)
from mlagents_envs.exception import UnityException
from mlagents_sim.envs.basic import LARGE_GOAL, RIGHT, STAY

ONE_BALL = {"agents_per_area": 1}


def test_basic_walks_to_the_large_goal():
    with UnityToGymWrapper(sim_env("Basic")) as env:
        assert env.action_space == spaces.Discrete(3)
        assert env.observation_space == spaces.Box(-np.inf, np.inf, (20,), np.float32)
        obs = env.reset()
        assert obs.shape == (20,) and obs.dtype == np.float32 and np.argmax(obs) == 10
        total, done, steps = 0.0, False, 0
        while not done:
            obs, reward, done, info = env.step(RIGHT)
            assert isinstance(reward, float) and isinstance(done, bool)
            total += reward
            steps += 1
        assert steps == LARGE_GOAL - 10
        assert total == pytest.approx(0.93)
        assert np.argmax(obs) == LARGE_GOAL
        assert isinstance(info["step"], TerminalSteps)
        # Once done, the episode is over until reset.
        with pytest.raises(UnityGymException, match="reset"):
            env.step(RIGHT)
        assert np.argmax(env.reset()) == 10
        _, _, done, info = env.step(STAY)
        assert not done and isinstance(info["step"], DecisionSteps)


def test_steps_are_those_of_the_base_env():
    """The wrapper returns what the BaseEnv returns for the same seed and actions."""
    wrapped = UnityToGymWrapper(sim_env("3DBall", seed=4, **ONE_BALL), action_space_seed=0)
    raw = sim_env("3DBall", seed=4, **ONE_BALL)
    assert wrapped.action_space == spaces.Box(-1, 1, (2,), np.float32)
    raw.reset()  # the wrapper resets once when it is made, as in ML-Agents
    raw.reset()
    obs = wrapped.reset()
    rng = np.random.default_rng(0)
    episodes = 0
    for _ in range(300):
        decision, terminal = raw.get_steps("3DBall?team=0")
        expected = terminal if len(terminal) else decision
        np.testing.assert_array_equal(obs, expected.obs[0][0])
        if len(terminal):
            episodes += 1
            raw.reset()
            obs = wrapped.reset()
            continue
        action = rng.uniform(-1, 1, 2).astype(np.float32)
        raw.set_actions("3DBall?team=0", ActionTuple(continuous=action[None]))
        raw.step()
        obs, reward, done, _ = wrapped.step(action)
        decision, terminal = raw.get_steps("3DBall?team=0")
        assert done == bool(len(terminal))
        assert reward == float((terminal if done else decision).reward[0])
    assert episodes >= 3
    wrapped.close()
    raw.close()


def test_images_as_float_or_uint8():
    raw = sim_env("VisualHallway", seed=2)
    raw.reset()  # the wrapper's reset() is the second
    raw.reset()
    image = raw.get_steps("VisualHallway?team=0")[0].obs[0][0]
    raw.close()
    with UnityToGymWrapper(sim_env("VisualHallway", seed=2)) as env:
        assert env.observation_space == spaces.Box(0, 1, (12, 36, 4), np.float32)
        np.testing.assert_array_equal(env.reset(), image)
    with UnityToGymWrapper(sim_env("VisualHallway", seed=2), uint8_visual=True) as env:
        assert env.observation_space == spaces.Box(0, 255, (12, 36, 4), np.uint8)
        obs = env.reset()
        assert obs.dtype == np.uint8
        # PNG levels come back exactly: k / 255 -> k.
        np.testing.assert_array_equal(obs, np.rint(image * 255).astype(np.uint8))
        assert obs in env.observation_space
        np.testing.assert_array_equal(env.render(), obs)
        obs, *_ = env.step(1)
        np.testing.assert_array_equal(env.render(), obs)


def test_multiple_observations():
    """Images first, then every vector concatenated; entity buffers are left out."""
    make = lambda: probe_env(observations="viwb")  # noqa: E731
    with UnityToGymWrapper(make(), allow_multiple_obs=True) as env:
        assert env.observation_space == spaces.Tuple(
            (
                spaces.Box(0, 1, (4, 4, 3), np.float32),
                spaces.Box(-np.inf, np.inf, (6,), np.float32),
            )
        )
        image, vector = env.reset()
        assert image.shape == (4, 4, 3) and vector.tolist() == [0, 0, 0, 0, 0, 0]
        obs, *_ = env.step(2)
        assert obs[1].tolist() == [0, 1, 2, 0, 0, 0]
        assert obs[0].flat[0] == 0.25
        assert env.reset() in env.observation_space
    # Without allow_multiple_obs: the first image only.
    with UnityToGymWrapper(make()) as env:
        assert env.observation_space == spaces.Box(0, 1, (4, 4, 3), np.float32)
        assert env.reset().shape == (4, 4, 3)
    with UnityToGymWrapper(probe_env(observations="vw")) as env:
        assert env.observation_space.shape == (6,)


@pytest.mark.parametrize("flatten", [False, True])
def test_branched_actions(flatten: bool):
    spec = ActionSpec.create_discrete((2, 3))
    with UnityToGymWrapper(probe_env(action_spec=spec), flatten_branched=flatten) as env:
        env.reset()
        if flatten:
            assert env.action_space == spaces.Discrete(6)
            action, expected = 5, 12  # the last combination: branch 0 = 1, branch 1 = 2
            assert ActionFlattener((2, 3)).lookup_action(5) == [1, 2]
        else:
            assert env.action_space == spaces.MultiDiscrete([2, 3])
            action, expected = np.array([1, 2]), 12
        obs, *_ = env.step(action)
        assert obs[2] == expected


def test_flatten_branched_leaves_continuous_actions(caplog: pytest.LogCaptureFixture):
    with UnityToGymWrapper(sim_env("3DBall", **ONE_BALL), flatten_branched=True) as env:
        assert isinstance(env.action_space, spaces.Box)
    assert "will not be flattened" in caplog.text


def test_action_space_seed():
    samples = []
    for _ in range(2):
        with UnityToGymWrapper(sim_env("3DBall", **ONE_BALL), action_space_seed=7) as env:
            samples.append([env.action_space.sample() for _ in range(5)])
    np.testing.assert_array_equal(samples[0], samples[1])


def test_refuses_a_second_agent():
    env = sim_env("3DBall")
    with pytest.raises(UnityGymException, match=r"one Agent .* but 12 were detected"):
        UnityToGymWrapper(env)
    env.close()


def test_refuses_a_second_behavior():
    env = probe_env(second="early")
    with pytest.raises(
        UnityGymException, match=r"one behavior .*\['Probe\?team=0', 'Second\?team=0'\]"
    ):
        UnityToGymWrapper(env)
    env.close()
    # A behavior whose agents ask later appears at a step: refused there.
    with UnityToGymWrapper(probe_env(second="late")) as late:
        late.reset()
        with pytest.raises(UnityGymException, match="one behavior"):
            late.step(0)


def test_refuses_hybrid_actions():
    env = sim_env("Hybrid", agents_per_area=1)
    with pytest.raises(UnityGymException, match="both discrete and continuous"):
        UnityToGymWrapper(env)
    env.close()


@pytest.mark.parametrize(
    ("name", "action", "reason"),
    [
        ("Basic", 3, r"values must be in \[0, 2\]"),
        ("Basic", -1, r"values must be in \[0, 2\]"),
        ("Basic", 1.5, "whole numbers"),
        ("Basic", [0, 1], r"expected shape \(\), got \(2,\)"),
        ("Basic", "left", "not an action|integers"),
        ("Basic", None, "not an action"),
        ("Basic", True, "not an action"),
        ("3DBall", [0.5], r"expected shape \(2,\)"),
        ("3DBall", [np.nan, 0.0], "finite"),
        ("3DBall", [[0.1, 0.2], [0.3]], "rectangular|not an action"),
    ],
)
def test_refuses_actions_that_do_not_fit(name: str, action: object, reason: str):
    kwargs = ONE_BALL if name == "3DBall" else {}
    with UnityToGymWrapper(sim_env(name, **kwargs)) as env:
        first = env.reset()
        with pytest.raises(UnityGymException, match=reason) as error:
            env.step(action)
        assert isinstance(error.value, UnityException)
        # Nothing was sent: the next good action takes the first step of the episode.
        obs, *_ = env.step(env.action_space.sample())
        assert obs.shape == first.shape


def test_a_discrete_action_may_come_in_any_shape():
    """As in ML-Agents: a list, a column, a 0-d array or a float holding a whole number."""
    with UnityToGymWrapper(sim_env("Basic")) as env:
        env.reset()
        for action in ([2], np.array([[2]]), np.array(2), np.int64(2), 2.0):
            obs, *_ = env.step(action)
        assert np.argmax(obs) == 15


def test_close_is_safe_twice():
    env = UnityToGymWrapper(sim_env("Basic"))
    env.close()
    env.close()
    assert env.metadata == {"render.modes": ["rgb_array"]}
    assert env.reward_range == (-float("inf"), float("inf"))


def test_over_the_wire(launch_build):
    """Basic launched as an executable gives the steps it gives in-process."""
    results = []
    for env in (
        UnityToGymWrapper(launch_build("Basic", seed=3)),
        UnityToGymWrapper(sim_env("Basic", seed=3)),
    ):
        run = [env.reset()]
        for action in [RIGHT, RIGHT, STAY, 1, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT]:
            obs, reward, done, _ = env.step(action)
            run += [obs, np.float32(reward), np.bool_(done)]
            if done:
                run.append(env.reset())
        env.close()
        results.append(run)
    assert len(results[0]) == len(results[1])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)

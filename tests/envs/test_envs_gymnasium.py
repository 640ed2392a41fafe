"""UnityGymnasiumEnv and the Gymnasium ids of the registry: the current Gymnasium API,
Gymnasium's own env checker, seeding, truncation, masks, and the environments over the
wire."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from envs_testing import probe_env, sim_env, sim_factory
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env

import mlagents_envs.envs
from devtools.envtest import free_port
from mlagents_envs.base_env import ActionSpec
from mlagents_envs.envs import UnityGymException, UnityGymnasiumEnv, register_envs
from mlagents_envs.registry import default_registry
from mlagents_sim.envs.basic import LEFT, RIGHT, STAY

# Vector observations have no bounds (ML-Agents declares none, as Gymnasium's own MuJoCo
# environments); check_env warns about every infinite bound.
unbounded = pytest.mark.filterwarnings(
    "ignore:.*A Box observation space (minimum|maximum) value is -?infinity"
)


def test_every_registry_environment_has_an_id():
    ids = register_envs()  # again: nothing is registered twice, nothing warns
    assert ids == [f"mlagents/{name}-v0" for name in default_registry]
    for name in default_registry:
        spec = gymnasium.spec(f"mlagents/{name}-v0")
        assert spec.reward_threshold == default_registry[name].expected_reward
        assert spec.kwargs["identifier"] == name
        assert spec.nondeterministic is False


@unbounded
def test_basic_passes_the_env_checker():
    env = gymnasium.make("mlagents/Basic-v0")
    check_env(env.unwrapped)
    env.close()


def test_visual_hallway_passes_the_env_checker_with_rendering():
    env = gymnasium.make("mlagents/VisualHallway-v0", uint8_visual=True)
    assert env.observation_space == spaces.Box(0, 255, (12, 36, 4), np.uint8)
    assert env.metadata["render_modes"] == ["rgb_array"]
    check_env(env.unwrapped)
    env.close()


@unbounded
@pytest.mark.parametrize(
    ("make", "observation_space", "action_space"),
    [
        (
            sim_factory("3DBall", agents_per_area=1),
            spaces.Box(-np.inf, np.inf, (8,), np.float32),
            spaces.Box(-1, 1, (2,), np.float32),
        ),
        (
            sim_factory("Hybrid", agents_per_area=1),
            spaces.Box(-np.inf, np.inf, (4,), np.float32),
            spaces.Tuple((spaces.Box(-1, 1, (2,), np.float32), spaces.MultiDiscrete([2]))),
        ),
        (
            sim_factory("Sorter", agents_per_area=1),
            spaces.Dict(
                {
                    "VectorSensor": spaces.Box(-np.inf, np.inf, (3,), np.float32),
                    "BufferSensor": spaces.Box(-np.inf, np.inf, (20, 22), np.float32),
                }
            ),
            spaces.Discrete(5),
        ),
        (
            lambda seed: probe_env(
                seed, observations="vi", action_spec=ActionSpec.create_discrete((2, 3))
            ),
            spaces.Dict(
                {
                    "Vector": spaces.Box(-np.inf, np.inf, (4,), np.float32),
                    "Camera": spaces.Box(0, 1, (4, 4, 3), np.float32),
                }
            ),
            spaces.MultiDiscrete([2, 3]),
        ),
    ],
    ids=["3DBall", "Hybrid", "Sorter", "Probe"],
)
def test_spaces_and_env_checker(make, observation_space, action_space):
    env = UnityGymnasiumEnv(make)
    assert env.observation_space == observation_space
    assert env.action_space == action_space
    # Without a spec (not made by gymnasium.make) the render modes cannot be tried.
    check_env(env, skip_render_check=True)
    env.close()


def test_terminated_and_truncated():
    env = gymnasium.make("mlagents/Basic-v0")
    obs, info = env.reset()
    assert np.argmax(obs) == 10
    mask = info.pop("action_mask")
    assert info == {"agent_id": 0, "group_id": 0, "group_reward": 0.0}
    assert mask.dtype == np.int8 and mask.tolist() == [1, 1, 1]
    for step in range(1, 8):
        obs, reward, terminated, truncated, info = env.step(RIGHT)
        assert truncated is False and terminated is (step == 7)
    assert reward == pytest.approx(0.99)
    # Standing still until the maximum step count: interrupted, so truncated.
    env.reset()
    for step in range(1, 101):
        obs, reward, terminated, truncated, _ = env.step(STAY)
        assert terminated is False and truncated is (step == 100)
    with pytest.raises(UnityGymException, match="reset"):
        env.step(STAY)
    env.close()


def test_seeded_resets_restart_the_simulation():
    env = UnityGymnasiumEnv(sim_factory("3DBall", agents_per_area=1))
    first, _ = env.reset(seed=5)
    env.step(env.action_space.sample())
    again, _ = env.reset(seed=5)
    other, _ = env.reset(seed=6)
    unseeded, _ = env.reset()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert not np.array_equal(other, unseeded)
    env.close()


def test_a_started_env_cannot_be_reseeded(caplog: pytest.LogCaptureFixture):
    base = sim_env("3DBall", agents_per_area=1)
    env = UnityGymnasiumEnv(base)
    env.reset(seed=1)
    env.reset(seed=1)
    assert env.base_env is base
    assert "cannot reseed" in caplog.text
    assert env.np_random is not None
    env.close()


def test_action_masks():
    env = UnityGymnasiumEnv(probe_env(action_spec=ActionSpec.create_discrete((2, 3))))
    _, info = env.reset()
    allowed = (np.ones(2, np.int8), np.ones(3, np.int8))
    assert all(np.array_equal(a, b) for a, b in zip(info["action_mask"], allowed))
    # The probe masks action 1 of every branch on odd ticks.
    _, _, _, _, info = env.step(np.array([0, 0]))
    mask = info["action_mask"]
    assert [m.tolist() for m in mask] == [[1, 0], [1, 0, 1]]
    assert env.action_masks().tolist() == [True, False, True, False, True]
    for _ in range(20):
        assert env.action_space.sample(mask=mask)[0] == 0
    env.close()


def test_flattened_action_masks():
    spec = ActionSpec.create_discrete((2, 3))
    env = UnityGymnasiumEnv(probe_env(action_spec=spec), flatten_branched=True)
    assert env.action_space == spaces.Discrete(6)
    env.reset()
    _, _, _, _, info = env.step(0)
    # Flat action k = (k // 3, k % 3); allowed when neither branch takes its action 1.
    assert info["action_mask"].tolist() == [1, 0, 1, 0, 0, 0]
    assert env.action_masks().tolist() == [True, False, True, False, False, False]
    obs, *_ = env.step(5)
    assert obs[2] == 12
    env.close()


def test_render():
    env = gymnasium.make("mlagents/VisualHallway-v0", render_mode="rgb_array")
    obs, _ = env.reset()
    frame = env.render()
    assert frame.shape == (12, 36, 3) and frame.dtype == np.uint8
    # Four stacked gray frames: the newest (last channel) as gray RGB.
    np.testing.assert_array_equal(frame[:, :, 0], np.rint(obs[:, :, 3] * 255))
    env.close()
    # No image to show: rendering is off rather than refused (SB3 asks every env for
    # rgb_array).
    env = gymnasium.make("mlagents/Basic-v0", render_mode="rgb_array")
    assert env.render_mode is None and env.metadata["render_modes"] == []
    env.close()


def test_refuses_several_agents():
    with pytest.raises(UnityGymException, match=r"3DBall\?team=0 has 12.*UnityVecEnv"):
        gymnasium.make("mlagents/3DBall-v0")


def test_refuses_several_behaviors():
    with pytest.raises(
        UnityGymException, match=r"one behavior.*\['Probe\?team=0', 'Second\?team=0'\]"
    ):
        UnityGymnasiumEnv(lambda seed: probe_env(seed, second="early"))
    env = UnityGymnasiumEnv(lambda seed: probe_env(seed, second="late"))
    env.reset()
    with pytest.raises(UnityGymException, match="one behavior"):
        env.step(0)
    env.close()


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        (5, r"values must be in \[0, 4\]"),
        (np.array([1, 2]), r"expected shape \(\)"),
        (0.5, "whole numbers"),
        ("up", "integers|not an action"),
    ],
)
def test_refuses_actions_that_do_not_fit(action, reason):
    env = UnityGymnasiumEnv(sim_factory("Sorter", agents_per_area=1))
    env.reset()
    with pytest.raises(UnityGymException, match=reason):
        env.step(action)
    env.step(0)
    env.close()


def test_refuses_hybrid_actions_that_do_not_fit():
    env = UnityGymnasiumEnv(sim_factory("Hybrid", agents_per_area=1))
    env.reset()
    with pytest.raises(UnityGymException, match=r"give \(continuous, discrete\)"):
        env.step(np.zeros(2, np.float32))
    with pytest.raises(UnityGymException, match="branch 0"):
        env.step((np.zeros(2, np.float32), np.array([2])))
    env.step((np.zeros(2, np.float32), np.array([1])))
    env.close()


def test_module_prefixed_id():
    env = gymnasium.make("mlagents_envs.envs:mlagents/Basic-v0", seed=3)
    assert isinstance(env.unwrapped, UnityGymnasiumEnv)
    assert mlagents_envs.envs.UnityGymnasiumEnv is UnityGymnasiumEnv
    env.close()


def test_over_the_wire():
    """Launched as an executable, Basic takes the steps it takes in-process; a seeded reset
    launches it anew with that seed."""
    runs = []
    for in_process in (False, True):
        kwargs = {} if in_process else {"no_graphics": True, "base_port": free_port()}
        env = gymnasium.make("mlagents/Basic-v0", in_process=in_process, seed=2, **kwargs)
        run = [env.reset(seed=4)[0]]
        for action in [RIGHT, LEFT, LEFT, LEFT, LEFT]:
            obs, reward, terminated, _, _ = env.step(action)
            run += [obs, np.float32(reward), np.bool_(terminated)]
        env.close()
        runs.append(run)
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    assert runs[0][-1]  # walked left onto the small goal

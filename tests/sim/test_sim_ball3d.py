"""Ball3D driven directly: specs, observations, determinism, physics and parameters."""

from __future__ import annotations

import numpy as np
import pytest

from devtools.envtest import assert_seed_decides
from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.side_channel.environment_parameters_channel import SamplerTypes
from mlagents_sim.envs.ball3d import Ball3D, balance_heuristic
from mlagents_sim.side_channels import Sampler

ENV = "3DBall"
NAME = "3DBall?team=0"
# One 2-degree turn changes a rotation component by at most sin(1 degree).
ONE_TURN = float(np.sin(np.radians(1.0)))


def started(seed: int = 0, **kwargs: int) -> tuple[Ball3D, np.ndarray]:
    sim = Ball3D(seed=seed, **kwargs)
    rows = np.arange(sim.behaviors[0].n_agents)
    sim.reset_agents(NAME, rows)
    return sim, rows


def step(sim: Ball3D, actions: np.ndarray):
    return sim.tick({NAME: ActionTuple(continuous=np.asarray(actions, dtype=np.float32))})[NAME]


def plane_height(sim: Ball3D) -> np.ndarray:
    """The ball center's height above each platform's plane, from the simulation's state."""
    x, y, z, w = sim.rotation.T
    # The platform's up axis: the second column of its rotation matrix.
    normal = np.stack([2 * (x * y - w * z), 1 - 2 * (x * x + z * z), 2 * (y * z + w * x)], axis=1)
    return np.einsum("ij,ij->i", sim.ball_position, normal)


def first_drop(sim: Ball3D, rows: np.ndarray, policy, ticks: int) -> np.ndarray:
    """Tick at which each agent first dropped its ball (-1: never), deciding every 5 ticks
    and holding the action between, as the Academy does; agents are not restarted."""
    first = np.full(len(rows), -1)
    actions = np.zeros((len(rows), 2), dtype=np.float32)
    for t in range(ticks):
        if t % 5 == 0:
            actions = policy(sim.observe(NAME, rows)[0])
        done = step(sim, actions).done
        first[done & (first < 0)] = t
    return first


def test_behavior_and_specs():
    sim = Ball3D()
    (behavior,) = sim.behaviors
    assert behavior.behavior_id == NAME
    assert behavior.n_agents == 12
    assert behavior.decision_period == 5
    assert behavior.max_step == 5000
    assert behavior.reward_accumulates is False
    assert behavior.compressed == (False,)
    assert behavior.spec.observation_specs == [
        ObservationSpec((8,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "VectorSensor")
    ]
    assert behavior.spec.action_spec == ActionSpec.create_continuous(2)


def test_areas_multiply_agents():
    sim, rows = started(num_areas=3)
    assert sim.behaviors[0].n_agents == 36
    assert sim.observe(NAME, rows)[0].shape == (36, 8)
    assert step(sim, np.zeros((36, 2))).reward.shape == (36,)
    assert Ball3D(num_areas=2, agents_per_area=5).behaviors[0].n_agents == 10
    with pytest.raises(ValueError):
        Ball3D(agents_per_area=0)


def test_observation_at_episode_begin():
    sim, rows = started(seed=4)
    (obs,) = sim.observe(NAME, rows)
    assert obs.dtype == np.float32 and obs.shape == (12, 8)
    # Tilts within 10 degrees about each axis: quaternion components within sin(5 deg).
    assert np.all(np.abs(obs[:, :2]) <= np.sin(np.radians(5.0)) + 1e-6)
    assert np.all(np.abs(obs[:, [2, 4]]) <= 1.5)
    np.testing.assert_allclose(obs[:, 3], 4.0)
    np.testing.assert_array_equal(obs[:, 5:], 0.0)
    subset = sim.observe(NAME, np.array([3, 7]))[0]
    np.testing.assert_array_equal(subset, obs[[3, 7]])


def test_rewards_and_drop_conditions():
    sim, _ = started()
    transition = step(sim, np.zeros((12, 2)))
    assert transition.reward.dtype == np.float32
    np.testing.assert_allclose(transition.reward, 0.1)
    assert not transition.done.any()
    assert transition.set_reward is None  # the behavior sets rewards: Unity's SetReward
    sim.ball_position[0] = [3.5, 0.5, 0.0]  # beyond x
    sim.ball_position[1] = [0.0, 0.5, -3.5]  # beyond z
    sim.ball_position[2] = [0.0, -2.5, 0.0]  # below the platform
    transition = step(sim, np.zeros((12, 2)))
    np.testing.assert_array_equal(transition.done, np.arange(12) < 3)
    np.testing.assert_allclose(transition.reward, np.where(np.arange(12) < 3, -1.0, 0.1))


def test_same_seed_same_run_other_seed_other_run():
    def run(seed: int) -> list[np.ndarray]:
        sim, rows = started(seed=seed)
        actions = np.random.default_rng(11)
        record = []
        for _ in range(500):
            t = step(sim, actions.uniform(-1, 1, (12, 2)))
            record += [sim.observe(NAME, rows)[0], t.reward, t.done]
            # Restart as the Academy would, so that resets draw from the seeded rng too.
            if t.done.any():
                sim.reset_agents(NAME, np.flatnonzero(t.done))
        return record

    first = assert_seed_decides(run)
    assert any(r.dtype == bool and r.any() for r in first)  # some episodes did restart


def test_random_actions_drop_balls_and_the_heuristic_keeps_them():
    rng = np.random.default_rng(0)
    sim, rows = started(seed=1, num_areas=2)
    random = first_drop(sim, rows, lambda obs: rng.uniform(-1, 1, (len(obs), 2)), 300)
    assert np.mean(random >= 0) >= 0.75

    sim, rows = started(seed=1, num_areas=2)
    balanced = first_drop(sim, rows, balance_heuristic, 1200)
    assert np.mean(balanced < 0) >= 0.9
    # The balls it keeps rest on their platforms, near the center.
    (obs,) = sim.observe(NAME, rows)
    kept = balanced < 0
    np.testing.assert_allclose(plane_height(sim)[kept], 0.5, atol=1e-3)
    assert np.all(np.abs(obs[kept][:, [2, 4]]) < 1.0)


def test_heuristic_output():
    obs = np.zeros((3, 8), dtype=np.float32)
    obs[:, 3] = 0.5
    obs[0, 2] = 1.0  # ball at +x: raise the +x edge, a positive turn about z
    obs[1, 4] = 1.0  # ball at +z: raise the +z edge, a negative turn about x
    actions = balance_heuristic(obs)
    assert actions.shape == (3, 2) and actions.dtype == np.float32
    assert actions[0, 0] > 0 and actions[0, 1] == 0
    assert actions[1, 0] == 0 and actions[1, 1] < 0
    np.testing.assert_array_equal(actions[2], 0.0)


def test_no_gravity_keeps_the_ball_up():
    sim = Ball3D(seed=2)
    sim.parameters.set("gravity", 0.0)
    rows = np.arange(12)
    sim.reset_agents(NAME, rows)
    rng = np.random.default_rng(3)
    dropped = first_drop(sim, rows, lambda obs: rng.uniform(-1, 1, (12, 2)), 400)
    np.testing.assert_array_equal(dropped, -1)
    np.testing.assert_allclose(sim.observe(NAME, rows)[0][:, 3], 4.0)


def test_scale_and_mass_are_read_when_an_episode_begins():
    sim = Ball3D(seed=2)
    sim.parameters.set("scale", 2.0)
    sim.parameters.set("mass", 5.0)
    np.testing.assert_array_equal(sim.scale, 1.0)  # nothing read before an episode
    rows = np.arange(12)
    sim.reset_agents(NAME, rows)
    np.testing.assert_array_equal(sim.scale, 2.0)
    np.testing.assert_array_equal(sim.mass, 5.0)
    np.testing.assert_array_equal(sim.gravity, 9.81)
    # Later values wait for the next episode.
    sim.parameters.set("scale", 3.0)
    level = np.zeros((12, 2))
    for _ in range(60):
        step(sim, level)
    np.testing.assert_array_equal(sim.scale, 2.0)
    # Landed balls rest one radius (0.5 * scale) above their platform.
    on = np.abs(plane_height(sim) - 1.0) < 0.05
    assert on.sum() >= 6
    np.testing.assert_allclose(plane_height(sim)[on], 1.0, atol=1e-3)
    sim.reset_agents(NAME, rows[:4])
    np.testing.assert_array_equal(sim.scale, np.where(rows < 4, 3.0, 2.0))


def test_a_heavier_ball_is_slowed_less_by_drag():
    speeds = []
    for mass in (1.0, 10.0):
        sim = Ball3D(seed=2)
        sim.parameters.set("mass", mass)
        sim.reset_agents(NAME, np.arange(12))
        for _ in range(30):  # still falling
            step(sim, np.zeros((12, 2)))
        speeds.append(np.linalg.norm(sim.ball_velocity, axis=1))
    light, heavy = speeds
    assert np.all(heavy > light)
    # Gravity alone would give 30 ticks * 0.02 s * 9.81 whatever the mass.
    assert np.all(heavy < 30 * 0.02 * 9.81)


def test_samplers_draw_per_agent_and_per_episode():
    sim = Ball3D(seed=0)
    sim.parameters.set("scale", Sampler(SamplerTypes.UNIFORM, 7, [0.5, 2.0]))
    sim.parameters.set("gravity", Sampler(SamplerTypes.GAUSSIAN, 8, [9.81, 1.0]))
    rows = np.arange(12)
    sim.reset_agents(NAME, rows)
    first_scale, first_gravity = sim.scale.copy(), sim.gravity.copy()
    assert np.all((first_scale >= 0.5) & (first_scale <= 2.0))
    assert len(np.unique(first_scale)) == 12
    assert len(np.unique(first_gravity)) == 12
    sim.reset_agents(NAME, rows)
    assert not np.any(sim.scale == first_scale)
    assert not np.any(sim.gravity == first_gravity)
    np.testing.assert_array_equal(sim.mass, 1.0)  # no sampler, the default


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_rotation_limit(sign: float):
    sim, rows = started(seed=9)
    history = []
    for _ in range(100):
        step(sim, np.full((12, 2), 3.0 * sign))  # beyond 1: clipped
        history.append(sim.observe(NAME, rows)[0][:, :2])
    rotation = np.stack(history) * sign
    assert rotation.max() <= 0.25 + ONE_TURN + 1e-6
    assert np.all(rotation[-1] >= 0.25 - 1e-6)
    # At the limit, the platform stops turning.
    np.testing.assert_array_equal(history[-1], history[-50])


def test_nan_actions_turn_nothing():
    sim, rows = started(seed=9)
    before = sim.observe(NAME, rows)[0][:, :2]
    step(sim, np.full((12, 2), np.nan))
    np.testing.assert_array_equal(sim.observe(NAME, rows)[0][:, :2], before)

"""VisualHallway: specs, frames and stacking, rules, parameters, the scripted policy, and the
4-channel image observation on the wire (two PNGs and a channel mapping)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from devtools.envtest import assert_seed_decides, discrete_policy, episode_returns, launch
from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.codec import steps_to_proto
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X, PACKAGE_VERSION_3X, channels_first
from mlagents_envs.codec.observations import decode_observations
from mlagents_envs.codec.png import PNG_SIGNATURE
from mlagents_envs.communicator_objects.observation_pb2 import PNG
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
    SamplerTypes,
)
from mlagents_envs.side_channel.stats_side_channel import (
    StatsAggregationMethod,
    StatsSideChannel,
)
from mlagents_sim.envs.hallway import (
    AGENT,
    BLANK,
    CUE_GREEN,
    CUE_RED,
    FLOOR,
    FRAMES,
    GOAL,
    GREEN,
    NO_CUE,
    RED,
    WALL,
    VisualHallway,
    frame_id,
    hallway_heuristic,
)
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.scene import Scene
from mlagents_sim.side_channels import Sampler

ENV = "VisualHallway"
NAME = "VisualHallway?team=0"
STAY, LEFT, RIGHT = 0, 1, 2
SHAPE = (12, 36, 4)


def started(seed: int = 0, **kwargs: int) -> tuple[VisualHallway, np.ndarray]:
    sim = VisualHallway(seed=seed, **kwargs)
    rows = np.arange(sim.n_agents)
    sim.reset_agents(NAME, rows)
    return sim, rows


def step(sim: VisualHallway, actions: list[int] | np.ndarray):
    discrete = np.asarray(actions, dtype=np.int32).reshape(-1, 1)
    return sim.tick({NAME: ActionTuple(discrete=discrete)})[NAME]


def levels(image: np.ndarray) -> np.ndarray:
    """Gray levels 0-255 of a [0, 1] image."""
    return np.rint(image * 255).astype(np.int64)


def test_behavior_and_specs():
    sim = VisualHallway()
    (behavior,) = sim.behaviors
    assert behavior.behavior_id == NAME
    assert behavior.n_agents == 1
    assert behavior.decision_period == 1
    assert behavior.max_step == 60
    assert behavior.reward_accumulates is True
    assert behavior.compressed == (True,)
    translational = DimensionProperty.TRANSLATIONAL_EQUIVARIANCE
    assert behavior.spec.observation_specs == [
        ObservationSpec(
            SHAPE,
            (translational, translational, DimensionProperty.NONE),
            ObservationType.DEFAULT,
            "StackingSensor_size4_CameraSensor",
        )
    ]
    assert behavior.spec.action_spec == ActionSpec.create_discrete((3,))


def test_areas_multiply_agents():
    sim, rows = started(num_areas=3)
    assert sim.behaviors[0].n_agents == 3
    assert sim.observe(NAME, rows)[0].shape == (3, *SHAPE)
    assert VisualHallway(num_areas=2, agents_per_area=5).behaviors[0].n_agents == 10
    (empty,) = sim.observe(NAME, np.zeros(0, dtype=np.int64))
    assert empty.shape == (0, *SHAPE) and empty.dtype == np.float32
    with pytest.raises(ValueError):
        VisualHallway(agents_per_area=0)
    with pytest.raises(ValueError):
        VisualHallway(num_areas=0)


def test_frames():
    assert FRAMES.dtype == np.float32
    # Exact multiples of 1/255, as a PNG decodes them.
    np.testing.assert_array_equal(FRAMES, levels(FRAMES).astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(FRAMES[0], 0.0)
    frame = levels(FRAMES[frame_id(np.int64(2), np.int64(GREEN))])
    assert set(np.unique(frame).tolist()) == {WALL, FLOOR, CUE_GREEN, GOAL, AGENT}
    np.testing.assert_array_equal(frame[0:4, 12:24], CUE_GREEN)
    np.testing.assert_array_equal(frame[0:4, :12], WALL)
    np.testing.assert_array_equal(frame[4:, 0:4], GOAL)
    np.testing.assert_array_equal(frame[4:, 32:36], GOAL)
    np.testing.assert_array_equal(frame[6:10, 8:12], AGENT)
    assert np.sum(frame == AGENT) == 16
    np.testing.assert_array_equal(frame[4:6, 8:12], FLOOR)
    red = levels(FRAMES[frame_id(np.int64(2), np.int64(RED))])
    np.testing.assert_array_equal(red[0:4, 12:24], CUE_RED)
    plain = levels(FRAMES[frame_id(np.int64(2), np.int64(NO_CUE))])
    np.testing.assert_array_equal(plain[0:4], WALL)
    # Only the cue strip tells the three apart.
    np.testing.assert_array_equal(plain[4:], frame[4:])
    np.testing.assert_array_equal(red[4:], frame[4:])
    # Every real frame differs from the blank one in every pixel.
    assert np.all(FRAMES[1:] > 0)
    assert BLANK == 0


def test_observation_at_episode_begin():
    sim, rows = started(seed=3, num_areas=6)
    (obs,) = sim.observe(NAME, rows)
    assert obs.dtype == np.float32 and obs.shape == (6, *SHAPE)
    # The three older frames are from before the episode: blank.
    np.testing.assert_array_equal(obs[..., :3], 0.0)
    for row in rows:
        np.testing.assert_array_equal(obs[row, ..., 3], FRAMES[frame_id(4, sim.cue[row])])
    assert {RED, GREEN} == set(sim.cue.tolist())
    cue_level = levels(obs[:, 0, 12, 3])
    np.testing.assert_array_equal(cue_level, np.where(sim.cue == RED, CUE_RED, CUE_GREEN))
    subset = sim.observe(NAME, np.array([4, 1]))[0]
    np.testing.assert_array_equal(subset, obs[[4, 1]])


def test_frames_stack_oldest_first_and_the_cue_shows_for_two_ticks():
    sim, rows = started(seed=1)
    cue = int(sim.cue[0])
    first = sim.observe(NAME, rows)[0][0, ..., 3]
    step(sim, [RIGHT])
    (obs,) = sim.observe(NAME, rows)
    np.testing.assert_array_equal(obs[0, ..., 2], first)
    np.testing.assert_array_equal(obs[0, ..., 3], FRAMES[frame_id(5, cue)])  # still shown
    np.testing.assert_array_equal(obs[0, ..., :2], 0.0)
    step(sim, [STAY])
    (obs,) = sim.observe(NAME, rows)
    np.testing.assert_array_equal(obs[0, ..., 3], FRAMES[frame_id(5, NO_CUE)])  # gone
    np.testing.assert_array_equal(obs[0, ..., 2], FRAMES[frame_id(5, cue)])
    np.testing.assert_array_equal(obs[0, ..., 1], first)
    np.testing.assert_array_equal(obs[0, ..., 0], 0.0)
    for _ in range(3):
        step(sim, [LEFT])
    (obs,) = sim.observe(NAME, rows)
    # Five ticks in, no frame of the stack shows the cue any more.
    assert set(levels(obs[0, 0, 12]).tolist()) == {WALL}
    np.testing.assert_array_equal(obs[0, ..., 3], FRAMES[frame_id(2, NO_CUE)])


def test_rewards_goals_and_stats():
    sim, _ = started(num_areas=6)
    sim.position[:] = [1, 1, 7, 7, 4, 0]
    sim.cue[:] = [RED, GREEN, RED, GREEN, RED, RED]
    transition = step(sim, [LEFT, LEFT, RIGHT, RIGHT, STAY, RIGHT])
    assert transition.reward.dtype == np.float32
    expected = np.array([1, -1, -1, 1, 0, 0]) - 0.0025
    np.testing.assert_array_equal(transition.reward, expected.astype(np.float32))
    np.testing.assert_array_equal(transition.done, [True, True, True, True, False, False])
    assert transition.set_reward is None and transition.group_reward is None
    assert [(s.key, s.value, s.aggregation) for s in sim.stats.pending] == [
        ("VisualHallway/Correct", value, StatsAggregationMethod.AVERAGE)
        for value in (1.0, 0.0, 0.0, 1.0)
    ]


def test_moves_stay_in_the_corridor_and_unknown_actions_stay():
    sim, _ = started(num_areas=5)
    step(sim, [LEFT, RIGHT, STAY, 3, -1])
    np.testing.assert_array_equal(sim.position, [3, 5, 4, 4, 4])
    assert sim.stats.pending == []


def test_staying_is_interrupted_at_max_step():
    # The 2.x generation: the images as the simulation draws them, (height, width, channels).
    with InProcessEnv(
        VisualHallway(seed=2, num_areas=2), package_version=PACKAGE_VERSION_2X
    ) as env:
        env.reset()
        total = np.zeros(2)
        for tick in range(1, 61):
            env.set_actions(NAME, ActionTuple(discrete=np.zeros((2, 1), np.int32)))
            env.step()
            decision, terminal = env.get_steps(NAME)
            if tick < 60:
                assert len(terminal) == 0
                total += decision.reward
        np.testing.assert_array_equal(terminal.interrupted, [True, True])
        np.testing.assert_allclose(total + terminal.reward, -0.15, atol=1e-5)
        # Restarted at once: blank history and the start frame.
        np.testing.assert_array_equal(decision.obs[0][..., :3], 0.0)
        np.testing.assert_array_equal(decision.reward, 0.0)


def test_terminal_observation_shows_the_agent_on_its_goal():
    with InProcessEnv(VisualHallway(seed=0), package_version=PACKAGE_VERSION_2X) as env:
        env.reset()
        for _ in range(4):
            env.set_actions(NAME, ActionTuple(discrete=np.array([[LEFT]], np.int32)))
            env.step()
        decision, terminal = env.get_steps(NAME)
        assert len(terminal) == 1 and not terminal.interrupted[0]
        np.testing.assert_array_equal(levels(terminal.obs[0][0, 6:10, 0:4, 3]), AGENT)
        np.testing.assert_array_equal(levels(decision.obs[0][0, 6:10, 16:20, 3]), AGENT)


def test_cue_ticks_parameter():
    sim = VisualHallway(seed=4, num_areas=2)
    sim.parameters.set("cue_ticks", 5.0)
    rows = np.arange(2)
    np.testing.assert_array_equal(sim.cue_ticks, 2.0)  # nothing read before an episode
    sim.reset_agents(NAME, rows)
    np.testing.assert_array_equal(sim.cue_ticks, 5.0)
    shown = []
    for _ in range(7):
        shown.append(sim.observe(NAME, rows)[0][0, 0, 12, 3] != WALL / 255)
        step(sim, [STAY, STAY])
    assert shown == [True] * 5 + [False] * 2

    sim.parameters.set("cue_ticks", 0.0)
    sim.reset_agents(NAME, rows)
    assert set(levels(sim.observe(NAME, rows)[0][:, 0, 12, 3]).tolist()) == {WALL}

    sim.parameters.set("cue_ticks", Sampler(SamplerTypes.UNIFORM, 3, [1.0, 10.0]))
    sim.reset_agents(NAME, rows)
    first = sim.cue_ticks.copy()
    assert first[0] != first[1]
    sim.reset_agents(NAME, rows[:1])
    assert sim.cue_ticks[0] != first[0] and sim.cue_ticks[1] == first[1]


def test_same_seed_same_run_other_seed_other_run():
    def run(seed: int) -> list[np.ndarray]:
        sim, rows = started(seed=seed, num_areas=4)
        actions = np.random.default_rng(11)
        record = []
        for _ in range(300):
            t = step(sim, actions.integers(0, 3, 4))
            record += [sim.observe(NAME, rows)[0], t.reward, t.done, sim.cue.copy()]
            if t.done.any():
                sim.reset_agents(NAME, np.flatnonzero(t.done))
        return record

    first = assert_seed_decides(run)
    assert any(r.dtype == bool and r.any() for r in first)  # some episodes did restart


def test_heuristic_output():
    obs = np.zeros((5, *SHAPE), dtype=np.float32)
    obs[0, ..., 3] = FRAMES[frame_id(4, RED)]
    obs[1, ..., 3] = FRAMES[frame_id(4, GREEN)]
    # The cue left the newest frame but an older one still shows it.
    obs[2, ..., 0] = FRAMES[frame_id(4, GREEN)]
    obs[2, ..., 3] = FRAMES[frame_id(4, NO_CUE)]
    obs[3, ..., 3] = FRAMES[frame_id(6, NO_CUE)]
    obs[4, ..., 3] = FRAMES[frame_id(2, NO_CUE)]
    actions = hallway_heuristic(obs)
    assert actions.shape == (5, 1) and actions.dtype == np.int32
    assert actions[:, 0].tolist() == [LEFT, RIGHT, RIGHT, RIGHT, LEFT]


def test_heuristic_reaches_the_benchmark_and_random_does_not():
    stats = StatsSideChannel()
    with InProcessEnv(VisualHallway(seed=1, num_areas=8), [stats]) as env:
        scripted = episode_returns(env, 300, discrete_policy(hallway_heuristic))[NAME]
        correct = stats.get_and_reset_stats()["VisualHallway/Correct"]
    assert len(scripted) >= 500
    np.testing.assert_allclose(np.mean(scripted), 0.99, atol=1e-4)
    assert {method for _, method in correct} == {StatsAggregationMethod.AVERAGE}
    assert len(correct) == len(scripted) and all(value == 1.0 for value, _ in correct)

    with InProcessEnv(VisualHallway(seed=1, num_areas=8)) as env:
        random = episode_returns(env, 600)[NAME]
    assert len(random) >= 40
    assert np.mean(random) < 0.3
    assert np.mean(scripted) - np.mean(random) > 0.7


def test_without_the_cue_the_heuristic_can_only_guess():
    parameters = EnvironmentParametersChannel()
    parameters.set_float_parameter("cue_ticks", 0.0)
    with InProcessEnv(VisualHallway(seed=1, num_areas=8), [parameters]) as env:
        guessed = episode_returns(env, 300, discrete_policy(hallway_heuristic))[NAME]
    assert abs(np.mean(guessed)) < 0.3


@pytest.mark.parametrize("version", [PACKAGE_VERSION_2X, PACKAGE_VERSION_3X])
def test_four_channels_travel_as_two_pngs(executables: dict[str, Path], version: str):
    turned = channels_first(version)
    shape = (SHAPE[2], SHAPE[0], SHAPE[1]) if turned else SHAPE
    with launch(executables[ENV], seed=2, additional_args=["--package-version", version]) as env:
        env.reset()
        spec = env.behavior_specs[NAME]
        assert spec.observation_specs[0].shape == shape
        decision, _ = env.get_steps(NAME)
        assert decision.obs[0].shape == (1, *shape) and decision.obs[0].dtype == np.float32

    sim = VisualHallway(seed=2, num_areas=2)
    scene = Scene(sim, version)
    decision, terminal = scene.reset()[NAME]
    spec = scene.behavior_specs[NAME]
    infos = steps_to_proto(decision, terminal, spec, compressed=(True,), channels_first=turned)
    assert len(infos) == 2
    for info in infos:
        (observation,) = info.observations
        assert observation.compression_type == PNG
        assert list(observation.shape) == list(shape)
        assert observation.compressed_data.startswith(PNG_SIGNATURE)
        assert observation.compressed_data.count(PNG_SIGNATURE) == 2
        assert list(observation.compressed_channel_mapping) == [0, 1, 2, 3, -1, -1]
        assert not observation.float_data.data
    # What Python decodes is exactly what the simulation observed.
    decoded = decode_observations(
        [info.observations[0] for info in infos], spec.observation_specs[0], [0, 1], turned
    )
    np.testing.assert_array_equal(decoded, decision.obs[0])
    assert decoded.dtype == np.float32

"""Every wrapper gives images in the layout the environment sends: (height, width,
channels) from a 2.x-generation build, (channels, height, width) from a 3.x one; the same
simulation, seed and actions give the same pixels in either. Stable-Baselines3's CNN
policies take both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from envs_testing import Probe
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecTransposeImage

from devtools import envtest
from mlagents_envs.base_env import ActionSpec, BaseEnv
from mlagents_envs.codec.generation import (
    PACKAGE_VERSION_2X,
    PACKAGE_VERSION_3X,
    image_channels_first,
)
from mlagents_envs.envs import (
    UnityAECEnv,
    UnityGymnasiumEnv,
    UnityParallelEnv,
    UnityToGymWrapper,
)
from mlagents_envs.envs.sb3_vec_env import UnityVecEnv
from mlagents_sim.build import build_executable
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv

GENERATIONS = (PACKAGE_VERSION_2X, PACKAGE_VERSION_3X)


def _env(name: str, version: str, seed: int = 0) -> InProcessEnv:
    return InProcessEnv(make_simulation(name, seed=seed), package_version=version)


def _factory(name: str, version: str) -> Callable[[int], BaseEnv]:
    return lambda seed: _env(name, version, seed)


def _image_spec_shape(name: str, version: str) -> tuple[int, ...]:
    env = _env(name, version)
    env.reset()
    (spec,) = env.behavior_specs.values()
    (image,) = [s for s in spec.observation_specs if len(s.shape) == 3]
    assert image_channels_first(image) is (version == PACKAGE_VERSION_3X)
    env.close()
    return tuple(image.shape)


@pytest.mark.parametrize("name", ["GridWorld", "VisualHallway"])
def test_the_generations_send_the_two_layouts(name: str):
    height, width, channels = _image_spec_shape(name, PACKAGE_VERSION_2X)
    assert _image_spec_shape(name, PACKAGE_VERSION_3X) == (channels, height, width)


def _same_pixels(
    name: str,
    run: Callable[[str], tuple[spaces.Box, list[np.ndarray]]],
) -> None:
    """run(version) gives the image space and the images a wrapper produced in that
    generation, for the same seed and actions: the space is the spec's, every image is in
    it, and the 3.x images are the 2.x ones with the channels moved first."""
    hwc = _image_spec_shape(name, PACKAGE_VERSION_2X)
    chw = _image_spec_shape(name, PACKAGE_VERSION_3X)
    (space_2x, images_2x), (space_3x, images_3x) = run(PACKAGE_VERSION_2X), run(PACKAGE_VERSION_3X)
    assert space_2x.shape == hwc and space_3x.shape == chw
    assert len(images_2x) == len(images_3x) > 1
    for old, new in zip(images_2x, images_3x):
        assert old in space_2x and new in space_3x
        np.testing.assert_array_equal(np.moveaxis(old, -1, 0), new)
    # Not all blank: the comparison compares something.
    assert any(image.any() for image in images_3x)


@pytest.mark.parametrize("uint8_visual", [False, True])
def test_gym_wrapper(uint8_visual: bool):
    def run(version: str) -> tuple[spaces.Box, list[np.ndarray]]:
        env = UnityToGymWrapper(_env("VisualHallway", version, seed=2), uint8_visual=uint8_visual)
        images = [env.reset()]
        for step in range(8):
            obs, *_ = env.step(step % 3)
            images.append(obs)
        assert env.render() is env.visual_obs  # as sent, as ML-Agents' wrapper renders
        env.close()
        space = env.observation_space
        assert isinstance(space, spaces.Box)
        assert space.dtype == (np.uint8 if uint8_visual else np.float32)
        return space, images

    _same_pixels("VisualHallway", run)


def test_gymnasium_env_and_its_frames():
    frames: dict[str, list[np.ndarray]] = {}

    def run(version: str) -> tuple[spaces.Box, list[np.ndarray]]:
        env = UnityGymnasiumEnv(_factory("VisualHallway", version), render_mode="rgb_array")
        obs, _ = env.reset(seed=3)
        images, frames[version] = [obs], [env.render()]
        for step in range(8):
            obs, *_ = env.step(step % 3)
            images.append(obs)
            frames[version].append(env.render())
        env.close()
        assert isinstance(env.observation_space, spaces.Box)
        return env.observation_space, images

    _same_pixels("VisualHallway", run)
    height, width, _ = _image_spec_shape("VisualHallway", PACKAGE_VERSION_2X)
    # Rendered frames are (height, width, 3) in both, and the same.
    for old, new in zip(frames[PACKAGE_VERSION_2X], frames[PACKAGE_VERSION_3X]):
        assert new.shape == (height, width, 3) and new.dtype == np.uint8
        np.testing.assert_array_equal(old, new)


def test_over_the_wire(tmp_path: Path):
    """Executables of either generation, through UnityEnvironment: the wrapper gives what
    the in-process environment gives."""
    builds = {
        version: build_executable("GridWorld", tmp_path / version, package_version=version)
        for version in GENERATIONS
    }
    with envtest.launching(builds, timeout_wait=30) as start:

        def run(version: str) -> tuple[spaces.Box, list[np.ndarray]]:
            wrapped = []
            for base in (start(version, seed=6), _env("GridWorld", version, seed=6)):
                vec = UnityVecEnv(base, uint8_visual=True)
                images = [vec.reset()["GridCamera"]]
                for step in range(4):
                    images.append(vec.step(np.full(9, step % 5))[0]["GridCamera"])
                vec.close()
                wrapped.append((vec.observation_space["GridCamera"], images))
            (wire_space, wire), (local_space, local) = wrapped
            assert wire_space == local_space
            for a, b in zip(wire, local):
                np.testing.assert_array_equal(a, b)
            return wire_space, [image for batch in wire for image in batch]

        _same_pixels("GridWorld", run)


def _camera(space: spaces.Space[Any]) -> spaces.Box:
    box = space["observation"]["GridCamera"]
    assert isinstance(box, spaces.Box)
    return box


def test_parallel_env():
    def run(version: str) -> tuple[spaces.Box, list[np.ndarray]]:
        env = UnityParallelEnv(_env("GridWorld", version, seed=4))
        observations, _ = env.reset()
        agent = env.agents[0]
        images = [observations[agent]["observation"]["GridCamera"]]
        for step in range(6):
            actions = {a: (step + i) % 5 for i, a in enumerate(env.agents)}
            observations, *_ = env.step(actions)
            images.append(observations[agent]["observation"]["GridCamera"])
        env.close()
        return _camera(env.observation_space(agent)), images

    _same_pixels("GridWorld", run)


def test_aec_env():
    def run(version: str) -> tuple[spaces.Box, list[np.ndarray]]:
        env = UnityAECEnv(_env("GridWorld", version, seed=4))
        env.reset()
        agent = env.agents[0]
        images = []
        for turn, current in enumerate(env.agent_iter(9 * 6)):
            obs, _, terminated, truncated, _ = env.last()
            if current == agent:
                images.append(obs["observation"]["GridCamera"])
            env.step(None if terminated or truncated else turn % 5)
        env.close()
        return _camera(env.observation_space(agent)), images

    _same_pixels("GridWorld", run)


@pytest.mark.parametrize("name", ["GridWorld", "VisualHallway"])
def test_vec_env(name: str):
    def run(version: str) -> tuple[spaces.Box, list[np.ndarray]]:
        vec = UnityVecEnv(_env(name, version, seed=5), uint8_visual=True)
        space = vec.observation_space
        images = []
        obs = vec.reset()
        for step in range(6):
            batch = obs["GridCamera"] if isinstance(obs, dict) else obs
            images.extend(batch)
            obs, *_ = vec.step(np.full(vec.num_envs, step % 3))
        vec.close()
        box = space["GridCamera"] if isinstance(space, spaces.Dict) else space
        assert isinstance(box, spaces.Box) and box.dtype == np.uint8
        return box, images

    _same_pixels(name, run)


def _camera_env(version: str, size: int = 36) -> InProcessEnv:
    """Two agents that see only a size x size RGB camera: big enough for SB3's NatureCNN
    (the built-in cameras are either beside a vector or smaller)."""
    sim = Probe(agents_per_area=2, observations="i", image_size=size, episode_length=6)
    return InProcessEnv(sim, package_version=version)


@pytest.mark.parametrize("version", GENERATIONS)
def test_cnn_policy_takes_either_layout(version: str):
    """With uint8 images, SB3 sees an image in both generations: it transposes the 2.x
    (height, width, channels) images itself and takes 3.x ones as they come, so its CNN
    gets (channels, height, width) either way."""
    vec = UnityVecEnv(_camera_env(version), uint8_visual=True)
    model = PPO("CnnPolicy", vec, n_steps=8, batch_size=16, n_epochs=1, seed=0, device="cpu")
    assert isinstance(model.get_env(), VecTransposeImage) is (version == PACKAGE_VERSION_2X)
    assert model.observation_space.shape == (3, 36, 36)
    first = model.policy.features_extractor.cnn[0]
    assert first.in_channels == 3
    model.learn(16)
    actions, _ = model.predict(vec.reset(), deterministic=True)
    assert actions.shape == (2,)
    vec.close()


@pytest.mark.parametrize("version", GENERATIONS)
def test_multi_input_policy_on_gridworld(version: str):
    """GridWorld's camera beside its goal signal: SB3's CombinedExtractor finds the image in
    the Dict in either layout."""
    vec = UnityVecEnv(_env("GridWorld", version), uint8_visual=True)
    model = PPO("MultiInputPolicy", vec, n_steps=4, batch_size=36, n_epochs=1, seed=0)
    camera = model.observation_space["GridCamera"]
    assert camera.shape == (3, 42, 42)
    assert model.policy.features_extractor.extractors["GridCamera"].cnn[0].in_channels == 3
    model.learn(36)
    vec.close()


def test_float_images_are_not_images_to_sb3_unless_told():
    """Float images in [0, 1] (the default, uint8_visual=False) fail SB3's image check; a
    3.x environment's are channels-first already, so normalize_images=False takes them."""
    vec = UnityVecEnv(_camera_env(PACKAGE_VERSION_3X))
    assert vec.observation_space == spaces.Box(0, 1, (3, 36, 36), np.float32)
    with pytest.raises(AssertionError, match="NatureCNN"):
        PPO("CnnPolicy", vec, n_steps=8, batch_size=16, device="cpu")
    model = PPO(
        "CnnPolicy",
        vec,
        n_steps=8,
        batch_size=16,
        n_epochs=1,
        device="cpu",
        policy_kwargs={"normalize_images": False},
    )
    model.learn(16)
    vec.close()


def test_probe_camera_turns_with_the_generation():
    """The camera env above is a real image observation in both generations."""
    shapes = {}
    for version in GENERATIONS:
        env: BaseEnv = _camera_env(version)
        env.reset()
        (spec,) = env.behavior_specs.values()
        shapes[version] = spec.observation_specs[0].shape
        assert spec.action_spec == ActionSpec.create_discrete((3,))
        env.close()
    assert shapes == {PACKAGE_VERSION_2X: (36, 36, 3), PACKAGE_VERSION_3X: (3, 36, 36)}

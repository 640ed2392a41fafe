"""Stable-Baselines3's PPO learns through the doors: Basic through the Gymnasium id, 3DBall
(12 agents) through UnityVecEnv, each to far better than random in a small, seeded budget."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import gymnasium
import numpy as np
import pytest
import torch
from stable_baselines3 import PPO

import mlagents_envs.envs  # noqa: F401 - registers the Gymnasium ids
from mlagents_envs.envs.sb3_vec_env import UnityVecEnv
from mlagents_envs.registry import default_registry

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    # Small networks: threads cost more than they give, and one thread is reproducible.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def episode_returns(env: gymnasium.Env, act: Callable[[np.ndarray], object], episodes: int):
    returns = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=100 + episode)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(act(obs))
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    return float(np.mean(returns))


def test_ppo_learns_basic_through_gymnasium():
    env = gymnasium.make("mlagents/Basic-v0")
    env.action_space.seed(0)
    random = episode_returns(env, lambda obs: env.action_space.sample(), episodes=50)

    model = PPO(
        "MlpPolicy",
        gymnasium.make("mlagents/Basic-v0"),
        n_steps=256,
        batch_size=64,
        n_epochs=4,
        seed=0,
        device="cpu",
    )
    model.learn(total_timesteps=4096)
    trained = episode_returns(env, lambda obs: model.predict(obs, deterministic=True)[0], 10)
    env.close()
    model.get_env().close()
    # 0.93 is the best an episode can earn; random walks earn about 0.08.
    assert random < 0.3
    assert trained > 0.9


def vec_episode_returns(vec: UnityVecEnv, act: Callable[[np.ndarray], np.ndarray], steps: int):
    """The mean return of the episodes that ended within `steps` steps."""
    obs = vec.reset()
    running = np.zeros(vec.num_envs)
    ended = []
    for _ in range(steps):
        obs, rewards, dones, _ = vec.step(act(obs))
        running += rewards
        ended += running[dones].tolist()
        running[dones] = 0.0
    return float(np.mean(ended))


def test_ppo_learns_3dball_through_the_vec_env():
    def make(seed: int):
        return default_registry["3DBall"].make_in_process(seed=seed)

    vec = UnityVecEnv(make, seed=0)
    model = PPO("MlpPolicy", vec, n_steps=256, batch_size=256, n_epochs=4, seed=0, device="cpu")
    model.learn(total_timesteps=16 * 12 * 256)
    vec.close()

    evaluation = UnityVecEnv(make, seed=123)
    rng = np.random.default_rng(0)
    random = vec_episode_returns(
        evaluation, lambda obs: rng.uniform(-1, 1, (12, 2)).astype(np.float32), steps=300
    )
    # 1000 decisions of 5 ticks: every episode ends by then (the limit is 5000 ticks).
    trained = vec_episode_returns(
        evaluation, lambda obs: model.predict(obs, deterministic=True)[0], steps=1000
    )
    evaluation.close()
    # A ball kept up for a whole episode earns 100; dropped at random, about 1.
    assert random < 2.0
    assert trained > 20.0

"""Rows and demonstration files for the reward-signal and behavioral-cloning tests: made-up
transitions with simple dynamics, and .demo files written the way Unity's recorder pairs
steps and actions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mlagents.trainers.buffer import AgentBuffer, BufferKey, obs_key
from mlagents.trainers.settings import RewardSignalSettings, TrainerSettings
from mlagents_envs.base_env import BehaviorSpec
from tests.trainers.demo_files import brain, meta, pair, write_demo
from tests.trainers.experience_testing import experience

SIZE = 6  # the vector observation of experience_testing.VECTOR


def transitions(spec: BehaviorSpec, rows: int, center: float, seed: int) -> AgentBuffer:
    """rows steps with observations about N(center, 1) whose next observation follows from
    the action: the first discrete action moves the first float, the continuous ones the
    next floats."""
    buffer = experience(spec, rows, seed=seed)
    rng = np.random.default_rng(seed)
    obs = rng.normal(center, 1.0, (rows, SIZE)).astype(np.float32)
    following = obs.copy()
    action = spec.action_spec
    if action.discrete_branches:
        following[:, 0] += buffer[BufferKey.DISCRETE_ACTION][:, 0] - 1
    following[:, 1 : 1 + action.continuous_size] += buffer[BufferKey.CONTINUOUS_ACTION]
    buffer.add_column(obs_key(0), obs)
    buffer.add_column(obs_key(0, following=True), following)
    return buffer


def signal_settings(name: str, **settings: object) -> RewardSignalSettings:
    return TrainerSettings.from_dict({"reward_signals": {name: settings}}).reward_signals[name]


def write_expert(
    path: Path,
    observations: np.ndarray,
    action: Callable[[np.ndarray], tuple[Sequence[float], Sequence[int]]],
    continuous: int = 0,
    branches: Sequence[int] = (),
    episode: int = 20,
    masks: Callable[[np.ndarray], Sequence[bool]] | None = None,
) -> Path:
    """A .demo file of one agent observing observations (one row a step), deciding
    action(obs) -> (continuous, discrete) on each, episodes of `episode` steps. As Unity's
    recorder does, a step is written with the action held then: the previous decision's,
    zeros after an episode's end. masks(obs): True = not allowed."""
    held: tuple[Sequence[float], Sequence[int]] = ([0.0] * continuous, [0] * len(branches))
    pairs = []
    for i, obs in enumerate(observations):
        done = i % episode == episode - 1
        mask = list(masks(obs)) if masks else [False] * sum(branches)
        pairs.append(
            pair(
                obs.tolist(),
                reward=1.0,
                done=done,
                mask=[] if done else mask,
                continuous=held[0],
                discrete=held[1],
            )
        )
        held = ([0.0] * continuous, [0] * len(branches)) if done else action(obs)
    return write_demo(path, meta(len(pairs)), brain(continuous, branches), pairs)

"""Made-up experience of a behavior spec, as a trajectory's buffer holds it, for the
trainer tests that need rows without running an environment."""

from __future__ import annotations

import numpy as np

from mlagents.trainers.buffer import AgentBuffer, AgentBufferKey, BufferKey, obs_key
from mlagents_envs.base_env import (
    ActionSpec,
    BehaviorSpec,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)

VECTOR = ObservationSpec((6,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "v")
IMAGE = ObservationSpec(
    (3, 20, 20),
    (
        DimensionProperty.NONE,
        DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
        DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
    ),
    ObservationType.DEFAULT,
    "camera",
)


def spec_of(action: ActionSpec, *extra: ObservationSpec) -> BehaviorSpec:
    """A six-float vector observation (and extra ones) with action."""
    return BehaviorSpec([VECTOR, *extra], action)


def experience(spec: BehaviorSpec, rows: int, seed: int = 0, center: float = 2.0) -> AgentBuffer:
    """rows steps of made-up experience of spec: observations about N(center, 3), random
    actions, rewards and episode ends."""
    rng = np.random.default_rng(seed)
    action = spec.action_spec
    buffer = AgentBuffer()
    columns: dict[AgentBufferKey, np.ndarray] = {}
    for k, observation in enumerate(spec.observation_specs):
        for following in (False, True):
            shape = (rows, *observation.shape)
            columns[obs_key(k, following)] = rng.normal(center, 3.0, shape).astype(np.float32)
    columns |= {
        BufferKey.CONTINUOUS_ACTION: rng.uniform(-1, 1, (rows, action.continuous_size)).astype(
            np.float32
        ),
        BufferKey.DISCRETE_ACTION: np.stack(
            [rng.integers(0, size, rows) for size in action.discrete_branches], axis=1
        ).astype(np.int32)
        if action.discrete_branches
        else np.zeros((rows, 0), np.int32),
        BufferKey.ENVIRONMENT_REWARDS: rng.normal(size=rows).astype(np.float32),
        BufferKey.GROUP_REWARD: np.zeros(rows, np.float32),
        BufferKey.DONE: rng.random(rows) < 0.1,
        BufferKey.INTERRUPTED: np.zeros(rows, bool),
        BufferKey.GROUP_ID: np.zeros(rows, np.int32),
    }
    if action.discrete_branches:
        columns[BufferKey.ACTION_MASK] = np.ones((rows, sum(action.discrete_branches)), np.float32)
    buffer.extend(columns)
    return buffer

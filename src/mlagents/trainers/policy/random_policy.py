"""A policy that acts uniformly at random within the action masks: a baseline, and the
policy of tests and benchmarks."""

from __future__ import annotations

import numpy as np

from mlagents.trainers.action_info import ActionInfo
from mlagents.trainers.buffer import BufferKey
from mlagents.trainers.policy.policy import Policy
from mlagents_envs.base_env import ActionTuple, BehaviorSpec, DecisionSteps


class RandomPolicy(Policy):
    """Continuous actions uniform in [-1, 1); each discrete branch uniform over the actions
    its mask allows. Outputs the log-probabilities of the sampled actions, per continuous
    dimension and per branch, as a TorchPolicy does."""

    def __init__(self, behavior_spec: BehaviorSpec, seed: int | None = None) -> None:
        super().__init__(behavior_spec)
        self._rng = np.random.default_rng(seed)

    def get_action(self, decision_requests: DecisionSteps, worker_id: int = 0) -> ActionInfo:
        spec = self.behavior_spec.action_spec
        n = len(decision_requests)
        continuous = (self._rng.random((n, spec.continuous_size), dtype=np.float32) * 2 - 1).astype(
            np.float32
        )
        discrete = np.zeros((n, spec.discrete_size), dtype=np.int32)
        continuous_log_probs = np.full((n, spec.continuous_size), -np.log(2.0), np.float32)
        discrete_log_probs = np.zeros((n, spec.discrete_size), dtype=np.float32)
        masks = decision_requests.action_mask or []
        for branch, size in enumerate(spec.discrete_branches):
            allowed = ~masks[branch] if branch < len(masks) else np.ones((n, size), bool)
            # Agents with every action masked act as if none were (the environment's fault).
            allowed[~allowed.any(axis=1)] = True
            # The largest of uniform keys over the allowed actions is uniform among them.
            keys = np.where(allowed, self._rng.random((n, size)), -1.0)
            discrete[:, branch] = keys.argmax(axis=1)
            discrete_log_probs[:, branch] = -np.log(allowed.sum(axis=1))
        action = ActionTuple(continuous, discrete)
        return ActionInfo(
            action=action,
            env_action=action,
            outputs={
                BufferKey.CONTINUOUS_LOG_PROBS.value: continuous_log_probs,
                BufferKey.DISCRETE_LOG_PROBS.value: discrete_log_probs,
            },
            agent_ids=decision_requests.agent_id.tolist(),
        )

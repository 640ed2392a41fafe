"""TorchPolicy: the actor-critic network as a Policy, one forward pass for every agent of
a behavior that asks."""

from __future__ import annotations

import numpy as np
import torch

from mlagents.trainers.action_info import ActionInfo
from mlagents.trainers.policy.policy import Policy
from mlagents.trainers.settings import NetworkSettings
from mlagents.trainers.torch.networks import ACTION_CLAMP, ActorCritic, observation_tensors
from mlagents_envs.base_env import ActionTuple, BehaviorSpec, DecisionSteps
from mlagents_envs.timers import timed


def mask_tensor(masks: list[np.ndarray] | None) -> torch.Tensor | None:
    """DecisionSteps masks (True = not allowed) as one float tensor (1 = allowed)."""
    if masks is None:
        return None
    return torch.as_tensor(~np.concatenate(masks, axis=1), dtype=torch.float32)


def to_environment(continuous: np.ndarray) -> np.ndarray:
    """What the environment receives: clamped to [-3, 3], then divided by 3."""
    return (np.clip(continuous, -ACTION_CLAMP, ACTION_CLAMP) / ACTION_CLAMP).astype(np.float32)


class TorchPolicy(Policy):
    def __init__(
        self, behavior_spec: BehaviorSpec, settings: NetworkSettings, seed: int = 0
    ) -> None:
        super().__init__(behavior_spec)
        torch.manual_seed(seed)
        self.network = ActorCritic(behavior_spec, settings)
        self.deterministic = False
        self.step = 0

    def get_current_step(self) -> int:
        return self.step

    @timed
    @torch.no_grad()
    def get_action(self, decision_requests: DecisionSteps, worker_id: int = 0) -> ActionInfo:
        n = len(decision_requests)
        observations = observation_tensors(decision_requests.obs, self.network.channels_last)
        masks = mask_tensor(decision_requests.action_mask)
        out = self.network.act(observations, masks, self.deterministic)
        continuous = out.continuous.numpy().astype(np.float32).reshape(n, -1)
        discrete = out.discrete.numpy().astype(np.int32).reshape(n, -1)
        return ActionInfo(
            action=ActionTuple(continuous, discrete),
            env_action=ActionTuple(to_environment(continuous), discrete),
            outputs={"log_probs": out.log_prob.numpy().astype(np.float32)},
            agent_ids=decision_requests.agent_id.tolist(),
        )

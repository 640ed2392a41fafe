"""TorchPolicy: an actor network as a Policy, one forward pass for every agent of a
behavior that asks."""

from __future__ import annotations

import numpy as np
import torch

from mlagents.trainers.action_info import ActionInfo
from mlagents.trainers.buffer import BufferKey
from mlagents.trainers.policy.policy import Policy
from mlagents.trainers.settings import NetworkSettings
from mlagents.trainers.torch.networks import Actor, observation_tensors
from mlagents_envs.base_env import ActionTuple, BehaviorSpec, DecisionSteps
from mlagents_envs.timers import timed


def mask_tensor(masks: list[np.ndarray] | None) -> torch.Tensor | None:
    """DecisionSteps masks (True = not allowed) as one float tensor (1 = allowed)."""
    if masks is None:
        return None
    return torch.as_tensor(~np.concatenate(masks, axis=1), dtype=torch.float32)


class TorchPolicy(Policy):
    """conditional_sigma and tanh_squash choose the continuous action model (see
    action_model): PPO's policy has neither, SAC's both."""

    def __init__(
        self,
        behavior_spec: BehaviorSpec,
        settings: NetworkSettings,
        seed: int = 0,
        conditional_sigma: bool = False,
        tanh_squash: bool = False,
    ) -> None:
        super().__init__(behavior_spec)
        torch.manual_seed(seed)
        self.network_settings = settings
        self.actor = Actor(behavior_spec, settings, conditional_sigma, tanh_squash)
        self.deterministic = False
        self.step = 0

    def get_current_step(self) -> int:
        return self.step

    def observation_tensors(self, observations: list[np.ndarray]) -> list[torch.Tensor]:
        """Batched observations (as the environment sends them) as the actor takes them."""
        return observation_tensors(observations, self.actor.channels_last)

    def update_normalization(self, observations: list[np.ndarray]) -> None:
        self.actor.update_normalization(self.observation_tensors(observations))

    @timed
    @torch.no_grad()
    def get_action(self, decision_requests: DecisionSteps, worker_id: int = 0) -> ActionInfo:
        n = len(decision_requests)
        observations = self.observation_tensors(decision_requests.obs)
        masks = mask_tensor(decision_requests.action_mask)
        out = self.actor.act(observations, masks, self.deterministic)
        continuous = out.continuous.numpy().astype(np.float32).reshape(n, -1)
        discrete = out.discrete.numpy().astype(np.int32).reshape(n, -1)
        env_continuous = (
            self.actor.action_model.environment_action(out.continuous)
            .numpy()
            .astype(np.float32)
            .reshape(n, -1)
        )
        return ActionInfo(
            action=ActionTuple(continuous, discrete),
            env_action=ActionTuple(env_continuous, discrete),
            outputs={
                BufferKey.CONTINUOUS_LOG_PROBS.value: out.log_probs.continuous.numpy(),
                BufferKey.DISCRETE_LOG_PROBS.value: out.log_probs.discrete.numpy(),
            },
            agent_ids=decision_requests.agent_id.tolist(),
        )

"""The extrinsic reward signal: what the environment gives."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from mlagents.trainers.buffer import Batch, BufferKey
from mlagents.trainers.settings import RewardSignalSettings
from mlagents.trainers.torch.components.reward_providers.base_reward_provider import (
    BaseRewardProvider,
)
from mlagents_envs.base_env import BehaviorSpec


class ExtrinsicRewardProvider(BaseRewardProvider):
    """The environment's reward of each agent, plus its group's reward.

    A trainer may set add_group_rewards to False (to credit group rewards elsewhere), and
    add_groupmate_rewards to True: POCA, which learns one value for the whole group, adds
    the teammates' individual rewards too (from the buffer's GROUPMATE_REWARDS)."""

    name = "extrinsic"

    def __init__(
        self,
        spec: BehaviorSpec,
        settings: RewardSignalSettings,
        *,
        environment_action: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        super().__init__(spec, settings, environment_action=environment_action)
        self.add_group_rewards = True
        self.add_groupmate_rewards = False

    def evaluate(self, batch: Batch) -> np.ndarray:
        rewards = np.asarray(batch[BufferKey.ENVIRONMENT_REWARDS], dtype=np.float32)
        if self.add_group_rewards and BufferKey.GROUP_REWARD in batch:
            rewards = rewards + batch[BufferKey.GROUP_REWARD]
        if self.add_groupmate_rewards and BufferKey.GROUPMATE_REWARDS in batch:
            rewards = rewards + batch[BufferKey.GROUPMATE_REWARDS].sum(axis=1)
        return rewards.astype(np.float32)

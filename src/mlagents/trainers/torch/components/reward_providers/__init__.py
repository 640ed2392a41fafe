"""Reward signals: each gives a reward per step and has its own value head in the critic."""

from mlagents.trainers.torch.components.reward_providers.base_reward_provider import (
    BaseRewardProvider,
)
from mlagents.trainers.torch.components.reward_providers.extrinsic_reward_provider import (
    ExtrinsicRewardProvider,
)
from mlagents.trainers.torch.components.reward_providers.reward_provider_factory import (
    NAME_TO_CLASS,
    create_reward_provider,
)

__all__ = [
    "NAME_TO_CLASS",
    "BaseRewardProvider",
    "ExtrinsicRewardProvider",
    "create_reward_provider",
]

"""Reward signals: each gives a reward per step and has its own value head in the critic."""

from mlagents.trainers.torch.components.reward_providers.base_reward_provider import (
    BaseRewardProvider,
)
from mlagents.trainers.torch.components.reward_providers.curiosity_reward_provider import (
    CuriosityRewardProvider,
)
from mlagents.trainers.torch.components.reward_providers.extrinsic_reward_provider import (
    ExtrinsicRewardProvider,
)
from mlagents.trainers.torch.components.reward_providers.gail_reward_provider import (
    GAILRewardProvider,
)
from mlagents.trainers.torch.components.reward_providers.reward_provider_factory import (
    NAME_TO_CLASS,
    create_reward_provider,
)
from mlagents.trainers.torch.components.reward_providers.rnd_reward_provider import (
    RNDRewardProvider,
)

__all__ = [
    "NAME_TO_CLASS",
    "BaseRewardProvider",
    "CuriosityRewardProvider",
    "ExtrinsicRewardProvider",
    "GAILRewardProvider",
    "RNDRewardProvider",
    "create_reward_provider",
]

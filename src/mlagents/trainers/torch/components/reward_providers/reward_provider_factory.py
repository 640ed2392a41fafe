"""Reward providers by the name they have under a trainer's `reward_signals`."""

from __future__ import annotations

from collections.abc import Callable

import torch

from mlagents.trainers.settings import RewardSignalSettings
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
from mlagents.trainers.torch.components.reward_providers.rnd_reward_provider import (
    RNDRewardProvider,
)
from mlagents_envs.base_env import BehaviorSpec
from mlagents_envs.exception import UnityEnvironmentException

NAME_TO_CLASS: dict[str, type[BaseRewardProvider]] = {
    provider.name: provider
    for provider in (
        ExtrinsicRewardProvider,
        CuriosityRewardProvider,
        GAILRewardProvider,
        RNDRewardProvider,
    )
}


def create_reward_provider(
    name: str,
    spec: BehaviorSpec,
    settings: RewardSignalSettings,
    *,
    environment_action: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> BaseRewardProvider:
    """The provider of the reward signal name, for a behavior of spec whose policy turns
    its stored continuous actions into the environment's with environment_action."""
    cls = NAME_TO_CLASS.get(name)
    if cls is None:
        raise UnityEnvironmentException(
            f"Unknown reward signal {name!r}; the known ones are {sorted(NAME_TO_CLASS)}."
        )
    return cls(spec, settings, environment_action=environment_action)

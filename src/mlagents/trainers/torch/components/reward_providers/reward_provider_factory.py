"""Reward providers by the name they have under a trainer's `reward_signals`."""

from __future__ import annotations

from mlagents.trainers.settings import RewardSignalSettings
from mlagents.trainers.torch.components.reward_providers.base_reward_provider import (
    BaseRewardProvider,
)
from mlagents.trainers.torch.components.reward_providers.extrinsic_reward_provider import (
    ExtrinsicRewardProvider,
)
from mlagents_envs.base_env import BehaviorSpec
from mlagents_envs.exception import UnityEnvironmentException

NAME_TO_CLASS: dict[str, type[BaseRewardProvider]] = {
    ExtrinsicRewardProvider.name: ExtrinsicRewardProvider,
}


def create_reward_provider(
    name: str, spec: BehaviorSpec, settings: RewardSignalSettings
) -> BaseRewardProvider:
    """The provider of the reward signal name, for a behavior of spec."""
    cls = NAME_TO_CLASS.get(name)
    if cls is None:
        raise UnityEnvironmentException(
            f"Unknown reward signal {name!r}; the known ones are {sorted(NAME_TO_CLASS)}."
        )
    return cls(spec, settings)

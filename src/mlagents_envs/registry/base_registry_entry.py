"""BaseRegistryEntry: a named environment that can be made on demand."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from mlagents_envs.base_env import BaseEnv


class BaseRegistryEntry(ABC):
    """An environment of a registry.

    - identifier: the name it is registered under.
    - expected_reward: the mean episode reward at which the task counts as solved.
    - description: what the environment is (behaviors, observations, actions, rewards,
      and the keyword arguments `make` takes).
    """

    def __init__(
        self, identifier: str, expected_reward: float | None, description: str | None
    ) -> None:
        self._identifier = identifier
        self._expected_reward = expected_reward
        self._description = description

    @property
    def identifier(self) -> str:
        return self._identifier

    @property
    def expected_reward(self) -> float | None:
        return self._expected_reward

    @property
    def description(self) -> str | None:
        return self._description

    @abstractmethod
    def make(self, **kwargs: Any) -> BaseEnv:
        """Start the environment; kwargs go to the environment's constructor."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._identifier!r})"

"""Where a wrapper gets its BaseEnv: an environment given once, or a factory that makes one
for a seed, which reset(seed=...) calls again to restart the simulation with that seed.

A BaseEnv takes its seed when it starts (UnityEnvironment(seed=...)) and cannot be reseeded
afterwards, so a seeded reset can only be reproducible when the wrapper may start the
environment anew.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from mlagents_envs.base_env import BaseEnv
from mlagents_envs.envs.errors import UnityGymException

logger = logging.getLogger(__name__)

#: Makes the environment for a seed: `lambda seed: UnityEnvironment(path, seed=seed)`.
EnvFactory = Callable[[int], BaseEnv]


class EnvSource:
    """The BaseEnv of a wrapper, and the means to restart it with a new seed."""

    def __init__(self, env: BaseEnv | EnvFactory, seed: int | None = None) -> None:
        self._factory: EnvFactory | None
        if isinstance(env, BaseEnv):
            self._factory = None
            self.env = env
            self.seed = seed
        elif callable(env):
            self._factory = env
            self.seed = 0 if seed is None else seed
            self.env = self._make(self.seed)
        else:
            raise UnityGymException(
                f"Expected a BaseEnv or a function seed -> BaseEnv, got {type(env).__name__}."
            )
        self._warned = False

    @property
    def can_restart(self) -> bool:
        return self._factory is not None

    def restart(self, seed: int) -> bool:
        """Close the environment and make a new one with `seed`. Without a factory nothing
        changes (logged once) and False is returned."""
        if self._factory is None:
            if not self._warned:
                self._warned = True
                logger.warning(
                    "reset(seed=%s) cannot reseed a BaseEnv that was given already started; "
                    "its seed is the one it was started with. Pass a function seed -> "
                    "BaseEnv instead to restart it with each seed.",
                    seed,
                )
            return False
        self.env.close()
        self.seed = seed
        self.env = self._make(seed)
        return True

    def _make(self, seed: int) -> BaseEnv:
        assert self._factory is not None
        env = self._factory(seed)
        if not isinstance(env, BaseEnv):
            raise UnityGymException(
                f"The environment factory returned {type(env).__name__}, not a BaseEnv."
            )
        return env

    def close(self) -> None:
        self.env.close()

    def discard(self) -> None:
        """Close the environment if this source made it (a wrapper refused it): one the
        caller gave stays open for the caller to use otherwise."""
        if self._factory is not None:
            self.env.close()

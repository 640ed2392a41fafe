"""Doors to the RL ecosystem: a BaseEnv as a gym environment (UnityToGymWrapper), a
Gymnasium environment (UnityGymnasiumEnv), a PettingZoo ParallelEnv (UnityParallelEnv) and
AECEnv (UnityAECEnv), and a Stable-Baselines3 VecEnv (UnityVecEnv, which needs the `sb3`
extra).

Importing this package registers every environment of default_registry with Gymnasium as
"mlagents/<identifier>-v0", so that `gymnasium.make("mlagents/Basic-v0")` works after
`import mlagents_envs.envs` (or `gymnasium.make("mlagents_envs.envs:mlagents/Basic-v0")`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mlagents_envs.envs.errors import UnityGymException
from mlagents_envs.envs.unity_aec_env import UnityAECEnv
from mlagents_envs.envs.unity_gym_env import UnityToGymWrapper
from mlagents_envs.envs.unity_gymnasium_env import (
    UnityGymnasiumEnv,
    make_registered_env,
    register_envs,
)
from mlagents_envs.envs.unity_parallel_env import UnityParallelEnv
from mlagents_envs.exception import UnityException

if TYPE_CHECKING:
    from mlagents_envs.envs.sb3_vec_env import UnityVecEnv as UnityVecEnv

# UnityVecEnv is left out of __all__: a star import must not need Stable-Baselines3.
__all__ = [
    "UnityAECEnv",
    "UnityGymException",
    "UnityGymnasiumEnv",
    "UnityParallelEnv",
    "UnityToGymWrapper",
    "make_registered_env",
    "register_envs",
]


def __getattr__(name: str) -> Any:
    # Stable-Baselines3 (and torch behind it) is imported only by those who use it.
    if name == "UnityVecEnv":
        from mlagents_envs.envs.sb3_vec_env import UnityVecEnv as UnityVecEnv

        return UnityVecEnv
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


try:
    register_envs()
except UnityException as error:
    # A manifest that cannot be read must not make the wrappers unimportable.
    logging.getLogger(__name__).warning(
        "Gymnasium ids were not registered (%s); call register_envs() to retry.", error
    )

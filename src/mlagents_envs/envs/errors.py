"""UnityGymException: what the wrappers of mlagents_envs.envs raise on purpose."""

from __future__ import annotations

import gymnasium

from mlagents_envs.exception import UnityException


class UnityGymException(UnityException, gymnasium.error.Error):
    """The environment does not fit the wrapper (a second agent or behavior, no
    observations, an action space it cannot express) or an action does not fit its space.

    Also a gymnasium.error.Error, as ML-Agents' own was a gym.error.Error, so that handlers
    of either family catch it.
    """

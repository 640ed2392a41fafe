"""The reward provider interface: one reward signal of a trainer's `reward_signals`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from mlagents.trainers.buffer import AgentBuffer, Batch
from mlagents.trainers.settings import RewardSignalSettings
from mlagents_envs.base_env import BehaviorSpec


class BaseRewardProvider(ABC):
    """A reward signal: a reward per step of a trajectory (before its strength is applied),
    its own update when it learns, and the discount (gamma) and weight (strength) that its
    value head in the critic uses."""

    #: The signal's name in the configuration ("extrinsic", "curiosity", ...).
    name: str = ""
    #: Whether update() trains something (a signal with a network of its own).
    learns: bool = False
    #: Whether evaluate() and update() read the next observations of each step (an
    #: on-policy trainer keeps them in its buffer only then).
    needs_next_observations: bool = False

    def __init__(
        self,
        spec: BehaviorSpec,
        settings: RewardSignalSettings,
        *,
        environment_action: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        """environment_action: the policy's continuous actions as stored in the buffer to
        the actions the environment received (PPO stores them unclamped); the identity
        when not given."""
        self.spec = spec
        self.settings = settings
        self.environment_action = environment_action or (lambda actions: actions)
        self.gamma = settings.gamma
        self.strength = settings.strength
        #: Whether a true episode end stops bootstrapping for this signal. Signals that do
        #: not come from the task (curiosity, GAIL) may set it False, as ML-Agents does.
        self.ignore_done = False

    @property
    def stat_name(self) -> str:
        """The TensorBoard name of the signal's reward per episode."""
        return f"Policy/{self.name.capitalize()} Reward"

    @property
    def value_name(self) -> str:
        """The TensorBoard name of the signal's mean value estimate."""
        return f"Policy/{self.name.capitalize()} Value Estimate"

    @abstractmethod
    def evaluate(self, batch: Batch) -> np.ndarray:
        """The reward of every row of batch, (n,) float32, not yet times strength."""

    def update(self, batch: Batch) -> dict[str, float]:
        """Train on a batch when the signal learns; its stats (name -> value)."""
        return {}

    def update_normalization(self, buffer: AgentBuffer) -> None:  # noqa: B027 (a no-op)
        """Feed a trajectory's observations to the signal's normalizers, if it has any."""

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps of the signal (learned weights, optimizer)."""
        return {}

    def load_state_dict(  # noqa: B027 (a no-op by default)
        self, state: dict[str, Any], networks_only: bool = False
    ) -> None:
        """Restore what state_dict returned; networks_only leaves the torch optimizer as it
        is (a new run from old weights)."""

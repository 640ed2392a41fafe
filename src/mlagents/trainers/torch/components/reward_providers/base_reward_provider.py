"""The reward provider interface: one reward signal of a trainer's `reward_signals`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from mlagents.trainers.buffer import Batch
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

    def __init__(self, spec: BehaviorSpec, settings: RewardSignalSettings) -> None:
        self.spec = spec
        self.settings = settings
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

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps of the signal (learned weights, optimizer)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: B027 (a no-op by default)
        """Restore what state_dict returned."""

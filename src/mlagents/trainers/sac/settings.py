"""SAC's hyperparameters (`trainer_type: sac`), with ML-Agents 0.28's defaults."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mlagents.trainers.settings_schema import TrainerConfigError, in_range, key_path
from mlagents.trainers.trainer_settings import HyperparamSettings

__all__ = ["SACSettings"]

# reward_signal_steps_per_update's default: "not given", replaced by steps_per_update.
_FOLLOWS_STEPS_PER_UPDATE = math.nan


@dataclass(frozen=True, kw_only=True)
class SACSettings(HyperparamSettings):
    """SAC's hyperparameters: a replay buffer of buffer_size steps, the first update once
    buffer_init_steps steps are collected; one update of batch_size samples every
    steps_per_update agent steps (a fraction means several updates per step), the target
    networks following by tau; entropy coefficients start at init_entcoef.
    reward_signal_steps_per_update is steps_per_update unless given; the learning rate is
    constant unless learning_rate_schedule says otherwise."""

    batch_size: int = field(default=128, metadata=in_range(ge=1))
    buffer_size: int = field(default=50000, metadata=in_range(ge=1))
    buffer_init_steps: int = field(default=0, metadata=in_range(ge=0))
    tau: float = field(default=0.005, metadata=in_range(gt=0, le=1))
    steps_per_update: float = field(default=1.0, metadata=in_range(gt=0))
    save_replay_buffer: bool = False
    init_entcoef: float = field(default=1.0, metadata=in_range(gt=0))
    reward_signal_steps_per_update: float = field(
        default=_FOLLOWS_STEPS_PER_UPDATE, metadata=in_range(gt=0)
    )

    def __post_init__(self) -> None:
        if math.isnan(self.reward_signal_steps_per_update):
            object.__setattr__(self, "reward_signal_steps_per_update", self.steps_per_update)

    def _check(self, path: str) -> None:
        if self.batch_size > self.buffer_size:
            # The replay buffer would never hold a minibatch: SAC would collect and never
            # train.
            raise TrainerConfigError(
                key_path(path, "batch_size"),
                f"{self.batch_size} is larger than buffer_size {self.buffer_size}: the replay "
                "buffer never holds a minibatch, and SAC would never update; make buffer_size "
                "much larger than batch_size",
            )

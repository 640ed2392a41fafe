"""PPO's hyperparameters (`trainer_type: ppo`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mlagents.trainers.settings_schema import TrainerConfigError, in_range, key_path
from mlagents.trainers.trainer_settings import HyperparamSettings, ScheduleType

__all__ = ["ClippedPolicySettings", "PPOSettings"]

C = TypeVar("C", bound="ClippedPolicySettings")


@dataclass(frozen=True, kw_only=True)
class ClippedPolicySettings(HyperparamSettings):
    """The hyperparameters of PPO's clipped policy update, which MA-POCA shares.
    beta_schedule and epsilon_schedule follow learning_rate_schedule when not given."""

    beta: float = field(default=5.0e-3, metadata=in_range(ge=0))
    epsilon: float = field(default=0.2, metadata=in_range(gt=0))
    lambd: float = field(default=0.95, metadata=in_range(ge=0, le=1))
    num_epoch: int = field(default=3, metadata=in_range(ge=1))
    learning_rate_schedule: ScheduleType = "linear"
    beta_schedule: ScheduleType = "linear"
    epsilon_schedule: ScheduleType = "linear"

    @classmethod
    def from_dict(cls: type[C], d: Any, path: str = "") -> C:
        if isinstance(d, Mapping):
            lr = d.get("learning_rate_schedule", "linear")
            d = {"beta_schedule": lr, "epsilon_schedule": lr, **d}
        return super().from_dict(d, path)

    def _check(self, path: str) -> None:
        if self.batch_size > self.buffer_size:
            raise TrainerConfigError(
                key_path(path, "batch_size"),
                f"{self.batch_size} is larger than buffer_size {self.buffer_size}: no "
                "minibatch could be drawn; make buffer_size a multiple of batch_size",
            )


@dataclass(frozen=True, kw_only=True)
class PPOSettings(ClippedPolicySettings):
    """PPO's hyperparameters; shared_critic: the critic reads the actor's body."""

    shared_critic: bool = False

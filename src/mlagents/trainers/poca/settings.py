"""MA-POCA's hyperparameters (`trainer_type: poca`): PPO's, as in ML-Agents."""

from __future__ import annotations

from dataclasses import dataclass

from mlagents.trainers.ppo.settings import ClippedPolicySettings

__all__ = ["POCASettings"]


@dataclass(frozen=True, kw_only=True)
class POCASettings(ClippedPolicySettings):
    """PPO's hyperparameters (ML-Agents 0.28 makes POCA's the same class) without
    shared_critic: POCA's critic judges the group, it cannot share the actor's body.
    beta_schedule and epsilon_schedule follow learning_rate_schedule when not given."""

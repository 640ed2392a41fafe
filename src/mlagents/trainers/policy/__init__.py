"""Policies: from a batch of DecisionSteps to an ActionInfo in one call."""

from mlagents.trainers.policy.policy import Policy
from mlagents.trainers.policy.random_policy import RandomPolicy

__all__ = ["Policy", "RandomPolicy"]

"""Provisional: replaced by the settings split."""

from mlagents.trainers.settings import PPOSettings

__all__ = ["PPOSettings"]

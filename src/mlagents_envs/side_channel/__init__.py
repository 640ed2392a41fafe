"""Side channels: typed messages exchanged with the environment beside the RL data."""

from __future__ import annotations

from mlagents_envs.side_channel.default_training_analytics_side_channel import (
    DefaultTrainingAnalyticsSideChannel,
)
from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage
from mlagents_envs.side_channel.side_channel import SideChannel

__all__ = [
    "DefaultTrainingAnalyticsSideChannel",
    "IncomingMessage",
    "OutgoingMessage",
    "SideChannel",
]

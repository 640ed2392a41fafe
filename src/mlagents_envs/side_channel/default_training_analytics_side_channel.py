"""DefaultTrainingAnalyticsSideChannel: tells the environment which Python client trains it."""

from __future__ import annotations

import platform
import uuid

from google.protobuf import any_pb2
from google.protobuf.message import DecodeError

import mlagents_envs
from mlagents_envs.communicator_objects.training_analytics_pb2 import (
    TrainingBehaviorInitialized,
    TrainingEnvironmentInitialized,
)
from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage
from mlagents_envs.side_channel.side_channel import SendOnlySideChannel

TRAINING_ANALYTICS_CHANNEL_ID = uuid.UUID("b664a4a9-d86f-5a5f-95cb-e8353a7e8356")

TrainingAnalyticsMessage = TrainingEnvironmentInitialized | TrainingBehaviorInitialized


def pack_training_analytics(message: TrainingAnalyticsMessage) -> bytes:
    """The payload for message: a serialized google.protobuf.Any packing it."""
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed.SerializeToString()


def unpack_training_analytics(payload: bytes) -> TrainingAnalyticsMessage:
    """The message a training analytics payload packs (the environment end's decoder)."""
    packed = any_pb2.Any()
    try:
        packed.ParseFromString(payload)
    except DecodeError as error:
        raise UnitySideChannelException(
            f"A training analytics payload of {len(payload)} bytes is not a serialized "
            f"google.protobuf.Any ({error}); the sender must pack its message in an Any."
        ) from None
    for message_type in (TrainingEnvironmentInitialized, TrainingBehaviorInitialized):
        if packed.Is(message_type.DESCRIPTOR):
            message = message_type()
            packed.Unpack(message)
            return message
    raise UnitySideChannelException(
        f"A training analytics payload packs {packed.type_url!r}, but only "
        f"{TrainingEnvironmentInitialized.DESCRIPTOR.full_name} and "
        f"{TrainingBehaviorInitialized.DESCRIPTOR.full_name} are defined; send one of those."
    )


class DefaultTrainingAnalyticsSideChannel(SendOnlySideChannel):
    """Python -> environment: the versions of the Python side, sent once at start-up."""

    carries = "training analytics"
    CHANNEL_ID = TRAINING_ANALYTICS_CHANNEL_ID

    def __init__(self) -> None:
        super().__init__(TRAINING_ANALYTICS_CHANNEL_ID)

    def environment_initialized(self) -> None:
        """Queue a TrainingEnvironmentInitialized with this Python and mlagents_envs version."""
        message = TrainingEnvironmentInitialized(
            python_version=platform.python_version(),
            mlagents_envs_version=mlagents_envs.__version__,
        )
        msg = OutgoingMessage()
        msg.set_raw_bytes(pack_training_analytics(message))
        self.queue_message_to_send(msg)

"""DefaultTrainingAnalyticsSideChannel packs its messages in a protobuf Any."""

from __future__ import annotations

import platform
import uuid

import pytest
from google.protobuf import any_pb2

import mlagents_envs
from mlagents_envs.communicator_objects.header_pb2 import HeaderProto
from mlagents_envs.communicator_objects.training_analytics_pb2 import (
    TrainingBehaviorInitialized,
    TrainingEnvironmentInitialized,
)
from mlagents_envs.exception import UnitySideChannelException
from mlagents_envs.side_channel import IncomingMessage
from mlagents_envs.side_channel.default_training_analytics_side_channel import (
    DefaultTrainingAnalyticsSideChannel,
    pack_training_analytics,
    unpack_training_analytics,
)

CHANNEL_ID = uuid.UUID("b664a4a9-d86f-5a5f-95cb-e8353a7e8356")


def length_delimited(field: int, data: bytes) -> bytes:
    # Every length here is below 128, so the varint is one byte.
    assert len(data) < 128
    return bytes([field << 3 | 2, len(data)]) + data


def test_channel_id():
    assert DefaultTrainingAnalyticsSideChannel().channel_id == CHANNEL_ID


def test_environment_initialized_bytes():
    channel = DefaultTrainingAnalyticsSideChannel()
    channel.environment_initialized()
    # TrainingEnvironmentInitialized: mlagents_envs_version = 2, python_version = 3.
    inner = length_delimited(2, mlagents_envs.__version__.encode()) + length_delimited(
        3, platform.python_version().encode()
    )
    url = b"type.googleapis.com/communicator_objects.TrainingEnvironmentInitialized"
    assert channel.message_queue == [length_delimited(1, url) + length_delimited(2, inner)]


def test_environment_initialized_leaves_other_fields_at_defaults():
    channel = DefaultTrainingAnalyticsSideChannel()
    channel.environment_initialized()
    message = unpack_training_analytics(channel.message_queue[0])
    assert isinstance(message, TrainingEnvironmentInitialized)
    assert message == TrainingEnvironmentInitialized(
        python_version=platform.python_version(),
        mlagents_envs_version=mlagents_envs.__version__,
    )


def test_behavior_initialized_round_trip():
    sent = TrainingBehaviorInitialized(
        behavior_name="3DBall", trainer_type="ppo", recurrent_enabled=True, num_network_layers=2
    )
    received = unpack_training_analytics(pack_training_analytics(sent))
    assert isinstance(received, TrainingBehaviorInitialized)
    assert received == sent


def test_other_type_url_is_refused():
    packed = any_pb2.Any()
    packed.Pack(HeaderProto(status=200))
    with pytest.raises(UnitySideChannelException, match=r"communicator_objects\.HeaderProto"):
        unpack_training_analytics(packed.SerializeToString())


def test_garbage_is_refused():
    with pytest.raises(UnitySideChannelException, match="not a serialized"):
        unpack_training_analytics(b"\xff\xff\xff")


def test_receiving_is_an_error():
    with pytest.raises(UnitySideChannelException, match="only goes from Python"):
        DefaultTrainingAnalyticsSideChannel().on_message_received(IncomingMessage(b"x"))

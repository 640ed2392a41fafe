"""The Python end of the connection with an environment, independent of the transport."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from mlagents_envs.communicator_objects.capabilities_pb2 import UnityRLCapabilitiesProto
from mlagents_envs.communicator_objects.unity_input_pb2 import UnityInputProto
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto

#: Called about every quarter of a second while waiting for the environment; raise from it to
#: stop waiting (UnityEnvironment checks there that the environment process is alive).
PollCallback = Callable[[], None]


def all_capabilities() -> UnityRLCapabilitiesProto:
    """Every capability of communication API 1.5.0: what both ends of ours support."""
    return UnityRLCapabilitiesProto(
        baseRLCapabilities=True,
        concatenatedPngObservations=True,
        compressedChannelMapping=True,
        hybridActions=True,
        trainingAnalytics=True,
        variableLengthObservation=True,
        multiAgentGroups=True,
    )


class Communicator(ABC):
    """Exchanges UnityInputProto for UnityOutputProto with one environment.

    worker_id offsets base_port, so that several environments can run side by side.
    """

    def __init__(self, worker_id: int = 0, base_port: int = 5005) -> None:
        self.worker_id = worker_id
        self.base_port = base_port

    @property
    def port(self) -> int:
        return self.base_port + self.worker_id

    @abstractmethod
    def initialize(
        self, inputs: UnityInputProto, poll_callback: PollCallback | None = None
    ) -> UnityOutputProto:
        """Wait for the environment, send it the initialization input, and return its
        initialization output."""

    @abstractmethod
    def exchange(
        self, inputs: UnityInputProto, poll_callback: PollCallback | None = None
    ) -> UnityOutputProto | None:
        """Send inputs and return the environment's next output, or None if the environment
        ended the connection."""

    @abstractmethod
    def close(self) -> None:
        """Tell the environment to shut down and release the connection."""

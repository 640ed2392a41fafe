"""The environment end of the wire: a gRPC client that plays the part of a Unity build.

It connects to the Python trainer's server, introduces itself, learns the seed and the
number of areas, builds the simulation, and then answers each input (RESET, STEP, QUIT)
with an output, as PROTOCOL.md describes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import grpc

from mlagents_envs.base_env import ActionTuple
from mlagents_envs.codec import actions_from_proto, behavior_spec_to_proto
from mlagents_envs.codec.generation import PACKAGE_VERSION_3X
from mlagents_envs.codec.wire_steps import length_delimited, steps_to_bytes
from mlagents_envs.communicator import all_capabilities
from mlagents_envs.communicator_objects.command_pb2 import QUIT, RESET
from mlagents_envs.communicator_objects.header_pb2 import HeaderProto
from mlagents_envs.communicator_objects.unity_message_pb2 import UnityMessageProto
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto
from mlagents_envs.communicator_objects.unity_rl_initialization_output_pb2 import (
    UnityRLInitializationOutputProto,
)
from mlagents_envs.communicator_objects.unity_rl_input_pb2 import UnityRLInputProto
from mlagents_sim.academy import Steps
from mlagents_sim.demonstrations import DemonstrationRecorder
from mlagents_sim.scene import Scene
from mlagents_sim.simulation import Simulation

logger = logging.getLogger(__name__)

COMMUNICATION_VERSION = "1.5.0"
EXCHANGE_METHOD = "/communicator_objects.UnityToExternalProto/Exchange"
_OK = 200
# Large scenes of images exceed gRPC's default 4 MB per message.
_MAX_MESSAGE = 512 * 1024 * 1024
_CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", _MAX_MESSAGE),
    ("grpc.max_receive_message_length", _MAX_MESSAGE),
]

SimulationFactory = Callable[[int, int], Simulation]


class Disconnected(Exception):
    """The trainer went away or asked to quit."""


class RemoteSession:
    """One connection to a trainer, from the handshake to QUIT, as a build of the Unity
    package package_version (which sets the generation: see mlagents_sim.scene).
    demo_recorder, when given, records the scene's agents until the session ends."""

    def __init__(
        self,
        port: int,
        name: str,
        factory: SimulationFactory,
        host: str = "localhost",
        connect_timeout: float = 30.0,
        communication_version: str = COMMUNICATION_VERSION,
        package_version: str = PACKAGE_VERSION_3X,
        demo_recorder: DemonstrationRecorder | None = None,
    ) -> None:
        self.name = name
        self.package_version = package_version
        self._demo_recorder = demo_recorder
        self._factory = factory
        self._connect_timeout = connect_timeout
        self._version = communication_version
        self._channel = grpc.insecure_channel(f"{host}:{port}", options=_CHANNEL_OPTIONS)
        # Outputs go out as bytes built by the codec (identity serializer): the agents'
        # records are written with numpy, never as one protobuf object per agent.
        self._exchange = self._channel.unary_unary(
            EXCHANGE_METHOD,
            request_serializer=bytes,
            response_deserializer=UnityMessageProto.FromString,
        )
        self._specs_sent: set[str] = set()
        self._warned_counts: set[str] = set()
        self._started = False
        self.scene: Scene | None = None

    def run(self) -> None:
        """Serve until the trainer quits or the connection breaks."""
        try:
            reply = self._handshake()
            while True:
                output = self._handle(reply)
                reply = self._call(output)
        except Disconnected as reason:
            logger.info("Stopping: %s", reason)
        finally:
            if self.scene is not None:
                self.scene.close()
            self._channel.close()

    def _call(self, message: UnityMessageProto | bytes, **kwargs: object) -> UnityMessageProto:
        if isinstance(message, UnityMessageProto):
            message = message.SerializeToString()
        try:
            reply = self._exchange(message, **kwargs)
        except grpc.RpcError as error:
            code = error.code() if isinstance(error, grpc.Call) else None
            raise Disconnected(f"the connection to the trainer broke ({code})") from None
        if reply.header.status != _OK:
            raise Disconnected(f"the trainer closed the connection (status {reply.header.status})")
        return reply

    def _handshake(self) -> UnityMessageProto:
        hello = UnityMessageProto(
            header=HeaderProto(status=_OK),
            unity_output=UnityOutputProto(
                rl_initialization_output=UnityRLInitializationOutputProto(
                    name=self.name,
                    communication_version=self._version,
                    package_version=self.package_version,
                    capabilities=all_capabilities(),
                )
            ),
        )
        reply = self._call(hello, wait_for_ready=True, timeout=self._connect_timeout)
        init = reply.unity_input.rl_initialization_input
        logger.info(
            "Connected to a trainer with communication version %s; seed %d, %d area(s).",
            init.communication_version,
            init.seed,
            max(1, init.num_areas),
        )
        self.scene = Scene(self._factory(init.seed, max(1, init.num_areas)), self.package_version)
        if self._demo_recorder is not None:
            self._demo_recorder.attach(self.scene)
        # The trainer keeps this call open until it has its first command.
        return self._call(UnityMessageProto(header=HeaderProto(status=_OK)))

    def _handle(self, reply: UnityMessageProto) -> UnityMessageProto:
        assert self.scene is not None
        rl_input = reply.unity_input.rl_input
        self.scene.receive(rl_input.side_channel)
        if rl_input.command == QUIT:
            raise Disconnected("the trainer sent QUIT")
        if rl_input.command == RESET or not self._started:
            # A STEP before any RESET starts the episodes all the same.
            self._started = True
            steps = self.scene.reset()
        else:
            steps = self.scene.step(self._actions(rl_input))
        return self._output(steps)

    def _actions(self, rl_input: UnityRLInputProto) -> dict[str, ActionTuple]:
        assert self.scene is not None
        academy = self.scene.academy
        actions: dict[str, ActionTuple] = {}
        for name, spec in self.scene.behavior_specs.items():
            asked = academy.asked(name)
            if not asked:
                continue
            given_list = rl_input.agent_actions.get(name)
            protos = list(given_list.value) if given_list is not None else []
            if len(protos) != asked and name not in self._warned_counts:
                # Unity matches actions to agents by position; extra ones are dropped and
                # missing ones are zeros.
                self._warned_counts.add(name)
                logger.warning(
                    "Behavior %r: received %d actions for %d agents that asked; missing "
                    "actions are zeros.",
                    name,
                    len(protos),
                    asked,
                )
            action = spec.action_spec.empty_action(asked)
            given = actions_from_proto(protos[:asked], spec.action_spec)
            action.continuous[: given.n_agents] = given.continuous
            action.discrete[: given.n_agents] = given.discrete
            actions[name] = action
        return actions

    def _output(self, steps: dict[str, Steps]) -> bytes:
        """The serialized output: header, brain parameters and side channels through
        protobuf, then one chunk per behavior with its agents; protobuf merges
        concatenated messages, so the chunks land in the same map."""
        assert self.scene is not None
        scene = self.scene
        behaviors = scene.academy.behaviors
        message = UnityMessageProto(header=HeaderProto(status=_OK))
        rl_output = message.unity_output.rl_output
        rl_output.side_channel = self.scene.outgoing()
        chunks = []
        for name, (decision, terminal) in steps.items():
            if not len(decision) and not len(terminal):
                continue
            spec = scene.behavior_specs[name]
            compressed = behaviors[name].compressed or None
            agents = steps_to_bytes(decision, terminal, spec, compressed, scene.channels_first)
            entry = length_delimited(1, name.encode()) + length_delimited(2, agents)
            # UnityMessageProto.unity_output(2) > rl_output(1) > agentInfos(2) entry.
            chunks.append(length_delimited(2, length_delimited(1, length_delimited(2, entry))))
            if name not in self._specs_sent:
                brain = behavior_spec_to_proto(name, spec)
                message.unity_output.rl_initialization_output.brain_parameters.append(brain)
                self._specs_sent.add(name)
        return message.SerializeToString() + b"".join(chunks)

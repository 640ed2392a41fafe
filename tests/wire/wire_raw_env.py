"""Misbehaving environments for the fault tests: python wire_raw_env.py MODE --mlagents-port N.

Modes:
- exit_in_handshake: sends its initialization output, then exits with code 3.
- version_2: a well-behaved environment that speaks communication API 2.0.0.
- stop_on_reset: answers the first RESET with status 500, as the Editor does when Play stops.
"""

from __future__ import annotations

import os
import sys

import grpc

from mlagents_envs.communicator_objects.header_pb2 import HeaderProto
from mlagents_envs.communicator_objects.unity_message_pb2 import UnityMessageProto
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto
from mlagents_envs.communicator_objects.unity_rl_initialization_output_pb2 import (
    UnityRLInitializationOutputProto,
)
from mlagents_envs.communicator_objects.unity_to_external_pb2_grpc import (
    UnityToExternalProtoStub,
)
from mlagents_sim.catalog import simulation_class
from mlagents_sim.remote import RemoteSession


def hello(version: str = "1.5.0") -> UnityMessageProto:
    init = UnityRLInitializationOutputProto(name="raw", communication_version=version)
    return UnityMessageProto(
        header=HeaderProto(status=200),
        unity_output=UnityOutputProto(rl_initialization_output=init),
    )


def main() -> None:
    mode = sys.argv[1]
    port = int(sys.argv[sys.argv.index("--mlagents-port") + 1])
    if mode == "version_2":
        cls = simulation_class("wire_sims:EchoSim")
        RemoteSession(port, "v2", lambda s, a: cls(s, a), communication_version="2.0.0").run()
        return
    stub = UnityToExternalProtoStub(grpc.insecure_channel(f"localhost:{port}"))
    stub.Exchange(hello(), wait_for_ready=True, timeout=30)
    if mode == "exit_in_handshake":
        os._exit(3)
    stub.Exchange(UnityMessageProto(header=HeaderProto(status=200)))
    if mode == "stop_on_reset":
        stub.Exchange(UnityMessageProto(header=HeaderProto(status=500, message="stopped")))
        return
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()

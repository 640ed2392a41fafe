"""RpcCommunicator with a real gRPC client standing in for the environment."""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from pathlib import Path

import grpc
import pytest

from devtools.envtest import free_port
from mlagents_envs.communicator_objects.command_pb2 import RESET
from mlagents_envs.communicator_objects.header_pb2 import HeaderProto
from mlagents_envs.communicator_objects.unity_input_pb2 import UnityInputProto
from mlagents_envs.communicator_objects.unity_message_pb2 import UnityMessageProto
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto
from mlagents_envs.communicator_objects.unity_rl_initialization_input_pb2 import (
    UnityRLInitializationInputProto,
)
from mlagents_envs.communicator_objects.unity_rl_initialization_output_pb2 import (
    UnityRLInitializationOutputProto,
)
from mlagents_envs.communicator_objects.unity_rl_input_pb2 import UnityRLInputProto
from mlagents_envs.communicator_objects.unity_to_external_pb2_grpc import (
    UnityToExternalProtoStub,
)
from mlagents_envs.exception import (
    UnityCommunicationException,
    UnityTimeOutException,
    UnityWorkerInUseException,
)
from mlagents_envs.rpc_communicator import RpcCommunicator


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on port, from /proc/net/tcp{,6}."""
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            # The kernel prints each 32-bit word of the address in host (little-endian) order.
            raw = b"".join(
                bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, len(address), 8)
            )
            ip = ipaddress.ip_address(raw)
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
                ip = ip.ipv4_mapped
            found.add(str(ip))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/net/tcp")
@pytest.mark.parametrize(
    ("bind", "expected"),
    # The loopback is served on IPv4 and, where the host has it, on ::1 (environments dial
    # "localhost"); gRPC serves "0.0.0.0" with a dual-stack socket on "::".
    [("127.0.0.1", {"127.0.0.1", "::1"}), ("0.0.0.0", {"0.0.0.0", "::"})],
)
def test_listens_on_loopback_unless_told_otherwise(bind: str, expected: set[str]) -> None:
    port = free_port()
    communicator = RpcCommunicator(base_port=port, bind_address=bind)
    try:
        addresses = listening_addresses(port)
        assert addresses and addresses <= expected
    finally:
        communicator.close()
    assert not listening_addresses(port)


class FakeUnity(threading.Thread):
    """The environment's side of the sequence, as a plain gRPC client."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.stub = UnityToExternalProtoStub(grpc.insecure_channel(f"localhost:{port}"))
        self.replies: list[UnityMessageProto] = []

    def run(self) -> None:
        hello = UnityMessageProto(
            header=HeaderProto(status=200),
            unity_output=UnityOutputProto(
                rl_initialization_output=UnityRLInitializationOutputProto(name="fake")
            ),
        )
        message = hello
        for _ in range(3):
            reply = self.stub.Exchange(message, wait_for_ready=True, timeout=20)
            self.replies.append(reply)
            if reply.header.status != 200:
                return
            message = UnityMessageProto(header=HeaderProto(status=200))


def test_sequence_and_close_reply_400() -> None:
    port = free_port()
    communicator = RpcCommunicator(base_port=port, timeout_wait=20)
    unity = FakeUnity(port)
    unity.start()
    init = UnityInputProto(rl_initialization_input=UnityRLInitializationInputProto(seed=5))
    output = communicator.initialize(init)
    assert output.rl_initialization_output.name == "fake"
    reset = UnityInputProto(rl_input=UnityRLInputProto(command=RESET))
    assert communicator.exchange(reset) is not None
    communicator.close()
    communicator.close()
    unity.join(10)
    statuses = [r.header.status for r in unity.replies]
    assert statuses == [200, 200, 400]
    assert unity.replies[0].unity_input.rl_initialization_input.seed == 5
    assert unity.replies[1].unity_input.rl_input.command == RESET


def test_exchange_before_initialize_is_refused() -> None:
    communicator = RpcCommunicator(base_port=free_port())
    try:
        with pytest.raises(UnityCommunicationException, match="initialize"):
            communicator.exchange(UnityInputProto())
    finally:
        communicator.close()


def test_poll_callback_runs_while_waiting_and_can_stop_the_wait() -> None:
    communicator = RpcCommunicator(base_port=free_port(), timeout_wait=30)
    calls = []

    def poll() -> None:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("stop waiting")

    try:
        with pytest.raises(RuntimeError, match="stop waiting"):
            communicator.initialize(UnityInputProto(), poll)
        assert len(calls) == 3
    finally:
        communicator.close()


def test_timeout_without_environment() -> None:
    communicator = RpcCommunicator(base_port=free_port(), timeout_wait=0.3)
    try:
        with pytest.raises(UnityTimeOutException, match=r"0\.3 s"):
            communicator.initialize(UnityInputProto())
    finally:
        communicator.close()


def test_calls_after_close_get_400() -> None:
    port = free_port()
    communicator = RpcCommunicator(base_port=port)
    communicator._servicer.closed = True  # closed, but the server still up for this check
    stub = UnityToExternalProtoStub(grpc.insecure_channel(f"localhost:{port}"))
    reply = stub.Exchange(UnityMessageProto(header=HeaderProto(status=200)), timeout=10)
    assert reply.header.status == 400
    communicator.close()


def test_port_taken_on_ipv6_loopback_is_in_use() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    port = free_port()
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as holder:
        try:
            holder.bind(("::1", port))
        except OSError:
            pytest.skip("no IPv6 loopback here")
        holder.listen()
        with pytest.raises(UnityWorkerInUseException, match=f"port {port}"):
            RpcCommunicator(base_port=port)


def test_unresolvable_bind_address_is_not_called_in_use() -> None:
    with pytest.raises(UnityCommunicationException, match="does not resolve"):
        RpcCommunicator(base_port=free_port(), bind_address="no-such-host.invalid")


def test_an_interrupted_exchange_leaves_a_clear_error() -> None:
    port = free_port()
    communicator = RpcCommunicator(base_port=port, timeout_wait=20)
    unity = FakeUnity(port)
    unity.start()
    communicator.initialize(UnityInputProto())

    def interrupt() -> None:
        raise KeyboardInterrupt

    # FakeUnity answers the first exchange, then stops calling: the wait is interrupted.
    communicator.exchange(UnityInputProto(rl_input=UnityRLInputProto(command=RESET)))
    with pytest.raises(KeyboardInterrupt):
        communicator.exchange(UnityInputProto(), interrupt)
    with pytest.raises(UnityCommunicationException, match="interrupted"):
        communicator.exchange(UnityInputProto())
    communicator.close()
    unity.join(10)

"""The gRPC communicator: Python serves `UnityToExternalProto.Exchange`, the environment calls.

The environment holds one call open while it waits for its next input. The gRPC thread that
runs the call parks it in a queue and waits on an Event; the caller picks the call up, reads
the environment's output from it, and later completes it with the next input. No process,
pipe or pickling between the two threads.
"""

from __future__ import annotations

import errno
import logging
import queue
import socket
import threading
import time
from concurrent import futures
from typing import Any

import grpc

from mlagents_envs.communicator import Communicator, PollCallback
from mlagents_envs.communicator_objects.header_pb2 import HeaderProto
from mlagents_envs.communicator_objects.unity_input_pb2 import UnityInputProto
from mlagents_envs.communicator_objects.unity_message_pb2 import UnityMessageProto
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto
from mlagents_envs.communicator_objects.unity_to_external_pb2_grpc import (
    UnityToExternalProtoServicer,
    add_UnityToExternalProtoServicer_to_server,
)
from mlagents_envs.exception import (
    UnityCommunicationException,
    UnityCommunicatorStoppedException,
    UnityTimeOutException,
    UnityWorkerInUseException,
)

logger = logging.getLogger(__name__)

_OK = 200
_CLOSE = 400
# How often the caller wakes up while waiting, to run the poll callback.
_POLL_INTERVAL = 0.25
#: The largest message either way (gRPC's default of 4 MB is too small for image scenes).
MAX_MESSAGE_BYTES = 512 * 1024 * 1024


class _Call:
    """One Exchange call of the environment, from its arrival to its reply."""

    __slots__ = ("done", "reply", "request")

    def __init__(self, request: UnityMessageProto) -> None:
        self.request = request
        self.reply: UnityMessageProto | None = None
        self.done = threading.Event()

    def complete(self, reply: UnityMessageProto | None) -> None:
        self.reply = reply
        self.done.set()


class _DaemonExecutor(futures.Executor):
    """Runs gRPC's handlers on daemon threads.

    A handler holds the environment's open call until Python replies. The worker threads
    of concurrent.futures are joined before atexit handlers run, so with them an
    interpreter that exits without close() would wait forever for a reply that only the
    atexit handler (UnityEnvironment's close) can send.
    """

    def __init__(self, workers: int) -> None:
        self._tasks: queue.SimpleQueue[tuple[futures.Future, Any, tuple, dict] | None]
        self._tasks = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"mlagents-rpc-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (task := self._tasks.get()) is not None:
            future, fn, args, kwargs = task
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as error:
                future.set_exception(error)

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> futures.Future:
        future: futures.Future = futures.Future()
        self._tasks.put((future, fn, args, kwargs))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        for _ in self._threads:
            self._tasks.put(None)
        if wait:
            for thread in self._threads:
                thread.join()


class UnityToExternalServicerImplementation(UnityToExternalProtoServicer):
    """Hands each incoming call to the caller thread and waits for its reply."""

    def __init__(self) -> None:
        self.calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self.closed = False

    def Exchange(
        self, request: UnityMessageProto, context: grpc.ServicerContext
    ) -> UnityMessageProto:
        if self.closed:
            return _message(_CLOSE)
        call = _Call(request)
        # If the environment goes away, the call ends and nobody must wait for its reply.
        context.add_callback(lambda: call.complete(None))
        self.calls.put(call)
        call.done.wait()
        return call.reply if call.reply is not None else _message(_CLOSE)


class RpcCommunicator(Communicator):
    """Serves the environment on bind_address:base_port+worker_id.

    bind_address is the loopback address by default, so that nothing outside this machine
    can connect; pass "0.0.0.0" or "[::]" only where the environment runs elsewhere (such as
    another container).
    """

    def __init__(
        self,
        worker_id: int = 0,
        base_port: int = 5005,
        timeout_wait: float = 30,
        bind_address: str = "127.0.0.1",
    ) -> None:
        super().__init__(worker_id, base_port)
        self.timeout_wait = timeout_wait
        self.bind_address = bind_address
        self.is_open = False
        self._open_call: _Call | None = None
        # Set while an answer is awaited: if the wait is cut short (Ctrl-C, a poll callback
        # that raised), later exchanges must not pretend the conversation is intact.
        self._interrupted = False
        self._servicer = UnityToExternalServicerImplementation()
        self._server = self._create_server()
        self.is_open = True

    def _create_server(self) -> grpc.Server:
        self._executor = _DaemonExecutor(workers=4)
        server = grpc.server(
            self._executor,
            options=[
                # gRPC lets two servers share a port by default; a port in use must be an error.
                ("grpc.so_reuseport", 0),
                # Scenes of many agents with images exceed gRPC's default 4 MB per message.
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        add_UnityToExternalProtoServicer_to_server(self._servicer, server)
        address = f"{self.bind_address}:{self.port}"
        try:
            _check_address(self.bind_address, self.port, self.worker_id)
            bound = _add_port(server, address)
            if not bound:
                raise UnityWorkerInUseException(self.worker_id, port=self.port)
            if self.bind_address == "127.0.0.1" and _ipv6_loopback_free(self.port, self.worker_id):
                # Environments dial "localhost", which may resolve to ::1 first: serve it too,
                # so that no other server on [::1] can take this environment's calls.
                _add_port(server, f"[::1]:{self.port}")
        except BaseException:
            server.stop(None)
            self._executor.shutdown(wait=False)
            raise
        server.start()
        logger.debug("Listening for the environment on %s", address)
        return server

    def initialize(
        self, inputs: UnityInputProto, poll_callback: PollCallback | None = None
    ) -> UnityOutputProto:
        first = self._next_call(poll_callback)
        if first.request.header.status != _OK:
            first.complete(_message(_CLOSE))
            raise UnityCommunicationException(
                f"The environment opened the connection with status "
                f"{first.request.header.status} ({first.request.header.message!r}) instead of "
                f"{_OK}. Check the environment's log."
            )
        first.complete(_message(_OK, inputs))
        # The environment then calls again and waits: that call carries the next input.
        self._open_call = self._next_call(poll_callback)
        return first.request.unity_output

    def exchange(
        self, inputs: UnityInputProto, poll_callback: PollCallback | None = None
    ) -> UnityOutputProto | None:
        if self._interrupted:
            raise UnityCommunicationException(
                "An earlier exchange with the environment was interrupted before its answer "
                "came, so where the environment stands is unknown. Close this environment and "
                "create a new one."
            )
        if self._open_call is None:
            raise UnityCommunicationException(
                "exchange() needs an open call from the environment: call initialize() first."
            )
        call, self._open_call = self._open_call, None
        call.complete(_message(_OK, inputs))
        self._interrupted = True
        self._open_call = self._next_call(poll_callback)
        self._interrupted = False
        if self._open_call.request.header.status != _OK:
            return None
        return self._open_call.request.unity_output

    def close(self) -> None:
        if not self.is_open:
            return
        self.is_open = False
        self._servicer.closed = True
        if self._open_call is not None:
            self._open_call.complete(_message(_CLOSE))
            self._open_call = None
        # Calls that arrived but were never picked up are told to quit too.
        while True:
            try:
                self._servicer.calls.get_nowait().complete(_message(_CLOSE))
            except queue.Empty:
                break
        # A short grace lets the reply reach the environment; waiting frees the port.
        self._server.stop(grace=0.5).wait(2.0)
        self._executor.shutdown(wait=False)

    def _next_call(self, poll_callback: PollCallback | None) -> _Call:
        deadline = time.monotonic() + self.timeout_wait
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise UnityTimeOutException(
                    f"The environment on port {self.port} did not answer within "
                    f"{self.timeout_wait} s. Check that it does not wait for user input, that "
                    "its agents' Behavior Type is Default, that its ML-Agents version matches "
                    "this package, and, on a machine without a display, that it runs with "
                    "no_graphics=True. Pass a larger timeout_wait if it is only slow to start."
                )
            if not self.is_open:
                raise UnityCommunicatorStoppedException(
                    "The communicator was closed while waiting for the environment."
                )
            try:
                call = self._servicer.calls.get(timeout=min(_POLL_INTERVAL, remaining))
            except queue.Empty:
                if poll_callback is not None:
                    poll_callback()
                continue
            if call.done.is_set():
                # The environment gave up on this call (its connection broke).
                continue
            return call


def _check_address(address: str, port: int, worker_id: int) -> None:
    """Refuse an address this host cannot serve, before gRPC reports it as "in use"."""
    host = address.strip("[]")
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UnityCommunicationException(
            f"Cannot serve worker {worker_id} on {address}:{port}: the address does not "
            f"resolve ({error}). Pass a bind_address of this host, such as 127.0.0.1."
        ) from None


def _add_port(server: grpc.Server, address: str) -> int:
    try:
        return int(server.add_insecure_port(address))
    except RuntimeError:  # newer gRPC raises where older ones return 0
        return 0


def _ipv6_loopback_free(port: int, worker_id: int) -> bool:
    """True when [::1]:port can be served; False without IPv6 loopback on this host."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            # As gRPC's own sockets: connections of a closed server that linger in
            # TIME_WAIT do not hold the port, a listening socket does.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("::1", port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise UnityWorkerInUseException(worker_id, port=port) from None
        return False
    return True


def _message(status: int, inputs: UnityInputProto | None = None) -> UnityMessageProto:
    message = UnityMessageProto(header=HeaderProto(status=status))
    if inputs is not None:
        message.unity_input.CopyFrom(inputs)
    return message

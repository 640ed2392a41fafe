"""The UnityException family: every error the low-level API raises on purpose."""

from __future__ import annotations


class UnityException(Exception):
    """Any error raised by mlagents_envs."""


class UnityEnvironmentException(UnityException):
    """The environment could not be launched, or behaved in a way the API cannot accept."""


class UnityCommunicationException(UnityException):
    """The connection with the environment failed."""


class UnityCommunicatorStoppedException(UnityException):
    """The environment closed the connection (for example, the user stopped the Editor)."""


class UnityObservationException(UnityException):
    """An observation does not match its spec or cannot be decoded."""


class UnityActionException(UnityException):
    """An action does not fit the action spec of its behavior."""


class UnityTimeOutException(UnityException):
    """The environment took longer than allowed to answer."""


class UnitySideChannelException(UnityException):
    """A side-channel message is malformed or cannot be delivered."""


class UnityWorkerInUseException(UnityException):
    """The port of the requested worker id is already in use."""

    def __init__(self, worker_id: int | str, port: int | None = None) -> None:
        where = f" (port {port})" if port is not None else ""
        super().__init__(
            f"Couldn't start the environment because worker number {worker_id}{where} is in "
            "use by another process, or its port is taken. Pass a different worker_id or "
            "base_port, or close the environment that holds it."
        )
        self.worker_id = worker_id
        self.port = port

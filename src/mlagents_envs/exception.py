"""The UnityException family: every error the low-level API raises on purpose.

Where ML-Agents raises a different class for the same failure (a built-in one, or another
member of this family), the class raised here derives from both, so that an `except`
written against ML-Agents still catches it.
"""

from __future__ import annotations

import os


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
    """The environment took longer than allowed to answer.

    log_file_path, when given, names the environment's log: the message then points to it
    and quotes the errors it reports, the likeliest cause of the silence.
    """

    def __init__(self, message: str, log_file_path: str | os.PathLike[str] | None = None) -> None:
        self.log_file_path = None if log_file_path is None else os.fspath(log_file_path)
        if self.log_file_path is not None:
            message += _log_excerpt(self.log_file_path)
        super().__init__(message)


class UnitySideChannelException(UnityException):
    """A side-channel message is malformed or cannot be delivered."""


class UnityWorkerInUseException(UnityException):
    """The port of the requested worker id is already in use."""

    #: The message, formatted with the worker id (and " (port N)" when the port is known).
    MESSAGE_TEMPLATE = (
        "Couldn't start the environment because worker number {} is in use by another "
        "process, or its port is taken. Pass a different worker_id or base_port, or close "
        "the environment that holds it."
    )

    def __init__(self, worker_id: int | str, port: int | None = None) -> None:
        where = f" (port {port})" if port is not None else ""
        super().__init__(self.MESSAGE_TEMPLATE.format(f"{worker_id}{where}"))
        self.worker_id = worker_id
        self.port = port


class UnityPolicyException(UnityException):
    """A policy cannot act as asked (kept for code written against ML-Agents' trainers)."""


# Errors that ML-Agents reports with another class as well.


class UnityNonFiniteValueException(UnityObservationException, RuntimeError):
    """An observation, reward or group reward sent by the environment is NaN or infinite.

    Also a RuntimeError, which is what ML-Agents raises for these.
    """


class UnitySideChannelDirectionException(UnitySideChannelException, UnityCommunicationException):
    """The environment sent a message on a channel that only goes from Python to it.

    Also a UnityCommunicationException, which is what ML-Agents raises for it.
    """


class UnitySideChannelFramingException(UnitySideChannelException, UnityEnvironmentException):
    """The side-channel data of a step is cut short or declares more bytes than it holds.

    Also a UnityEnvironmentException, which is what ML-Agents raises for it.
    """


class UnityDuplicateSideChannelException(UnitySideChannelException, UnityEnvironmentException):
    """Two side channels given to one environment share a channel id.

    Also a UnityEnvironmentException, which is what ML-Agents raises for it.
    """


class UnitySideChannelValueException(UnitySideChannelException, ValueError):
    """A side-channel message holds a value its channel cannot take (an unknown enum value).

    Also a ValueError, which is what ML-Agents lets through for it.
    """


class UnitySideChannelDecodeException(UnitySideChannelException, UnicodeDecodeError):
    """A string of a side-channel message is not ASCII.

    Also the UnicodeDecodeError that ML-Agents lets through for it, with the same fields.
    """

    def __init__(self, message: str, error: UnicodeDecodeError) -> None:
        UnicodeDecodeError.__init__(
            self, error.encoding, error.object, error.start, error.end, error.reason
        )
        self.message = message

    def __str__(self) -> str:
        return self.message


class UnitySideChannelEncodeException(UnitySideChannelException, UnicodeEncodeError):
    """A string written to a side-channel message is not ASCII.

    Also the UnicodeEncodeError that ML-Agents lets through for it, with the same fields.
    """

    def __init__(self, message: str, error: UnicodeEncodeError) -> None:
        UnicodeEncodeError.__init__(
            self, error.encoding, error.object, error.start, error.end, error.reason
        )
        self.message = message

    def __str__(self) -> str:
        return self.message


class UnityExecutableNotFoundException(UnityEnvironmentException, FileNotFoundError):
    """A registry entry has no executable for this platform.

    Also a FileNotFoundError, which is what ML-Agents' registry raises for it.
    """


# The most of a log to quote: enough for a stack trace, not a whole log.
_EXCERPT_LINES = 40


def _log_excerpt(path: str) -> str:
    """Where the environment's log is, and the error blocks it holds (Unity writes a line
    "Exception" or "Error" before each, and a blank line after)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as log:
            lines = log.read().splitlines()
    except OSError:
        return f" The environment's log {path} could not be read."
    quoted: list[str] = []
    inside = False
    for raw in lines:
        line = raw.strip()
        if line in ("Exception", "Error"):
            inside = True
        elif not line:
            inside = False
        if inside:
            quoted.append(line)
    if not quoted:
        return f" The environment's log is {path}."
    excerpt = "\n".join(quoted[-_EXCERPT_LINES:])
    return f" The environment's log {path} reports:\n{excerpt}"

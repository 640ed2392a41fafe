"""The worker end of SubprocessEnvManager: the messages it exchanges with the main process,
and the loop that runs one environment in a worker process.

Messages are small dataclasses of a typed command and numpy-based values (ActionTuple,
DecisionSteps, TerminalSteps, BehaviorSpec, side-channel message bytes), pickled once per
send by the pipe; never protobuf objects, which would be pickled twice per step.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from multiprocessing.connection import Connection
from types import FrameType

from mlagents.trainers.env_manager import AllStepResult
from mlagents_envs.base_env import ActionTuple, BaseEnv, BehaviorName, BehaviorSpec
from mlagents_envs.exception import (
    UnityCommunicationException,
    UnityCommunicatorStoppedException,
    UnityEnvironmentException,
    UnityException,
    UnityTimeOutException,
)
from mlagents_envs.side_channel.engine_configuration_channel import (
    EngineConfig,
    EngineConfigurationChannel,
)
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_envs.side_channel.side_channel import SideChannel
from mlagents_envs.side_channel.stats_side_channel import EnvironmentStats, StatsSideChannel

logger = logging.getLogger(__name__)

#: Makes the environment of a worker: called in the worker process with its worker id
#: (which must offset the port, as UnityEnvironment's worker_id does) and the side channels
#: the environment must use. It is pickled to reach the worker: give a module-level
#: function, or a functools.partial of one.
EnvFactory = Callable[[int, list[SideChannel]], BaseEnv]

#: The errors that mean the environment itself failed (its process crashed or was killed,
#: the connection broke, it stopped answering): the worker is restarted for them. Any other
#: exception is a bug to report, not to retry.
RESTARTABLE_ERRORS: tuple[type[UnityException], ...] = (
    UnityEnvironmentException,
    UnityCommunicationException,
    UnityCommunicatorStoppedException,
    UnityTimeOutException,
)


class EnvironmentCommand(Enum):
    """What a message between the main process and a worker is about."""

    #: main -> worker: set these actions and step; worker -> main: the new steps.
    STEP = 1
    #: main -> worker: queue these parameter messages and reset; worker -> main: the steps.
    RESET = 2
    #: main -> worker: queue these parameter messages for the next step (no answer).
    ENVIRONMENT_PARAMETERS = 3
    #: main -> worker: which behaviors are there; worker -> main: their specs.
    BEHAVIOR_SPECS = 4
    #: main -> worker: close the environment and exit (no answer).
    CLOSE = 5
    #: worker -> main: the environment failed (RESTARTABLE_ERRORS); the worker exited.
    ENV_EXITED = 6
    #: worker -> main: any other exception, with its traceback; the worker exited.
    WORKER_ERROR = 7


@dataclass(frozen=True)
class EnvironmentRequest:
    """main -> worker. actions is for STEP; parameter_messages (EnvironmentParametersChannel
    payloads) for RESET and ENVIRONMENT_PARAMETERS."""

    cmd: EnvironmentCommand
    actions: dict[BehaviorName, ActionTuple] = field(default_factory=dict)
    parameter_messages: list[bytes] = field(default_factory=list)


@dataclass(frozen=True)
class StepResult:
    """The steps of every behavior after a STEP or RESET, the statistics the environment
    sent meanwhile, and the specs of behaviors this worker had not reported yet (so that the
    main process knows every behavior without asking)."""

    all_step_result: AllStepResult
    environment_stats: EnvironmentStats
    new_behavior_specs: dict[BehaviorName, BehaviorSpec]


@dataclass(frozen=True)
class WorkerFailure:
    """Why a worker stopped: the exception's type name, message and formatted traceback
    (strings: an exception object may not unpickle in another process)."""

    worker_id: int
    error_type: str
    message: str
    traceback: str

    def summary(self) -> str:
        return f"{self.error_type}: {self.message}" if self.message else self.error_type


@dataclass(frozen=True)
class EnvironmentResponse:
    """worker -> main: step for STEP and RESET, behavior_specs for BEHAVIOR_SPECS, failure
    for ENV_EXITED and WORKER_ERROR."""

    cmd: EnvironmentCommand
    worker_id: int
    step: StepResult | None = None
    behavior_specs: dict[BehaviorName, BehaviorSpec] | None = None
    failure: WorkerFailure | None = None


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Process.terminate() sends SIGTERM, whose default action skips every finally block:
    # raising instead lets the worker close its environment (and its process).
    raise SystemExit(128 + signum)


class _Session:
    """One environment served to the main process over conn."""

    def __init__(self, worker_id: int, conn: Connection) -> None:
        self.worker_id = worker_id
        self.conn = conn
        self.parameters = EnvironmentParametersChannel()
        self.stats = StatsSideChannel()
        self.engine = EngineConfigurationChannel()
        self.env: BaseEnv | None = None
        self._reported: set[BehaviorName] = set()

    def serve(self) -> None:
        """Answer requests until CLOSE, or until the main process closes the pipe."""
        env = self.env
        assert env is not None
        while True:
            try:
                request: EnvironmentRequest = self.conn.recv()
            except EOFError:
                return  # the main process is gone: nobody to answer
            cmd = request.cmd
            if cmd is EnvironmentCommand.STEP:
                for name, action in request.actions.items():
                    env.set_actions(name, action)
                env.step()
                self._send(EnvironmentResponse(cmd, self.worker_id, step=self._result()))
            elif cmd is EnvironmentCommand.RESET:
                self.parameters.message_queue.extend(request.parameter_messages)
                env.reset()
                self._send(EnvironmentResponse(cmd, self.worker_id, step=self._result()))
            elif cmd is EnvironmentCommand.ENVIRONMENT_PARAMETERS:
                self.parameters.message_queue.extend(request.parameter_messages)
            elif cmd is EnvironmentCommand.BEHAVIOR_SPECS:
                specs = dict(env.behavior_specs)
                self._send(EnvironmentResponse(cmd, self.worker_id, behavior_specs=specs))
            elif cmd is EnvironmentCommand.CLOSE:
                return
            else:
                raise ValueError(f"Worker {self.worker_id} got an unknown command {cmd!r}.")

    def _result(self) -> StepResult:
        env = self.env
        assert env is not None
        specs = env.behavior_specs
        new_specs = {name: specs[name] for name in specs if name not in self._reported}
        self._reported.update(new_specs)
        return StepResult(
            {name: env.get_steps(name) for name in specs},
            self.stats.get_and_reset_stats(),
            new_specs,
        )

    def _send(self, response: EnvironmentResponse) -> None:
        self.conn.send(response)

    def close_env(self) -> None:
        env, self.env = self.env, None
        if env is None:
            return
        try:
            env.close()
        except Exception:
            # The failure that led here (if any) is what the main process needs to hear.
            logger.exception("Worker %d could not close its environment.", self.worker_id)


def worker(
    conn: Connection,
    worker_id: int,
    env_factory: EnvFactory,
    engine_config: EngineConfig | None = None,
    cpu: int | None = None,
) -> None:
    """The target of a worker process: make the environment, answer requests, and report a
    failure as ENV_EXITED or WORKER_ERROR once the environment is closed (so that its port
    is free for the worker that replaces this one). With cpu, the worker and the processes
    it starts (its environment's) run on that CPU only."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    # Ctrl-C reaches the whole process group: the main process handles it and closes the
    # workers in order, rather than every worker dying on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    session = _Session(worker_id, conn)
    response: EnvironmentResponse | None = None
    try:
        if engine_config is not None:
            session.engine.set_configuration(engine_config)
        channels: list[SideChannel] = [session.engine, session.parameters, session.stats]
        session.env = env_factory(worker_id, channels)
        session.serve()
    except RESTARTABLE_ERRORS as error:
        response = _failure(EnvironmentCommand.ENV_EXITED, worker_id, error)
    except Exception as error:
        response = _failure(EnvironmentCommand.WORKER_ERROR, worker_id, error)
    finally:
        session.close_env()
        if response is not None:
            with contextlib.suppress(OSError):  # else the main process is gone
                conn.send(response)
        conn.close()


def _failure(cmd: EnvironmentCommand, worker_id: int, error: Exception) -> EnvironmentResponse:
    text = "".join(traceback.format_exception(error))
    failure = WorkerFailure(worker_id, type(error).__name__, str(error), text)
    return EnvironmentResponse(cmd, worker_id, failure=failure)

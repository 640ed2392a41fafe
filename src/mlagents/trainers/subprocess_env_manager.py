"""SubprocessEnvManager: N environments, each in a worker process, stepped in parallel.

The main process keeps the policies: for each worker, it computes the actions of the agents
that asked at its last step (one `get_action` call per behavior and worker) and sends them.
`get_steps()` waits until at least one worker answers and returns the steps of every worker
that has answered by then; those workers have already been sent their next actions, so the
environments step while the caller processes the steps (a policy published meanwhile acts
from the step after, as it does for workers still stepping).

A worker whose environment fails (its process crashed or was killed, the connection broke,
it timed out) is replaced by a new worker, within a rate limit; then, as in ML-Agents,
every episode in progress is ended and every worker resets, so that no experience spans
the crash. Any other exception in a worker is raised in the main process with the worker's
traceback.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Literal

from mlagents.trainers.action_info import ActionInfo
from mlagents.trainers.env_manager import (
    EnvironmentStep,
    EnvManager,
    apply_environment_parameters,
)
from mlagents.trainers.env_worker import (
    EnvFactory,
    EnvironmentCommand,
    EnvironmentRequest,
    EnvironmentResponse,
    StepResult,
    WorkerFailure,
    worker,
)
from mlagents_envs.base_env import BehaviorName, BehaviorSpec
from mlagents_envs.exception import UnityEnvironmentException, UnityException
from mlagents_envs.side_channel.engine_configuration_channel import EngineConfig
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)

__all__ = [
    "EnvFactory",
    "EnvironmentCommand",
    "EnvironmentWorkerException",
    "SubprocessEnvManager",
]

logger = logging.getLogger(__name__)

#: Seconds a terminated worker has to close its environment before it is killed.
_TERMINATE_GRACE_S = 5.0


class EnvironmentWorkerException(UnityException):
    """A worker raised an exception that is not an environment failure; the message holds
    the worker's traceback."""

    def __init__(self, failure: WorkerFailure) -> None:
        super().__init__(
            f"Environment worker {failure.worker_id} failed with {failure.summary()}\n"
            f"The worker's traceback:\n{failure.traceback.rstrip()}"
        )
        self.worker_id = failure.worker_id
        self.failure = failure


@dataclass
class _Worker:
    """The main process's view of one worker."""

    worker_id: int
    process: BaseProcess
    conn: Connection
    #: A STEP or RESET was sent and its answer not read yet.
    waiting: bool = False
    #: What the environment returned last: the policies act on it.
    previous_step: EnvironmentStep = field(init=False)
    #: The actions of the step in flight, for the EnvironmentStep it will bring.
    action_info: dict[BehaviorName, ActionInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.previous_step = EnvironmentStep.empty(self.worker_id)


class SubprocessEnvManager(EnvManager):
    """Steps n_env environments, made by env_factory(worker_id, side_channels) in worker
    processes with worker ids 0 .. n_env - 1.

    - env_factory: see EnvFactory; it must pass side_channels (an EngineConfigurationChannel,
      an EnvironmentParametersChannel and a StatsSideChannel) to the environment, and use
      worker_id so that environments do not share a port.
    - engine_config: sent to every environment before its first step (time scale, ...).
    - max_lifetime_restarts: how many times one worker may be restarted in all (-1: no
      limit); restarts_rate_limit_n: how many times within restarts_rate_limit_period_s
      seconds (-1: no limit). Past either, the manager raises UnityEnvironmentException.
      The names and defaults are those of ML-Agents' env_settings.
    - worker_cpu_affinity: run worker i and its environment process on CPU i alone (round
      robin over the CPUs this process may use; Linux only). Their exchanges then stay on
      one core, which pays off when the machine runs this training alone with n_env up to
      its CPU count (see benchmarks/env_manager.py); two runs pinned alike share CPUs.
    - close_timeout: seconds close() waits for the workers before terminating them.
    - start_method: "spawn" (the default) or "forkserver"; "fork" is refused, as a fork of
      a process that runs gRPC threads can deadlock.
    """

    def __init__(
        self,
        env_factory: EnvFactory,
        n_env: int = 1,
        *,
        engine_config: EngineConfig | None = None,
        max_lifetime_restarts: int = 10,
        restarts_rate_limit_n: int = 1,
        restarts_rate_limit_period_s: float = 60.0,
        worker_cpu_affinity: bool = False,
        close_timeout: float = 10.0,
        start_method: Literal["spawn", "forkserver"] = "spawn",
    ) -> None:
        super().__init__()
        if n_env < 1:
            raise ValueError(f"n_env={n_env}: give at least one environment.")
        if start_method not in ("spawn", "forkserver"):
            raise ValueError(
                f"start_method={start_method!r}: use 'spawn' or 'forkserver'; a forked "
                "worker inherits the gRPC threads of this process and can deadlock."
            )
        try:
            pickle.dumps(env_factory)
        except Exception as error:
            raise ValueError(
                f"env_factory {env_factory!r} cannot be pickled ({error}), so it cannot reach "
                "the worker processes: give a module-level function, or a functools.partial "
                "of one."
            ) from None
        if worker_cpu_affinity and not hasattr(os, "sched_setaffinity"):
            raise ValueError(
                "worker_cpu_affinity=True needs os.sched_setaffinity, which this platform "
                "lacks (it is Linux only): leave it False."
            )
        # The CPUs worker ids map to, round robin; None leaves the scheduler free.
        self._cpus = sorted(os.sched_getaffinity(0)) if worker_cpu_affinity else None
        self.env_factory = env_factory
        self.engine_config = engine_config
        self.max_lifetime_restarts = max_lifetime_restarts
        self.restarts_rate_limit_n = restarts_rate_limit_n
        self.restarts_rate_limit_period_s = restarts_rate_limit_period_s
        self.close_timeout = close_timeout
        #: Restarts so far, per worker id.
        self.restart_counts = [0] * n_env
        self._restart_times: list[deque[float]] = [deque() for _ in range(n_env)]
        # Spelled out, for the type checker: each literal has its own context type.
        self._context = (
            multiprocessing.get_context("spawn")
            if start_method == "spawn"
            else multiprocessing.get_context("forkserver")
        )
        # Every parameter given so far, merged: what a restarted worker must be told.
        self._env_parameters: dict[str, Any] = {}
        self._behavior_specs: dict[BehaviorName, BehaviorSpec] = {}
        self._have_results = False
        self._closed = False
        self._workers: list[_Worker] = []
        try:
            for worker_id in range(n_env):
                self._workers.append(self._start_worker(worker_id))
        except BaseException:
            self.close()
            raise

    # Stepping.

    def _step(self) -> list[EnvironmentStep]:
        self._check_open()
        for w in self._workers:
            if not w.waiting:
                self._send_step(w)
        responses = self._wait_any([w for w in self._workers if w.waiting])
        for response in responses:
            self._workers[response.worker_id].waiting = False
        crashed = self._failures(responses)
        if crashed:
            # Other workers' answers in this batch are dropped: the reset ends their episodes.
            for response in crashed:
                assert response.failure is not None
                self._restart(response.failure)
            for manager in self.agent_managers.values():
                manager.end_episode()
            return self._reset_workers([])
        steps = []
        for response in responses:
            w = self._workers[response.worker_id]
            result = self._accept(response, EnvironmentCommand.STEP)
            w.previous_step = EnvironmentStep(
                result.all_step_result, w.worker_id, w.action_info, result.environment_stats
            )
            steps.append(w.previous_step)
            # Send the next actions now: the environment steps while the caller processes
            # these steps (a policy published meanwhile acts from the step after).
            self._send_step(w)
        return steps

    def _send_step(self, w: _Worker) -> None:
        """Act with the current policies on w's last step and send w the actions."""
        action_info: dict[BehaviorName, ActionInfo] = {}
        for name, (decision_steps, _) in w.previous_step.current_all_step_result.items():
            policy = self.policies.get(name)
            if policy is not None and len(decision_steps):
                action_info[name] = policy.get_action(decision_steps, w.worker_id)
        w.action_info = action_info
        actions = {name: info.env_action for name, info in action_info.items()}
        self._send(w, EnvironmentRequest(EnvironmentCommand.STEP, actions=actions))
        w.waiting = True

    # Resetting and parameters.

    def _reset_env(self, config: Mapping[str, Any] | None = None) -> list[EnvironmentStep]:
        self._check_open()
        messages = _parameter_messages(config)
        self._env_parameters.update(config or {})
        return self._reset_workers(messages)

    def _reset_workers(self, messages: list[bytes]) -> list[EnvironmentStep]:
        """Reset every worker, after queueing messages on its parameters channel; returns
        their first steps, in worker order. A worker that fails meanwhile is restarted."""
        self._drain()
        request = EnvironmentRequest(EnvironmentCommand.RESET, parameter_messages=messages)
        for w in self._workers:
            self._send(w, request)
            w.waiting = True
        first_steps: dict[int, EnvironmentStep] = {}
        while len(first_steps) < len(self._workers):
            responses = self._wait_any([w for w in self._workers if w.waiting])
            for response in responses:
                self._workers[response.worker_id].waiting = False
            for response in self._failures(responses):
                self._restart_and_resend(response, request)
            for response in responses:
                if response.failure is None:
                    w = self._workers[response.worker_id]
                    result = self._accept(response, EnvironmentCommand.RESET)
                    w.previous_step = EnvironmentStep(
                        result.all_step_result, w.worker_id, {}, result.environment_stats
                    )
                    first_steps[w.worker_id] = w.previous_step
        return [first_steps[worker_id] for worker_id in sorted(first_steps)]

    def set_env_parameters(self, config: Mapping[str, Any] | None = None) -> None:
        """Send config to every worker; it applies from the next episodes on."""
        self._check_open()
        messages = _parameter_messages(config)
        self._env_parameters.update(config or {})
        request = EnvironmentRequest(
            EnvironmentCommand.ENVIRONMENT_PARAMETERS, parameter_messages=messages
        )
        for w in self._workers:
            self._send(w, request)

    @property
    def training_behaviors(self) -> dict[BehaviorName, BehaviorSpec]:
        """The behaviors of every environment: those of the steps seen so far (a step brings
        the specs of new behaviors), or before any step, those the workers report."""
        self._check_open()
        if not self._have_results:
            self._drain()
            request = EnvironmentRequest(EnvironmentCommand.BEHAVIOR_SPECS)
            for w in self._workers:
                self._send(w, request)
                w.waiting = True
            while pending := [w for w in self._workers if w.waiting]:
                responses = self._wait_any(pending)
                for response in responses:
                    self._workers[response.worker_id].waiting = False
                for response in self._failures(responses):
                    self._restart_and_resend(response, request)
                for response in responses:
                    if response.cmd is EnvironmentCommand.BEHAVIOR_SPECS:
                        self._behavior_specs.update(response.behavior_specs or {})
        return dict(self._behavior_specs)

    # Messages.

    def _send(self, w: _Worker, request: EnvironmentRequest) -> None:
        # If the worker died, waiting on it reports that (as ENV_EXITED).
        with contextlib.suppress(OSError):
            w.conn.send(request)

    def _wait_any(self, workers: list[_Worker]) -> list[EnvironmentResponse]:
        """Block until at least one of workers answers or dies; return the answers of every
        one that has (a death as ENV_EXITED)."""
        assert workers, "waiting for no worker would block forever"
        by_handle: dict[Any, _Worker] = {}
        for w in workers:
            by_handle[w.conn] = w
            by_handle[w.process.sentinel] = w
        ready = {by_handle[handle].worker_id for handle in wait(list(by_handle))}
        return [self._recv(w) for w in workers if w.worker_id in ready]

    def _recv(self, w: _Worker) -> EnvironmentResponse:
        """w's next answer; blocks until there is one, or w has exited."""
        try:
            response: EnvironmentResponse = w.conn.recv()
            return response
        except (EOFError, OSError):
            w.process.join(timeout=5)
            code = w.process.exitcode
            how = f"with code {code}"
            if code is not None and code < 0:
                with contextlib.suppress(ValueError):
                    how += f" (signal {signal.Signals(-code).name})"
            failure = WorkerFailure(
                w.worker_id,
                "WorkerExited",
                f"the worker process exited {how} without reporting an error",
                "",
            )
            return EnvironmentResponse(EnvironmentCommand.ENV_EXITED, w.worker_id, failure=failure)

    def _failures(self, responses: list[EnvironmentResponse]) -> list[EnvironmentResponse]:
        """Raise the first WORKER_ERROR in responses; return the ENV_EXITED ones."""
        for response in responses:
            if response.cmd is EnvironmentCommand.WORKER_ERROR:
                assert response.failure is not None
                raise EnvironmentWorkerException(response.failure)
        return [r for r in responses if r.cmd is EnvironmentCommand.ENV_EXITED]

    def _accept(self, response: EnvironmentResponse, cmd: EnvironmentCommand) -> StepResult:
        assert response.cmd is cmd and response.step is not None, response.cmd
        self._behavior_specs.update(response.step.new_behavior_specs)
        self._have_results = True
        return response.step

    def _drain(self) -> None:
        """Read (and drop) the answer of every worker with a request in flight, restarting
        those that failed, so that the next request's answer comes next."""
        for w in self._workers:
            if w.waiting:
                response = self._recv(w)
                w.waiting = False
                for crashed in self._failures([response]):
                    assert crashed.failure is not None
                    self._restart(crashed.failure)

    # Worker lifecycle.

    def _start_worker(self, worker_id: int) -> _Worker:
        cpu = None if self._cpus is None else self._cpus[worker_id % len(self._cpus)]
        parent_conn, child_conn = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=worker,
            args=(child_conn, worker_id, self.env_factory, self.engine_config, cpu),
            name=f"mlagents-env-worker-{worker_id}",
            # Daemonic: at exit, multiprocessing terminates the workers this process left.
            daemon=True,
        )
        process.start()
        # The worker holds the other end now; closing ours lets a read see the worker's death.
        child_conn.close()
        return _Worker(worker_id, process, parent_conn)

    def _restart(self, failure: WorkerFailure) -> _Worker:
        """Replace the worker that failed with a new one that has the parameters given so
        far; raise UnityEnvironmentException past the restart limits."""
        worker_id = failure.worker_id
        self._check_restart_allowed(failure)
        self.restart_counts[worker_id] += 1
        self._restart_times[worker_id].append(time.monotonic())
        logger.warning(
            "Restarting environment worker %d (its restart %d; max_lifetime_restarts=%d, "
            "restarts_rate_limit_n=%d per %g s) after it failed with %s",
            worker_id,
            self.restart_counts[worker_id],
            self.max_lifetime_restarts,
            self.restarts_rate_limit_n,
            self.restarts_rate_limit_period_s,
            failure.summary(),
        )
        self._stop(self._workers[worker_id], time.monotonic() + self.close_timeout)
        new = self._start_worker(worker_id)
        self._workers[worker_id] = new
        if self._env_parameters:
            messages = _parameter_messages(self._env_parameters)
            request = EnvironmentRequest(
                EnvironmentCommand.ENVIRONMENT_PARAMETERS, parameter_messages=messages
            )
            self._send(new, request)
        return new

    def _restart_and_resend(
        self, crashed: EnvironmentResponse, request: EnvironmentRequest
    ) -> None:
        """Restart the worker that answered crashed, and send the new one request."""
        assert crashed.failure is not None
        restarted = self._restart(crashed.failure)
        self._send(restarted, request)
        restarted.waiting = True

    def _check_restart_allowed(self, failure: WorkerFailure) -> None:
        worker_id = failure.worker_id
        count = self.restart_counts[worker_id]
        cause = EnvironmentWorkerException(failure)
        if 0 <= self.max_lifetime_restarts <= count:
            raise UnityEnvironmentException(
                f"Environment worker {worker_id} failed with {failure.summary()}, after "
                f"{count} restarts: max_lifetime_restarts={self.max_lifetime_restarts} allows "
                "no more. Look at the environment's log for why it fails, or raise the limit "
                "(-1 for none)."
            ) from cause
        recent = self._restart_times[worker_id]
        now = time.monotonic()
        while recent and now - recent[0] > self.restarts_rate_limit_period_s:
            recent.popleft()
        if 0 <= self.restarts_rate_limit_n <= len(recent):
            raise UnityEnvironmentException(
                f"Environment worker {worker_id} failed with {failure.summary()}, after "
                f"{len(recent)} restarts in the last {self.restarts_rate_limit_period_s:g} s: "
                f"restarts_rate_limit_n={self.restarts_rate_limit_n} per "
                f"restarts_rate_limit_period_s={self.restarts_rate_limit_period_s:g} allows no "
                "more. Look at the environment's log for why it fails, or raise the limit "
                "(-1 for none)."
            ) from cause

    def _stop(self, w: _Worker, deadline: float) -> None:
        """Wait until deadline for w to exit, then terminate it (and kill it if need be)."""
        # Reading what it still sends unblocks a worker stuck sending an answer.
        while w.process.is_alive() and (left := deadline - time.monotonic()) > 0:
            try:
                if w.conn.poll(min(left, 0.1)):
                    w.conn.recv()
            except (EOFError, OSError):
                break
        w.process.join(max(0.0, deadline - time.monotonic()))
        if w.process.is_alive():
            logger.warning(
                "Environment worker %d did not stop in time; terminating it.", w.worker_id
            )
            # It closes its environment on SIGTERM; a worker that cannot is killed.
            w.process.terminate()
            w.process.join(_TERMINATE_GRACE_S)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
        w.conn.close()

    def _check_open(self) -> None:
        if self._closed:
            raise UnityEnvironmentException(
                "The SubprocessEnvManager is closed: create a new one to step environments."
            )

    def close(self) -> None:
        """Close every environment and stop the workers; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        request = EnvironmentRequest(EnvironmentCommand.CLOSE)
        for w in self._workers:
            self._send(w, request)
        # One deadline for all: the workers close their environments in parallel.
        deadline = time.monotonic() + self.close_timeout
        for w in self._workers:
            self._stop(w, deadline)

    def __enter__(self) -> SubprocessEnvManager:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _parameter_messages(config: Mapping[str, Any] | None) -> list[bytes]:
    """The EnvironmentParametersChannel payloads of config, made in the main process so that
    a bad value raises here, before any worker hears of it."""
    channel = EnvironmentParametersChannel()
    apply_environment_parameters(config, channel)
    return list(channel.message_queue)

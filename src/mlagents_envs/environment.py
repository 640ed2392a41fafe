"""UnityEnvironment: a BaseEnv over the ML-Agents wire protocol.

It serves gRPC on base_port + worker_id, launches the environment executable (or waits for
the Unity Editor), runs the handshake, and then trades actions for steps, one call at a
time. While it waits, it checks that the environment process is still alive, so that a
crash is reported in about a second rather than after timeout_wait.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import subprocess
import weakref

import mlagents_envs
from mlagents_envs import env_utils
from mlagents_envs.base_env import BehaviorName, DecisionSteps, TerminalSteps
from mlagents_envs.codec import actions_to_proto, behavior_spec_from_proto, steps_from_proto
from mlagents_envs.codec.generation import channels_first
from mlagents_envs.communicator import Communicator, all_capabilities
from mlagents_envs.communicator_objects.command_pb2 import RESET, STEP
from mlagents_envs.communicator_objects.unity_input_pb2 import UnityInputProto
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto
from mlagents_envs.communicator_objects.unity_rl_initialization_input_pb2 import (
    UnityRLInitializationInputProto,
)
from mlagents_envs.communicator_objects.unity_rl_input_pb2 import UnityRLInputProto
from mlagents_envs.exception import (
    UnityCommunicatorStoppedException,
    UnityEnvironmentException,
    UnityTimeOutException,
)
from mlagents_envs.rpc_communicator import RpcCommunicator
from mlagents_envs.side_channel.side_channel import SideChannel
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager
from mlagents_envs.stepped_env import SteppedEnv

logger = logging.getLogger(__name__)


class UnityEnvironment(SteppedEnv):
    """An environment built with ML-Agents (a Unity build, the Editor, or an executable of
    mlagents_sim), driven over gRPC.

    - file_name: the environment executable (its platform suffix may be left out); None
      waits for the Unity Editor on DEFAULT_EDITOR_PORT, where worker_id must be 0.
    - worker_id, base_port: the port is base_port + worker_id; give each environment that
      runs at the same time its own worker_id.
    - seed, num_areas: sent to the environment in the handshake.
    - no_graphics: adds -nographics -batchmode to the executable's arguments.
    - no_graphics_monitor: the same for every worker but worker 0, so that one window
      shows the training while the others run without graphics.
    - timeout_wait: seconds to wait for the environment to answer.
    - additional_args: more command-line arguments for the executable, passed last.
    - side_channels: the side channels to exchange messages on.
    - log_folder: the environment writes its log to <log_folder>/Player-<worker_id>.log.
    - bind_address: the address to listen on; the loopback address unless the environment
      runs on another host or container.

    Image observations keep the layout the build sends: (height, width, channels) from
    builds of the Unity package 2.x and older, (channels, height, width) from 3.0 on, as
    the handshake's package version says.

    The connection is not authenticated: anything that can reach the port can act as the
    environment, which is why only the loopback address is served by default.
    """

    API_VERSION = "1.5.0"
    DEFAULT_EDITOR_PORT = 5004
    BASE_ENVIRONMENT_PORT = 5005
    PORT_COMMAND_LINE_ARG = "--mlagents-port"

    def __init__(
        self,
        file_name: str | None = None,
        worker_id: int = 0,
        base_port: int | None = None,
        seed: int = 0,
        no_graphics: bool = False,
        no_graphics_monitor: bool = False,
        timeout_wait: int = 60,
        additional_args: list[str] | None = None,
        side_channels: list[SideChannel] | None = None,
        log_folder: str | None = None,
        num_areas: int = 1,
        *,
        bind_address: str = "127.0.0.1",
    ) -> None:
        super().__init__()
        # Set first, so that close() works however far the constructor gets.
        self._closed = True
        self._process: subprocess.Popen[bytes] | None = None
        self._communicator: Communicator | None = None
        self._worker_id = worker_id
        self._timeout_wait = timeout_wait
        self._no_graphics = no_graphics or (no_graphics_monitor and worker_id != 0)
        self._channels_first = False
        self._additional_args = list(additional_args or [])
        self._log_folder = log_folder
        self._num_areas = num_areas

        if file_name is None and worker_id != 0:
            raise UnityEnvironmentException(
                f"file_name=None connects to the Unity Editor, which listens as worker 0, but "
                f"worker_id={worker_id} was given. Pass worker_id=0, or the path of a build."
            )
        if num_areas < 1:
            raise UnityEnvironmentException(f"num_areas={num_areas} must be at least 1.")
        if base_port is None:
            base_port = self.BASE_ENVIRONMENT_PORT if file_name else self.DEFAULT_EDITOR_PORT
        self._port = base_port + worker_id
        self._side_channel_manager = SideChannelManager(side_channels)
        self._bind_address = bind_address
        self._communicator = self._get_communicator(worker_id, base_port, timeout_wait)
        self._atexit_hook = _register_atexit(self)
        try:
            if file_name is not None:
                self._process = env_utils.launch_executable(file_name, self._executable_args())
            else:
                logger.info(
                    "Listening on port %d. Start training by pressing the Play button in the "
                    "Unity Editor.",
                    self._port,
                )
            self._handshake(seed)
        except BaseException:
            self._close(timeout=0)
            raise
        self._closed = False

    def _get_communicator(
        self, worker_id: int, base_port: int, timeout_wait: float
    ) -> Communicator:
        """The communicator to use; a hook for other transports."""
        return RpcCommunicator(worker_id, base_port, timeout_wait, self._bind_address)

    def _executable_args(self) -> list[str]:
        args = [self.PORT_COMMAND_LINE_ARG, str(self._port)]
        if self._no_graphics:
            args += ["-nographics", "-batchmode"]
        if self._log_folder and not any(a.lower() == "-logfile" for a in self._additional_args):
            os.makedirs(self._log_folder, exist_ok=True)
            log_path = os.path.join(self._log_folder, f"Player-{self._worker_id}.log")
            args += ["-logFile", log_path]
        return args + self._additional_args

    def _handshake(self, seed: int) -> None:
        assert self._communicator is not None
        init = UnityRLInitializationInputProto(
            seed=seed,
            communication_version=self.API_VERSION,
            package_version=mlagents_envs.__version__,
            capabilities=all_capabilities(),
            num_areas=self._num_areas,
        )
        output = self._communicator.initialize(
            UnityInputProto(rl_initialization_input=init), self._poll_process
        )
        init_output = output.rl_initialization_output
        unity_version = init_output.communication_version
        if not self._check_communication_compatibility(
            unity_version, self.API_VERSION, init_output.package_version
        ):
            raise UnityEnvironmentException(
                f"The environment speaks communication API {unity_version or '(none)'} "
                f"(package {init_output.package_version or 'unknown'}) and this Python package "
                f"speaks {self.API_VERSION}; they are not compatible. Use a build made with an "
                "ML-Agents package whose communication API has the same major version, or the "
                "Python package that matches your build."
            )
        logger.info(
            "Connected to environment %r with package version %s and communication version %s.",
            init_output.name,
            init_output.package_version,
            unity_version,
        )
        # Builds without hybrid actions read the actions from the deprecated field.
        self._include_deprecated_actions = not init_output.capabilities.hybridActions
        self._channels_first = channels_first(init_output.package_version)
        self._update_behavior_specs(output)

    @staticmethod
    def _check_communication_compatibility(
        unity_com_ver: str, python_api_version: str, unity_package_version: str
    ) -> bool:
        """Compatible when the major versions match; for major 0, the minors too."""
        try:
            unity = [int(x) for x in unity_com_ver.split(".")[:2]]
            python = [int(x) for x in python_api_version.split(".")[:2]]
        except ValueError:
            return False
        if len(unity) < 2 or unity[0] != python[0]:
            return False
        return unity[0] != 0 or unity[1] == python[1]

    def reset(self) -> None:
        self._check_open("reset")
        rl_input = UnityRLInputProto(command=RESET, side_channel=self._outgoing_side_channel())
        self._exchange(rl_input)
        self._env_actions.clear()

    def step(self) -> None:
        self._check_open("step")
        if self._is_first_message:
            self.reset()
            return
        rl_input = UnityRLInputProto(command=STEP, side_channel=self._outgoing_side_channel())
        for name, action in self._pending_actions().items():
            rl_input.agent_actions[name].value.extend(
                actions_to_proto(action, self._include_deprecated_actions)
            )
        self._exchange(rl_input)

    def _outgoing_side_channel(self) -> bytes:
        return bytes(self._side_channel_manager.generate_side_channel_messages())

    def _exchange(self, rl_input: UnityRLInputProto) -> None:
        assert self._communicator is not None
        try:
            output = self._communicator.exchange(
                UnityInputProto(rl_input=rl_input), self._poll_process
            )
        except UnityTimeOutException:
            # A silent environment cannot be trusted to answer later: stop it.
            self._close_after_failure()
            raise
        if output is None:
            self._close_after_failure()
            raise UnityCommunicatorStoppedException(
                "The environment ended the connection (in the Editor: Play was stopped). "
                "Create a new UnityEnvironment to go on."
            )
        self._update_behavior_specs(output)
        rl_output = output.rl_output
        new_steps: dict[BehaviorName, tuple[DecisionSteps, TerminalSteps]] = {}
        for name, infos in rl_output.agentInfos.items():
            spec = self._env_specs.get(name)
            if spec is None:
                if not infos.value:
                    continue
                raise UnityEnvironmentException(
                    f"The environment sent {len(infos.value)} agents of behavior {name!r} "
                    "without its brain parameters, so their spec is unknown. The environment "
                    "does not follow the protocol: check its ML-Agents version."
                )
            new_steps[name] = steps_from_proto(infos.value, spec, name, self._channels_first)
        self._update_state(new_steps)
        # Side channels last: their handlers may read the new steps.
        self._side_channel_manager.process_side_channel_message(rl_output.side_channel)

    def _update_behavior_specs(self, output: UnityOutputProto) -> None:
        agent_infos = output.rl_output.agentInfos
        for brain in output.rl_initialization_output.brain_parameters:
            infos = agent_infos[brain.brain_name].value if brain.brain_name in agent_infos else []
            if not infos:
                continue
            self._env_specs[brain.brain_name] = behavior_spec_from_proto(brain, infos[0])
            logger.info("Connected new brain: %s", brain.brain_name)

    def _poll_process(self) -> None:
        """Raise if the environment process has exited: called while waiting for it."""
        if self._process is None or self._process.poll() is None:
            return
        code = self._process.returncode
        self._close_after_failure()
        raise UnityEnvironmentException(
            f"The environment process exited with {_describe_exit(code)} while Python waited "
            f"for it. Look at its log for the cause"
            f"{' in ' + self._log_folder if self._log_folder else ''}."
        )

    def _close_after_failure(self) -> None:
        self._close(timeout=0)

    def close(self) -> None:
        """Tell the environment to quit and release the port; safe to call twice."""
        self._close(timeout=10)

    def _close(self, timeout: float) -> None:
        self._closed = True
        atexit_hook = getattr(self, "_atexit_hook", None)
        if atexit_hook is not None:
            atexit.unregister(atexit_hook)
            self._atexit_hook = None
        if self._communicator is not None:
            self._communicator.close()
        process, self._process = self._process, None
        if process is not None:
            try:
                code = process.wait(timeout=timeout if timeout > 0 else 1)
                if code:
                    logger.info("The environment exited with %s.", _describe_exit(code))
            except subprocess.TimeoutExpired:
                logger.info("The environment did not quit in time; killing it.")
                process.kill()
                process.wait()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "no return code"
    if not isinstance(code, int):  # a unit test's stand-in process (mock.patch)
        return f"return code {code!r}"
    if code < 0:
        try:
            return f"return code {code} (signal {signal.Signals(-code).name})"
        except ValueError:
            return f"return code {code} (signal {-code})"
    return f"return code {code}"


def _register_atexit(env: UnityEnvironment) -> object:
    """Close env at interpreter exit without keeping it alive until then."""
    ref = weakref.ref(env)

    def close_at_exit() -> None:
        alive = ref()
        if alive is not None:
            alive._close(timeout=2)

    atexit.register(close_at_exit)
    return close_at_exit

"""The oldest generation of the low-level API (seed 003: BrainInfo) over any BaseEnv.

`BrainInfoEnv(env)` answers `reset(train_mode=True, config=None)` and
`step(action=None, memory=None, text_action=None, value=None)` with a dict of `BrainInfo`
by brain name, and has `brains`, `brain_names` and `external_brain_names`.
`UnityEnvironment(file_name=..., worker_id=..., seed=...)` here opens a build (or the
Editor) as that generation did.

- A brain is a behavior, by its full name (`3DBall?team=0`); every behavior that sends
  agents to Python is external.
- A BrainInfo has a row per row of the behavior's BatchedStepResult
  (mlagents_envs.legacy.batched_step_result): the agents whose episode ended
  (`local_done` True, `max_reached` True if interrupted), then those that ask for a
  decision. An action for `step` has one row per row; the rows of ended agents are unused.
- Observations: `vector_observations` joins the behavior's vector (rank 1) observations in
  their order, (agents, total size); `visual_observations` lists its images (rank 3) as
  4-D arrays in the layout the environment sends (height, width, channels from 2.x builds;
  channels first from 3.x ones). Other observations (entity buffers) have no place in a
  BrainInfo: such a behavior is refused; use the 0.14 API or BaseEnv for it.
- `action_masks` is (agents, total actions): 1 where an action is allowed, 0 where it is
  masked (the opposite of the current API's True = masked); ones for continuous actions.
- `memories` and `previous_actions` are kept here per agent: what `step` sent it last, until
  its episode ends. `text_observations` are empty strings.
- `config` of `reset` sets environment parameters through `parameters_channel` (an
  EnvironmentParametersChannel that must also be one of the environment's side channels);
  keys are not checked, since a BaseEnv does not list its parameters. Without the channel,
  a config is refused.
- `train_mode` selects the engine configuration through `engine_channel`: the training one
  (80x80, quality 1, time scale 20) or the inference one (1280x720, quality 5, time scale
  1, 60 frames per second). Without the channel it cannot be applied, and a warning says so.
- `text_action` and `value` no longer exist on the wire: given, they are dropped with a
  warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, NamedTuple

import numpy as np

from mlagents_envs import environment
from mlagents_envs.base_env import BaseEnv, BehaviorSpec
from mlagents_envs.codec.generation import image_chw
from mlagents_envs.exception import (
    UnityActionException,
    UnityEnvironmentException,
    UnityObservationException,
)
from mlagents_envs.legacy.batched_step_result import (
    AgentGroupEnv,
    AgentGroupSpec,
    BatchedStepResult,
    open_unity_environment,
)
from mlagents_envs.side_channel.engine_configuration_channel import (
    EngineConfig,
    EngineConfigurationChannel,
)
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_envs.side_channel.side_channel import SideChannel

#: The engine configuration of train_mode=True (ML-Agents' training defaults).
TRAINING_CONFIG = EngineConfig.default_config()
#: The engine configuration of train_mode=False: real time, full size, rendered.
INFERENCE_CONFIG = EngineConfig(1280, 720, 5, 1.0, 60, None)


@dataclass
class BrainParameters:
    """What a brain's agents observe and do.

    vector_action_space_size is [floats] for continuous actions and the branch sizes for
    discrete ones; camera_resolutions has one {"height", "width", "blackAndWhite"} per
    visual observation.
    """

    brain_name: str
    vector_observation_space_size: int
    num_stacked_vector_observations: int
    camera_resolutions: list[dict[str, Any]]
    vector_action_space_size: list[int]
    vector_action_descriptions: list[str]
    vector_action_space_type: str

    @property
    def number_visual_observations(self) -> int:
        return len(self.camera_resolutions)

    def __str__(self) -> str:
        lines = [
            f"Unity brain name: {self.brain_name}",
            f"Number of Visual Observations (per agent): {self.number_visual_observations}",
            f"Vector Observation space size (per agent): {self.vector_observation_space_size}",
            f"Number of stacked Vector Observation: {self.num_stacked_vector_observations}",
            f"Vector Action space type: {self.vector_action_space_type}",
            f"Vector Action space size (per agent): {self.vector_action_space_size}",
            f"Vector Action descriptions: {', '.join(self.vector_action_descriptions)}",
        ]
        return "\n        ".join(lines)


@dataclass(repr=False)
class BrainInfo:
    """The agents of one brain after a reset or a step (see the module docstring)."""

    visual_observations: list[np.ndarray]
    vector_observations: np.ndarray
    text_observations: list[str]
    memories: np.ndarray
    rewards: list[float]
    local_done: list[bool]
    max_reached: list[bool]
    agents: list[int]
    previous_actions: np.ndarray
    action_masks: np.ndarray
    previous_text_actions: list[str] = field(default_factory=list)

    @property
    def previous_vector_actions(self) -> np.ndarray:
        """previous_actions, under its name in that generation's trainers."""
        return self.previous_actions

    def __repr__(self) -> str:
        return f"BrainInfo(agents={self.agents}, local_done={self.local_done})"


AllBrainInfo = dict[str, BrainInfo]


class _Brain(NamedTuple):
    parameters: BrainParameters
    group: AgentGroupSpec
    vector: list[int]  # indices of the vector observations
    visual: list[int]  # indices of the images


def _brain(name: str, spec: BehaviorSpec) -> _Brain:
    group = AgentGroupSpec.from_behavior_spec(spec, f"Brain {name!r}")
    vector, visual, cameras = [], [], []
    for index, obs in enumerate(spec.observation_specs):
        if len(obs.shape) == 1:
            vector.append(index)
        elif len(obs.shape) == 3:
            visual.append(index)
            channels, height, width = image_chw(obs)
            cameras.append({"height": height, "width": width, "blackAndWhite": channels == 1})
        else:
            raise UnityObservationException(
                f"Brain {name!r} has observation {obs.name!r} of shape {obs.shape}, which a "
                "BrainInfo has no place for (vector or image observations only). Use "
                "mlagents_envs.legacy.batched_step_result or the BaseEnv API for it."
            )
    branches = group.discrete_action_branches
    sizes = list(branches) if branches is not None else [group.action_size]
    parameters = BrainParameters(
        brain_name=name,
        vector_observation_space_size=sum(spec.observation_specs[i].shape[0] for i in vector),
        num_stacked_vector_observations=1,
        camera_resolutions=cameras,
        vector_action_space_size=sizes,
        vector_action_descriptions=[""] * len(sizes),
        vector_action_space_type="discrete" if group.is_action_discrete() else "continuous",
    )
    return _Brain(parameters, group, vector, visual)


class BrainInfoEnv:
    """The BrainInfo API over env; see the module docstring for the channels."""

    def __init__(
        self,
        env: BaseEnv,
        engine_channel: EngineConfigurationChannel | None = None,
        parameters_channel: EnvironmentParametersChannel | None = None,
    ) -> None:
        self.env = env
        self._groups = AgentGroupEnv(env)
        self._engine_channel = engine_channel
        self._parameters_channel = parameters_channel
        self._brains: dict[str, _Brain] = {}
        self._reset_parameters: dict[str, float] = {}
        self._train_mode: bool | None = None
        self._warned: set[str] = set()
        self._started = False
        # Per brain, per agent id: the last action and memory sent, until its episode ends.
        self._previous_actions: dict[str, dict[int, np.ndarray]] = {}
        self._memories: dict[str, dict[int, np.ndarray]] = {}

    @property
    def brains(self) -> dict[str, BrainParameters]:
        """The BrainParameters of every brain the environment has sent agents of."""
        return {name: self._brain(name).parameters for name in self.env.behavior_specs}

    @property
    def brain_names(self) -> list[str]:
        return list(self.env.behavior_specs)

    @property
    def external_brain_names(self) -> list[str]:
        """Every brain: a behavior is seen by Python only if Python drives it."""
        return self.brain_names

    @property
    def number_brains(self) -> int:
        return len(self.env.behavior_specs)

    @property
    def number_external_brains(self) -> int:
        return self.number_brains

    @property
    def reset_parameters(self) -> dict[str, float]:
        """The environment parameters set through reset(config=...) so far."""
        return dict(self._reset_parameters)

    def __str__(self) -> str:
        parameters = "\n\t\t".join(f"{k} -> {v}" for k, v in self._reset_parameters.items())
        header = (
            f"Unity environment: {type(self.env).__name__}\n"
            f"        Number of Brains: {self.number_brains}\n"
            f"        Number of External Brains : {self.number_external_brains}\n"
            f"        Reset Parameters :\n\t\t{parameters}"
        )
        return "\n".join([header, *(str(b) for b in self.brains.values())])

    def reset(
        self, train_mode: bool = True, config: Mapping[str, float] | None = None
    ) -> AllBrainInfo:
        """Reset the environment; train_mode picks the engine configuration, config sets
        environment parameters. Returns the BrainInfo of every brain."""
        if isinstance(train_mode, Mapping):
            raise UnityEnvironmentException(
                "reset(train_mode, config) got a dict as train_mode: pass the parameters "
                "as reset(config={...}) (older versions took config first)."
            )
        # Config first: it is checked whole before anything is sent.
        self._apply_config(config)
        self._apply_train_mode(bool(train_mode))
        self._groups.reset()
        self._started = True
        self._previous_actions.clear()
        self._memories.clear()
        return self._all_brain_info()

    def step(
        self,
        action: Any = None,
        memory: Any = None,
        text_action: Any = None,
        value: Any = None,
    ) -> AllBrainInfo:
        """Send the actions (and memories) and step; returns the BrainInfo of every brain.

        With one brain, action and memory may be given directly; with several, as dicts
        by brain name. A brain without actions gets zeros.
        """
        if not self._started:
            raise UnityActionException(
                "You cannot conduct step without first calling reset. Reset the environment "
                "with reset()."
            )
        actions = self._by_brain(action, "action")
        memories = self._by_brain(memory, "memory")
        self._drop("text_action", text_action, "text actions")
        self._drop("value", value, "value estimates")
        # Everything is checked before anything is set, so that a refused step sets nothing.
        planned = [self._plan(name, actions, memories) for name in self.brain_names]
        for name, result, rows, memory in planned:
            if name in actions:
                self._groups.set_actions(name, rows)
            self._remember(self._previous_actions, name, result, rows)
            if memory is not None:
                self._remember(self._memories, name, result, memory)
        self._groups.step()
        return self._all_brain_info()

    def close(self) -> None:
        self._groups.close()

    def _plan(
        self, name: str, actions: dict[str, Any], memories: dict[str, Any]
    ) -> tuple[str, BatchedStepResult, np.ndarray, np.ndarray | None]:
        """The action and memory rows of a brain for the next step (zeros if none given)."""
        brain = self._brain(name)
        result = self._groups.get_step_result(name)
        n_agents, size = result.n_agents(), brain.group.action_size
        rows: np.ndarray = np.zeros((n_agents, size), dtype=np.float32)
        if name in actions:
            flat = np.asarray(actions[name], dtype=np.float64).reshape(-1)
            if flat.size != n_agents * size:
                raise UnityActionException(
                    f"There was a mismatch between the provided action and the "
                    f"environment's expectation: the brain {name!r} expected "
                    f"{n_agents * size} {brain.parameters.vector_action_space_type} "
                    f"action(s) ({n_agents} agents x {size}), but was provided {flat.size}."
                )
            rows = flat.reshape(n_agents, size)
        memory = None
        given = np.asarray(memories.get(name, []), dtype=np.float32).reshape(-1)
        if given.size:
            if n_agents == 0 or given.size % n_agents:
                raise UnityActionException(
                    f"The brain {name!r} has {n_agents} agents; its memory of "
                    f"{given.size} floats does not split into one row per agent."
                )
            memory = given.reshape(n_agents, -1)
        return name, result, rows, memory

    def _brain(self, name: str) -> _Brain:
        brain = self._brains.get(name)
        if brain is None:
            brain = self._brains[name] = _brain(name, self.env.behavior_specs[name])
        return brain

    def _apply_train_mode(self, train_mode: bool) -> None:
        if self._engine_channel is None:
            self._warn_once(
                "train_mode",
                f"train_mode={train_mode} cannot be applied: this environment was given no "
                "EngineConfigurationChannel, so it keeps its own engine settings. Pass one "
                "as engine_channel (and among the environment's side channels).",
            )
            return
        if train_mode != self._train_mode:
            config = TRAINING_CONFIG if train_mode else INFERENCE_CONFIG
            self._engine_channel.set_configuration(config)
            self._train_mode = train_mode

    def _apply_config(self, config: Mapping[str, float] | None) -> None:
        if not config:
            return
        if not isinstance(config, Mapping):
            raise UnityEnvironmentException(
                f"config must be a dict of parameter names to numbers, got {config!r}."
            )
        if self._parameters_channel is None:
            raise UnityEnvironmentException(
                f"reset(config={dict(config)!r}) needs an EnvironmentParametersChannel to "
                "send the parameters: pass one as parameters_channel (and among the "
                "environment's side channels)."
            )
        for key, value in config.items():
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise UnityEnvironmentException(
                    f"The value for parameter {key!r} must be an int or a float, got {value!r}."
                )
        for key, value in config.items():
            self._parameters_channel.set_float_parameter(key, float(value))
            self._reset_parameters[key] = float(value)

    def _by_brain(self, given: Any, what: str) -> dict[str, Any]:
        if given is None:
            return {}
        names = self.brain_names
        if isinstance(given, Mapping):
            unknown = [k for k in given if k not in names]
            if unknown:
                raise UnityActionException(
                    f"The {what} names {unknown} that do not correspond to an external brain "
                    f"in the environment; the brains are {names}."
                )
            return {k: v for k, v in given.items() if v is not None}
        if len(names) == 1:
            return {names[0]: given}
        raise UnityActionException(
            f"You have {len(names)} brains {names}: give the {what} as a dict from brain "
            "names to arrays."
        )

    def _drop(self, key: str, given: Any, what: str) -> None:
        if _carries_something(given):
            self._warn_once(
                key,
                f"{key} is dropped: ML-Agents' protocol no longer carries {what}, so they "
                "cannot reach the environment.",
            )

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            # Points at the caller of reset() or step().
            warnings.warn(message, UserWarning, stacklevel=4)

    @staticmethod
    def _remember(
        store: dict[str, dict[int, np.ndarray]],
        name: str,
        result: BatchedStepResult,
        rows: np.ndarray,
    ) -> None:
        """Keep rows for the agents that asked (the rows after the ended ones)."""
        per_agent = store.setdefault(name, {})
        first = int(np.count_nonzero(result.done))
        for agent, row in zip(result.agent_id[first:].tolist(), rows[first:]):
            per_agent[agent] = np.asarray(row, dtype=np.float32).copy()

    def _all_brain_info(self) -> AllBrainInfo:
        return {name: self._brain_info(name) for name in self.brain_names}

    def _brain_info(self, name: str) -> BrainInfo:
        brain = self._brain(name)
        result = self._groups.get_step_result(name)
        n_agents, size = result.n_agents(), brain.group.action_size
        if brain.vector:
            vector = np.concatenate([result.obs[i] for i in brain.vector], axis=1)
        else:
            vector = np.zeros((n_agents, 0), dtype=np.float32)
        previous = np.zeros((n_agents, size), dtype=np.float32)
        memory_rows: list[np.ndarray | None] = []
        actions = self._previous_actions.setdefault(name, {})
        memories = self._memories.setdefault(name, {})
        for row, (agent, done) in enumerate(zip(result.agent_id.tolist(), result.done.tolist())):
            # An ended episode shows what it had last, then is forgotten: the agent's next
            # row (its new episode) starts from zeros.
            last = actions.pop(agent, None) if done else actions.get(agent)
            if last is not None:
                previous[row] = last
            memory_rows.append(memories.pop(agent, None) if done else memories.get(agent))
        width = max((m.size for m in memory_rows if m is not None), default=0)
        memory = np.zeros((n_agents, width), dtype=np.float32)
        for row, m in enumerate(memory_rows):
            if m is not None:
                memory[row, : m.size] = m
        if result.action_mask is not None:
            masks = 1.0 - np.concatenate(result.action_mask, axis=1).astype(np.float32)
        else:
            masks = np.ones((n_agents, size), dtype=np.float32)
        return BrainInfo(
            visual_observations=[result.obs[i] for i in brain.visual],
            vector_observations=vector,
            text_observations=[""] * n_agents,
            memories=memory,
            rewards=result.reward.tolist(),
            local_done=result.done.tolist(),
            max_reached=result.max_step.tolist(),
            agents=result.agent_id.tolist(),
            previous_actions=previous,
            action_masks=masks,
            previous_text_actions=[""] * n_agents,
        )

    def __enter__(self) -> BrainInfoEnv:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class UnityEnvironment(BrainInfoEnv):
    """Opens an environment as that generation's UnityEnvironment did: file_name (None
    waits for the Editor), worker_id, base_port, seed, no_graphics; args are extra
    command-line arguments for the build, side_channels more channels. It adds the engine
    configuration and environment parameters channels that train_mode and config need,
    unless side_channels holds them already. The current environment is `.env`."""

    DEFAULT_EDITOR_PORT = environment.UnityEnvironment.DEFAULT_EDITOR_PORT
    BASE_ENVIRONMENT_PORT = environment.UnityEnvironment.BASE_ENVIRONMENT_PORT

    def __init__(
        self,
        file_name: str | None = None,
        worker_id: int = 0,
        base_port: int | None = None,
        seed: int = 0,
        docker_training: bool = False,
        no_graphics: bool = False,
        timeout_wait: int = 60,
        args: list[str] | None = None,
        side_channels: list[SideChannel] | None = None,
    ) -> None:
        channels = list(side_channels or [])
        engine = _find(channels, EngineConfigurationChannel) or EngineConfigurationChannel()
        parameters = _find(channels, EnvironmentParametersChannel) or (
            EnvironmentParametersChannel()
        )
        channels += [c for c in (engine, parameters) if c not in channels]
        if base_port is None:
            base_port = self.BASE_ENVIRONMENT_PORT if file_name else self.DEFAULT_EDITOR_PORT
        env = open_unity_environment(
            file_name,
            worker_id,
            base_port,
            seed,
            docker_training,
            no_graphics,
            timeout_wait,
            args,
            channels,
        )
        super().__init__(env, engine, parameters)


def _carries_something(given: Any) -> bool:
    """Whether an argument holds anything but None and empty strings."""
    if given is None:
        return False
    if isinstance(given, str):
        return given != ""
    if isinstance(given, Mapping):
        return any(_carries_something(v) for v in given.values())
    if isinstance(given, list | tuple | np.ndarray):
        return any(_carries_something(v) for v in given)
    return True


def _find(channels: list[SideChannel], kind: type[Any]) -> Any:
    return next((c for c in channels if isinstance(c, kind)), None)

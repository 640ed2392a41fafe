"""The 0.14 generation of the low-level API (seed 002) over any BaseEnv.

`AgentGroupEnv(env)` gives a BaseEnv the methods scripts of that generation call:
`get_agent_groups`, `get_agent_group_spec` (an `AgentGroupSpec`), `get_step_result` (a
`BatchedStepResult`), `set_actions` and `set_action_for_agent` with plain arrays, `reset`,
`step`, `close`. `UnityEnvironment(...)` here takes that generation's constructor arguments
and opens a current UnityEnvironment under the adapter.

An agent group is a behavior, by its full name (`3DBall?team=0`). A BatchedStepResult
holds, in this order, the agents whose episode ended at the last step (`done` True,
`max_step` True when it was interrupted) and then the agents that ask for a decision. An
agent that ended its episode and asks again in the same step has both rows; looking it up
by id (`get_agent_step_result`) finds the second, the new episode. `set_actions` takes one
row per row of the result; the rows of ended agents are not used, since those agents take
no action. Observations keep the shape the environment declares (images included).
"""

from __future__ import annotations

import logging
from enum import Enum
from types import TracebackType
from typing import Any, NamedTuple

import numpy as np

from mlagents_envs import environment
from mlagents_envs.base_env import (
    ActionTuple,
    AgentId,
    BaseEnv,
    BehaviorSpec,
    DecisionSteps,
    TerminalSteps,
)
from mlagents_envs.exception import UnityActionException, UnityEnvironmentException
from mlagents_envs.side_channel.side_channel import SideChannel

logger = logging.getLogger(__name__)

AgentGroup = str


class ActionType(Enum):
    DISCRETE = 0
    CONTINUOUS = 1


class AgentGroupSpec(NamedTuple):
    """The observation shapes and the action space of an agent group.

    action_shape is the number of floats of a continuous action, or the tuple of branch
    sizes of a discrete one.
    """

    observation_shapes: list[tuple[int, ...]]
    action_type: ActionType
    action_shape: int | tuple[int, ...]

    def is_action_discrete(self) -> bool:
        return self.action_type == ActionType.DISCRETE

    def is_action_continuous(self) -> bool:
        return self.action_type == ActionType.CONTINUOUS

    @property
    def action_size(self) -> int:
        """Floats per continuous action, or the number of discrete branches."""
        if isinstance(self.action_shape, tuple):
            return len(self.action_shape)
        return self.action_shape

    @property
    def discrete_action_branches(self) -> tuple[int, ...] | None:
        """The size of each discrete branch; None for continuous actions."""
        return self.action_shape if isinstance(self.action_shape, tuple) else None

    def create_empty_action(self, n_agents: int) -> np.ndarray:
        """Zeros of shape (n_agents, action_size): int32 if discrete, float32 if continuous."""
        dtype = np.int32 if self.is_action_discrete() else np.float32
        return np.zeros((n_agents, self.action_size), dtype=dtype)

    @staticmethod
    def from_behavior_spec(spec: BehaviorSpec, name: str = "this behavior") -> AgentGroupSpec:
        """The AgentGroupSpec of a BehaviorSpec; hybrid actions have none."""
        action = spec.action_spec
        if action.continuous_size and action.discrete_size:
            raise UnityActionException(
                f"{name} has hybrid actions ({action.continuous_size} continuous, discrete "
                f"branches {action.discrete_branches}), which an AgentGroupSpec cannot "
                "describe. Drive it with the BaseEnv API (ActionTuple) instead."
            )
        shapes = [tuple(o.shape) for o in spec.observation_specs]
        if action.discrete_size:
            return AgentGroupSpec(shapes, ActionType.DISCRETE, tuple(action.discrete_branches))
        return AgentGroupSpec(shapes, ActionType.CONTINUOUS, action.continuous_size)


class StepResult(NamedTuple):
    """One agent's row of a BatchedStepResult."""

    obs: list[np.ndarray]
    reward: float
    done: bool
    max_step: bool
    agent_id: AgentId
    action_mask: list[np.ndarray] | None


class BatchedStepResult:
    """The agents of a group since the last step, as arrays with one row per agent:
    obs (a list, one array per observation), reward, done, max_step, agent_id, and
    action_mask (one (rows, branch_size) bool array per discrete branch, True = not
    allowed; None for continuous actions)."""

    def __init__(
        self,
        obs: list[np.ndarray],
        reward: np.ndarray,
        done: np.ndarray,
        max_step: np.ndarray,
        agent_id: np.ndarray,
        action_mask: list[np.ndarray] | None,
    ) -> None:
        self.obs = obs
        self.reward = reward
        self.done = done
        self.max_step = max_step
        self.agent_id = agent_id
        self.action_mask = action_mask
        self._agent_id_to_index: dict[AgentId, int] | None = None

    @property
    def agent_id_to_index(self) -> dict[AgentId, int]:
        """Agent id -> row; for an agent with two rows, its second (its new episode)."""
        if self._agent_id_to_index is None:
            self._agent_id_to_index = {a: i for i, a in enumerate(self.agent_id.tolist())}
        return self._agent_id_to_index

    def contains_agent(self, agent_id: AgentId) -> bool:
        return agent_id in self.agent_id_to_index

    def get_agent_step_result(self, agent_id: AgentId) -> StepResult:
        """The row of one agent; IndexError if it has none."""
        index = self.agent_id_to_index.get(agent_id)
        if index is None:
            raise IndexError(
                f"agent_id {agent_id} is not present in the BatchedStepResult; it holds "
                f"{self.agent_id.tolist()[:20]}."
            )
        mask = None if self.action_mask is None else [m[index] for m in self.action_mask]
        return StepResult(
            obs=[o[index] for o in self.obs],
            reward=float(self.reward[index]),
            done=bool(self.done[index]),
            max_step=bool(self.max_step[index]),
            agent_id=int(self.agent_id[index]),
            action_mask=mask,
        )

    def n_agents(self) -> int:
        """The number of rows."""
        return len(self.agent_id)

    @staticmethod
    def empty(spec: AgentGroupSpec) -> BatchedStepResult:
        return BatchedStepResult(
            obs=[np.zeros((0, *shape), dtype=np.float32) for shape in spec.observation_shapes],
            reward=np.zeros(0, dtype=np.float32),
            done=np.zeros(0, dtype=bool),
            max_step=np.zeros(0, dtype=bool),
            agent_id=np.zeros(0, dtype=np.int32),
            action_mask=None,
        )

    def __repr__(self) -> str:
        return f"BatchedStepResult(agent_id={self.agent_id.tolist()}, done={self.done.tolist()})"


def batched_step_result(
    decision: DecisionSteps, terminal: TerminalSteps, spec: BehaviorSpec
) -> BatchedStepResult:
    """One BatchedStepResult of a behavior's steps: terminal rows, then decision rows."""
    n_t, n_d = len(terminal), len(decision)
    if n_t:
        obs = [np.concatenate([t, d]) for t, d in zip(terminal.obs, decision.obs)]
    else:
        obs = list(decision.obs)
    mask: list[np.ndarray] | None = None
    branches = spec.action_spec.discrete_branches
    if branches:
        given = decision.action_mask or [np.zeros((n_d, b), dtype=bool) for b in branches]
        # Ended agents choose nothing; their rows allow every action.
        mask = [
            np.concatenate([np.zeros((n_t, b), dtype=bool), m]) for b, m in zip(branches, given)
        ]
    return BatchedStepResult(
        obs=obs,
        reward=np.concatenate([terminal.reward, decision.reward]).astype(np.float32),
        done=np.concatenate([np.ones(n_t, dtype=bool), np.zeros(n_d, dtype=bool)]),
        max_step=np.concatenate([terminal.interrupted, np.zeros(n_d, dtype=bool)]),
        agent_id=np.concatenate([terminal.agent_id, decision.agent_id]).astype(np.int32),
        action_mask=mask,
    )


class AgentGroupEnv:
    """The 0.14 API (`get_agent_groups`, `get_step_result`, plain-array actions) over env."""

    def __init__(self, env: BaseEnv) -> None:
        self.env = env
        # Per group: the steps a result was made from, and the result.
        self._results: dict[AgentGroup, tuple[Any, BatchedStepResult]] = {}

    def reset(self) -> None:
        self._results.clear()
        self.env.reset()

    def step(self) -> None:
        self._results.clear()
        self.env.step()

    def close(self) -> None:
        self._results.clear()
        self.env.close()

    def get_agent_groups(self) -> list[AgentGroup]:
        """The groups (behavior names) the environment has sent so far."""
        return list(self.env.behavior_specs)

    def get_agent_group_spec(self, agent_group: AgentGroup) -> AgentGroupSpec:
        return AgentGroupSpec.from_behavior_spec(
            self._behavior_spec(agent_group), f"Agent group {agent_group!r}"
        )

    def get_step_result(self, agent_group: AgentGroup) -> BatchedStepResult:
        """The agents of agent_group that ended or asked for a decision at the last step."""
        spec = self._behavior_spec(agent_group)
        steps = self.env.get_steps(agent_group)
        cached = self._results.get(agent_group)
        if cached is not None and cached[0][0] is steps[0] and cached[0][1] is steps[1]:
            return cached[1]
        result = batched_step_result(steps[0], steps[1], spec)
        self._results[agent_group] = (steps, result)
        return result

    def set_actions(self, agent_group: AgentGroup, action: Any) -> None:
        """Set the actions of the group for the next step: an array of shape
        (n_agents(), action_size), int32 if discrete, float32 if continuous."""
        spec = self.get_agent_group_spec(agent_group)
        result = self.get_step_result(agent_group)
        array = np.asarray(action)
        expected = (result.n_agents(), spec.action_size)
        if array.shape != expected:
            raise UnityActionException(
                f"The group {agent_group!r} needs actions of shape {expected} (one row per "
                f"row of its step result, {spec.action_size} per agent), got {array.shape}."
            )
        asking = array[int(np.count_nonzero(result.done)) :]
        self.env.set_actions(agent_group, _action_tuple(spec, asking))

    def set_action_for_agent(self, agent_group: AgentGroup, agent_id: AgentId, action: Any) -> None:
        """Set the action (action_size values) of one agent of the group for the next step."""
        spec = self.get_agent_group_spec(agent_group)
        array = np.asarray(action)
        if array.size != spec.action_size or array.ndim > 2:
            raise UnityActionException(
                f"The group {agent_group!r} needs an action of {spec.action_size} values for "
                f"agent {agent_id}, got shape {array.shape}."
            )
        decision, terminal = self.env.get_steps(agent_group)
        if agent_id not in decision and agent_id in terminal:
            logger.debug(
                "Agent %s of %r ended its episode: it takes no action.", agent_id, agent_group
            )
            return
        row = array.reshape(1, spec.action_size)
        self.env.set_action_for_agent(agent_group, agent_id, _action_tuple(spec, row))

    def _behavior_spec(self, agent_group: AgentGroup) -> BehaviorSpec:
        specs = self.env.behavior_specs
        if agent_group not in specs:
            raise UnityActionException(
                f"The group {agent_group!r} does not correspond to an existing agent group in "
                f"the environment; the groups are {sorted(specs)}. Call reset() first if the "
                "list is empty."
            )
        return specs[agent_group]

    def __enter__(self) -> AgentGroupEnv:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _action_tuple(spec: AgentGroupSpec, rows: np.ndarray) -> ActionTuple:
    if spec.is_action_discrete():
        return ActionTuple(discrete=rows)
    return ActionTuple(continuous=rows)


def open_unity_environment(
    file_name: str | None,
    worker_id: int,
    base_port: int,
    seed: int,
    docker_training: bool,
    no_graphics: bool,
    timeout_wait: int,
    args: list[str] | None,
    side_channels: list[SideChannel] | None,
) -> environment.UnityEnvironment:
    """A current UnityEnvironment from the constructor arguments of the older ones."""
    if docker_training:
        raise UnityEnvironmentException(
            "docker_training=True is not supported: start the build with no_graphics=True, "
            "or run Python itself under xvfb-run if the build needs a display."
        )
    return environment.UnityEnvironment(
        file_name=file_name,
        worker_id=worker_id,
        base_port=base_port,
        seed=seed,
        no_graphics=no_graphics,
        timeout_wait=timeout_wait,
        additional_args=args,
        side_channels=side_channels,
    )


class UnityEnvironment(AgentGroupEnv):
    """Opens an environment as the 0.14 UnityEnvironment did (a build, or the Editor when
    file_name is None) and drives it with the 0.14 API. side_channels may mix current
    channels (EngineConfigurationChannel, FloatPropertiesChannel, ...) and 0.14 ones
    (mlagents_envs.legacy.side_channel.SideChannel). args are extra command-line arguments
    for the build. The current environment is `.env`."""

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
        if base_port is None:
            base_port = self.BASE_ENVIRONMENT_PORT if file_name else self.DEFAULT_EDITOR_PORT
        super().__init__(
            open_unity_environment(
                file_name,
                worker_id,
                base_port,
                seed,
                docker_training,
                no_graphics,
                timeout_wait,
                args,
                side_channels,
            )
        )

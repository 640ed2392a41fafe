"""The data model of the low-level API: steps, actions, specs and the BaseEnv interface.

Agents that share a behavior share observation and action specs, and their data travels in
batches: every array has the agents along its first axis. Agent ids identify agents across
steps; the number and order of agents in a batch may change from one step to the next.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from enum import Enum, IntFlag
from types import TracebackType
from typing import Any, NamedTuple

import numpy as np

from mlagents_envs.exception import UnityActionException

AgentId = int
GroupId = int
BehaviorName = str


class DecisionStep(NamedTuple):
    """What one agent collected since its last decision; it now needs an action."""

    obs: list[np.ndarray]
    reward: float
    agent_id: AgentId
    action_mask: list[np.ndarray] | None
    group_id: int
    group_reward: float


class TerminalStep(NamedTuple):
    """What one agent collected when its episode ended."""

    obs: list[np.ndarray]
    reward: float
    interrupted: bool
    agent_id: AgentId
    group_id: int
    group_reward: float


class _AgentBatch:
    """Lookup of agents by id, shared by DecisionSteps and TerminalSteps."""

    agent_id: np.ndarray
    _id_to_index: dict[AgentId, int] | None = None

    @property
    def agent_id_to_index(self) -> dict[AgentId, int]:
        """A dict from agent id to the agent's row in this batch."""
        if self._id_to_index is None:
            # Built on first use: most consumers read whole arrays and never look up by id.
            self._id_to_index = {a: i for i, a in enumerate(self.agent_id.tolist())}
        return self._id_to_index

    def _row(self, agent_id: AgentId) -> int:
        try:
            return self.agent_id_to_index[agent_id]
        except KeyError:
            raise KeyError(
                f"agent_id {agent_id} is not present in this {type(self).__name__}; "
                f"it holds {sorted(self.agent_id_to_index)}"
            ) from None

    def __len__(self) -> int:
        return len(self.agent_id)

    def __iter__(self) -> Iterator[AgentId]:
        return iter(self.agent_id.tolist())

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self.agent_id_to_index

    def __repr__(self) -> str:
        return f"{type(self).__name__}(agent_id={self.agent_id.tolist()})"


class DecisionSteps(_AgentBatch, Mapping[AgentId, DecisionStep]):
    """The agents of one behavior that need an action, as batched arrays.

    - obs: one array per observation, shaped (n_agents, *observation_shape), float32
    - reward: (n_agents,) float32, the reward since each agent's last decision
    - agent_id: (n_agents,) int32
    - action_mask: one (n_agents, branch_size) bool array per discrete branch, True where
      the action is not allowed; None when the behavior has no discrete actions
    - group_id: (n_agents,) int32, 0 for agents in no group
    - group_reward: (n_agents,) float32, the reward shared by the agent's group
    """

    def __init__(
        self,
        obs: list[np.ndarray],
        reward: np.ndarray,
        agent_id: np.ndarray,
        action_mask: list[np.ndarray] | None,
        group_id: np.ndarray,
        group_reward: np.ndarray,
    ) -> None:
        self.obs = obs
        self.reward = reward
        self.agent_id = agent_id
        self.action_mask = action_mask
        self.group_id = group_id
        self.group_reward = group_reward

    def __getitem__(self, agent_id: AgentId) -> DecisionStep:
        """The DecisionStep of one agent; KeyError if it is not in this batch."""
        i = self._row(agent_id)
        mask = None if self.action_mask is None else [branch[i] for branch in self.action_mask]
        return DecisionStep(
            obs=[o[i] for o in self.obs],
            reward=float(self.reward[i]),
            agent_id=int(self.agent_id[i]),
            action_mask=mask,
            group_id=int(self.group_id[i]),
            group_reward=float(self.group_reward[i]),
        )

    @staticmethod
    def empty(spec: BehaviorSpec) -> DecisionSteps:
        """A DecisionSteps with no agents, with arrays shaped for the given spec."""
        branches = spec.action_spec.discrete_branches
        return DecisionSteps(
            obs=_empty_observations(spec),
            reward=np.zeros(0, dtype=np.float32),
            agent_id=np.zeros(0, dtype=np.int32),
            # Like decoded steps: one mask per branch when there are discrete actions.
            action_mask=[np.zeros((0, b), dtype=bool) for b in branches] if branches else None,
            group_id=np.zeros(0, dtype=np.int32),
            group_reward=np.zeros(0, dtype=np.float32),
        )


class TerminalSteps(_AgentBatch, Mapping[AgentId, TerminalStep]):
    """The agents of one behavior whose episode ended, as batched arrays.

    Same arrays as DecisionSteps without action masks, plus interrupted: (n_agents,) bool,
    True when the episode was cut short (for example by a maximum step count) rather than
    ended by the task itself.
    """

    def __init__(
        self,
        obs: list[np.ndarray],
        reward: np.ndarray,
        interrupted: np.ndarray,
        agent_id: np.ndarray,
        group_id: np.ndarray,
        group_reward: np.ndarray,
    ) -> None:
        self.obs = obs
        self.reward = reward
        self.interrupted = interrupted
        self.agent_id = agent_id
        self.group_id = group_id
        self.group_reward = group_reward

    def __getitem__(self, agent_id: AgentId) -> TerminalStep:
        """The TerminalStep of one agent; KeyError if it is not in this batch."""
        i = self._row(agent_id)
        return TerminalStep(
            obs=[o[i] for o in self.obs],
            reward=float(self.reward[i]),
            interrupted=bool(self.interrupted[i]),
            agent_id=int(self.agent_id[i]),
            group_id=int(self.group_id[i]),
            group_reward=float(self.group_reward[i]),
        )

    @staticmethod
    def empty(spec: BehaviorSpec) -> TerminalSteps:
        """A TerminalSteps with no agents, with arrays shaped for the given spec."""
        return TerminalSteps(
            obs=_empty_observations(spec),
            reward=np.zeros(0, dtype=np.float32),
            interrupted=np.zeros(0, dtype=bool),
            agent_id=np.zeros(0, dtype=np.int32),
            group_id=np.zeros(0, dtype=np.int32),
            group_reward=np.zeros(0, dtype=np.float32),
        )


def _empty_observations(spec: BehaviorSpec) -> list[np.ndarray]:
    return [np.zeros((0, *o.shape), dtype=np.float32) for o in spec.observation_specs]


class ActionTuple:
    """Actions for a batch of agents: continuous (n_agents, continuous_size) float32 and
    discrete (n_agents, discrete_size) int32. Both arrays always exist and agree on
    n_agents, even when one of the sizes is 0.
    """

    __slots__ = ("_continuous", "_discrete", "_given")

    def __init__(self, continuous: Any = None, discrete: Any = None) -> None:
        self._continuous = _empty_part(np.float32)
        self._discrete = _empty_part(np.int32)
        self._given: set[str] = set()
        if continuous is not None:
            self.add_continuous(continuous)
        if discrete is not None:
            self.add_discrete(discrete)

    @property
    def continuous(self) -> np.ndarray:
        return self._continuous

    @property
    def discrete(self) -> np.ndarray:
        return self._discrete

    @property
    def discrete_dtype(self) -> np.dtype:
        """The dtype of a discrete action."""
        return np.dtype(np.int32)

    def add_continuous(self, continuous: Any) -> None:
        """Set the continuous part: a 2-D array of real numbers, stored as float32."""
        array = _as_action_array(continuous, "continuous")
        if array.dtype.kind not in "fiu":
            raise UnityActionException(
                f"Continuous actions must be real numbers, got an array of dtype {array.dtype}. "
                "Pass a float32 array of shape (n_agents, continuous_size)."
            )
        self._set("continuous", array.astype(np.float32, copy=False))

    def add_discrete(self, discrete: Any) -> None:
        """Set the discrete part: a 2-D array of integers, stored as int32."""
        array = _as_action_array(discrete, "discrete")
        if array.dtype.kind == "f":
            # Checked in float64, where every int32 is exact and no comparison overflows.
            wide = array.astype(np.float64)
            # Integral floats are common (a float policy output); fractions are a bug that
            # silent truncation would hide.
            fractional = ~np.isfinite(wide) | (wide != np.round(wide))
            if fractional.any():
                raise UnityActionException(
                    "Discrete actions must be whole numbers, got "
                    f"{wide[fractional][:5].tolist()}. Pass an int32 array."
                )
            array = wide
        elif array.dtype.kind not in "iu":
            raise UnityActionException(
                f"Discrete actions must be integers, got an array of dtype {array.dtype}. "
                "Pass an int32 array of shape (n_agents, discrete_size)."
            )
        info = np.iinfo(np.int32)
        if array.size and (array.min() < info.min or array.max() > info.max):
            raise UnityActionException(
                f"Discrete actions must fit in int32, got values in [{array.min()}, {array.max()}]."
            )
        self._set("discrete", array.astype(np.int32, copy=False))

    def _set(self, part: str, array: np.ndarray) -> None:
        """Store one part once it agrees with the other; a refused part changes nothing."""
        other = "discrete" if part == "continuous" else "continuous"
        other_array = self._discrete if other == "discrete" else self._continuous
        if other in self._given:
            if other_array.shape[0] != array.shape[0]:
                rows = {part: array.shape[0], other: other_array.shape[0]}
                raise UnityActionException(
                    f"The continuous part has {rows['continuous']} agents but the discrete "
                    f"part has {rows['discrete']}; both must have one row per agent."
                )
        else:
            # The other part was never given: it has this part's agents and no columns.
            other_array = np.zeros((array.shape[0], 0), dtype=other_array.dtype)
        if part == "continuous":
            self._continuous, self._discrete = array, other_array
        else:
            self._discrete, self._continuous = array, other_array
        self._given.add(part)

    @property
    def n_agents(self) -> int:
        return self._continuous.shape[0]

    def __repr__(self) -> str:
        return f"ActionTuple(continuous={self._continuous!r}, discrete={self._discrete!r})"


def _empty_part(dtype: type) -> np.ndarray:
    return np.zeros((0, 0), dtype=dtype)


def _as_action_array(value: Any, part: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise UnityActionException(
            f"The {part} actions are not a rectangular array ({error}). Pass an array of "
            f"shape (n_agents, {part}_size)."
        ) from error
    if array.ndim != 2:
        raise UnityActionException(
            f"The {part} actions must be a 2-D array (n_agents, {part}_size), got shape "
            f"{array.shape}. For a single agent, use shape (1, {part}_size)."
        )
    if array.dtype.kind == "b":
        raise UnityActionException(f"The {part} actions are booleans; pass numbers instead.")
    return array


class ActionSpec(NamedTuple):
    """The action space of a behavior: continuous_size floats and one integer per discrete
    branch, where branch i takes values in [0, discrete_branches[i]).
    """

    continuous_size: int
    discrete_branches: tuple[int, ...]

    def is_discrete(self) -> bool:
        """True if this behavior uses discrete actions only."""
        return self.discrete_size > 0 and self.continuous_size == 0

    def is_continuous(self) -> bool:
        """True if this behavior uses continuous actions only."""
        return self.discrete_size == 0 and self.continuous_size > 0

    @property
    def discrete_size(self) -> int:
        """The number of discrete branches."""
        return len(self.discrete_branches)

    def empty_action(self, n_agents: int) -> ActionTuple:
        """All-zero actions for n_agents agents."""
        return ActionTuple(
            np.zeros((n_agents, self.continuous_size), dtype=np.float32),
            np.zeros((n_agents, self.discrete_size), dtype=np.int32),
        )

    def random_action(self, n_agents: int, rng: np.random.Generator | None = None) -> ActionTuple:
        """Uniformly random actions for n_agents agents: continuous in [-1, 1), each
        discrete branch uniform over its values. Pass rng for reproducible draws.
        """
        rng = np.random.default_rng() if rng is None else rng
        # Drawn in float32, so that rounding cannot reach 1.0.
        unit = rng.random((n_agents, self.continuous_size), dtype=np.float32)
        continuous = unit * np.float32(2.0) - np.float32(1.0)
        discrete = np.zeros((n_agents, self.discrete_size), dtype=np.int32)
        for branch, size in enumerate(self.discrete_branches):
            discrete[:, branch] = rng.integers(0, size, size=n_agents)
        return ActionTuple(continuous, discrete)

    @staticmethod
    def create_continuous(continuous_size: int) -> ActionSpec:
        """An ActionSpec with continuous actions only."""
        return ActionSpec(continuous_size, ())

    @staticmethod
    def create_discrete(discrete_branches: tuple[int, ...]) -> ActionSpec:
        """An ActionSpec with discrete actions only."""
        return ActionSpec(0, tuple(discrete_branches))

    @staticmethod
    def create_hybrid(continuous_size: int, discrete_branches: tuple[int, ...]) -> ActionSpec:
        """An ActionSpec with both continuous and discrete actions."""
        return ActionSpec(continuous_size, tuple(discrete_branches))

    def validate_action(
        self, actions: ActionTuple, n_agents: int, name: str = "this behavior"
    ) -> ActionTuple:
        """Check actions against this spec for n_agents agents; raise UnityActionException
        saying what is wrong, for the behavior called name. Returns the actions.
        """
        if not isinstance(actions, ActionTuple):
            raise UnityActionException(
                f"Actions for {name} must be an ActionTuple, got {type(actions).__name__}. "
                "Wrap your arrays: ActionTuple(continuous=..., discrete=...)."
            )
        expected = (n_agents, self.continuous_size)
        if actions.continuous.shape != expected and not (
            self.continuous_size == 0 and actions.continuous.size == 0
        ):
            raise UnityActionException(
                f"{name} needs continuous actions of shape {expected} but received shape "
                f"{actions.continuous.shape}."
            )
        expected = (n_agents, self.discrete_size)
        if actions.discrete.shape != expected and not (
            self.discrete_size == 0 and actions.discrete.size == 0
        ):
            raise UnityActionException(
                f"{name} needs discrete actions of shape {expected} but received shape "
                f"{actions.discrete.shape}."
            )
        if self.continuous_size and not np.isfinite(actions.continuous).all():
            rows = np.unique(np.nonzero(~np.isfinite(actions.continuous))[0])
            raise UnityActionException(
                f"{name} received NaN or infinite continuous actions for agents at rows "
                f"{rows[:10].tolist()}."
            )
        if self.discrete_size:
            sizes = np.asarray(self.discrete_branches)
            bad = (actions.discrete < 0) | (actions.discrete >= sizes)
            if bad.any():
                row, branch = (int(x[0]) for x in np.nonzero(bad))
                raise UnityActionException(
                    f"{name} received discrete action {int(actions.discrete[row, branch])} on "
                    f"branch {branch} (row {row}), which has {sizes[branch]} actions: "
                    f"values must be in [0, {sizes[branch] - 1}]."
                )
        return actions

    def _validate_action(self, actions: ActionTuple, n_agents: int, name: str) -> ActionTuple:
        """validate_action under the name ML-Agents' own code calls it by."""
        return self.validate_action(actions, n_agents, name)


class DimensionProperty(IntFlag):
    """How a network may treat one dimension of an observation."""

    UNSPECIFIED = 0
    """No property given for this dimension."""
    NONE = 1
    """No special property: process it with fully connected layers."""
    TRANSLATIONAL_EQUIVARIANCE = 2
    """Convolutions suit this dimension."""
    VARIABLE_SIZE = 4
    """This dimension holds a variable number of unordered entities."""


class ObservationType(Enum):
    """What an observation carries."""

    DEFAULT = 0
    """An ordinary observation."""
    GOAL_SIGNAL = 1
    """Which goal the agent must reach, for goal-conditioned policies."""


class ObservationSpec(NamedTuple):
    """One observation of a behavior: its shape (without the batch axis), a
    DimensionProperty per dimension, its ObservationType and the sensor's name.
    """

    shape: tuple[int, ...]
    dimension_property: tuple[DimensionProperty, ...]
    observation_type: ObservationType
    name: str


class BehaviorSpec(NamedTuple):
    """The observation specs (in the order of the agents' observations) and the action
    spec of a behavior.
    """

    observation_specs: list[ObservationSpec]
    action_spec: ActionSpec


class BehaviorMapping(Mapping[BehaviorName, BehaviorSpec]):
    """A read-only view of the behavior specs known so far."""

    def __init__(self, specs: dict[BehaviorName, BehaviorSpec]) -> None:
        self._specs = specs

    def __getitem__(self, behavior: BehaviorName) -> BehaviorSpec:
        return self._specs[behavior]

    def __iter__(self) -> Iterator[BehaviorName]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __repr__(self) -> str:
        return f"BehaviorMapping({self._specs!r})"


class BaseEnv(ABC):
    """A simulation with one or more behaviors, stepped in batches.

    A step moves the simulation forward until at least one agent needs a decision. Agents
    ask at their own rate, so a step is not a fixed amount of simulated time.
    """

    @abstractmethod
    def step(self) -> None:
        """Move the simulation forward, using the actions set since the last step."""

    @abstractmethod
    def reset(self) -> None:
        """Reset the simulation: every agent starts a new episode."""

    @abstractmethod
    def close(self) -> None:
        """Release the simulation; safe to call more than once."""

    @property
    @abstractmethod
    def behavior_specs(self) -> Mapping[BehaviorName, BehaviorSpec]:
        """The spec of each behavior seen so far; new names appear as behaviors connect."""

    @abstractmethod
    def set_actions(self, behavior_name: BehaviorName, action: ActionTuple) -> None:
        """Set the actions of all agents of a behavior for the next step, in the order of
        the agents of the last DecisionSteps of that behavior.
        """

    @abstractmethod
    def set_action_for_agent(
        self, behavior_name: BehaviorName, agent_id: AgentId, action: ActionTuple
    ) -> None:
        """Set the action of one agent for the next step; action has one row."""

    @abstractmethod
    def get_steps(self, behavior_name: BehaviorName) -> tuple[DecisionSteps, TerminalSteps]:
        """The agents of a behavior that need a decision, and those whose episode ended
        since the last step.
        """

    def __enter__(self) -> BaseEnv:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

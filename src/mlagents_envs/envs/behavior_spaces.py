"""Gymnasium spaces for the specs of a behavior, and conversions between their elements and
the batched arrays of the low-level API: observations, actions and action masks.

Every wrapper of mlagents_envs.envs builds on these, so that a behavior has the same spaces
through Gymnasium, PettingZoo and Stable-Baselines3:

- an image (an observation of rank 3) is Box(0, 1, float32), or Box(0, 255, uint8) with
  uint8_visual, in the layout the environment sends: (height, width, channels) from builds
  of the Unity package 2.x, (channels, height, width) from 3.x; any other observation is
  Box(-inf, inf, float32);
- one discrete branch is Discrete(n); several are MultiDiscrete, or with flatten_branched
  one Discrete over every combination; continuous actions are Box(-1, 1, float32); both
  kinds together are Tuple((Box, MultiDiscrete)), in the order of ActionTuple.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

from mlagents_envs.base_env import ActionSpec, ActionTuple, ObservationSpec
from mlagents_envs.codec.generation import image_channels_first
from mlagents_envs.envs.errors import UnityGymException

#: An observation as the wrappers return it: one array, or arrays by observation name.
Observation = np.ndarray | dict[str, np.ndarray]


def is_visual(spec: ObservationSpec) -> bool:
    """True for an image: an observation of rank 3, in either layout."""
    return len(spec.shape) == 3


def image_to_hwc(image: np.ndarray, spec: ObservationSpec) -> np.ndarray:
    """One image of `spec` as (height, width, channels), whichever layout it came in (for
    showing it; observations stay as the environment sent them)."""
    return np.moveaxis(image, 0, -1) if image_channels_first(spec) else image


def to_uint8(image: np.ndarray) -> np.ndarray:
    """An image in [0, 1] as uint8 in [0, 255]."""
    # Rounded, not truncated: a decoded PNG level k arrives as k / 255 in float32, and
    # 255 * (k / 255) may fall just short of k.
    return np.rint(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def observation_space(spec: ObservationSpec, uint8_visual: bool = False) -> spaces.Box:
    """The Box of one observation of one agent, of the shape the environment declared."""
    if is_visual(spec):
        if uint8_visual:
            return spaces.Box(0, 255, shape=spec.shape, dtype=np.uint8)
        return spaces.Box(0.0, 1.0, shape=spec.shape, dtype=np.float32)
    # ML-Agents declares no bounds for vector observations.
    return spaces.Box(-np.inf, np.inf, shape=spec.shape, dtype=np.float32)


def observation_keys(specs: Sequence[ObservationSpec]) -> list[str]:
    """A unique key per observation: the sensor's name, with its index when the name is
    empty or taken by an earlier observation."""
    keys: list[str] = []
    for index, spec in enumerate(specs):
        key = spec.name or f"obs_{index}"
        if key in keys:
            key = f"{key}_{index}"
        keys.append(key)
    return keys


class ObservationConverter:
    """The observation space of a behavior and the observations of its agents.

    One observation gives its Box and plain arrays; several give a Dict keyed by sensor
    name (observation_keys) and dicts of arrays. Every observation returned is a new array,
    as users keep what they receive.
    """

    def __init__(self, specs: Sequence[ObservationSpec], uint8_visual: bool = False) -> None:
        if not specs:
            raise UnityGymException(
                "The behavior has no observations, so there is nothing to give a policy."
            )
        self.specs = list(specs)
        self.keys = observation_keys(self.specs)
        boxes = [observation_space(spec, uint8_visual) for spec in self.specs]
        self._uint8 = [uint8_visual and is_visual(spec) for spec in self.specs]
        self.space: spaces.Box | spaces.Dict = (
            boxes[0] if len(boxes) == 1 else spaces.Dict(dict(zip(self.keys, boxes)))
        )

    def _convert(self, index: int, array: np.ndarray) -> np.ndarray:
        if self._uint8[index]:
            return to_uint8(array)
        return np.array(array, dtype=np.float32)  # a copy, even when already float32

    def single(self, obs: Sequence[np.ndarray], row: int) -> Observation:
        """The observation of the agent at `row` of a batch (DecisionSteps.obs)."""
        arrays = [self._convert(i, o[row]) for i, o in enumerate(obs)]
        return arrays[0] if len(arrays) == 1 else dict(zip(self.keys, arrays))

    def batch(self, obs: Sequence[np.ndarray], rows: np.ndarray | slice) -> Observation:
        """The observations of the agents at `rows`, stacked along a first axis."""
        arrays = [self._convert(i, o[rows]) for i, o in enumerate(obs)]
        return arrays[0] if len(arrays) == 1 else dict(zip(self.keys, arrays))


class ActionConverter:
    """The action space of a behavior, and the conversion of its elements to ActionTuples.

    An action that does not fit the space (wrong shape, not a number, a fraction or an
    out-of-range value for a discrete branch, NaN) raises UnityGymException. Continuous
    values outside [-1, 1] pass: the environment clips them, as Unity's agents do.
    """

    def __init__(
        self, spec: ActionSpec, flatten_branched: bool = False, allow_hybrid: bool = True
    ) -> None:
        if spec.continuous_size == 0 and spec.discrete_size == 0:
            raise UnityGymException("The behavior has no actions, so there is nothing to act.")
        if spec.continuous_size and spec.discrete_size and not allow_hybrid:
            raise UnityGymException(
                "The gym wrapper does not provide explicit support for both discrete and "
                f"continuous actions (this behavior has {spec.continuous_size} continuous "
                f"and discrete branches {spec.discrete_branches}). Use UnityGymnasiumEnv or "
                "UnityParallelEnv, whose action space is Tuple((Box, MultiDiscrete))."
            )
        self.spec = spec
        self.branches = np.asarray(spec.discrete_branches, dtype=np.int64)
        # Row k of the lookup holds the branch values of flat action k.
        self.lookup: np.ndarray | None = None
        self.continuous_box = spaces.Box(-1.0, 1.0, shape=(spec.continuous_size,), dtype=np.float32)
        self.space: spaces.Space[Any]
        if spec.continuous_size and spec.discrete_size:
            self.space = spaces.Tuple((self.continuous_box, spaces.MultiDiscrete(self.branches)))
        elif spec.continuous_size:
            self.space = self.continuous_box
        elif spec.discrete_size == 1:
            self.space = spaces.Discrete(int(self.branches[0]))
        elif flatten_branched:
            combos = list(itertools.product(*(range(b) for b in spec.discrete_branches)))
            self.lookup = np.asarray(combos, dtype=np.int32)
            self.space = spaces.Discrete(len(combos))
        else:
            self.space = spaces.MultiDiscrete(self.branches)

    @property
    def is_hybrid(self) -> bool:
        return bool(self.spec.continuous_size and self.spec.discrete_size)

    def to_action_tuple(
        self, action: Any, n_agents: int | None = None, who: str = ""
    ) -> ActionTuple:
        """The ActionTuple of `action`: one element of the space when n_agents is None, else
        a batch with one row per agent along the first axis (as a VecEnv receives them)."""
        who = who or "The agent"
        n = 1 if n_agents is None else n_agents
        continuous: np.ndarray | None = None
        discrete: np.ndarray | None = None
        if self.is_hybrid:
            if not (isinstance(action, tuple | list) and len(action) == 2):
                self._refuse(action, who, "give (continuous, discrete)")
            continuous = self._continuous(action[0], n, n_agents is None, who)
            discrete = self._branched(action[1], n, n_agents is None, who)
        elif self.spec.continuous_size:
            continuous = self._continuous(action, n, n_agents is None, who)
        elif isinstance(self.space, spaces.MultiDiscrete):
            discrete = self._branched(action, n, n_agents is None, who)
        else:
            assert isinstance(self.space, spaces.Discrete)
            size = int(self.space.n)
            flat = self._integers(action, (n,), n_agents is None, who)
            if flat.size and (flat.min() < 0 or flat.max() >= size):
                self._refuse(action, who, f"values must be in [0, {size - 1}]")
            discrete = flat[:, None] if self.lookup is None else self.lookup[flat]
        return ActionTuple(continuous=continuous, discrete=discrete)

    def _continuous(self, value: Any, n: int, single: bool, who: str) -> np.ndarray:
        array = self._array(value, (n, self.spec.continuous_size), single, who)
        if array.dtype.kind not in "fiu":
            self._refuse(value, who, "continuous actions must be real numbers")
        array = array.astype(np.float32)
        if not np.isfinite(array).all():
            self._refuse(value, who, "continuous actions must be finite")
        return array

    def _branched(self, value: Any, n: int, single: bool, who: str) -> np.ndarray:
        array = self._integers(value, (n, len(self.branches)), single, who)
        bad = (array < 0) | (array >= self.branches)
        if bad.any():
            branch = int(np.nonzero(bad)[1][0])
            self._refuse(
                value, who, f"branch {branch} takes values in [0, {self.branches[branch] - 1}]"
            )
        return array

    def _integers(self, value: Any, shape: tuple[int, ...], single: bool, who: str) -> np.ndarray:
        array = self._array(value, shape, single, who)
        if array.dtype.kind == "f":
            # Integral floats are fine (a float policy output); fractions are a bug.
            if not (np.isfinite(array).all() and (array == np.round(array)).all()):
                self._refuse(value, who, "discrete actions must be whole numbers")
        elif array.dtype.kind not in "iu":
            self._refuse(value, who, "discrete actions must be integers")
        # Compared in float64, which holds every int64 value the check needs, then cast.
        if array.size and np.abs(array.astype(np.float64)).max() > np.iinfo(np.int32).max:
            self._refuse(value, who, "discrete actions must fit in int32")
        return array.astype(np.int32)

    def _array(self, value: Any, shape: tuple[int, ...], single: bool, who: str) -> np.ndarray:
        try:
            array = np.asarray(value)
        except ValueError:  # ragged nested sequences
            self._refuse(value, who, "it is not a rectangular array")
        if array.dtype.kind == "b" or array.dtype == object:
            self._refuse(value, who, f"an array of {array.dtype} is not an action")
        # One agent's action may come in any shape holding the right number of values (a
        # list, a column, a 0-d array), as ML-Agents accepted; a batch needs its rows first.
        size = int(np.prod(shape))
        if array.size != size or (not single and (array.ndim == 0 or array.shape[0] != shape[0])):
            expected = shape[1:] if single else shape
            self._refuse(value, who, f"expected shape {expected}, got {array.shape}")
        return array.reshape(shape)

    def _refuse(self, value: Any, who: str, reason: str) -> Any:
        text = repr(value)
        if len(text) > 200:
            text = text[:200] + "..."
        raise UnityGymException(
            f"{who} received the action {text}, which does not fit its action space "
            f"{self.space}: {reason}."
        )

    # Action masks. ML-Agents' masks are True where an action is NOT allowed; Gymnasium's
    # and PettingZoo's are int8 arrays with 1 where it is allowed.

    def sample_mask(self, action_mask: Sequence[np.ndarray] | None, row: int) -> Any:
        """The mask of the agent at `row`, as `self.space.sample(mask=...)` takes it: an
        int8 array for Discrete (flattened included), a tuple of them per branch for
        MultiDiscrete, (None, tuple) for a hybrid space, None for continuous actions.
        action_mask None (a terminal step) allows everything."""
        if not self.spec.discrete_size:
            return None
        allowed = self._allowed(action_mask, row)
        if self.lookup is not None:
            flat = np.all([allowed[b][self.lookup[:, b]] for b in range(len(allowed))], axis=0)
            return flat.astype(np.int8)
        per_branch = tuple(a.astype(np.int8) for a in allowed)
        if self.is_hybrid:
            return (None, per_branch)
        if isinstance(self.space, spaces.Discrete):
            return per_branch[0]
        return per_branch

    def flat_mask(self, action_mask: Sequence[np.ndarray] | None, row: int) -> np.ndarray:
        """The allowed discrete actions of the agent at `row` as one bool array (the
        branches one after the other, or the flat actions when flattened): what
        sb3-contrib's MaskablePPO asks `action_masks()` for."""
        mask = self.sample_mask(action_mask, row)
        if mask is None:
            return np.zeros(0, dtype=bool)
        if self.is_hybrid:
            mask = mask[1]
        if isinstance(mask, tuple):
            return np.concatenate(mask).astype(bool)
        return np.asarray(mask, dtype=bool)

    def mask_space(self) -> spaces.Space[Any] | None:
        """The space of sample_mask's values for Discrete and MultiDiscrete action spaces
        (None otherwise), for an "action_mask" entry of an observation."""
        if not self.spec.discrete_size or self.is_hybrid:
            return None
        if isinstance(self.space, spaces.Discrete):
            return spaces.Box(0, 1, shape=(int(self.space.n),), dtype=np.int8)
        return spaces.Tuple(
            tuple(spaces.Box(0, 1, shape=(int(b),), dtype=np.int8) for b in self.branches)
        )

    def _allowed(self, action_mask: Sequence[np.ndarray] | None, row: int) -> list[np.ndarray]:
        if action_mask is None:
            return [np.ones(int(b), dtype=bool) for b in self.branches]
        return [~np.asarray(branch[row], dtype=bool) for branch in action_mask]

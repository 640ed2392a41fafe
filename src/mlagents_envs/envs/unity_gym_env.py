"""UnityToGymWrapper: a BaseEnv with one behavior and one agent, with the gym API that
ML-Agents users know (`obs = env.reset()`, `obs, reward, done, info = env.step(action)`).

    from mlagents_envs.environment import UnityEnvironment
    from mlagents_envs.envs.unity_gym_env import UnityToGymWrapper

    env = UnityToGymWrapper(UnityEnvironment("path/to/build"), uint8_visual=True)
    obs = env.reset()
    obs, reward, done, info = env.step(env.action_space.sample())

Its spaces are Gymnasium's. For the current Gymnasium API (terminated and truncated,
`reset(seed=...)`, `check_env`), use UnityGymnasiumEnv instead.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import numpy as np
from gymnasium import spaces

from mlagents_envs.base_env import BaseEnv, DecisionSteps, TerminalSteps
from mlagents_envs.envs.behavior_spaces import (
    ActionConverter,
    is_visual,
    observation_space,
    to_uint8,
)
from mlagents_envs.envs.errors import UnityGymException

__all__ = ["ActionFlattener", "GymStepResult", "UnityGymException", "UnityToGymWrapper"]

logger = logging.getLogger(__name__)

GymStepResult = tuple[Any, float, bool, dict[str, Any]]

# Outputs in which the one agent neither asks nor ends (another behavior's turn) are
# stepped through; this many in a row means the agent is gone.
_MAX_EMPTY_STEPS = 10_000


class UnityToGymWrapper:
    """A gym environment over a BaseEnv with exactly one behavior and one agent.

    - unity_env: the environment; it is reset now, and closed when the wrapper closes.
    - uint8_visual: images as uint8 in [0, 255] instead of float32 in [0, 1].
    - flatten_branched: several discrete branches as one Discrete over every combination
      instead of MultiDiscrete (ignored, with a warning, for continuous actions).
    - allow_multiple_obs: the observation is a list: every image, then the vector
      observations concatenated (space: Tuple). Otherwise it is the first image or, without
      images, the concatenated vector observations.
    - action_space_seed: seeds action_space.sample().

    Observations of other ranks (entity buffers) are left out, as in ML-Agents. A behavior
    with both continuous and discrete actions, a second behavior, a second agent and an
    action that does not fit the action space raise UnityGymException.
    """

    def __init__(
        self,
        unity_env: BaseEnv,
        uint8_visual: bool = False,
        flatten_branched: bool = False,
        allow_multiple_obs: bool = False,
        action_space_seed: int | None = None,
    ) -> None:
        self._env = unity_env
        self._closed = False
        self.visual_obs: np.ndarray | None = None
        self.game_over = False
        self._allow_multiple_obs = allow_multiple_obs
        # The environment is reset here, as in ML-Agents: behaviors are known once it ran.
        self._env.reset()
        self.name = self._single_behavior()
        self.group_spec = self._env.behavior_specs[self.name]
        specs = self.group_spec.observation_specs
        self._visual = [i for i, s in enumerate(specs) if is_visual(s)]
        self._vector = [i for i, s in enumerate(specs) if len(s.shape) == 1]
        left_out = [s.name or str(i) for i, s in enumerate(specs) if len(s.shape) not in (1, 3)]
        if left_out:
            logger.warning(
                "The gym wrapper leaves out the observations %s of %s: they are neither "
                "vectors nor images. UnityGymnasiumEnv gives every observation.",
                left_out,
                self.name,
            )
        if not self._visual and not self._vector:
            raise UnityGymException("There are no observations provided by the environment.")
        if uint8_visual and not self._visual:
            logger.warning(
                "uint8_visual was set to true, but visual observations are not in use. This "
                "setting will not have any effect."
            )
        self.uint8_visual = uint8_visual and bool(self._visual)
        if len(self._visual) + bool(self._vector) >= 2 and not allow_multiple_obs:
            logger.warning(
                "The environment contains multiple observations. You must define "
                "allow_multiple_obs=True to receive them all. Otherwise, only the first "
                "visual observation (or vector observation if there are no visual "
                "observations) will be provided in the observation."
            )
        action_spec = self.group_spec.action_spec
        if flatten_branched and not action_spec.discrete_size:
            logger.warning(
                "The environment has a non-discrete action space. It will not be flattened."
            )
        self._actions = ActionConverter(action_spec, flatten_branched, allow_hybrid=False)
        self.action_size = action_spec.continuous_size or action_spec.discrete_size
        self._action_space = self._actions.space
        if action_space_seed is not None:
            self._action_space.seed(action_space_seed)

        boxes: list[spaces.Space[Any]] = [
            observation_space(specs[i], self.uint8_visual) for i in self._visual
        ]
        if self._vector:
            size = sum(specs[i].shape[0] for i in self._vector)
            boxes.append(spaces.Box(-np.inf, np.inf, shape=(size,), dtype=np.float32))
        self._observation_space: spaces.Space[Any] = (
            spaces.Tuple(boxes) if allow_multiple_obs else boxes[0]
        )
        decision, _ = self._env.get_steps(self.name)
        self._check_agents(len(decision))
        self._previous_decision_step: DecisionSteps | None = decision

    def _single_behavior(self) -> str:
        names = list(self._env.behavior_specs)
        if len(names) != 1:
            raise UnityGymException(
                "There can only be one behavior in a UnityEnvironment if it is wrapped in a "
                f"gym; this one has {sorted(names)}. Use UnityParallelEnv for several."
            )
        return names[0]

    def reset(self) -> Any:
        """Reset the environment and return the first observation of the agent."""
        self._env.reset()
        self._single_behavior()
        decision, _ = self._env.get_steps(self.name)
        self._check_agents(len(decision))
        if len(decision) == 0:
            raise UnityGymException(f"The agent of {self.name} did not ask for a decision.")
        self.game_over = False
        self._previous_decision_step = decision
        return self._single_step(decision)[0]

    def step(self, action: Any) -> GymStepResult:
        """Act, and return (observation, reward, done, info); info["step"] holds the
        DecisionSteps or TerminalSteps the result was made from. Once done, call reset()."""
        if self.game_over:
            raise UnityGymException(
                "You are calling 'step()' even though this environment has already returned "
                "done = True. You must always call 'reset()' once you receive 'done = True'."
            )
        actions = self._actions.to_action_tuple(action, who=f"The agent of {self.name}")
        previous = self._previous_decision_step
        if previous is not None and len(previous):
            self._env.set_actions(self.name, actions)
        for _ in range(_MAX_EMPTY_STEPS):
            self._env.step()
            self._single_behavior()
            decision, terminal = self._env.get_steps(self.name)
            self._check_agents(max(len(decision), len(terminal)))
            if len(terminal):
                self.game_over = True
                self._previous_decision_step = None
                return self._single_step(terminal)
            if len(decision):
                self._previous_decision_step = decision
                return self._single_step(decision)
        raise UnityGymException(
            f"The agent of {self.name} neither asked for a decision nor ended in "
            f"{_MAX_EMPTY_STEPS} steps."
        )

    def _single_step(self, steps: DecisionSteps | TerminalSteps) -> GymStepResult:
        visual = [self._preprocess_single(steps.obs[i][0]) for i in self._visual]
        vector = (
            np.concatenate([steps.obs[i][0] for i in self._vector]).astype(np.float32)
            if self._vector
            else None
        )
        observation: Any
        if self._allow_multiple_obs:
            observation = visual + ([vector] if vector is not None else [])
        else:
            observation = visual[0] if visual else vector
        if visual:
            self.visual_obs = visual[0]
        done = isinstance(steps, TerminalSteps)
        return observation, float(steps.reward[0]), done, {"step": steps}

    def _preprocess_single(self, single_visual_obs: np.ndarray) -> np.ndarray:
        if self.uint8_visual:
            return to_uint8(single_visual_obs)
        return np.array(single_visual_obs, dtype=np.float32)

    def render(self, mode: str = "rgb_array") -> np.ndarray | None:
        """The latest visual observation as the environment sent it (channels-first from
        3.x builds, as ML-Agents' wrapper gives it; no new frame is drawn); None without
        images."""
        return self.visual_obs

    def close(self) -> None:
        """Close the wrapped environment; safe to call more than once."""
        if not self._closed:
            self._closed = True
            self._env.close()

    def seed(self, seed: Any = None) -> None:
        """Not supported: an environment takes its seed when it starts."""
        logger.warning("Could not seed environment %s", self.name)

    @staticmethod
    def _check_agents(n_agents: int) -> None:
        if n_agents > 1:
            raise UnityGymException(
                f"There can only be one Agent in the environment but {n_agents} were detected. "
                "Use UnityParallelEnv, or UnityVecEnv for the agents of one behavior."
            )

    @property
    def metadata(self) -> dict[str, Any]:
        return {"render.modes": ["rgb_array"]}

    @property
    def reward_range(self) -> tuple[float, float]:
        return -float("inf"), float("inf")

    @property
    def action_space(self) -> spaces.Space[Any]:
        return self._action_space

    @property
    def observation_space(self) -> spaces.Space[Any]:
        return self._observation_space

    @property
    def unwrapped(self) -> UnityToGymWrapper:
        return self

    def __enter__(self) -> UnityToGymWrapper:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class ActionFlattener:
    """Flattens branched discrete action spaces into one Discrete space: flat action k is
    the k-th combination of branch values, the last branch varying fastest (the order of
    the wrapper's flattened action space)."""

    def __init__(self, branched_action_space: Sequence[int]) -> None:
        self._action_shape = tuple(int(b) for b in branched_action_space)
        combos = itertools.product(*(range(b) for b in self._action_shape))
        self.action_lookup = {k: list(combo) for k, combo in enumerate(combos)}
        self.action_space = spaces.Discrete(len(self.action_lookup))

    def lookup_action(self, action: int) -> list[int]:
        """The branch values of flat action `action`."""
        return list(self.action_lookup[int(action)])

"""UnityGymnasiumEnv: a BaseEnv with one behavior and one agent as a `gymnasium.Env`, and the
registration of the registry's environments as Gymnasium ids ("mlagents/Basic-v0").

    import gymnasium as gym
    import mlagents_envs.envs  # registers mlagents/<name>-v0 for default_registry

    env = gym.make("mlagents/Basic-v0")
    obs, info = env.reset(seed=1)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
"""

from __future__ import annotations

import logging
from typing import Any, SupportsFloat

import gymnasium
import numpy as np

from mlagents_envs.base_env import BaseEnv, BehaviorSpec, DecisionSteps, TerminalSteps
from mlagents_envs.envs.behavior_spaces import (
    ActionConverter,
    Observation,
    ObservationConverter,
    image_to_hwc,
    is_visual,
    to_uint8,
)
from mlagents_envs.envs.env_source import EnvFactory, EnvSource
from mlagents_envs.envs.errors import UnityGymException
from mlagents_envs.registry import UnityEnvRegistry, default_registry

logger = logging.getLogger(__name__)

__all__ = ["NAMESPACE", "UnityGymnasiumEnv", "make_registered_env", "register_envs"]

#: The namespace of the Gymnasium ids of registry environments.
NAMESPACE = "mlagents"

# Outputs in which the one agent neither asks nor ends (another behavior's turn) are
# stepped through; this many in a row means the agent is gone.
_MAX_EMPTY_STEPS = 10_000


class UnityGymnasiumEnv(gymnasium.Env[Any, Any]):
    """A Gymnasium environment over a BaseEnv with one behavior and one agent.

    - env: a BaseEnv, or a function seed -> BaseEnv. With a function, the environment is
      made with `seed` now and made anew by every reset(seed=...), so that seeded resets
      are reproducible; a BaseEnv given already started keeps the seed it started with.
    - uint8_visual: images as uint8 in [0, 255] (what Stable-Baselines3's CnnPolicy wants)
      instead of float32 in [0, 1].
    - flatten_branched: several discrete branches as one Discrete over every combination.
    - render_mode: "rgb_array" renders the first image observation (behaviors with images).

    Observation space: the Box of the one observation, or a Dict by sensor name when there
    are several. Action space: Discrete, MultiDiscrete, Box(-1, 1), or
    Tuple((Box, MultiDiscrete)) for continuous and discrete actions together.

    An interrupted episode (a maximum step count) is truncated, any other end terminated.
    info holds "agent_id", "group_id", "group_reward" and, for discrete actions,
    "action_mask" in the form `action_space.sample(mask=...)` takes; `action_masks()` gives
    the allowed actions as one bool array, for sb3-contrib's MaskablePPO.
    """

    def __init__(
        self,
        env: BaseEnv | EnvFactory,
        *,
        seed: int | None = None,
        uint8_visual: bool = False,
        flatten_branched: bool = False,
        render_mode: str | None = None,
    ) -> None:
        self._source = EnvSource(env, seed)
        self._closed = False
        try:
            self._source.env.reset()
            self.behavior_name, spec = self._single_behavior()
            self._spec = spec
            self._observations = ObservationConverter(spec.observation_specs, uint8_visual)
            self._actions = ActionConverter(spec.action_spec, flatten_branched)
            decision, _ = self._source.env.get_steps(self.behavior_name)
            self._check_agents(len(decision))
        except BaseException:
            # What the wrapper made is not left running (a process, a port).
            self._source.discard()
            raise
        self.observation_space = self._observations.space
        self.action_space = self._actions.space
        self._visual = next((i for i, s in enumerate(spec.observation_specs) if is_visual(s)), None)
        self.metadata = {
            "render_modes": ["rgb_array"] if self._visual is not None else [],
            # The rate recorded videos play at: ML-Agents' default capture frame rate.
            "render_fps": 60,
        }
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            # Not refused: Stable-Baselines3 makes every env id with render_mode="rgb_array".
            logger.info(
                "render_mode=%r is not supported by %s (it supports %s; rgb_array needs an "
                "image observation); rendering is off.",
                render_mode,
                self.behavior_name,
                self.metadata["render_modes"],
            )
            render_mode = None
        self.render_mode = render_mode
        self._last: DecisionSteps | TerminalSteps = decision
        self._ended = False

    @property
    def base_env(self) -> BaseEnv:
        """The wrapped BaseEnv (it changes when reset(seed=...) restarts the simulation)."""
        return self._source.env

    def _single_behavior(self) -> tuple[str, BehaviorSpec]:
        specs = self._source.env.behavior_specs
        if len(specs) != 1:
            raise UnityGymException(
                f"UnityGymnasiumEnv needs an environment with one behavior; this one has "
                f"{sorted(specs)}. Use UnityParallelEnv for several."
            )
        name = next(iter(specs))
        return name, specs[name]

    def _check_agents(self, n_agents: int) -> None:
        if n_agents > 1:
            raise UnityGymException(
                f"UnityGymnasiumEnv needs one agent, but {self.behavior_name} has {n_agents}. "
                "Use UnityVecEnv (Stable-Baselines3) or UnityParallelEnv (PettingZoo) for "
                "several agents."
            )

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        """Start a new episode. A seed restarts the simulation with it when the env was made
        from a function; options are not read."""
        super().reset(seed=seed)
        if seed is not None and self._source.restart(seed):
            self._source.env.reset()
            name, spec = self._single_behavior()
            if (name, spec) != (self.behavior_name, self._spec):
                raise UnityGymException(
                    f"The environment made for seed {seed} has the behavior {name} with "
                    f"{spec}, not {self.behavior_name} with {self._spec} as before."
                )
        else:
            self._source.env.reset()
            self._single_behavior()
        decision, _ = self._source.env.get_steps(self.behavior_name)
        self._check_agents(len(decision))
        if len(decision) == 0:
            raise UnityGymException(
                f"The agent of {self.behavior_name} did not ask for a decision after reset."
            )
        self._last = decision
        self._ended = False
        return self._observations.single(decision.obs, 0), self._info(decision)

    def step(self, action: Any) -> tuple[Observation, SupportsFloat, bool, bool, dict[str, Any]]:
        if self._ended:
            raise UnityGymException(
                "step() was called after the episode ended (terminated or truncated); call "
                "reset() first."
            )
        env = self._source.env
        actions = self._actions.to_action_tuple(action, who=f"The agent of {self.behavior_name}")
        if isinstance(self._last, DecisionSteps) and len(self._last):
            env.set_actions(self.behavior_name, actions)
        for _ in range(_MAX_EMPTY_STEPS):
            env.step()
            self._single_behavior()
            decision, terminal = env.get_steps(self.behavior_name)
            self._check_agents(max(len(decision), len(terminal)))
            if len(terminal):
                self._last, self._ended = terminal, True
                obs = self._observations.single(terminal.obs, 0)
                interrupted = bool(terminal.interrupted[0])
                reward = float(terminal.reward[0])
                return obs, reward, not interrupted, interrupted, self._info(terminal)
            if len(decision):
                self._last = decision
                obs = self._observations.single(decision.obs, 0)
                return obs, float(decision.reward[0]), False, False, self._info(decision)
        raise UnityGymException(
            f"The agent of {self.behavior_name} neither asked for a decision nor ended in "
            f"{_MAX_EMPTY_STEPS} steps."
        )

    def _info(self, steps: DecisionSteps | TerminalSteps) -> dict[str, Any]:
        info: dict[str, Any] = {
            "agent_id": int(steps.agent_id[0]),
            "group_id": int(steps.group_id[0]),
            "group_reward": float(steps.group_reward[0]),
        }
        if self._spec.action_spec.discrete_size:
            masks = steps.action_mask if isinstance(steps, DecisionSteps) else None
            info["action_mask"] = self._actions.sample_mask(masks, 0)
        return info

    def action_masks(self) -> np.ndarray:
        """The discrete actions allowed now, as one bool array (branches one after the
        other), for sb3-contrib's MaskablePPO."""
        masks = self._last.action_mask if isinstance(self._last, DecisionSteps) else None
        return self._actions.flat_mask(masks, 0)

    def render(self) -> np.ndarray | None:  # type: ignore[override]
        """With render_mode "rgb_array": the first image of the last observation as uint8
        RGB, (height, width, 3) in either generation's layout (one channel repeated; for
        more than three, the last, where stacking sensors put the newest frame). None
        otherwise."""
        if self.render_mode != "rgb_array" or self._visual is None or not len(self._last):
            return None
        spec = self._spec.observation_specs[self._visual]
        image = image_to_hwc(to_uint8(self._last.obs[self._visual][0]), spec)
        if image.shape[2] == 3:
            return image
        return np.repeat(image[:, :, -1:], 3, axis=2)

    def close(self) -> None:
        """Close the wrapped environment; safe to call more than once."""
        if not self._closed:
            self._closed = True
            self._source.close()


def make_registered_env(
    identifier: str,
    *,
    seed: int = 0,
    in_process: bool | None = None,
    uint8_visual: bool = False,
    flatten_branched: bool = False,
    render_mode: str | None = None,
    registry: UnityEnvRegistry | None = None,
    **env_kwargs: Any,
) -> UnityGymnasiumEnv:
    """The UnityGymnasiumEnv of a registry entry (the entry point of the registered ids).

    in_process: True runs the environment in this process (entries that can,
    `make_in_process`), False launches it (`make`, through UnityEnvironment); None, the
    default, runs it in-process when the entry can. env_kwargs go to the entry's
    `make_in_process` or `make` (for example no_graphics, base_port, num_areas).
    """
    entry = (default_registry if registry is None else registry)[identifier]
    make_in_process = getattr(entry, "make_in_process", None)
    if in_process and make_in_process is None:
        raise UnityGymException(
            f"The environment {identifier!r} cannot run in-process; pass in_process=False "
            "to launch it."
        )
    if in_process is not False and make_in_process is not None:

        def factory(env_seed: int) -> BaseEnv:
            env: BaseEnv = make_in_process(seed=env_seed, **env_kwargs)
            return env

    else:

        def factory(env_seed: int) -> BaseEnv:
            return entry.make(seed=env_seed, **env_kwargs)

    return UnityGymnasiumEnv(
        factory,
        seed=seed,
        uint8_visual=uint8_visual,
        flatten_branched=flatten_branched,
        render_mode=render_mode,
    )


def register_envs(registry: UnityEnvRegistry | None = None) -> list[str]:
    """Register every environment of the registry (default_registry by default) with
    Gymnasium as "mlagents/<identifier>-v0", and return the ids. Ids already registered
    are kept. Importing mlagents_envs.envs calls this once."""
    registry = default_registry if registry is None else registry
    ids = []
    for identifier in registry:
        env_id = f"{NAMESPACE}/{identifier}-v0"
        ids.append(env_id)
        if env_id in gymnasium.registry:
            continue
        entry = registry[identifier]
        kwargs: dict[str, Any] = {"identifier": identifier}
        if registry is not default_registry:
            kwargs["registry"] = registry
        gymnasium.register(
            env_id,
            entry_point="mlagents_envs.envs.unity_gymnasium_env:make_registered_env",
            reward_threshold=entry.expected_reward,
            # A Unity build need not replay a run from its seed; ours do.
            nondeterministic=not hasattr(entry, "make_in_process"),
            kwargs=kwargs,
        )
    return ids

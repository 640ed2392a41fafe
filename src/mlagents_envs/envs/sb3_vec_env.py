"""UnityVecEnv: the agents of one behavior of a BaseEnv as a Stable-Baselines3 VecEnv, so
that a scene of N agents trains as N parallel environments.

    from stable_baselines3 import PPO
    from mlagents_envs.envs.sb3_vec_env import UnityVecEnv

    vec_env = UnityVecEnv(default_registry["3DBall"].make_in_process(seed=0))
    PPO("MlpPolicy", vec_env).learn(100_000)

Needs stable-baselines3 (the `sb3` extra).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import (
    VecEnv,
    VecEnvIndices,
    VecEnvObs,
    VecEnvStepReturn,
)

from mlagents_envs.base_env import ActionTuple, BaseEnv, DecisionSteps
from mlagents_envs.envs.behavior_spaces import ActionConverter, ObservationConverter
from mlagents_envs.envs.env_source import EnvFactory, EnvSource
from mlagents_envs.envs.errors import UnityGymException

__all__ = ["UnityVecEnv"]

logger = logging.getLogger(__name__)


class UnityVecEnv(VecEnv):
    """The agents of one behavior as a VecEnv: environment i is the agent in slot i.

    - env: a BaseEnv, or a function seed -> BaseEnv, which reset() calls again with the
      seed given to seed() (as SB3 does when a model has a seed).
    - behavior_name: the behavior to expose; may be left out when the environment has one
      behavior after reset (a behavior whose agents first ask later is not seen then).
    - uint8_visual, flatten_branched: as for UnityGymnasiumEnv (spaces are the same, with
      one row per agent). Continuous and discrete actions together are refused: SB3 has no
      such action space. For SB3's CnnPolicy and MultiInputPolicy pass uint8_visual=True:
      SB3 only takes uint8 [0, 255] Boxes for images, and then handles either layout
      (it transposes (height, width, channels) images of 2.x builds itself, and takes the
      (channels, height, width) images of 3.x builds as they come). Float images pass only
      with policy_kwargs={"normalize_images": False}, and only channels-first.
    - max_wait_steps: how many environment steps a step() may take to hear from every
      agent before it gives up.

    num_envs is the number of agents that ask for a decision after the first reset. A
    step() gives each agent its action when it next asks and returns once every slot has
    asked again. An agent whose episode ended meanwhile is done: its observation is the
    first of its next episode, its last is in info["terminal_observation"], and
    info["TimeLimit.truncated"] says whether it was interrupted (SB3 bootstraps those).
    Agents that ask again before the others repeat their action (as Unity's agents do
    between decisions).

    Agent ids may change: an agent that ended and does not come back gives its slot to
    the next new agent. More agents than slots raise UnityGymException. Only the exposed
    behavior is acted for; other behaviors get zero actions.
    """

    def __init__(
        self,
        env: BaseEnv | EnvFactory,
        behavior_name: str | None = None,
        *,
        seed: int | None = None,
        uint8_visual: bool = False,
        flatten_branched: bool = False,
        max_wait_steps: int = 1000,
    ) -> None:
        self._source = EnvSource(env, seed)
        self._closed = False
        self.max_wait_steps = max_wait_steps
        self.render_mode = None
        try:
            self._source.env.reset()
            specs = self._source.env.behavior_specs
            if behavior_name is None:
                if len(specs) != 1:
                    raise UnityGymException(
                        f"The environment has the behaviors {sorted(specs)}; pass "
                        "behavior_name to choose the one to expose."
                    )
                behavior_name = next(iter(specs))
            if behavior_name not in specs:
                raise UnityGymException(
                    f"No behavior {behavior_name!r} in the environment; it has {sorted(specs)}."
                )
            self.behavior_name = behavior_name
            spec = specs[behavior_name]
            self._observations = ObservationConverter(spec.observation_specs, uint8_visual)
            self._actions = ActionConverter(spec.action_spec, flatten_branched)
            if self._actions.is_hybrid:
                raise UnityGymException(
                    f"{behavior_name} has continuous and discrete actions together, which "
                    "Stable-Baselines3 cannot express. Use UnityGymnasiumEnv or "
                    "UnityParallelEnv (a Tuple action space)."
                )
            decision, _ = self._source.env.get_steps(behavior_name)
            if len(decision) == 0:
                raise UnityGymException(
                    f"No agent of {behavior_name} asked for a decision after reset."
                )
        except BaseException:
            # What the wrapper made is not left running (a process, a port).
            self._source.discard()
            raise
        n = len(decision)
        # slot -> agent id, and back.
        self._slots: list[int] = decision.agent_id.tolist()
        self._slot_of: dict[int, int] = {a: i for i, a in enumerate(self._slots)}
        self._last: DecisionSteps = decision
        self._actions_in: np.ndarray | None = None
        # Rewards earned in a new episode before its first decision, for the next step.
        self._carry = np.zeros(n, dtype=np.float32)
        self._obs = self._observations.batch(decision.obs, slice(None))
        super().__init__(n, self._observations.space, self._actions.space)

    @property
    def base_env(self) -> BaseEnv:
        """The wrapped BaseEnv (it changes when a seeded reset restarts the simulation)."""
        return self._source.env

    def reset(self) -> VecEnvObs:
        seed = self._seeds[0]
        if seed is not None:
            # SB3 seeds every VecEnv of a seeded model: a BaseEnv given started keeps its
            # seed without a word, as there is nothing the user could do about it.
            if self._source.can_restart:
                self._source.restart(seed)
            self._actions.space.seed(seed)
        self._reset_seeds()
        self._reset_options()
        env = self._source.env
        env.reset()
        decision, _ = env.get_steps(self.behavior_name)
        if len(decision) != self.num_envs:
            raise UnityGymException(
                f"{len(decision)} agents of {self.behavior_name} asked for a decision after "
                f"reset, not {self.num_envs} as when this VecEnv was made."
            )
        self._slots = decision.agent_id.tolist()
        self._slot_of = {a: i for i, a in enumerate(self._slots)}
        self._last = decision
        self._carry[:] = 0.0
        self._obs = self._observations.batch(decision.obs, slice(None))
        self.reset_infos = [self._info(decision, row) for row in range(self.num_envs)]
        return _copy(self._obs)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions_in = actions

    def step_wait(self) -> VecEnvStepReturn:
        if self._actions_in is None:
            raise UnityGymException("step_wait() was called without step_async().")
        chosen = self._actions.to_action_tuple(
            self._actions_in, n_agents=self.num_envs, who=f"The agents of {self.behavior_name}"
        )
        self._actions_in = None
        env = self._source.env
        n = self.num_envs
        rewards = self._carry.copy()
        self._carry[:] = 0.0
        dones = np.zeros(n, dtype=bool)
        asked = np.zeros(n, dtype=bool)
        infos: list[dict[str, Any]] = [{} for _ in range(n)]
        ended_unasked: set[int] = set()  # slots whose agent ended and has not asked since
        self._send(chosen, self._last)
        for _ in range(self.max_wait_steps):
            env.step()
            decision, terminal = env.get_steps(self.behavior_name)
            for row, agent_id in enumerate(terminal.agent_id.tolist()):
                slot = self._slot_of.get(agent_id)
                if slot is None:
                    continue  # an agent that never had a slot ended before getting one
                rewards[slot] += terminal.reward[row]
                dones[slot], asked[slot] = True, False
                ended_unasked.add(slot)
                infos[slot] = {
                    "terminal_observation": self._observations.single(terminal.obs, row),
                    "TimeLimit.truncated": bool(terminal.interrupted[row]),
                }
            rows = self._assign(decision, ended_unasked)
            for row, slot in enumerate(rows.tolist()):
                if slot in ended_unasked:
                    # The first decision of a new episode: its reward belongs to that one.
                    self._carry[slot] += decision.reward[row]
                    ended_unasked.discard(slot)
                else:
                    rewards[slot] += decision.reward[row]
                asked[slot] = True
            if len(decision):
                self._update_obs(decision, rows)
                self._last = decision
            if asked.all():
                break
            if len(decision):
                # These agents asked before the others: they repeat their action.
                self._send(chosen, decision)
        else:
            waiting = np.flatnonzero(~asked).tolist()
            raise UnityGymException(
                f"The agents in slots {waiting[:10]} of {self.behavior_name} did not ask for a "
                f"decision within {self.max_wait_steps} steps (max_wait_steps)."
            )
        for slot in range(n):
            infos[slot]["agent_id"] = self._slots[slot]
        return _copy(self._obs), rewards, dones, infos

    def _send(self, chosen: ActionTuple, decision: DecisionSteps) -> None:
        """Set the actions of the agents of decision from their slots' rows of chosen."""
        if not len(decision):
            return
        slots = np.fromiter((self._slot_of[a] for a in decision.agent_id.tolist()), dtype=np.intp)
        spec = self._source.env.behavior_specs[self.behavior_name].action_spec
        self._source.env.set_actions(
            self.behavior_name,
            ActionTuple(
                chosen.continuous[slots] if spec.continuous_size else None,
                chosen.discrete[slots] if spec.discrete_size else None,
            ),
        )

    def _assign(self, decision: DecisionSteps, ended_unasked: set[int]) -> np.ndarray:
        """The slot of every agent of decision; a new agent takes the slot of one that
        ended and has not come back."""
        ids = decision.agent_id.tolist()
        new = [a for a in ids if a not in self._slot_of]
        if new:
            present = set(ids)
            free = [s for s in sorted(ended_unasked) if self._slots[s] not in present]
            if len(new) > len(free):
                raise UnityGymException(
                    f"{len(new)} new agents of {self.behavior_name} ({new[:5]}) asked for a "
                    f"decision, but only {len(free)} of the {self.num_envs} slots are free. A "
                    "VecEnv has a fixed number of environments: make it with all the agents "
                    "the scene will have."
                )
            for agent_id, slot in zip(new, free):
                logger.debug(
                    "Agent %s takes slot %s from agent %s", agent_id, slot, self._slots[slot]
                )
                del self._slot_of[self._slots[slot]]
                self._slots[slot] = agent_id
                self._slot_of[agent_id] = slot
        return np.fromiter((self._slot_of[a] for a in ids), dtype=np.intp, count=len(ids))

    def _update_obs(self, decision: DecisionSteps, rows: np.ndarray) -> None:
        fresh = self._observations.batch(decision.obs, slice(None))
        if isinstance(self._obs, dict):
            assert isinstance(fresh, dict)
            for key, array in fresh.items():
                self._obs[key][rows] = array
        else:
            assert isinstance(fresh, np.ndarray)
            self._obs[rows] = fresh

    def _info(self, decision: DecisionSteps, row: int) -> dict[str, Any]:
        return {"agent_id": int(decision.agent_id[row])}

    def action_masks(self) -> np.ndarray:
        """The allowed discrete actions of every slot, (num_envs, n_actions) bool, for
        sb3-contrib's MaskablePPO. A slot whose agent did not ask at the last output keeps
        everything allowed."""
        width = len(self._actions.flat_mask(None, 0))
        masks = np.ones((self.num_envs, width), dtype=bool)
        decision = self._last
        for row, agent_id in enumerate(decision.agent_id.tolist()):
            slot = self._slot_of.get(agent_id)
            if slot is not None:
                masks[slot] = self._actions.flat_mask(decision.action_mask, row)
        return masks

    def close(self) -> None:
        """Close the wrapped environment; safe to call more than once."""
        if not self._closed:
            self._closed = True
            self._source.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """The attribute of this VecEnv, once per index: all slots share one environment."""
        value = getattr(self, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set an attribute of this VecEnv (shared by all slots)."""
        setattr(self, attr_name, value)

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        """Only "action_masks" (per slot) is supported: the slots are agents of one
        environment, not environments of their own."""
        if method_name != "action_masks":
            raise AttributeError(
                f"UnityVecEnv has no per-environment method {method_name!r}; its slots are "
                "agents of one environment (only 'action_masks' is supported)."
            )
        masks = self.action_masks()
        return [masks[i] for i in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[Any], indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]


def _copy(obs: VecEnvObs) -> VecEnvObs:
    if isinstance(obs, dict):
        return {key: np.array(value) for key, value in obs.items()}
    if isinstance(obs, tuple):
        return tuple(np.array(value) for value in obs)
    return np.array(obs)

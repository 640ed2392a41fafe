"""UnityParallelEnv: every agent of every behavior of a BaseEnv as a PettingZoo ParallelEnv.

    from mlagents_envs.envs.unity_parallel_env import UnityParallelEnv

    env = UnityParallelEnv(default_registry["StrikersVsGoalie"].make_in_process())
    observations, infos = env.reset(seed=0)
    while env.agents:
        actions = {agent: policy(observations[agent]) for agent in env.agents}
        observations, rewards, terminations, truncations, infos = env.step(actions)

Agents are named "<behavior>?agent_id=<id>" (as in ML-Agents' PettingZoo wrapper), for
example "Striker?agent_id=1"; agent_behavior(name) gives the behavior back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from mlagents_envs.base_env import ActionTuple, BaseEnv, DecisionSteps, TerminalSteps
from mlagents_envs.envs.behavior_spaces import ActionConverter, ObservationConverter
from mlagents_envs.envs.env_source import EnvFactory, EnvSource
from mlagents_envs.envs.errors import UnityGymException

__all__ = ["UnityParallelEnv", "agent_behavior", "agent_name"]

_SEPARATOR = "?agent_id="


def agent_name(behavior_name: str, agent_id: int) -> str:
    """The PettingZoo name of an agent: "<behavior>?agent_id=<id>"."""
    return f"{behavior_name}{_SEPARATOR}{agent_id}"


def agent_behavior(agent: str) -> str:
    """The behavior of the agent called `agent` (agent_name's inverse)."""
    behavior, separator, _ = agent.rpartition(_SEPARATOR)
    if not separator:
        raise UnityGymException(
            f"{agent!r} is not an agent name; names look like 'Behavior{_SEPARATOR}3'."
        )
    return behavior


@dataclass
class _Behavior:
    """The spaces of one behavior, shared by all its agents (PettingZoo wants the same
    space object for an agent every time)."""

    observations: ObservationConverter
    actions: ActionConverter
    observation_space: spaces.Space[Any]
    mask_space: spaces.Space[Any] | None


class UnityParallelEnv(ParallelEnv[str, Any, Any]):
    """Every agent of every behavior of a BaseEnv as a PettingZoo ParallelEnv.

    - env: a BaseEnv, or a function seed -> BaseEnv that reset(seed=...) calls again to
      restart the simulation with that seed.
    - uint8_visual, flatten_branched: as for UnityGymnasiumEnv.

    Spaces are per behavior: the observation is that of UnityGymnasiumEnv (a Box, or a Dict
    by sensor name), wrapped as {"observation": ..., "action_mask": ...} for Discrete and
    MultiDiscrete actions, where the mask (1 = allowed) is what
    `action_space(agent).sample(mask=...)` takes. Hybrid actions have their mask in
    info["action_mask"].

    Episodes: an agent lives for one episode of its own. When it ends it is terminated
    (truncated if interrupted) and leaves `agents`; Unity restarts it at once, but it stays
    out, acting with zeros, until reset() begins a new episode for everyone: PettingZoo
    agents never come back. Agents that appear (a behavior that starts late, new ids)
    join `agents` and `possible_agents`, which holds every agent seen so far.

    Behaviors decide at their own pace: a live agent that did not ask for a decision at a
    step gets its last observation again and a reward of 0 (what it earned arrives with its
    next decision), and the action given for it is dropped, as Unity holds its previous
    action. info["decision_requested"] says which agents asked. Rewards are the agents'
    own; the group reward is in info["group_reward"].
    """

    metadata = {"name": "unity_parallel_env_v0", "render_modes": []}

    def __init__(
        self,
        env: BaseEnv | EnvFactory,
        *,
        seed: int | None = None,
        uint8_visual: bool = False,
        flatten_branched: bool = False,
    ) -> None:
        self._source = EnvSource(env, seed)
        self._uint8_visual = uint8_visual
        self._flatten_branched = flatten_branched
        self._closed = False
        self._seed = seed
        self.render_mode = None
        self._behaviors: dict[str, _Behavior] = {}
        self.agents: list[str] = []
        self.possible_agents: list[str] = []
        self.observation_spaces: dict[str, spaces.Space[Any]] = {}
        self.action_spaces: dict[str, spaces.Space[Any]] = {}
        # Agents whose episode ended since the last reset: they cannot come back.
        self._finished: set[str] = set()
        # What each live agent saw and was told last, for the steps it does not ask.
        self._last_obs: dict[str, Any] = {}
        self._last_infos: dict[str, dict[str, Any]] = {}
        self._last_steps: dict[str, DecisionSteps] = {}
        try:
            self._begin()
        except BaseException:
            # What the wrapper made is not left running (a process, a port).
            self._source.discard()
            raise

    @property
    def base_env(self) -> BaseEnv:
        """The wrapped BaseEnv (it changes when reset(seed=...) restarts the simulation)."""
        return self._source.env

    def observation_space(self, agent: str) -> spaces.Space[Any]:
        return self._behavior(agent).observation_space

    def action_space(self, agent: str) -> spaces.Space[Any]:
        return self._behavior(agent).actions.space

    def _behavior(self, agent: str) -> _Behavior:
        behavior = agent_behavior(agent)
        known = self._behaviors.get(behavior)
        if known is None:
            raise UnityGymException(
                f"{agent!r} belongs to no behavior seen so far; the behaviors are "
                f"{sorted(self._behaviors)}."
            )
        return known

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Begin a new episode for every agent. A seed restarts the simulation with it when
        the env was made from a function, and seeds the action spaces; options are not
        read."""
        if seed is not None:
            self._seed = seed
            self._source.restart(seed)
            for behavior in self._behaviors.values():
                behavior.actions.space.seed(seed)
        return self._begin()

    def _begin(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        env = self._source.env
        env.reset()
        self.agents = []
        self._finished.clear()
        self._last_obs.clear()
        self._last_infos.clear()
        self._last_steps.clear()
        observations: dict[str, Any] = {}
        infos: dict[str, dict[str, Any]] = {}
        for name in list(env.behavior_specs):
            decision, _ = env.get_steps(name)
            self._last_steps[name] = decision
            for row, agent_id in enumerate(decision.agent_id.tolist()):
                agent = self._join(name, agent_id)
                observations[agent] = self._observe(name, decision, row)
                infos[agent] = self._info(name, decision, row, True)
        self._last_obs.update({agent: _copy(obs) for agent, obs in observations.items()})
        self._last_infos.update(infos)
        return observations, infos

    def _join(self, behavior_name: str, agent_id: int) -> str:
        if behavior_name not in self._behaviors:
            self._add_behavior(behavior_name)
        agent = agent_name(behavior_name, agent_id)
        self.agents.append(agent)
        if agent not in self.observation_spaces:
            behavior = self._behaviors[behavior_name]
            self.possible_agents.append(agent)
            self.observation_spaces[agent] = behavior.observation_space
            self.action_spaces[agent] = behavior.actions.space
        return agent

    def _add_behavior(self, name: str) -> None:
        spec = self._source.env.behavior_specs[name]
        observations = ObservationConverter(spec.observation_specs, self._uint8_visual)
        actions = ActionConverter(spec.action_spec, self._flatten_branched)
        if self._seed is not None:
            actions.space.seed(self._seed)
        mask_space = actions.mask_space()
        observation_space: spaces.Space[Any] = observations.space
        if mask_space is not None:
            observation_space = spaces.Dict(
                {"observation": observations.space, "action_mask": mask_space}
            )
        self._behaviors[name] = _Behavior(observations, actions, observation_space, mask_space)

    def _observe(self, name: str, steps: DecisionSteps | TerminalSteps, row: int) -> Any:
        behavior = self._behaviors[name]
        obs = behavior.observations.single(steps.obs, row)
        if behavior.mask_space is None:
            return obs
        masks = steps.action_mask if isinstance(steps, DecisionSteps) else None
        return {"observation": obs, "action_mask": behavior.actions.sample_mask(masks, row)}

    def _info(
        self, name: str, steps: DecisionSteps | TerminalSteps, row: int, requested: bool
    ) -> dict[str, Any]:
        info: dict[str, Any] = {
            "behavior_name": name,
            "agent_id": int(steps.agent_id[row]),
            "group_id": int(steps.group_id[row]),
            "group_reward": float(steps.group_reward[row]),
            "decision_requested": requested,
        }
        if isinstance(steps, TerminalSteps):
            info["interrupted"] = bool(steps.interrupted[row])
        behavior = self._behaviors[name]
        if behavior.actions.is_hybrid:
            masks = steps.action_mask if isinstance(steps, DecisionSteps) else None
            info["action_mask"] = behavior.actions.sample_mask(masks, row)
        return info

    def step(
        self, actions: Mapping[str, Any]
    ) -> tuple[
        dict[str, Any],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        """Act for the live agents that asked for a decision (actions for the others are
        dropped) and advance the environment by one step."""
        live = set(self.agents)
        unknown = sorted(set(actions) - live)
        if unknown:
            raise UnityGymException(
                f"Actions were given for {unknown[:5]}, which are not live agents; the live "
                f"agents are env.agents ({len(self.agents)})."
            )
        env = self._source.env
        # All converted before any is set: a refused action leaves the step undone.
        batches = {
            name: self._batch_actions(name, decision, actions)
            for name, decision in self._last_steps.items()
            if len(decision)
        }
        for name, batch in batches.items():
            env.set_actions(name, batch)
        env.step()

        observations: dict[str, Any] = {}
        rewards: dict[str, float] = {}
        terminations: dict[str, bool] = {}
        truncations: dict[str, bool] = {}
        infos: dict[str, dict[str, Any]] = {}
        ended: list[str] = []
        for name in list(env.behavior_specs):
            decision, terminal = env.get_steps(name)
            self._last_steps[name] = decision
            for row, agent_id in enumerate(terminal.agent_id.tolist()):
                agent = agent_name(name, agent_id)
                if agent not in live:
                    continue  # out already, or never in: it cannot end an episode here
                interrupted = bool(terminal.interrupted[row])
                observations[agent] = self._observe(name, terminal, row)
                rewards[agent] = float(terminal.reward[row])
                terminations[agent], truncations[agent] = not interrupted, interrupted
                infos[agent] = self._info(name, terminal, row, False)
                ended.append(agent)
                self._finished.add(agent)
            for row, agent_id in enumerate(decision.agent_id.tolist()):
                agent = agent_name(name, agent_id)
                if agent in self._finished:
                    continue  # restarted by Unity, but out until reset
                if agent not in live:
                    self._join(name, agent_id)
                observations[agent] = self._observe(name, decision, row)
                rewards[agent] = float(decision.reward[row])
                terminations[agent] = truncations[agent] = False
                infos[agent] = self._info(name, decision, row, True)
        for agent in live - set(observations):
            # Alive, but not asking at this step: nothing new to see.
            observations[agent] = _copy(self._last_obs[agent])
            rewards[agent] = 0.0
            terminations[agent] = truncations[agent] = False
            infos[agent] = {
                **self._last_infos[agent],
                "group_reward": 0.0,
                "decision_requested": False,
            }
        for agent in ended:
            self.agents.remove(agent)
            self._last_obs.pop(agent, None)
            self._last_infos.pop(agent, None)
        for agent in self.agents:
            self._last_obs[agent] = _copy(observations[agent])
            self._last_infos[agent] = infos[agent]
        return observations, rewards, terminations, truncations, infos

    def _batch_actions(
        self, name: str, decision: DecisionSteps, actions: Mapping[str, Any]
    ) -> ActionTuple:
        """The actions of every agent of decision: the given ones for live agents, zeros
        for agents that are out until reset."""
        behavior = self._behaviors[name]
        batch = self._source.env.behavior_specs[name].action_spec.empty_action(len(decision))
        missing = []
        for row, agent_id in enumerate(decision.agent_id.tolist()):
            agent = agent_name(name, agent_id)
            if agent in self._finished:
                continue
            if agent not in actions:
                missing.append(agent)
                continue
            one = behavior.actions.to_action_tuple(actions[agent], who=agent)
            batch.continuous[row] = one.continuous[0]
            batch.discrete[row] = one.discrete[0]
        if missing:
            raise UnityGymException(
                f"No action was given for {missing[:5]} ({len(missing)} agents), which asked "
                "for a decision; give one for every agent in env.agents."
            )
        return batch

    def render(self) -> None:
        """Nothing to draw: the environment renders itself (Unity) or not at all."""
        return None

    def close(self) -> None:
        """Close the wrapped environment; safe to call more than once."""
        if not self._closed:
            self._closed = True
            self._source.close()


def _copy(obs: Any) -> Any:
    if isinstance(obs, dict):
        return {key: _copy(value) for key, value in obs.items()}
    if isinstance(obs, tuple):
        return tuple(_copy(value) for value in obs)
    if isinstance(obs, np.ndarray):
        return obs.copy()
    return obs

"""What the PettingZoo environments (UnityParallelEnv, UnityAECEnv) share: agent names,
per-behavior spaces, and the observations and infos of one agent of a batch of steps.

Agents are named "<behavior>?agent_id=<id>", as in ML-Agents' PettingZoo wrappers. A
behavior name as Unity sends it already holds the team ("Striker?team=0"), so an agent is
for example "Striker?team=0?agent_id=1"; agent_behavior(name) gives the behavior back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from mlagents_envs.base_env import ActionTuple, BaseEnv, DecisionSteps, TerminalSteps
from mlagents_envs.envs.behavior_spaces import ActionConverter, ObservationConverter
from mlagents_envs.envs.env_source import EnvFactory, EnvSource
from mlagents_envs.envs.errors import UnityGymException
from mlagents_envs.side_channel.side_channel import SideChannel

__all__ = ["UnityPettingzooBaseEnv", "agent_behavior", "agent_name"]

_SEPARATOR = "?agent_id="


def agent_name(behavior_name: str, agent_id: int) -> str:
    """The PettingZoo name of an agent: "<behavior>?agent_id=<id>"."""
    return f"{behavior_name}{_SEPARATOR}{agent_id}"


def agent_behavior(agent: str) -> str:
    """The behavior of the agent called `agent` (agent_name's inverse)."""
    behavior, separator, _ = agent.rpartition(_SEPARATOR)
    if not separator:
        raise UnityGymException(
            f"{agent!r} is not an agent name; names look like 'Behavior?team=0{_SEPARATOR}3'."
        )
    return behavior


@dataclass
class BehaviorSpaces:
    """The spaces of one behavior, shared by all its agents (PettingZoo wants the same
    space object for an agent every time)."""

    observations: ObservationConverter
    actions: ActionConverter
    observation_space: spaces.Space[Any]
    mask_space: spaces.Space[Any] | None


class UnityPettingzooBaseEnv:
    """The part of UnityParallelEnv and UnityAECEnv that does not depend on how agents take
    turns: the wrapped environment, the spaces of each behavior and of each agent seen so
    far (`possible_agents`, `observation_spaces`, `action_spaces`), and one agent's
    observation and info from a batch of steps.

    Observations are those of UnityGymnasiumEnv (a Box, or a Dict by sensor name), wrapped
    as {"observation": ..., "action_mask": ...} for Discrete and MultiDiscrete actions,
    where the mask (1 = allowed, PettingZoo's convention) is what
    `action_space(agent).sample(mask=...)` takes. Hybrid actions have their mask in
    info["action_mask"].
    """

    metadata: dict[str, Any]

    def __init__(
        self,
        env: BaseEnv | EnvFactory,
        seed: int | None = None,
        *,
        uint8_visual: bool = False,
        flatten_branched: bool = False,
    ) -> None:
        self._source = EnvSource(env, seed)
        self._uint8_visual = uint8_visual
        self._flatten_branched = flatten_branched
        self._closed = False
        self._seed = seed
        self.render_mode = None
        self._behaviors: dict[str, BehaviorSpaces] = {}
        self.agents: list[str] = []
        self.possible_agents: list[str] = []
        self.observation_spaces: dict[str, spaces.Space[Any]] = {}
        self.action_spaces: dict[str, spaces.Space[Any]] = {}

    @property
    def base_env(self) -> BaseEnv:
        """The wrapped BaseEnv (it changes when reset(seed=...) restarts the simulation)."""
        return self._source.env

    @property
    def side_channel(self) -> dict[str, SideChannel]:
        """The side channels given to the wrapped environment, by class name (as ML-Agents'
        wrappers have them: `env.side_channel["EngineConfigurationChannel"]`)."""
        manager = getattr(self._source.env, "_side_channel_manager", None)
        channels = getattr(manager, "_side_channels", {})
        return {type(channel).__name__: channel for channel in channels.values()}

    def observation_space(self, agent: str) -> spaces.Space[Any]:
        return self._behavior(agent).observation_space

    def action_space(self, agent: str) -> spaces.Space[Any]:
        return self._behavior(agent).actions.space

    def _behavior(self, agent: str) -> BehaviorSpaces:
        behavior = agent_behavior(agent)
        known = self._behaviors.get(behavior)
        if known is None:
            raise UnityGymException(
                f"{agent!r} belongs to no behavior seen so far; the behaviors are "
                f"{sorted(self._behaviors)}."
            )
        return known

    def _restart(self, seed: int | None) -> None:
        """What reset(seed=...) does before the episode begins: a seed restarts the
        simulation with it when the env was made from a function, and seeds the action
        spaces."""
        if seed is None:
            return
        self._seed = seed
        self._source.restart(seed)
        for behavior in self._behaviors.values():
            behavior.actions.space.seed(seed)

    def _join(self, behavior_name: str, agent_id: int) -> str:
        """Add an agent to `agents` (and to `possible_agents` the first time), with the
        spaces of its behavior."""
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
        self._behaviors[name] = BehaviorSpaces(observations, actions, observation_space, mask_space)

    def _observe(self, name: str, steps: DecisionSteps | TerminalSteps, row: int) -> Any:
        """The observation of the agent at `row` of steps (a terminal one allows every
        action: it takes none)."""
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

    def _convert_action(self, agent: str, action: Any) -> ActionTuple:
        """One agent's action as a one-row ActionTuple; UnityGymException if it does not
        fit the agent's action space."""
        return self._behavior(agent).actions.to_action_tuple(action, who=agent)

    def _batch_actions(
        self,
        name: str,
        decision: DecisionSteps,
        given: Mapping[str, ActionTuple],
        skipped: set[str],
    ) -> tuple[ActionTuple, list[str]]:
        """The actions of every agent of `decision`: those `given` (converted already),
        zeros for the agents in `skipped` (out until reset). Also the agents that have
        neither."""
        batch = self._source.env.behavior_specs[name].action_spec.empty_action(len(decision))
        missing = []
        for row, agent_id in enumerate(decision.agent_id.tolist()):
            agent = agent_name(name, agent_id)
            if agent in skipped:
                continue
            one = given.get(agent)
            if one is None:
                missing.append(agent)
                continue
            batch.continuous[row] = one.continuous[0]
            batch.discrete[row] = one.discrete[0]
        return batch, missing

    def render(self) -> None:
        """Nothing to draw: the environment renders itself (Unity) or not at all."""
        return None

    def close(self) -> None:
        """Close the wrapped environment; safe to call more than once."""
        if not self._closed:
            self._closed = True
            self._source.close()

    def _check_open(self, doing: str) -> None:
        if self._closed:
            raise UnityGymException(f"Cannot {doing}: the environment was closed.")


def copy_observation(obs: Any) -> Any:
    """A copy of an observation (arrays, dicts and tuples of them), as users keep what they
    receive and an agent that does not ask is shown its last observation again."""
    if isinstance(obs, dict):
        return {key: copy_observation(value) for key, value in obs.items()}
    if isinstance(obs, tuple):
        return tuple(copy_observation(value) for value in obs)
    if isinstance(obs, np.ndarray):
        return obs.copy()
    return obs

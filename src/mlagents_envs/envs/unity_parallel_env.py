"""UnityParallelEnv: every agent of every behavior of a BaseEnv as a PettingZoo ParallelEnv.

    from mlagents_envs.envs.unity_parallel_env import UnityParallelEnv

    env = UnityParallelEnv(default_registry["StrikersVsGoalie"].make_in_process())
    observations, infos = env.reset(seed=0)
    while env.agents:
        actions = {agent: policy(observations[agent]) for agent in env.agents}
        observations, rewards, terminations, truncations, infos = env.step(actions)

Agents are named "<behavior>?agent_id=<id>" (as in ML-Agents' PettingZoo wrapper), for
example "Striker?team=0?agent_id=1"; agent_behavior(name) gives the behavior back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pettingzoo import ParallelEnv

from mlagents_envs.base_env import ActionTuple, BaseEnv, DecisionSteps
from mlagents_envs.envs.env_source import EnvFactory
from mlagents_envs.envs.errors import UnityGymException
from mlagents_envs.envs.unity_pettingzoo_base_env import (
    UnityPettingzooBaseEnv,
    agent_behavior,
    agent_name,
    copy_observation,
)

__all__ = ["UnityParallelEnv", "agent_behavior", "agent_name"]


class UnityParallelEnv(UnityPettingzooBaseEnv, ParallelEnv[str, Any, Any]):
    """Every agent of every behavior of a BaseEnv as a PettingZoo ParallelEnv.

    - env: a BaseEnv, or a function seed -> BaseEnv that reset(seed=...) calls again to
      restart the simulation with that seed.
    - seed: seeds the action spaces (and is the first seed of a function env); second
      argument, as in ML-Agents' `UnityParallelEnv(env, seed)`.
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
        seed: int | None = None,
        *,
        uint8_visual: bool = False,
        flatten_branched: bool = False,
    ) -> None:
        super().__init__(env, seed, uint8_visual=uint8_visual, flatten_branched=flatten_branched)
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

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Begin a new episode for every agent. A seed restarts the simulation with it when
        the env was made from a function, and seeds the action spaces; options are not
        read."""
        self._check_open("reset")
        self._restart(seed)
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
        self._last_obs.update({agent: copy_observation(obs) for agent, obs in observations.items()})
        self._last_infos.update(infos)
        return observations, infos

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
        self._check_open("step")
        live = set(self.agents)
        unknown = sorted(set(actions) - live)
        if unknown:
            raise UnityGymException(
                f"Actions were given for {unknown[:5]}, which are not live agents; the live "
                f"agents are env.agents ({len(self.agents)})."
            )
        env = self._source.env
        # All converted before any is set: a refused action leaves the step undone. Actions
        # for agents that did not ask are dropped, as Unity would not read them.
        asked = {
            agent_name(name, agent_id)
            for name, decision in self._last_steps.items()
            for agent_id in decision.agent_id.tolist()
        }
        converted = {
            agent: self._convert_action(agent, action)
            for agent, action in actions.items()
            if agent in asked
        }
        batches: dict[str, ActionTuple] = {}
        for name, decision in self._last_steps.items():
            if not len(decision):
                continue
            batches[name], missing = self._batch_actions(name, decision, converted, self._finished)
            if missing:
                raise UnityGymException(
                    f"No action was given for {missing[:5]} ({len(missing)} agents), which "
                    "asked for a decision; give one for every agent in env.agents."
                )
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
            observations[agent] = copy_observation(self._last_obs[agent])
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
            self._last_obs[agent] = copy_observation(observations[agent])
            self._last_infos[agent] = infos[agent]
        return observations, rewards, terminations, truncations, infos

"""UnityAECEnv: every agent of every behavior of a BaseEnv as a PettingZoo AECEnv, the
agents that asked for a decision taking turns.

    from mlagents_envs.envs.unity_aec_env import UnityAECEnv

    env = UnityAECEnv(default_registry["StrikersVsGoalie"].make_in_process())
    env.reset()
    for agent in env.agent_iter():
        observation, reward, terminated, truncated, info = env.last()
        env.step(None if terminated or truncated else policy(observation))

Agents, spaces, observations and infos are those of UnityParallelEnv.
"""

from __future__ import annotations

from typing import Any

from pettingzoo import AECEnv

from mlagents_envs.base_env import ActionTuple, BaseEnv, DecisionSteps
from mlagents_envs.envs.env_source import EnvFactory
from mlagents_envs.envs.errors import UnityGymException
from mlagents_envs.envs.unity_pettingzoo_base_env import (
    UnityPettingzooBaseEnv,
    agent_name,
    copy_observation,
)

__all__ = ["UnityAECEnv"]

# Unity sends nothing until some agent asks, so one step normally suffices; a BaseEnv that
# never asks must not hang the caller.
_MAX_SILENT_STEPS = 100_000


class UnityAECEnv(UnityPettingzooBaseEnv, AECEnv[str, Any, Any]):
    """Every agent of every behavior of a BaseEnv as a PettingZoo AECEnv.

    - env: a BaseEnv, or a function seed -> BaseEnv that reset(seed=...) calls again to
      restart the simulation with that seed.
    - seed: seeds the action spaces (and is the first seed of a function env).
    - uint8_visual, flatten_branched: as for UnityGymnasiumEnv.

    Turns: `agent_selection` goes through the agents whose episode ended at the last step
    of the environment (to be stepped with None, which removes them from `agents`), then
    the live agents that asked for a decision, in the order of the behaviors and of their
    rows. When every one of them has stepped, the actions are sent and the environment
    advances. Live agents that did not ask stay in `agents` without a turn: their reward
    arrives with their next decision, and `observe` gives their last observation.

    `rewards` holds what each agent earned at the last step of the environment (zeros
    between steps), `last()` the sum since the agent last acted. Episodes, late or new
    agents, masks (in the observation, 1 = allowed) and infos are as in UnityParallelEnv:
    an agent whose episode ends is out until reset().
    """

    metadata = {"name": "unity_aec_env_v0", "render_modes": []}

    def __init__(
        self,
        env: BaseEnv | EnvFactory,
        seed: int | None = None,
        *,
        uint8_visual: bool = False,
        flatten_branched: bool = False,
    ) -> None:
        super().__init__(env, seed, uint8_visual=uint8_visual, flatten_branched=flatten_branched)
        self.rewards: dict[str, float] = {}
        self._cumulative_rewards: dict[str, float] = {}
        self.terminations: dict[str, bool] = {}
        self.truncations: dict[str, bool] = {}
        self.infos: dict[str, dict[str, Any]] = {}
        self.agent_selection: str = ""
        # What each agent in `agents` saw last.
        self._observations: dict[str, Any] = {}
        # The agents yet to step before the environment advances, agent_selection first.
        self._turns: list[str] = []
        # The actions of this round, by agent.
        self._given: dict[str, ActionTuple] = {}
        # Agents whose episode ended since the last reset: they cannot come back.
        self._finished: set[str] = set()
        self._last_steps: dict[str, DecisionSteps] = {}
        try:
            self._begin()
        except BaseException:
            # What the wrapper made is not left running (a process, a port).
            self._source.discard()
            raise

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Begin a new episode for every agent. A seed restarts the simulation with it when
        the env was made from a function, and seeds the action spaces; options are not
        read."""
        self._check_open("reset")
        self._restart(seed)
        self._begin()

    def _begin(self) -> None:
        env = self._source.env
        env.reset()
        self.agents = []
        for table in (*self._agent_tables(), self._given, self._last_steps):
            table.clear()
        self._finished.clear()
        for name in list(env.behavior_specs):
            decision, _ = env.get_steps(name)
            self._last_steps[name] = decision
            for row, agent_id in enumerate(decision.agent_id.tolist()):
                agent = self._join(name, agent_id)
                self._observations[agent] = self._observe(name, decision, row)
                self.infos[agent] = self._info(name, decision, row, True)
                self.rewards[agent] = self._cumulative_rewards[agent] = 0.0
                self.terminations[agent] = self.truncations[agent] = False
        self._turns = list(self.agents)
        self.agent_selection = self._turns[0] if self._turns else ""

    def observe(self, agent: str) -> Any:
        """What `agent` saw last: at its last decision, or at the end of its episode."""
        if agent not in self._observations:
            raise UnityGymException(
                f"{agent!r} is not in env.agents ({len(self.agents)} agents): it never joined, "
                "or its episode ended and it was removed."
            )
        return copy_observation(self._observations[agent])

    def step(self, action: Any) -> None:
        """Take the action of `agent_selection` (None for an agent whose episode ended),
        pass the turn, and advance the environment when every agent that asked has acted."""
        self._check_open("step")
        if not self._turns:
            raise UnityGymException(
                "No agent is left to act: every episode has ended. Call reset() to begin new ones."
            )
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            if action is not None:
                how = "terminated" if self.terminations[agent] else "truncated"
                raise UnityGymException(
                    f"{agent} was given the action {action!r}, but its episode ended "
                    f"({how}); step it with None, which removes it from env.agents."
                )
            self._remove(agent)
        else:
            if action is None:
                raise UnityGymException(
                    f"{agent} asked for a decision and was given None; give it an action of "
                    f"env.action_space({agent!r}) = {self.action_space(agent)}. None is for "
                    "agents whose episode ended."
                )
            self._given[agent] = self._convert_action(agent, action)
            self._cumulative_rewards[agent] = 0.0
        self._turns.pop(0)
        self._clear_rewards()
        if not self._turns and self.agents:
            self._advance()
        if self._turns:
            self.agent_selection = self._turns[0]

    def _agent_tables(self) -> tuple[dict[str, Any], ...]:
        """The tables with one entry per agent in `agents`."""
        return (
            self.rewards,
            self._cumulative_rewards,
            self.terminations,
            self.truncations,
            self.infos,
            self._observations,
        )

    def _remove(self, agent: str) -> None:
        self.agents.remove(agent)
        for table in self._agent_tables():
            del table[agent]

    def _advance(self) -> None:
        """Send this round's actions, step the environment until some live agent asks or
        ends, and line up the next turns."""
        env = self._source.env
        for _ in range(_MAX_SILENT_STEPS):
            for name, decision in self._last_steps.items():
                if not len(decision):
                    continue
                batch, missing = self._batch_actions(name, decision, self._given, self._finished)
                # Every live agent that asked had a turn: missing ones are a bug of ours.
                assert not missing, missing
                env.set_actions(name, batch)
            env.step()
            self._given.clear()
            self._turns = self._read_steps()
            if self._turns or not self.agents:
                return
        raise UnityGymException(
            f"No live agent asked for a decision in {_MAX_SILENT_STEPS} steps of the "
            f"environment (agents: {self.agents[:5]}...)."
        )

    def _read_steps(self) -> list[str]:
        """Take in the latest steps of the environment; give the agents that ended, then
        those that asked."""
        env = self._source.env
        live = set(self.agents)
        ended: list[str] = []
        asked: list[str] = []
        for agent in self.agents:
            # Alive, but not asking at this step unless a row below says otherwise.
            self.rewards[agent] = 0.0
            self.infos[agent] = {
                **self.infos[agent],
                "group_reward": 0.0,
                "decision_requested": False,
            }
        for name in list(env.behavior_specs):
            decision, terminal = env.get_steps(name)
            self._last_steps[name] = decision
            for row, agent_id in enumerate(terminal.agent_id.tolist()):
                agent = agent_name(name, agent_id)
                if agent not in live:
                    continue  # out already, or never in: it cannot end an episode here
                interrupted = bool(terminal.interrupted[row])
                self._observations[agent] = self._observe(name, terminal, row)
                self.rewards[agent] = float(terminal.reward[row])
                self.terminations[agent], self.truncations[agent] = not interrupted, interrupted
                self.infos[agent] = self._info(name, terminal, row, False)
                self._finished.add(agent)
                ended.append(agent)
            for row, agent_id in enumerate(decision.agent_id.tolist()):
                agent = agent_name(name, agent_id)
                if agent in self._finished:
                    continue  # restarted by Unity, but out until reset
                if agent not in live:
                    self._join(name, agent_id)
                    self._cumulative_rewards[agent] = 0.0
                    self.terminations[agent] = self.truncations[agent] = False
                self._observations[agent] = self._observe(name, decision, row)
                self.rewards[agent] = float(decision.reward[row])
                self.infos[agent] = self._info(name, decision, row, True)
                asked.append(agent)
        self._accumulate_rewards()
        return ended + asked

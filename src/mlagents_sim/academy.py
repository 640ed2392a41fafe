"""The Academy: runs a Simulation tick by tick and turns it into the steps Python sees.

It keeps what Unity keeps per agent: a fixed id, the reward since the last decision, the
action held between decisions, the step count of the current episode. After each tick it
looks for agents to report: those whose episode ended on that tick (terminal, then
restarted at once) and those due for a decision. The first tick with any is an output; an
agent can be in both halves of one output, as in Unity.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import ActionTuple, DecisionSteps, TerminalSteps
from mlagents_envs.exception import UnityActionException
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition

Steps = tuple[DecisionSteps, TerminalSteps]


class _Agents:
    """The per-agent state of one behavior, as arrays over its rows."""

    def __init__(self, definition: BehaviorDef, first_id: int, groups: np.ndarray | None):
        n = definition.n_agents
        spec = definition.spec.action_spec
        self.definition = definition
        self.ids = np.arange(first_id, first_id + n, dtype=np.int32)
        # Made once: every tick asks which rows are due.
        self.all_rows = np.arange(n)
        self.no_rows = np.zeros(0, dtype=np.intp)
        self.group_ids = (
            np.zeros(n, dtype=np.int32) if groups is None else np.asarray(groups, np.int32)
        )
        self.reward = np.zeros(n, dtype=np.float32)
        self.group_reward = np.zeros(n, dtype=np.float32)
        self.episode_steps = np.zeros(n, dtype=np.int64)
        self.continuous = np.zeros((n, spec.continuous_size), dtype=np.float32)
        self.discrete = np.zeros((n, spec.discrete_size), dtype=np.int32)
        # Rows that asked for a decision in the last output, in the order they were sent.
        self.asked = self.no_rows
        # Terminal entries of the current tick: rows, observations, rewards, interruptions.
        self.ended: tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]
        self.ended_rows = self.no_rows

    def start_episodes(self, rows: np.ndarray) -> None:
        self.reward[rows] = 0.0
        self.group_reward[rows] = 0.0
        self.episode_steps[rows] = 0
        # Unity clears an agent's stored action when its episode ends.
        self.continuous[rows] = 0.0
        self.discrete[rows] = 0


class Academy:
    """Drives a Simulation: reset(), then step(actions) after each output."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.step_count = 0
        self.episodes_started = 0
        self._agents: dict[str, _Agents] = {}
        next_id = 0
        for definition in sim.behaviors:
            key = definition.behavior_id
            if key in self._agents:
                raise ValueError(f"Two behaviors are named {key!r}.")
            groups = sim.group_ids(key)
            self._agents[key] = _Agents(definition, next_id, groups)
            next_id += definition.n_agents
        if not next_id:
            raise ValueError(
                "The simulation has no agents in any behavior, so it would never produce an "
                "output; give at least one behavior n_agents >= 1."
            )
        # What each agent holds, as ActionTuples over the held arrays (updated in place).
        self._held = {
            name: ActionTuple(agents.continuous, agents.discrete)
            for name, agents in self._agents.items()
        }

    @property
    def behaviors(self) -> dict[str, BehaviorDef]:
        return {name: agents.definition for name, agents in self._agents.items()}

    def asked(self, behavior: str) -> int:
        """How many agents of behavior asked for a decision in the last output."""
        return len(self._agents[behavior].asked)

    def reset(self) -> dict[str, Steps]:
        """Every agent begins a new episode; returns the first output."""
        self.step_count = 0
        for name, agents in self._agents.items():
            rows = agents.all_rows
            agents.start_episodes(rows)
            agents.asked = agents.no_rows
            agents.ended_rows = agents.no_rows
            self.sim.reset_agents(name, rows)
        return self._run_to_output()

    def step(self, actions: Mapping[str, ActionTuple]) -> dict[str, Steps]:
        """Give the agents that asked their actions (by position), run to the next output.

        A behavior missing from actions keeps zeros for its agents that asked.
        """
        for name, agents in self._agents.items():
            action = actions.get(name)
            rows = agents.asked
            if action is None:
                agents.continuous[rows] = 0.0
                agents.discrete[rows] = 0
                continue
            if action.n_agents != len(rows):
                raise UnityActionException(
                    f"Behavior {name!r} got actions for {action.n_agents} agents; "
                    f"{len(rows)} asked for a decision."
                )
            agents.continuous[rows] = action.continuous
            agents.discrete[rows] = action.discrete
        self._tick()
        return self._run_to_output()

    def _run_to_output(self) -> dict[str, Steps]:
        while True:
            due = {
                name: self._due(agents)
                for name, agents in self._agents.items()
                if agents.definition.n_agents
            }
            if any(len(rows) for rows in due.values()) or any(
                len(a.ended_rows) for a in self._agents.values()
            ):
                return {name: self._output(name, rows) for name, rows in due.items()}
            self._tick()

    def _due(self, agents: _Agents) -> np.ndarray:
        definition = agents.definition
        if self.step_count % definition.decision_period != definition.decision_offset:
            return agents.no_rows
        return agents.all_rows

    def _tick(self) -> None:
        transitions = self.sim.tick(self._held)
        # Every behavior's terminal observations are taken before any agent restarts, so
        # that a scene shared by several behaviors is seen as it ended.
        for name, agents in self._agents.items():
            if agents.definition.n_agents:
                self._apply(name, agents, transitions[name])
        for name, agents in self._agents.items():
            if len(agents.ended_rows):
                self.episodes_started += len(agents.ended_rows)
                self.sim.reset_agents(name, agents.ended_rows)
        self.step_count += 1

    def _apply(self, name: str, agents: _Agents, t: Transition) -> None:
        definition = agents.definition
        reward = np.asarray(t.reward, dtype=np.float32)
        # In place: a tick is often a few microseconds of physics, so every array counts.
        if t.set_reward is not None:
            np.copyto(agents.reward, np.where(t.set_reward, reward, agents.reward + reward))
        elif definition.reward_accumulates:
            agents.reward += reward
        else:
            agents.reward[:] = reward
        if t.group_reward is not None:
            agents.group_reward += np.asarray(t.group_reward, dtype=np.float32)
        agents.episode_steps += 1
        done = np.asarray(t.done, dtype=bool)
        if definition.max_step:
            interrupted = agents.episode_steps >= definition.max_step
            interrupted &= ~done
            ended = done | interrupted
        else:
            interrupted = np.zeros_like(done)
            ended = done
        if not ended.any():
            return
        rows = np.flatnonzero(ended)
        if len(agents.ended_rows):
            # An agent can only end once per output: the output comes on the tick it ended.
            raise RuntimeError("terminal entries were not sent before the next tick")
        agents.ended = (
            rows,
            self.sim.observe(name, rows),
            agents.reward[rows].copy(),
            interrupted[rows],
            agents.group_reward[rows].copy(),
        )
        agents.ended_rows = rows
        agents.start_episodes(rows)

    def _output(self, name: str, rows: np.ndarray) -> Steps:
        agents = self._agents[name]
        if len(agents.ended_rows):
            t_rows, t_obs, t_reward, t_interrupted, t_group = agents.ended
        else:
            t_rows = agents.no_rows
            t_obs = [
                np.zeros((0, *s.shape), dtype=np.float32)
                for s in agents.definition.spec.observation_specs
            ]
            t_reward = t_group = np.zeros(0, dtype=np.float32)
            t_interrupted = np.zeros(0, dtype=bool)
        terminal = TerminalSteps(
            obs=t_obs,
            reward=t_reward,
            interrupted=t_interrupted,
            agent_id=agents.ids[t_rows],
            group_id=agents.group_ids[t_rows],
            group_reward=t_group,
        )
        masks = None
        if agents.definition.spec.action_spec.discrete_branches:
            masks = self.sim.action_masks(name, rows)
            if masks is None:
                masks = [
                    np.zeros((len(rows), b), dtype=bool)
                    for b in agents.definition.spec.action_spec.discrete_branches
                ]
        decision = DecisionSteps(
            obs=self.sim.observe(name, rows),
            reward=agents.reward[rows].copy(),
            agent_id=agents.ids[rows],
            action_mask=masks,
            group_id=agents.group_ids[rows],
            group_reward=agents.group_reward[rows].copy(),
        )
        # What was reported is consumed: rewards count anew from this decision.
        agents.reward[rows] = 0.0
        agents.group_reward[rows] = 0.0
        agents.asked = rows
        agents.ended_rows = agents.no_rows
        return decision, terminal

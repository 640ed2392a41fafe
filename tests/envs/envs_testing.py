"""Helpers of the wrapper tests: built-in environments in-process, a probe simulation for
what the suite does not show (several discrete branches, an image beside vectors, two
one-agent behaviors), BaseEnvs that change agent ids (respawns, late joiners), and
deterministic policies of the observations."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    BaseEnv,
    BehaviorSpec,
    DecisionSteps,
    TerminalSteps,
)
from mlagents_sim.catalog import simulation_class
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition
from mlagents_sim.specs import entity_buffer, image_observation, vector_observation


def sim_env(name: str, seed: int = 0, **kwargs: Any) -> InProcessEnv:
    """The built-in environment `name` in-process; kwargs go to its Simulation."""
    return InProcessEnv(simulation_class(name)(seed=seed, **kwargs))


def sim_factory(name: str, **kwargs: Any) -> Callable[[int], BaseEnv]:
    """A function seed -> the built-in environment `name` in-process."""
    return lambda seed: sim_env(name, seed, **kwargs)


THREE_ACTIONS = ActionSpec.create_discrete((3,))


#: The behaviors of Probe as Unity names them.
PROBE, SECOND = "Probe?team=0", "Second?team=0"


class Probe(Simulation):
    """Behavior "Probe": `agents_per_area` agents per area that show what they were given.

    Observations, one per letter of `observations`:
    - "v": (4,) [row, tick of the episode, the held discrete actions as a base-10 number
      (branch 0 first), the sum of the held continuous actions];
    - "i": a (4, 4, 3) image, every pixel (tick of the episode % 5) / 4;
    - "w": (2,) [row, -row];
    - "b": a (3, 2) entity buffer of zeros.
    Actions: action_spec. For discrete actions, action 1 of every branch is masked on odd
    ticks of the episode.
    Episodes end after episode_length ticks (done), and are interrupted at max_step.
    Reward per tick: 0.1 * (row + 1).
    second: None, or "early"/"late": a behavior "Second" with one agent of the same spec,
    asking from the first output or from the second.
    """

    def __init__(
        self,
        seed: int = 0,
        num_areas: int = 1,
        agents_per_area: int = 1,
        observations: str = "v",
        action_spec: ActionSpec = THREE_ACTIONS,
        episode_length: int = 4,
        max_step: int = 0,
        second: str | None = None,
    ) -> None:
        super().__init__(seed, num_areas)
        makers = {
            "v": lambda: vector_observation(4, "Vector"),
            "i": lambda: image_observation(4, 4, 3, "Camera"),
            "w": lambda: vector_observation(2, "Wide"),
            "b": lambda: entity_buffer(3, 2, "Buffer"),
        }
        self.kinds = observations
        spec = BehaviorSpec([makers[k]() for k in observations], action_spec)
        self.episode_length = episode_length
        self.counts = {PROBE: agents_per_area * num_areas}
        self.behaviors = [BehaviorDef("Probe", spec, self.counts[PROBE], max_step=max_step)]
        if second is not None:
            self.counts[SECOND] = 1
            late = second == "late"
            self.behaviors.append(
                BehaviorDef(
                    "Second", spec, 1, decision_period=2 if late else 1, decision_offset=int(late)
                )
            )
        self.ticks = {name: np.zeros(n, dtype=np.int64) for name, n in self.counts.items()}
        self.held = {name: spec.action_spec.empty_action(n) for name, n in self.counts.items()}

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        self.ticks[behavior][rows] = 0

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        out = {}
        for name, n in self.counts.items():
            self.held[name] = actions[name]
            self.ticks[name] += 1
            reward = (0.1 * (np.arange(n) + 1)).astype(np.float32)
            out[name] = Transition(reward=reward, done=self.ticks[name] >= self.episode_length)
        return out

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        rows = np.asarray(rows, dtype=np.int64)
        ticks = self.ticks[behavior][rows].astype(np.float32)
        held = self.held[behavior]
        digits = held.discrete[rows].astype(np.float32)
        code = digits @ (10.0 ** np.arange(digits.shape[1])[::-1]).astype(np.float32)
        obs = []
        for kind in self.kinds:
            if kind == "v":
                summed = held.continuous[rows].sum(axis=1)
                obs.append(np.stack([rows, ticks, code, summed], axis=1).astype(np.float32))
            elif kind == "i":
                level = (ticks % 5) / 4
                obs.append(np.broadcast_to(level[:, None, None, None], (len(rows), 4, 4, 3)))
            elif kind == "w":
                obs.append(np.stack([rows, -rows], axis=1).astype(np.float32))
            else:
                obs.append(np.zeros((len(rows), 3, 2), dtype=np.float32))
        return [np.array(o, dtype=np.float32) for o in obs]

    def action_masks(self, behavior: str, rows: np.ndarray) -> list[np.ndarray] | None:
        branches = self.behaviors[0].spec.action_spec.discrete_branches
        odd = self.ticks[behavior][np.asarray(rows, dtype=np.int64)] % 2 == 1
        masks = []
        for size in branches:
            mask = np.zeros((len(rows), size), dtype=bool)
            mask[:, 1] = odd
            masks.append(mask)
        return masks


def probe_env(seed: int = 0, **kwargs: Any) -> InProcessEnv:
    return InProcessEnv(Probe(seed=seed, **kwargs))


class _Relabelled(BaseEnv):
    """A BaseEnv over another whose agents are shown under other ids (and, for
    LateJoinEnv, only some of them): subclasses choose `_visible` and `_outer`."""

    def __init__(self, inner: BaseEnv) -> None:
        self.inner = inner
        self._steps: dict[str, tuple[DecisionSteps, TerminalSteps]] = {}
        self._rows: dict[str, np.ndarray] = {}

    @property
    def behavior_specs(self) -> Mapping[str, BehaviorSpec]:
        return self.inner.behavior_specs

    def reset(self) -> None:
        self.inner.reset()
        self._refresh()

    def step(self) -> None:
        self.inner.step()
        self._refresh()

    def close(self) -> None:
        self.inner.close()

    def get_steps(self, behavior_name: str) -> tuple[DecisionSteps, TerminalSteps]:
        return self._steps[behavior_name]

    def set_actions(self, behavior_name: str, action: ActionTuple) -> None:
        decision, _ = self.inner.get_steps(behavior_name)
        full = self.inner.behavior_specs[behavior_name].action_spec.empty_action(len(decision))
        rows = self._rows[behavior_name]
        if full.continuous.shape[1]:
            full.continuous[rows] = action.continuous
        if full.discrete.shape[1]:
            full.discrete[rows] = action.discrete
        self.inner.set_actions(behavior_name, full)

    def set_action_for_agent(self, behavior_name: str, agent_id: int, action: ActionTuple) -> None:
        raise NotImplementedError

    def _refresh(self) -> None:
        for name in self.inner.behavior_specs:
            decision, terminal = self.inner.get_steps(name)
            # Terminal agents keep the ids they had; _ended may give their next life another.
            t_ids = np.array([self._outer(name, a) for a in terminal.agent_id.tolist()], np.int32)
            for inner_id in terminal.agent_id.tolist():
                self._ended(name, inner_id)
            visible = [self._visible(name, a) for a in decision.agent_id.tolist()]
            rows = np.flatnonzero(np.array(visible, dtype=bool))
            d_ids = [self._outer(name, a) for a in decision.agent_id[rows].tolist()]
            self._rows[name] = rows
            masks = decision.action_mask
            self._steps[name] = (
                DecisionSteps(
                    [o[rows] for o in decision.obs],
                    decision.reward[rows],
                    np.array(d_ids, dtype=np.int32),
                    None if masks is None else [m[rows] for m in masks],
                    decision.group_id[rows],
                    decision.group_reward[rows],
                ),
                TerminalSteps(
                    terminal.obs,
                    terminal.reward,
                    terminal.interrupted,
                    t_ids,
                    terminal.group_id,
                    terminal.group_reward,
                ),
            )

    def _outer(self, behavior: str, inner_id: int) -> int:
        return inner_id

    def _visible(self, behavior: str, inner_id: int) -> bool:
        return True

    def _ended(self, behavior: str, inner_id: int) -> None:
        """Called for every terminal agent before the output is relabelled."""


class RespawningEnv(_Relabelled):
    """Every agent that ends comes back under a new id (its terminal step keeps the old
    one), as Unity agents that are destroyed and instantiated again."""

    def __init__(self, inner: BaseEnv, first_id: int = 1000) -> None:
        super().__init__(inner)
        self._ids: dict[tuple[str, int], int] = {}
        self._next = first_id

    def _outer(self, behavior: str, inner_id: int) -> int:
        return self._ids.setdefault((behavior, inner_id), inner_id)

    def _ended(self, behavior: str, inner_id: int) -> None:
        self._ids[behavior, inner_id] = self._next
        self._next += 1


class LateJoinEnv(_Relabelled):
    """The agents with ids in `late` stay hidden (acting with zeros) for the first `after`
    steps after each reset, then join."""

    def __init__(self, inner: BaseEnv, late: Sequence[int], after: int) -> None:
        super().__init__(inner)
        self.late = set(late)
        self.after = after
        self._count = 0

    def reset(self) -> None:
        self._count = 0
        super().reset()

    def step(self) -> None:
        self._count += 1
        super().step()

    def _visible(self, behavior: str, inner_id: int) -> bool:
        return inner_id not in self.late or self._count >= self.after


def linear_policy(spec: ActionSpec, obs_size: int, seed: int = 0) -> Callable[[np.ndarray], Any]:
    """A fixed function of a batch of flat observations (n, obs_size) to actions: (n, c)
    continuous in (-1, 1), or (n,) / (n, b) discrete, as Gymnasium spaces take them."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(obs_size, spec.continuous_size + sum(spec.discrete_branches)))

    def act(obs: np.ndarray) -> Any:
        out = np.asarray(obs, dtype=np.float64).reshape(len(obs), -1) @ weights
        if spec.continuous_size:
            return np.tanh(out[:, : spec.continuous_size]).astype(np.float32)
        picks, start = [], 0
        for size in spec.discrete_branches:
            picks.append(np.argmax(out[:, start : start + size], axis=1))
            start += size
        discrete = np.stack(picks, axis=1)
        return discrete[:, 0] if len(picks) == 1 else discrete

    return act

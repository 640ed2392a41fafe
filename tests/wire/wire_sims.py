"""Small simulations whose every number is predictable, for wire and academy tests.

They are launched as executables too (`--env wire_sims:EchoSim`), so this folder must be
on PYTHONPATH of the environment process.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    BehaviorSpec,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.side_channel.stats_side_channel import StatsAggregationMethod
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition

ECHO_OBS = ObservationSpec((6,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "echo")


class EchoSim(Simulation):
    """Behavior "Echo": 3 agents per area, hybrid actions (1 continuous, one branch of 3).

    Observation of an agent: [row, ticks in its episode, episode number, parameter "p" read
    when the episode began, its held continuous action, its held discrete action]. Agent r's
    episode ends (done) after 2 + r ticks, on a tick where it also asks again (period 1).
    Reward per tick: 1 + row / 10. Branch 0 masks action 2 for odd rows.

    It reports over the side channels: stats "Echo/ticks" (MOST_RECENT) and "Echo/reward"
    (SUM) each tick; float properties "echo/<k>" = 2 * v for every property k Python set,
    and "engine/time_scale", "engine/width", "analytics/received".
    """

    def __init__(self, seed: int = 0, num_areas: int = 1) -> None:
        super().__init__(seed, num_areas)
        n = 3 * num_areas
        spec = BehaviorSpec([ECHO_OBS], ActionSpec.create_hybrid(1, (3,)))
        self.behaviors = [BehaviorDef("Echo", spec, n)]
        self.n = n
        self.ticks = np.zeros(n, dtype=np.int64)
        self.episode = np.zeros(n, dtype=np.int64)
        self.p = np.zeros(n, dtype=np.float32)
        self.held = ActionTuple(np.zeros((n, 1), np.float32), np.zeros((n, 1), np.int32))

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        self.ticks[rows] = 0
        self.episode[rows] += 1
        for r in rows.tolist():
            self.p[r] = self.parameters.get("p", -1.0)

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        self.held = actions["Echo?team=0"]
        self.ticks += 1
        rows = np.arange(self.n)
        done = self.ticks >= 2 + rows % 3
        reward = (1 + (rows % 3) / 10).astype(np.float32)
        self.stats.add("Echo/ticks", float(self.ticks.sum()), StatsAggregationMethod.MOST_RECENT)
        self.stats.add("Echo/reward", float(reward.sum()), StatsAggregationMethod.SUM)
        self._echo_properties()
        return {"Echo?team=0": Transition(reward=reward, done=done)}

    def _echo_properties(self) -> None:
        props = self.float_properties
        for key, value in props.get_property_dict_copy().items():
            if key.startswith(("echo/", "engine/", "analytics/")):
                continue
            if props.get_property(f"echo/{key}") != 2 * value:
                props.set_property(f"echo/{key}", 2 * value)
        engine = self.engine
        reported = (
            ("engine/time_scale", engine.time_scale),
            ("engine/width", float(engine.width)),
            ("analytics/received", float(len(self.analytics.messages))),
        )
        for key, value in reported:
            if props.get_property(key) != value:
                props.set_property(key, value)

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        obs = np.stack(
            [
                (rows % 3).astype(np.float32),
                self.ticks[rows].astype(np.float32),
                self.episode[rows].astype(np.float32),
                self.p[rows],
                self.held.continuous[rows, 0],
                self.held.discrete[rows, 0].astype(np.float32),
            ],
            axis=1,
        )
        return [obs.astype(np.float32)]

    def action_masks(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        mask = np.zeros((len(rows), 3), dtype=bool)
        mask[:, 2] = rows % 2 == 1
        return [mask]


class TwoRateSim(Simulation):
    """Two behaviors: "Fast" (2 agents, a decision every tick) and "Slow" (1 agent, every
    3 ticks starting at tick 1), discrete actions, episodes interrupted at max_step 4 for
    Fast, never for Slow. Observation: the number of ticks since reset and the behavior's
    last held action."""

    def __init__(self, seed: int = 0, num_areas: int = 1) -> None:
        super().__init__(seed, num_areas)
        spec = BehaviorSpec(
            [ObservationSpec((2,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "t")],
            ActionSpec.create_discrete((4,)),
        )
        self.behaviors = [
            BehaviorDef("Fast", spec, 2 * num_areas, max_step=4),
            BehaviorDef("Slow", spec, num_areas, decision_period=3, decision_offset=1),
        ]
        self.time = 0
        self.held: dict[str, np.ndarray] = {}

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        # Slow never ends an episode, so its agents only restart when the scene resets.
        if behavior == "Slow?team=0":
            self.time = 0

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        self.time += 1
        self.held = {name: a.discrete[:, 0].copy() for name, a in actions.items()}
        out = {}
        for b in self.behaviors:
            out[b.behavior_id] = Transition(
                reward=np.full(b.n_agents, 0.5, np.float32), done=np.zeros(b.n_agents, bool)
            )
        return out

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        held = self.held.get(behavior, np.zeros(len(rows) or 1, np.int32))
        obs = np.zeros((len(rows), 2), np.float32)
        obs[:, 0] = self.time
        if len(held):
            obs[:, 1] = held[rows] if len(held) > rows.max(initial=-1) else 0
        return [obs]


class CrashSim(EchoSim):
    """EchoSim whose simulation raises on its third tick (the process then exits with 1)."""

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        if self.ticks.max() >= 2:
            raise RuntimeError("the simulation broke on purpose")
        return super().tick(actions)


class HangSim(EchoSim):
    """EchoSim that stops answering on its second tick, while its process stays alive."""

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        if self.ticks.max() >= 1:
            import time

            time.sleep(120)
        return super().tick(actions)


class BigSim(Simulation):
    """One agent whose observation is 1,500,000 floats: outputs of 6 MB, above gRPC's
    default limit of 4 MB per message."""

    SIZE = 1_500_000

    def __init__(self, seed: int = 0, num_areas: int = 1) -> None:
        super().__init__(seed, num_areas)
        spec = BehaviorSpec(
            [
                ObservationSpec(
                    (self.SIZE,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "big"
                )
            ],
            ActionSpec.create_continuous(1),
        )
        self.behaviors = [BehaviorDef("Big", spec, num_areas)]
        self.value = np.float32(0)

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        self.value = np.float32(0)

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        self.value += np.float32(1)
        n = self.behaviors[0].n_agents
        return {"Big?team=0": Transition(np.zeros(n, np.float32), np.zeros(n, bool))}

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        return [np.full((len(rows), self.SIZE), self.value, np.float32)]

"""Simulations whose behaviors carry Unity's team suffix, "Basic?team=N", for the trainer
tests. Launched as executables ("team_envs:TwoTeamBasic"), they run in a fresh process,
which imports this module by name: the tests put this folder on PYTHONPATH."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import ActionTuple
from mlagents_sim.envs.basic import BASIC_ID, Basic
from mlagents_sim.simulation import Simulation, Transition


class TeamBasic(Simulation):
    """Basic once per team id of `TEAMS`, each team its own line of cells, under the
    behavior ids Unity would send: "Basic?team=0", "Basic?team=1", ..."""

    TEAMS: tuple[int, ...] = (0,)

    def __init__(self, seed: int = 0, num_areas: int = 1) -> None:
        super().__init__(seed, num_areas)
        # Each team is a Basic of its own (which knows itself as BASIC_ID, team 0).
        definitions = []
        self.teams: dict[str, Basic] = {}
        for team in self.TEAMS:
            inner = Basic(seed + team, num_areas)
            # One set of channels for the scene: parameters in, statistics out.
            inner.parameters, inner.stats = self.parameters, self.stats
            definition = dataclasses.replace(inner.behaviors[0], team_id=team)
            definitions.append(definition)
            self.teams[definition.behavior_id] = inner
        self.behaviors = definitions

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        self.teams[behavior].reset_agents(BASIC_ID, rows)

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        return {
            behavior_id: inner.tick({BASIC_ID: actions[behavior_id]})[BASIC_ID]
            for behavior_id, inner in self.teams.items()
        }

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        return self.teams[behavior].observe(BASIC_ID, rows)


class TwoTeamBasic(TeamBasic):
    """ "Basic?team=0" and "Basic?team=1": two teams of one behavior, as in a self-play
    scene."""

    TEAMS = (0, 1)

"""The environments of mlagents_sim by name, and how to build one from a name."""

from __future__ import annotations

import importlib

from mlagents_sim.simulation import Simulation

#: Built-in environments: name -> "module:class".
ENVIRONMENTS: dict[str, str] = {
    "Basic": "mlagents_sim.envs.basic:Basic",
    "3DBall": "mlagents_sim.envs.ball3d:Ball3D",
    "VisualHallway": "mlagents_sim.envs.hallway:VisualHallway",
    "GridWorld": "mlagents_sim.envs.gridworld:GridWorld",
    "Sorter": "mlagents_sim.envs.sorter:Sorter",
    "Hybrid": "mlagents_sim.envs.basic:Hybrid",
    "PushBlock": "mlagents_sim.envs.pushblock:CooperativePushBlock",
    "StrikersVsGoalie": "mlagents_sim.envs.strikers:StrikersVsGoalie",
    "Pyramids": "mlagents_sim.envs.pyramids:Pyramids",
    "SoccerTwos": "mlagents_sim.envs.soccer:SoccerTwos",
}

#: The mean episode reward at which each task counts as solved (ML-Agents' thresholds where
#: the environment mirrors one of its examples).
EXPECTED_REWARDS: dict[str, float] = {
    "Basic": 0.93,
    "3DBall": 100.0,
    "VisualHallway": 0.99,
    "GridWorld": 0.8,
    "Sorter": 10.0,
    "Hybrid": 0.9,
    "PushBlock": 5.9,
    "StrikersVsGoalie": 0.98,
    "Pyramids": 1.75,
    "SoccerTwos": 0.5,
}


def simulation_class(name: str) -> type[Simulation]:
    """The Simulation class of a built-in name, or of "package.module:ClassName"."""
    target = ENVIRONMENTS.get(name, name)
    module_name, sep, class_name = target.partition(":")
    if not sep:
        raise ValueError(
            f"Unknown environment {name!r}: the built-in ones are {sorted(ENVIRONMENTS)}; "
            "for your own, give 'package.module:ClassName'."
        )
    cls = getattr(importlib.import_module(module_name), class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Simulation)):
        raise ValueError(f"{target!r} does not name a Simulation subclass.")
    return cls


def make_simulation(name: str, seed: int = 0, num_areas: int = 1) -> Simulation:
    return simulation_class(name)(seed=seed, num_areas=num_areas)

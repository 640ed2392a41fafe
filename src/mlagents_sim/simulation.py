"""What an example environment implements: a batched simulation of every agent at once.

A `Simulation` knows physics, observations and rewards, and nothing of decisions, episodes
or the wire. The `Academy` drives it one tick at a time and does the bookkeeping that
Unity's Academy and Agent classes do: decision periods, held actions, accumulated rewards,
max-step interruption, agent ids, and restarting agents whose episode ended.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlagents_envs.base_env import ActionTuple, BehaviorSpec
from mlagents_envs.side_channel.float_properties_channel import FloatPropertiesChannel
from mlagents_envs.side_channel.side_channel import SideChannel
from mlagents_sim.side_channels import (
    EngineSettings,
    EnvironmentParameters,
    StatsRecorder,
    TrainingAnalyticsReceiver,
)


def behavior_id(name: str, team_id: int = 0) -> str:
    """The name a Unity build gives a behavior on the wire: its Behavior Parameters' name
    and team id, as in "3DBall?team=0"."""
    return f"{name}?team={team_id}"


@dataclass(frozen=True)
class BehaviorDef:
    """One behavior of a simulation and how its agents ask for decisions.

    - name, team_id: the behavior name and the team of its agents. Unity sends them as one
      string, `behavior_id` ("Name?team=N"), and so does every key of the Simulation API;
      self-play scenes hold one name under two team ids.
    - n_agents: agents of this behavior in the whole scene (all areas included).
    - decision_period: an agent asks for a decision every decision_period ticks (at ticks
      where tick % decision_period == decision_offset) and repeats its last action between.
    - max_step: ticks after which an episode is interrupted; 0 means never.
    - reward_accumulates: True adds the rewards of the ticks between two decisions (Unity's
      AddReward); False keeps the last reward set in that span (Unity's SetReward).
    - compressed: per observation, whether it travels as PNG on the wire.
    """

    name: str
    spec: BehaviorSpec
    n_agents: int
    team_id: int = 0
    decision_period: int = 1
    decision_offset: int = 0
    max_step: int = 0
    reward_accumulates: bool = True
    compressed: tuple[bool, ...] = ()

    @property
    def behavior_id(self) -> str:
        return behavior_id(self.name, self.team_id)

    def __post_init__(self) -> None:
        if "?" in self.name or self.team_id < 0:
            raise ValueError(
                f"Behavior {self.name!r} (team {self.team_id}): the name must not hold '?' "
                "(the team id is its own field) and the team id must be >= 0."
            )
        if self.n_agents < 0 or self.decision_period < 1 or self.max_step < 0:
            raise ValueError(
                f"Behavior {self.name!r}: n_agents={self.n_agents} must be >= 0, "
                f"decision_period={self.decision_period} >= 1 and max_step={self.max_step} >= 0."
            )
        if not 0 <= self.decision_offset < self.decision_period:
            raise ValueError(
                f"Behavior {self.name!r}: decision_offset={self.decision_offset} must be in "
                f"[0, decision_period={self.decision_period})."
            )
        if self.compressed and len(self.compressed) != len(self.spec.observation_specs):
            raise ValueError(
                f"Behavior {self.name!r}: compressed has {len(self.compressed)} flags for "
                f"{len(self.spec.observation_specs)} observations."
            )


@dataclass
class Transition:
    """What one tick did to the agents of one behavior; every array has n_agents rows.

    - reward: the reward of this tick (added or set, as the behavior says).
    - done: the episode of the agent ended on this tick (it will be restarted).
    - group_reward: the reward of the agent's group on this tick, or None for zeros.
    - set_reward: agents whose reward this tick replaces what they accumulated (Unity's
      SetReward); None means the behavior's reward_accumulates decides for all.
    """

    reward: np.ndarray
    done: np.ndarray
    group_reward: np.ndarray | None = None
    set_reward: np.ndarray | None = field(default=None)


class Simulation(ABC):
    """A scene with one or more behaviors whose agents are simulated together with numpy.

    Subclasses set `behaviors` in __init__ and implement the abstract methods. Agents are
    addressed by their row (0..n_agents-1) within their behavior; the Academy gives each row
    a fixed agent id. `parameters` holds what Python sent through the environment parameters
    channel (read it when an episode begins); `stats` sends statistics to Python;
    `float_properties` is the key-value store shared with Python in both directions;
    `engine` holds the engine configuration Python last sent; `analytics` the trainer's
    training analytics messages.
    """

    #: The behaviors of the scene, in the order their agents are numbered. Every method
    #: below names a behavior by its `BehaviorDef.behavior_id` ("Name?team=N").
    behaviors: Sequence[BehaviorDef]

    def __init__(self, seed: int = 0, num_areas: int = 1) -> None:
        if num_areas < 1:
            raise ValueError(f"num_areas={num_areas} must be at least 1.")
        self.seed = seed
        self.num_areas = num_areas
        self.rng = np.random.default_rng(seed)
        self.parameters = EnvironmentParameters()
        self.stats = StatsRecorder()
        self.float_properties = FloatPropertiesChannel()
        self.engine = EngineSettings()
        self.analytics = TrainingAnalyticsReceiver()

    @classmethod
    def command_line_options(cls, args: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
        """The constructor keyword arguments a build of this scene takes from its command
        line (as a Unity scene's scripts may read Environment.GetCommandLineArgs()), and the
        arguments left unread. ValueError for a bad value. None by default."""
        return {}, list(args)

    @abstractmethod
    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        """Begin a new episode for the agents at rows (an int array) of behavior."""

    @abstractmethod
    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        """Advance the whole scene by one tick.

        actions holds, per behavior, one row per agent: the action each agent currently
        holds (its last decision, or zeros since its episode began).
        """

    @abstractmethod
    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        """The observations of the agents at rows: one array per observation spec, each with
        len(rows) rows, float32 (images in [0, 1], height x width x channels)."""

    def action_masks(self, behavior: str, rows: np.ndarray) -> list[np.ndarray] | None:
        """Per discrete branch, a (len(rows), branch_size) bool array, True = not allowed.
        None allows everything."""
        return None

    def group_ids(self, behavior: str) -> np.ndarray | None:
        """The group of every agent of behavior (0 = no group), or None for no groups."""
        return None

    def side_channels(self) -> list[SideChannel]:
        """More environment-end side channels of this scene, beside the built-in ones (as
        Unity's Academy.Instance.RegisterSideChannel); none by default."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook, deliberately empty
        """Release what the simulation holds (files, windows). Nothing by default."""

"""A Scene: one simulation with its academy and the environment end of the side channels.

Both ways of running an environment go through a Scene (in-process as a BaseEnv, or as an
executable over the wire), which is why both give the same steps for the same seed and
actions. The Scene also plays the Unity package generation it emulates: simulations draw
images as (height, width, channels), and a 3.x-generation scene turns them, specs and
data, to (channels, height, width) as builds of that generation send them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

import numpy as np

from mlagents_envs.base_env import ActionTuple, BehaviorSpec, DecisionSteps, TerminalSteps
from mlagents_envs.codec.generation import (
    PACKAGE_VERSION_3X,
    channels_first,
    check_package_version,
    to_channels_first,
)
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager
from mlagents_sim.academy import Academy, Steps
from mlagents_sim.side_channels import (
    EngineConfigurationReceiver,
    EnvironmentParametersReceiver,
    StatsSender,
)
from mlagents_sim.simulation import Simulation

logger = logging.getLogger(__name__)


class SceneObserver(Protocol):
    """Something that watches every output of a scene (a demonstration recorder)."""

    def observe(
        self, actions: Mapping[str, ActionTuple] | None, steps: Mapping[str, Steps]
    ) -> None:
        """steps: the output as sent; actions: what the agents that asked were given before
        it (None when the output follows a reset)."""

    def close(self) -> None:
        """The scene closes."""


class Scene:
    """sim as a build of the Unity package package_version would run it."""

    def __init__(self, sim: Simulation, package_version: str = PACKAGE_VERSION_3X) -> None:
        self.sim = sim
        self.academy = Academy(sim)
        self.package_version = check_package_version(package_version)
        self.channels_first = channels_first(package_version)
        # Per behavior, the observations that are images, turned in a 3.x scene.
        self._images = {
            name: [
                k
                for k, s in enumerate(d.spec.observation_specs)
                if self.channels_first and len(s.shape) == 3
            ]
            for name, d in self.academy.behaviors.items()
        }
        #: The spec of every behavior as this generation declares it, by behavior id.
        self.behavior_specs: dict[str, BehaviorSpec] = {
            name: _turned_spec(d.spec, self._images[name])
            for name, d in self.academy.behaviors.items()
        }
        self.engine = sim.engine
        self._observers: list[SceneObserver] = []
        self._stats = StatsSender(sim.stats)
        self._channels = SideChannelManager(
            [
                EngineConfigurationReceiver(self.engine),
                EnvironmentParametersReceiver(sim.parameters),
                sim.float_properties,
                self._stats,
                sim.analytics,
                *sim.side_channels(),
            ]
        )

    def receive(self, side_channel: bytes) -> None:
        """Apply the side-channel messages Python sent with an input."""
        self._channels.process_side_channel_message(side_channel)

    def outgoing(self) -> bytes:
        """The side-channel messages to send with the next output."""
        self._stats.flush()
        return bytes(self._channels.generate_side_channel_messages())

    def add_observer(self, observer: SceneObserver) -> None:
        """Show observer every output from now on; it is closed with the scene."""
        self._observers.append(observer)

    def reset(self) -> dict[str, Steps]:
        return self._observed(None, self._turned(self.academy.reset()))

    def step(self, actions: Mapping[str, ActionTuple]) -> dict[str, Steps]:
        return self._observed(actions, self._turned(self.academy.step(actions)))

    def _observed(
        self, actions: Mapping[str, ActionTuple] | None, steps: dict[str, Steps]
    ) -> dict[str, Steps]:
        for observer in self._observers:
            observer.observe(actions, steps)
        return steps

    def _turned(self, steps: dict[str, Steps]) -> dict[str, Steps]:
        if not self.channels_first:
            return steps
        return {
            name: _turned_steps(decision, terminal, self._images[name])
            for name, (decision, terminal) in steps.items()
        }

    def close(self) -> None:
        # Each closes even when another fails: a recorder's file must get its metadata.
        try:
            for observer in self._observers:
                try:
                    observer.close()
                except Exception:
                    logger.exception("An observer of the scene failed to close.")
        finally:
            self.sim.close()


def _turned_spec(spec: BehaviorSpec, images: list[int]) -> BehaviorSpec:
    if not images:
        return spec
    observations = [
        to_channels_first(s) if k in images else s for k, s in enumerate(spec.observation_specs)
    ]
    return spec._replace(observation_specs=observations)


def _turned_steps(decision: DecisionSteps, terminal: TerminalSteps, images: list[int]) -> Steps:
    if not images:
        return decision, terminal

    def turn(obs: list[np.ndarray]) -> list[np.ndarray]:
        return [
            np.ascontiguousarray(o.transpose(0, 3, 1, 2)) if k in images else o
            for k, o in enumerate(obs)
        ]

    return (
        DecisionSteps(
            turn(decision.obs),
            decision.reward,
            decision.agent_id,
            decision.action_mask,
            decision.group_id,
            decision.group_reward,
        ),
        TerminalSteps(
            turn(terminal.obs),
            terminal.reward,
            terminal.interrupted,
            terminal.agent_id,
            terminal.group_id,
            terminal.group_reward,
        ),
    )

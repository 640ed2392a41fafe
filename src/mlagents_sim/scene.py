"""A Scene: one simulation with its academy and the environment end of the side channels.

Both ways of running an environment go through a Scene (in-process as a BaseEnv, or as an
executable over the wire), which is why both give the same steps for the same seed and
actions.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlagents_envs.base_env import ActionTuple
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager
from mlagents_sim.academy import Academy, Steps
from mlagents_sim.side_channels import (
    EngineConfigurationReceiver,
    EnvironmentParametersReceiver,
    StatsSender,
)
from mlagents_sim.simulation import Simulation


class Scene:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.academy = Academy(sim)
        self.engine = sim.engine
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

    def reset(self) -> dict[str, Steps]:
        return self.academy.reset()

    def step(self, actions: Mapping[str, ActionTuple]) -> dict[str, Steps]:
        return self.academy.step(actions)

    def close(self) -> None:
        self.sim.close()

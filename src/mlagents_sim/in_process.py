"""InProcessEnv: a simulation of mlagents_sim as a BaseEnv, with no wire in between.

It behaves like UnityEnvironment on the same simulation (same steps for the same seed and
actions, same validation, the same side channels), only without the gRPC round trip.
"""

from __future__ import annotations

import os

from mlagents_envs.codec.generation import PACKAGE_VERSION_3X
from mlagents_envs.side_channel.side_channel import SideChannel
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager
from mlagents_envs.stepped_env import SteppedEnv
from mlagents_sim.academy import Steps
from mlagents_sim.demonstrations import DemonstrationRecorder
from mlagents_sim.scene import Scene
from mlagents_sim.simulation import Simulation


class InProcessEnv(SteppedEnv):
    """Runs sim in this process. side_channels are the Python end of the side channels,
    as for UnityEnvironment; their messages travel as the same bytes. package_version is
    the Unity package whose builds it behaves like: 3.0 and later send images
    (channels, height, width), older ones (height, width, channels).

    record_demo records agents into .demo files as Unity's Demonstration Recorder does: a
    path (a .demo file, or a folder) records the first agent of the first behavior, a
    `DemonstrationRecorder` whatever it says; the files are complete once the env closes."""

    def __init__(
        self,
        sim: Simulation,
        side_channels: list[SideChannel] | None = None,
        *,
        package_version: str = PACKAGE_VERSION_3X,
        record_demo: str | os.PathLike[str] | DemonstrationRecorder | None = None,
    ) -> None:
        super().__init__()
        self._scene = Scene(sim, package_version)
        self.demo_recorder: DemonstrationRecorder | None = None
        if record_demo is not None:
            try:
                if not isinstance(record_demo, DemonstrationRecorder):
                    record_demo = DemonstrationRecorder(record_demo)
                self.demo_recorder = record_demo.attach(self._scene)
            except BaseException:
                self._scene.close()
                raise
        self._side_channel_manager = SideChannelManager(side_channels)
        self._closed = False

    @property
    def simulation(self) -> Simulation:
        return self._scene.sim

    def reset(self) -> None:
        self._check_open("reset")
        self._send_side_channel()
        self._absorb(self._scene.reset())

    def step(self) -> None:
        self._check_open("step")
        if self._is_first_message:
            self.reset()
            return
        actions = self._pending_actions()
        self._send_side_channel()
        self._absorb(self._scene.step(actions))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._scene.close()

    def _send_side_channel(self) -> None:
        self._scene.receive(bytes(self._side_channel_manager.generate_side_channel_messages()))

    def _absorb(self, steps: dict[str, Steps]) -> None:
        specs = self._scene.behavior_specs
        for name, (decision, terminal) in steps.items():
            # As on the wire: a behavior becomes known with its first agents.
            if name not in self._env_specs and (len(decision) or len(terminal)):
                self._env_specs[name] = specs[name]
        self._update_state({name: s for name, s in steps.items() if name in self._env_specs})
        self._side_channel_manager.process_side_channel_message(self._scene.outgoing())

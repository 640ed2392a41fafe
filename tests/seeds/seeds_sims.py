"""Simulations for the seed tests, also launched as executables (`--env seeds_sims:...`), so
this folder must be on PYTHONPATH of the environment process.

- `with_seed_002_side(cls)`: a built-in environment with the Unity side of seed 002's
  examples in Python. The StringLogSideChannel, registered as the C# example does: it logs
  what Python sends ("From Python : ...") and keeps it, and sends Python an "Error: ..."
  string (as the C# side forwards Debug.LogError) whenever agents end their episode. And
  each tick it reads the float property "parameter_1" (default 0.0, as the C# snippet
  does) and the engine's time scale, and logs them when they change.
- `TwoBrains`: two behaviors of one agent each with two continuous actions (the shape of
  seed 003's two-brain example); each agent observes the action it holds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import ActionSpec, ActionTuple, BehaviorSpec
from mlagents_envs.legacy.side_channel import SideChannelType, legacy_channel_id
from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage
from mlagents_envs.side_channel.side_channel import SideChannel
from mlagents_sim.envs.ball3d import Ball3D
from mlagents_sim.envs.basic import Basic
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition
from mlagents_sim.specs import vector_observation

logger = logging.getLogger("seeds_sims")

#: The channel of seed 002's example: type UserSideChannelStart + 1, as a UUID.
STRING_LOG_CHANNEL_ID = legacy_channel_id(SideChannelType.UserSideChannelStart + 1)


class EnvStringLogChannel(SideChannel):
    """The environment end of the StringLogChannel: ASCII strings both ways."""

    def __init__(self) -> None:
        super().__init__(STRING_LOG_CHANNEL_ID)
        self.received: list[str] = []

    def on_message_received(self, msg: IncomingMessage) -> None:
        text = msg.get_raw_bytes().decode("ascii")
        self.received.append(text)
        logger.info("From Python : %s", text)

    def send_error(self, text: str) -> None:
        msg = OutgoingMessage()
        msg.set_raw_bytes(bytearray(f"Error: {text}\n".encode("ascii")))
        self.queue_message_to_send(msg)


def with_seed_002_side(base: type[Simulation]) -> type[Simulation]:
    class Seed002(base):  # type: ignore[valid-type,misc]
        def __init__(self, seed: int = 0, num_areas: int = 1) -> None:
            super().__init__(seed=seed, num_areas=num_areas)
            self.string_log = EnvStringLogChannel()
            self.seen: dict[str, float] = {}

        def side_channels(self) -> list[SideChannel]:
            return [*super().side_channels(), self.string_log]

        def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
            transitions = super().tick(actions)
            for behavior, transition in transitions.items():
                ended = int(np.count_nonzero(transition.done))
                if ended:
                    self.string_log.send_error(f"{ended} agent(s) of {behavior} ended")
            property1 = self.float_properties.get_property("parameter_1")
            self._report("parameter_1", 0.0 if property1 is None else property1)
            self._report("time_scale", self.engine.time_scale)
            return transitions

        def _report(self, key: str, value: float) -> None:
            if self.seen.get(key) != value:
                self.seen[key] = value
                logger.info("%s = %s", key, value)

    Seed002.__name__ = Seed002.__qualname__ = f"Seed002{base.__name__}"
    return Seed002


Seed002Ball = with_seed_002_side(Ball3D)
Seed002Basic = with_seed_002_side(Basic)


class TwoBrains(Simulation):
    """Behaviors "brain1" and "brain2": one agent each, 2 continuous actions, observing the
    action it holds. No rewards; episodes never end."""

    def __init__(self, seed: int = 0, num_areas: int = 1) -> None:
        super().__init__(seed, num_areas)
        spec = BehaviorSpec([vector_observation(2, "HeldAction")], ActionSpec.create_continuous(2))
        self.behaviors = [
            BehaviorDef("brain1", spec, num_areas),
            BehaviorDef("brain2", spec, num_areas),
        ]
        self.held = {
            b.behavior_id: np.zeros((num_areas, 2), dtype=np.float32) for b in self.behaviors
        }

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        self.held[behavior][rows] = 0.0

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        transitions = {}
        for name, held in self.held.items():
            held[:] = actions[name].continuous
            n = len(held)
            transitions[name] = Transition(np.zeros(n, np.float32), np.zeros(n, dtype=bool))
        return transitions

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        return [self.held[behavior][rows].copy()]

"""A tour of the wire, both ends in one process, through real serialized messages.

An "environment" end (a line-walking task: 12 agents, a vector observation, a small camera,
one discrete branch with masks) encodes its steps into UnityMessageProto bytes, as a Unity
build would; the Python end decodes them into DecisionSteps / TerminalSteps, picks actions,
and answers with a UnityInputProto carrying actions and engine settings, which the
environment end decodes. Stats travel the other way through the stats side channel.

Until the environment side of the protocol exists (mlagents_sim), this shows what the
foundation does. Run it with `bash scripts/run.sh`.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    BehaviorSpec,
    DecisionSteps,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
    TerminalSteps,
)
from mlagents_envs.communicator_objects.command_pb2 import STEP
from mlagents_envs.communicator_objects.unity_message_pb2 import UnityMessageProto
from mlagents_envs.rpc_utils import (
    actions_from_proto,
    actions_to_proto,
    behavior_spec_from_proto,
    behavior_spec_to_proto,
    steps_from_proto,
    steps_to_proto,
)
from mlagents_envs.side_channel.engine_configuration_channel import EngineConfigurationChannel
from mlagents_envs.side_channel.framing import encode_frame, iter_frames
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager
from mlagents_envs.side_channel.stats_side_channel import (
    STATS_SIDE_CHANNEL_ID,
    StatsAggregationMethod,
    StatsSideChannel,
)

BEHAVIOR = "LineWalker?team=0"
SIZE = 20  # positions on the line
SPEC = BehaviorSpec(
    [
        ObservationSpec((SIZE,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "position"),
        ObservationSpec(
            (8, SIZE, 3),
            (
                DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
                DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
                DimensionProperty.NONE,
            ),
            ObservationType.DEFAULT,
            "camera",
        ),
    ],
    ActionSpec.create_discrete((3,)),
)


class LineWalkers:
    """The environment end: agents walk left or right on a line towards a goal at the end."""

    def __init__(self, n_agents: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.position = self.rng.integers(1, SIZE - 1, size=n_agents)
        self.ids = np.arange(n_agents, dtype=np.int32)
        self.episode_return = np.zeros(n_agents, dtype=np.float32)
        self.finished_returns: list[float] = []

    def observe(self, rows: np.ndarray) -> list[np.ndarray]:
        one_hot = np.eye(SIZE, dtype=np.float32)[self.position[rows]]
        camera = np.zeros((len(rows), 8, SIZE, 3), dtype=np.float32)
        camera[:, :, -1, 1] = 1.0  # the goal, green
        camera[np.arange(len(rows)), :, self.position[rows], 0] = 1.0  # the agent, red
        return [one_hot, camera]

    def output(self, reward: np.ndarray, done: np.ndarray) -> UnityMessageProto:
        live = np.arange(len(self.ids))
        ended = np.flatnonzero(done)
        terminal = TerminalSteps(
            self.observe(ended),
            reward[ended],
            np.zeros(len(ended), dtype=bool),
            self.ids[ended],
            np.zeros(len(ended), np.int32),
            np.zeros(len(ended), np.float32),
        )
        self.position[ended] = self.rng.integers(1, SIZE - 1, size=len(ended))
        # Walking left from position 0 is not allowed: masked.
        mask = np.zeros((len(live), 3), dtype=bool)
        mask[:, 0] = self.position == 0
        decision = DecisionSteps(
            self.observe(live),
            np.where(done, 0.0, reward).astype(np.float32),
            self.ids,
            [mask],
            np.zeros(len(live), np.int32),
            np.zeros(len(live), np.float32),
        )
        message = UnityMessageProto()
        message.header.status = 200
        rl_output = message.unity_output.rl_output
        infos = steps_to_proto(decision, terminal, SPEC, compressed=[False, True])
        rl_output.agentInfos[BEHAVIOR].value.extend(infos)
        rl_output.side_channel = self.stats_frames()
        init = message.unity_output.rl_initialization_output
        init.brain_parameters.append(behavior_spec_to_proto(BEHAVIOR, SPEC))
        return message

    def stats_frames(self) -> bytes:
        frames = b""
        for value in self.finished_returns:
            msg = OutgoingMessage()
            msg.write_string("Environment/Episode Return")
            msg.write_float32(value)
            msg.write_int32(StatsAggregationMethod.AVERAGE.value)
            frames += encode_frame(STATS_SIDE_CHANNEL_ID, msg.buffer)
        self.finished_returns.clear()
        return frames

    def apply(self, message: UnityMessageProto) -> tuple[np.ndarray, np.ndarray, int]:
        rl_input = message.unity_input.rl_input
        actions = actions_from_proto(rl_input.agent_actions[BEHAVIOR].value, SPEC.action_spec)
        self.position = np.clip(self.position + actions.discrete[:, 0] - 1, 0, SIZE - 1)
        done = self.position == SIZE - 1
        reward = np.where(done, 1.0, -0.01).astype(np.float32)
        self.episode_return += reward
        self.finished_returns += self.episode_return[done].tolist()
        self.episode_return[done] = 0.0
        settings = len(list(iter_frames(rl_input.side_channel)))
        return reward, done, settings


def greedy_actions(decision: DecisionSteps, rng: np.random.Generator) -> ActionTuple:
    """Walk right most of the time, never take a masked action."""
    choice = np.where(rng.random(len(decision)) < 0.8, 2, rng.integers(0, 3, len(decision)))
    masked = decision.action_mask[0][np.arange(len(decision)), choice]
    choice[masked] = 1
    return ActionTuple(discrete=choice[:, None].astype(np.int32))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--agents", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.steps < 1 or args.agents < 1:
        parser.error("--steps and --agents must be at least 1")

    env = LineWalkers(args.agents, args.seed)
    stats = StatsSideChannel()
    engine = EngineConfigurationChannel()
    python_end = SideChannelManager([stats, engine])
    rng = np.random.default_rng(args.seed + 1)
    spec = None
    wire_bytes = 0
    decode_seconds = 0.0
    returns: list[float] = []
    reward, done = np.zeros(args.agents, np.float32), np.zeros(args.agents, bool)
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        data = env.output(reward, done).SerializeToString()  # what crosses the wire
        wire_bytes += len(data)

        began = time.perf_counter()
        message = UnityMessageProto.FromString(data)
        agents = message.unity_output.rl_output.agentInfos[BEHAVIOR].value
        if spec is None:
            brain = message.unity_output.rl_initialization_output.brain_parameters[0]
            spec = behavior_spec_from_proto(brain, agents[0])
            print(f"behavior {brain.brain_name}: {spec}")
        decision, terminal = steps_from_proto(agents, spec, BEHAVIOR)
        python_end.process_side_channel_message(message.unity_output.rl_output.side_channel)
        decode_seconds += time.perf_counter() - began
        for _, values in stats.get_and_reset_stats().items():
            returns += [v for v, _ in values]

        if step == 1:
            engine.set_configuration_parameters(time_scale=20.0, target_frame_rate=-1)
        reply = UnityMessageProto()
        reply.header.status = 200
        reply.unity_input.rl_input.command = STEP
        action = greedy_actions(decision, rng)
        SPEC.action_spec.validate_action(action, len(decision), BEHAVIOR)
        reply.unity_input.rl_input.agent_actions[BEHAVIOR].value.extend(actions_to_proto(action))
        reply.unity_input.rl_input.side_channel = bytes(python_end.generate_side_channel_messages())
        reward, done, settings = env.apply(UnityMessageProto.FromString(reply.SerializeToString()))

        if step % 50 == 0 or step == args.steps:
            recent = np.mean(returns[-50:]) if returns else float("nan")
            print(
                f"step {step:4d}/{args.steps}  deciding {len(decision):3d}  ended "
                f"{len(terminal):2d}  episodes {len(returns):4d}  mean return (last 50) "
                f"{recent:6.3f}  camera batch {decision.obs[1].shape}"
            )
        if step == 1:
            print(f"environment end received {settings} engine settings from Python")
    elapsed = time.perf_counter() - start
    print(
        f"done: {args.steps} exchanges in {elapsed:.2f} s, {wire_bytes / 1e6:.2f} MB of "
        f"environment output, decoding {args.steps / decode_seconds:.0f} outputs/s"
    )


if __name__ == "__main__":
    main()

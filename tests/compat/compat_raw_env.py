"""An environment that speaks the wire byte by byte, to send what a faulty Unity build
might: python compat_raw_env.py MODE --mlagents-port N.

It offers behavior "Raw" (one agent, 2 floats, 1 continuous action) in the handshake, then
answers Python's first message (the reset) with an output that depends on MODE:
- engine_channel_message: a side-channel message on the engine configuration channel,
  which only goes from Python to the environment;
- truncated_side_channel: side-channel data cut short inside a frame header;
- nan_observation / inf_observation: the agent's observation holds NaN / +inf;
- nan_reward / inf_group_reward: the agent's reward is NaN / its group reward -inf;
- fine: finite values and no side channel.
Then it waits for Python's next message (a step, or the close) and exits.
"""

from __future__ import annotations

import math
import sys

import grpc

from mlagents_envs.communicator_objects.agent_info_pb2 import AgentInfoProto
from mlagents_envs.communicator_objects.brain_parameters_pb2 import (
    ActionSpecProto,
    BrainParametersProto,
)
from mlagents_envs.communicator_objects.header_pb2 import HeaderProto
from mlagents_envs.communicator_objects.observation_pb2 import NONE, ObservationProto
from mlagents_envs.communicator_objects.unity_message_pb2 import UnityMessageProto
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto
from mlagents_envs.communicator_objects.unity_rl_initialization_output_pb2 import (
    UnityRLInitializationOutputProto,
)
from mlagents_envs.communicator_objects.unity_rl_output_pb2 import UnityRLOutputProto
from mlagents_envs.communicator_objects.unity_to_external_pb2_grpc import (
    UnityToExternalProtoStub,
)
from mlagents_envs.side_channel.engine_configuration_channel import (
    ENGINE_CONFIGURATION_CHANNEL_ID,
)
from mlagents_envs.side_channel.framing import encode_frame

MODES = (
    "engine_channel_message",
    "truncated_side_channel",
    "nan_observation",
    "inf_observation",
    "nan_reward",
    "inf_group_reward",
    "fine",
)


def agents(
    obs: tuple[float, float] = (0.5, 1.5), reward: float = 0.0, group_reward: float = 0.0
) -> UnityRLOutputProto:
    observation = ObservationProto(
        shape=[2], compression_type=NONE, float_data=ObservationProto.FloatData(data=obs)
    )
    info = AgentInfoProto(
        id=7, reward=reward, group_reward=group_reward, observations=[observation]
    )
    output = UnityRLOutputProto()
    output.agentInfos["Raw"].value.append(info)
    return output


def reset_output(mode: str) -> UnityRLOutputProto:
    if mode == "nan_observation":
        return agents(obs=(math.nan, 1.0))
    if mode == "inf_observation":
        return agents(obs=(0.0, math.inf))
    if mode == "nan_reward":
        return agents(reward=math.nan)
    if mode == "inf_group_reward":
        return agents(group_reward=-math.inf)
    output = agents()
    if mode == "engine_channel_message":
        output.side_channel = encode_frame(ENGINE_CONFIGURATION_CHANNEL_ID, b"\x02\x00\x00\x00")
    elif mode == "truncated_side_channel":
        output.side_channel = encode_frame(ENGINE_CONFIGURATION_CHANNEL_ID, b"")[:10]
    return output


def main() -> None:
    mode = sys.argv[1]
    if mode not in MODES:
        raise SystemExit(f"unknown mode {mode}; one of {MODES}")
    port = int(sys.argv[sys.argv.index("--mlagents-port") + 1])
    stub = UnityToExternalProtoStub(grpc.insecure_channel(f"localhost:{port}"))
    brain = BrainParametersProto(
        brain_name="Raw", is_training=True, action_spec=ActionSpecProto(num_continuous_actions=1)
    )
    init = UnityRLInitializationOutputProto(
        name="raw",
        communication_version="1.5.0",
        package_version="2.2.1-exp.1",
        brain_parameters=[brain],
    )
    hello = UnityOutputProto(rl_initialization_output=init, rl_output=agents())
    ok = HeaderProto(status=200)
    stub.Exchange(UnityMessageProto(header=ok, unity_output=hello), wait_for_ready=True, timeout=60)
    stub.Exchange(UnityMessageProto(header=ok), timeout=60)  # answered with the reset
    output = UnityOutputProto(rl_output=reset_output(mode))
    stub.Exchange(UnityMessageProto(header=ok, unity_output=output), timeout=60)


if __name__ == "__main__":
    main()

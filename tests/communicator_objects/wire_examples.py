"""Rich example values of every wire message, as JSON-able dicts in protobuf's JSON mapping.

Both protobuf runtimes build messages from the same dict with json_format.ParseDict, so the
examples are written once, in proto field names, with bytes as base64 (`b64`) and enums by
name. Values are chosen to catch encoding slips: non-ASCII strings, negative and extreme
int32s, floats that round when narrowed to float32 (0.1), a subnormal, the largest float32,
-0.0 in packed lists, real PNG files, and real side channel frames.
"""

from __future__ import annotations

import base64
import io
import struct
import uuid
from typing import Any

from PIL import Image

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
FLOAT32_MAX = 3.4028234663852886e38
SUBNORMAL = 1e-45


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def png(width: int, height: int, mode: str, seed: int) -> bytes:
    """A PNG of deterministic noise: a smooth picture would compress to a few bytes, and
    longer byte strings exercise multi-byte length prefixes."""
    image = Image.new(mode, (width, height))
    bands = len(image.getbands())
    state = seed
    noise = []
    for _ in range(width * height * bands):
        state = (1103515245 * state + 12345) % 2**31  # a linear congruential generator
        noise.append(state >> 23)
    image.frombytes(bytes(noise))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def side_channel_frame(channel: str, payload: bytes) -> bytes:
    """One side channel message: .NET-layout GUID, int32 little-endian length, payload."""
    return uuid.UUID(channel).bytes_le + struct.pack("<i", len(payload)) + payload


def _side_string(text: str) -> bytes:
    data = text.encode("ascii")
    return struct.pack("<i", len(data)) + data


ENGINE_CONFIGURATION_CHANNEL = "e951342c-4f7e-11ea-b238-784f4387d1f7"
FLOAT_PROPERTIES_CHANNEL = "60ccf7d0-4f7e-11ea-b238-784f4387d1f7"
STATS_CHANNEL = "a1d8f7b7-cec8-50f9-b78b-d3e165a78520"

# Python -> env: time scale 20 and a float property; env -> Python: a stat.
INPUT_SIDE_CHANNEL = side_channel_frame(
    ENGINE_CONFIGURATION_CHANNEL, struct.pack("<if", 2, 20.0)
) + side_channel_frame(FLOAT_PROPERTIES_CHANNEL, _side_string("gravity") + struct.pack("<f", -9.81))
OUTPUT_SIDE_CHANNEL = side_channel_frame(
    STATS_CHANNEL, _side_string("Environment/Lesson") + struct.pack("<fi", 2.5, 1)
)

CAPABILITIES = {
    "baseRLCapabilities": True,
    "concatenatedPngObservations": True,
    "compressedChannelMapping": True,
    "hybridActions": True,
    "trainingAnalytics": True,
    "variableLengthObservation": True,
    "multiAgentGroups": True,
}

ACTION_SPEC = {
    "num_continuous_actions": 2,
    "num_discrete_actions": 2,
    "discrete_branch_sizes": [3, 2],
    "action_descriptions": ["steer", "throttle", "jump", "crouch"],
}

BRAIN_PARAMETERS = {
    "vector_action_size_deprecated": [3, 2],
    "vector_action_descriptions_deprecated": ["jump", "crouch"],
    "vector_action_space_type_deprecated": "continuous",
    "brain_name": "Walker?team=0",
    "is_training": True,
    "action_spec": ACTION_SPEC,
}

# Six decoded channels (two RGB PNGs back to back) folded into four: the last two are dropped.
PNG_OBSERVATION = {
    "shape": [24, 32, 4],
    "compression_type": "PNG",
    "compressed_data": b64(png(32, 24, "RGB", seed=1) + png(32, 24, "RGB", seed=2)),
    "compressed_channel_mapping": [0, 1, 2, 3, -1, -1],
    "dimension_properties": [2, 2, 1],
    "observation_type": "GOAL_SIGNAL",
    "name": "CameraSensor-Gölé",
}

FLOAT_DATA = {"data": [0.1, -2.5, SUBNORMAL, FLOAT32_MAX, -0.0, 7.0]}

FLOAT_OBSERVATION = {
    "shape": [2, 3],
    "compression_type": "NONE",
    "float_data": FLOAT_DATA,
    "dimension_properties": [4, 1],
    "observation_type": "DEFAULT",
    "name": "BufferSensor",
}

GRAY_OBSERVATION = {
    "shape": [8, 8, 1],
    "compression_type": "PNG",
    "compressed_data": b64(png(8, 8, "L", seed=5)),
    "observation_type": "DEFAULT",
    "name": "GridSensor",
}

AGENT_INFO = {
    "reward": 0.1,
    "done": True,
    "max_step_reached": True,
    "id": 7,
    "action_mask": [True, False, False, True, False],
    "observations": [PNG_OBSERVATION, FLOAT_OBSERVATION],
    "group_id": 3,
    "group_reward": -1.5,
}

# The same agent id again, restarted after its terminal step above.
AGENT_INFO_RESTARTED = {
    "reward": -0.75,
    "id": 7,
    "action_mask": [False, True, False, False, True],
    "observations": [PNG_OBSERVATION, FLOAT_OBSERVATION],
    "group_id": 3,
}

AGENT_INFO_EXTREMES = {
    "reward": FLOAT32_MAX,
    "id": INT32_MAX,
    "observations": [GRAY_OBSERVATION],
    "group_id": INT32_MIN,
    "group_reward": SUBNORMAL,
}

AGENT_ACTION = {
    "vector_actions_deprecated": [0.5, -0.25, 2.0, 1.0],
    "value": 0.3,
    "continuous_actions": [0.5, -0.25],
    "discrete_actions": [2, 1],
}

AGENT_ACTION_2 = {
    "vector_actions_deprecated": [-0.0, 1.0, 0.0, 0.0],
    "value": -12.125,
    "continuous_actions": [-0.0, 1.0],
    "discrete_actions": [0, 0],
}

RL_OUTPUT = {
    "agentInfos": {
        "Walker?team=0": {"value": [AGENT_INFO, AGENT_INFO_RESTARTED]},
        "Crawler?team=1": {"value": [AGENT_INFO_EXTREMES]},
    },
    "side_channel": b64(OUTPUT_SIDE_CHANNEL),
}

RL_INPUT = {
    "agent_actions": {
        "Walker?team=0": {"value": [AGENT_ACTION, AGENT_ACTION_2]},
        "Crawler?team=1": {"value": [AGENT_ACTION_2]},
        "Empty?team=2": {"value": []},
    },
    "command": "QUIT",
    "side_channel": b64(INPUT_SIDE_CHANNEL),
}

RL_INITIALIZATION_OUTPUT = {
    "name": "RollerBall-Ünity",
    "communication_version": "1.5.0",
    "log_path": "/tmp/Player-0.log",
    "brain_parameters": [
        BRAIN_PARAMETERS,
        {**BRAIN_PARAMETERS, "brain_name": "Crawler?team=1", "is_training": False},
    ],
    "package_version": "2.0.1",
    "capabilities": CAPABILITIES,
}

RL_INITIALIZATION_INPUT = {
    "seed": -42,
    "communication_version": "1.5.0",
    "package_version": "0.28.0",
    "capabilities": CAPABILITIES,
    "num_areas": 4,
}

UNITY_OUTPUT = {"rl_output": RL_OUTPUT, "rl_initialization_output": RL_INITIALIZATION_OUTPUT}
UNITY_INPUT = {
    "rl_input": {**RL_INPUT, "command": "RESET"},
    "rl_initialization_input": RL_INITIALIZATION_INPUT,
}

# (message full name, value) per example; every message type appears at top level at least
# once, so each is also checked on its own, not only inside a larger message.
CO = "communicator_objects."
EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "header": (CO + "HeaderProto", {"status": 200, "message": "ok ✓"}),
    "capabilities": (CO + "UnityRLCapabilitiesProto", CAPABILITIES),
    "action_spec": (CO + "ActionSpecProto", ACTION_SPEC),
    "brain_parameters": (CO + "BrainParametersProto", BRAIN_PARAMETERS),
    "observation_png": (CO + "ObservationProto", PNG_OBSERVATION),
    "observation_float": (CO + "ObservationProto", FLOAT_OBSERVATION),
    "float_data": (CO + "ObservationProto.FloatData", FLOAT_DATA),
    "agent_info": (CO + "AgentInfoProto", AGENT_INFO),
    "agent_action": (CO + "AgentActionProto", AGENT_ACTION),
    "agent_info_action_pair": (
        CO + "AgentInfoActionPairProto",
        {"agent_info": AGENT_INFO_RESTARTED, "action_info": AGENT_ACTION},
    ),
    "list_agent_info": (
        CO + "UnityRLOutputProto.ListAgentInfoProto",
        {"value": [AGENT_INFO, AGENT_INFO_EXTREMES]},
    ),
    "list_agent_action": (
        CO + "UnityRLInputProto.ListAgentActionProto",
        {"value": [AGENT_ACTION, AGENT_ACTION_2]},
    ),
    "unity_rl_output": (CO + "UnityRLOutputProto", RL_OUTPUT),
    "unity_rl_input": (CO + "UnityRLInputProto", RL_INPUT),
    "unity_rl_initialization_output": (
        CO + "UnityRLInitializationOutputProto",
        RL_INITIALIZATION_OUTPUT,
    ),
    "unity_rl_initialization_input": (
        CO + "UnityRLInitializationInputProto",
        RL_INITIALIZATION_INPUT,
    ),
    "unity_output": (CO + "UnityOutputProto", UNITY_OUTPUT),
    "unity_input": (CO + "UnityInputProto", UNITY_INPUT),
    "unity_message": (
        CO + "UnityMessageProto",
        {
            "header": {"status": 200, "message": "step"},
            "unity_output": UNITY_OUTPUT,
            "unity_input": UNITY_INPUT,
        },
    ),
    "demonstration_meta": (
        CO + "DemonstrationMetaProto",
        {
            "api_version": 1,
            "demonstration_name": "expert-Walker",
            "number_steps": 5000,
            "number_episodes": 12,
            "mean_reward": 0.1,
        },
    ),
    "engine_configuration": (
        CO + "EngineConfigurationProto",
        {
            "width": 84,
            "height": 64,
            "quality_level": 5,
            "time_scale": 20.0,
            "target_frame_rate": -1,
            "show_monitor": True,
        },
    ),
    "custom_reset_parameters": (CO + "CustomResetParametersProto", {}),
    "training_environment_initialized": (
        CO + "TrainingEnvironmentInitialized",
        {
            "mlagents_version": "0.28.0",
            "mlagents_envs_version": "0.28.0",
            "python_version": "3.11.7",
            "torch_version": "2.1.0+cpu",
            "torch_device_type": "cpu",
            "num_envs": 8,
            "num_environment_parameters": 3,
            "run_options": '{"default_settings": null, "torch_settings": {"device": "cpu"}}',
        },
    ),
    "training_behavior_initialized": (
        CO + "TrainingBehaviorInitialized",
        {
            "behavior_name": "Walker",
            "trainer_type": "ppo",
            "extrinsic_reward_enabled": True,
            "gail_reward_enabled": True,
            "curiosity_reward_enabled": True,
            "rnd_reward_enabled": True,
            "behavioral_cloning_enabled": True,
            "recurrent_enabled": True,
            "visual_encoder": "nature_cnn",
            "num_network_layers": 3,
            "num_network_hidden_units": 256,
            "trainer_threaded": True,
            "self_play_enabled": True,
            "curriculum_enabled": True,
            "config": "trainer_type: ppo\nhyperparameters:\n  batch_size: 1024\n",
        },
    ),
}

# The gRPC exchange: what the environment sends (its output, with the sequence's first
# header) and what Python answers (the next input). Different messages, so that a reply
# echoed back, or the two directions swapped, cannot pass.
ENV_REQUEST = {
    "header": {"status": 200, "message": "from the env"},
    "unity_output": UNITY_OUTPUT,
}
PYTHON_REPLY = {
    "header": {"status": 200, "message": "from Python"},
    "unity_input": UNITY_INPUT,
}

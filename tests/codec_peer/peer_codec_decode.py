"""The reference client's half of the codec comparison; runs under the peer's interpreter.

It imports the reference `mlagents_envs` (0.28.0, protobuf 3.20) and, from its own folder,
codec_peer_flatten (numpy only); never this repository's src/.

    peer_codec_decode.py <request.json> <actions.npz> <out folder>
        request: {"cases": {case: [hex UnityOutputProto, ...]}, "actions": [name, ...]}
        actions.npz: "<name>|continuous" float32 and "<name>|discrete" int32 per action name
        writes <out>/report.json and <out>/arrays.npz:
          report["cases"][case][i] = {"specs": {behavior: spec record or {"error"}},
                                      "steps": {behavior: {"decision", "terminal"} or {"error"}}}
          for output i, decoded the way UnityEnvironment does (_update_behavior_specs, then
          steps_from_proto for every known behavior present in the output);
          report["actions"][name] = hex UnityInputProto from UnityEnvironment._generate_step_input.
Results go to files, not stdout: the client's logging may print there.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import google.protobuf
import numpy as np
from codec_peer_flatten import DECISION_FIELDS, TERMINAL_FIELDS, spec_record, steps_record

import mlagents_envs
from mlagents_envs import environment
from mlagents_envs.base_env import ActionTuple
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto
from mlagents_envs.rpc_utils import behavior_spec_from_proto, steps_from_proto
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager


def _error(error: Exception) -> dict:
    return {"error": f"{type(error).__name__}: {error}"}


def decode_case(case: str, outputs: list[str], arrays: dict) -> list[dict]:
    specs: dict = {}
    report = []
    for i, data in enumerate(outputs):
        output = UnityOutputProto.FromString(bytes.fromhex(data))
        agent_infos = output.rl_output.agentInfos
        record: dict = {"specs": {}, "steps": {}}
        for params in output.rl_initialization_output.brain_parameters:
            name = params.brain_name
            if name in agent_infos and agent_infos[name].value:
                try:
                    specs[name] = behavior_spec_from_proto(params, agent_infos[name].value[0])
                except Exception as error:
                    record["specs"][name] = _error(error)
                    continue
                record["specs"][name] = spec_record(specs[name])
        for name in sorted(specs):
            if name not in agent_infos:
                continue
            try:
                decision, terminal = steps_from_proto(agent_infos[name].value, specs[name])
            except Exception as error:
                record["steps"][name] = _error(error)
                continue
            prefix = f"{case}|{i}|{name}"
            record["steps"][name] = {
                "decision": steps_record(f"{prefix}|decision", decision, DECISION_FIELDS, arrays),
                "terminal": steps_record(f"{prefix}|terminal", terminal, TERMINAL_FIELDS, arrays),
            }
        report.append(record)
    return report


def encode_actions(names: list[str], actions: dict) -> dict[str, str]:
    # Only what _generate_step_input reads: the number of deciding agents per behavior and a
    # side channel manager.
    env = environment.UnityEnvironment.__new__(environment.UnityEnvironment)
    env._side_channel_manager = SideChannelManager([])
    result = {}
    for name in names:
        continuous = actions[f"{name}|continuous"]
        discrete = actions[f"{name}|discrete"]
        env._env_state = {name: ([None] * continuous.shape[0], None)}
        action = ActionTuple(continuous=continuous, discrete=discrete)
        result[name] = env._generate_step_input({name: action}).SerializeToString().hex()
    return result


def main() -> None:
    request = json.loads(Path(sys.argv[1]).read_text())
    actions = dict(np.load(sys.argv[2]))
    out = Path(sys.argv[3])
    arrays: dict = {}
    report = {
        "mlagents_envs": mlagents_envs.__file__,
        "mlagents_envs_version": mlagents_envs.__version__,
        "protobuf": google.protobuf.__version__,
        "numpy": np.__version__,
        "cases": {
            case: decode_case(case, outputs, arrays) for case, outputs in request["cases"].items()
        },
        "actions": encode_actions(request["actions"], actions),
    }
    np.savez(out / "arrays.npz", **arrays)
    (out / "report.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

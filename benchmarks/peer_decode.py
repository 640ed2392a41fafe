"""The peer's side of benchmarks/decode.py: runs under mlagents-envs 0.28.0's interpreter.

Reads the cases written by decode.py, times UnityOutputProto.ParseFromString followed by
rpc_utils.steps_from_proto for each, and prints the results as JSON.
"""

import json
import sys
from pathlib import Path

from google.protobuf.internal import api_implementation

from mlagents_envs.communicator_objects.brain_parameters_pb2 import BrainParametersProto
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto
from mlagents_envs.rpc_utils import behavior_spec_from_proto, steps_from_proto

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_seconds


def main() -> None:
    folder = Path(sys.argv[1])
    cases = json.loads((folder / "cases.json").read_text())
    results = {}
    for case in cases:
        data = (folder / case["output"]).read_bytes()
        brain = BrainParametersProto()
        brain.ParseFromString((folder / case["brain"]).read_bytes())
        first = UnityOutputProto()
        first.ParseFromString(data)
        spec = behavior_spec_from_proto(
            brain, first.rl_output.agentInfos[case["behavior"]].value[0]
        )

        def decode(data=data, behavior=case["behavior"], spec=spec):
            output = UnityOutputProto()
            output.ParseFromString(data)
            return steps_from_proto(output.rl_output.agentInfos[behavior].value, spec)

        decision, terminal = decode()
        results[case["name"]] = {
            "seconds": best_seconds(decode, case["budget"]),
            "decision": len(decision),
            "terminal": len(terminal),
        }
    print(json.dumps({"protobuf": api_implementation.Type(), "results": results}))


if __name__ == "__main__":
    main()

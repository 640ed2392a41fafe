"""The peer's side of benchmarks/decode.py: runs under a reference client's interpreter
(mlagents-envs 0.28.0 or 1.1.0).

    python peer_decode.py FOLDER GENERATION

Reads the cases written by decode.py, and for those of GENERATION ("2.x" or "3.x", the one
this client decodes) and the vector ones ("any"), times UnityOutputProto.ParseFromString
followed by rpc_utils.steps_from_proto; prints the results as JSON.
"""

import json
import sys
from pathlib import Path

from google.protobuf.internal import api_implementation

from mlagents_envs.communicator_objects.brain_parameters_pb2 import BrainParametersProto
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto
from mlagents_envs.rpc_utils import behavior_spec_from_proto, steps_from_proto

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_seconds, steps_digest


def main() -> None:
    folder, generation = Path(sys.argv[1]), sys.argv[2]
    cases = json.loads((folder / "cases.json").read_text())
    results = {}
    for case in cases:
        if case["generation"] not in ("any", generation):
            continue
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
            "digest": steps_digest(decision, terminal),
        }
    print(json.dumps({"protobuf": api_implementation.Type(), "results": results}))


if __name__ == "__main__":
    main()

"""The generated modules work on every protobuf runtime the project allows: the lowest
5.x that pyproject.toml admits, the newest 6.x and the newest 7.x (each in its own cached
virtual environment, since one environment holds one protobuf).
"""

from __future__ import annotations

import subprocess

import pytest

from devtools.peer_env import ROOT, cached_venv

RUNTIMES = {
    "5-lowest": ["protobuf==5.29.1", "grpcio==1.71.2"],
    "6-newest": ["protobuf>=6,<7", "grpcio"],
    "7-newest": ["protobuf>=7,<8", "grpcio"],
}

# Imports only the generated modules (mlagents_envs/__init__ imports nothing else), with
# warnings as errors: a runtime that merely tolerates our gencode would warn here.
CHECK = """
import warnings
warnings.simplefilter("error")
import google.protobuf, grpc
from mlagents_envs.communicator_objects import unity_message_pb2, unity_to_external_pb2_grpc
from mlagents_envs.communicator_objects.observation_pb2 import ObservationProto
m = unity_message_pb2.UnityMessageProto()
m.header.status = 200
infos = m.unity_output.rl_output.agentInfos["B?team=0"].value
infos.add(id=3, reward=0.5).observations.add(shape=[2]).float_data.data.extend([1.0, 2.0])
back = unity_message_pb2.UnityMessageProto.FromString(m.SerializeToString())
assert back == m, back
obs = back.unity_output.rl_output.agentInfos["B?team=0"].value[0].observations[0]
assert obs.WhichOneof("observation_data") == "float_data"
assert unity_to_external_pb2_grpc.UnityToExternalProtoStub
print(google.protobuf.__version__)
"""


@pytest.mark.peer
@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
def test_generated_code_runs_on_protobuf(runtime):
    python = cached_venv(ROOT / ".cache" / f"protobuf-{runtime}", RUNTIMES[runtime])
    result = subprocess.run(
        [str(python), "-c", CHECK],
        capture_output=True,
        text=True,
        cwd=ROOT / "src",
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    major = result.stdout.strip().split(".")[0]
    assert major == runtime[0], result.stdout

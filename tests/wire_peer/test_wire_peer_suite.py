"""The reference client (mlagents-envs 0.28.0) drives every built-in environment's
executable with seeded random actions, and sees the same specs as our client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from peer_drive_suite import spec_json

from devtools.envtest import free_port
from devtools.peer_env import PeerUnavailable, peer_python, run_peer
from mlagents_sim.build import build_executable
from mlagents_sim.catalog import ENVIRONMENTS, make_simulation
from mlagents_sim.in_process import InProcessEnv

pytestmark = pytest.mark.peer

PEER_SCRIPT = Path(__file__).with_name("peer_drive_suite.py")
STEPS = 500


@pytest.fixture(scope="module")
def peer_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    try:
        peer_python()
    except PeerUnavailable as error:
        pytest.skip(f"the reference client cannot be installed: {error}")
    folder = tmp_path_factory.mktemp("wire_peer_suite")
    runs = [
        {"name": name, "path": str(build_executable(name, folder)), "port": free_port()}
        for name in ENVIRONMENTS
    ]
    (folder / "request.json").write_text(json.dumps({"steps": STEPS, "seed": 3, "runs": runs}))
    run_peer(PEER_SCRIPT, str(folder / "request.json"), str(folder / "report.json"), timeout=900)
    return json.loads((folder / "report.json").read_text())


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_reference_client_drives_and_agrees_on_specs(peer_report: dict, name: str) -> None:
    seen = peer_report[name]
    # Every behavior asked for decisions: the client ran all the steps on it.
    assert seen["decisions"] and all(n > 0 for n in seen["decisions"].values())
    with InProcessEnv(make_simulation(name, seed=3)) as env:
        env.reset()
        for _ in range(5):
            env.step()
        ours = {behavior: spec_json(spec) for behavior, spec in env.behavior_specs.items()}
    assert seen["specs"] == ours

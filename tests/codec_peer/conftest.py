"""The reference client's report on every codec case, from one peer process per session."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from codec_peer_cases import ACTION_CASES, CASES
from codec_peer_flatten import PeerReport

from devtools.peer_env import run_peer

PEER_SCRIPT = Path(__file__).with_name("peer_codec_decode.py")


@pytest.fixture(scope="session")
def codec_peer(tmp_path_factory: pytest.TempPathFactory) -> PeerReport:
    folder = tmp_path_factory.mktemp("codec_peer")
    request = {
        "cases": {name: [o.hex() for o in case.outputs] for name, case in CASES.items()},
        "actions": sorted(ACTION_CASES),
    }
    (folder / "request.json").write_text(json.dumps(request))
    actions = {}
    for name, case in ACTION_CASES.items():
        actions[f"{name}|continuous"] = case.continuous
        actions[f"{name}|discrete"] = case.discrete
    np.savez(folder / "actions.npz", **actions)
    run_peer(PEER_SCRIPT, str(folder / "request.json"), str(folder / "actions.npz"), str(folder))
    with np.load(folder / "arrays.npz") as archive:
        arrays = {key: archive[key] for key in archive.files}
    return PeerReport(json.loads((folder / "report.json").read_text()), arrays)

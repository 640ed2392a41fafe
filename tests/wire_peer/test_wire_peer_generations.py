"""Both generations of Unity builds, every built-in environment: each reference client
drives the executable of its generation and sees exactly the arrays our client sees.

mlagents-envs 0.28.0 drives the 2.x-generation executables and mlagents-envs 1.1.0 (on
Python 3.10) the 3.x-generation ones. For each generation, the peer and our
UnityEnvironment each launch their own process of every executable, with the same seed,
and run peer_drive.run(): the peer in its own virtual environment, ours in this process, at
the same time. Actions derive from the seed, the step and the masks seen, so clients that
see the same steps send the same actions, and any difference shows up in the arrays. The
runs are long enough for episodes to end in every environment, by failure, success and
max_step interruption.

Compared exactly (values, dtypes, shapes, per-step lengths): observations, rewards, agent
ids, action masks, group ids and rewards, interrupted flags, on both the decision and the
terminal side, and the behavior names and specs. One difference is allowed, and checked
to be only that: for a discrete behavior with no deciding agent, upstream gives
action_mask=None where ours gives one (0, branch_size) array per branch.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from peer_drive import run as drive_ours

import mlagents_sim
from devtools.envtest import free_port
from devtools.peer_env import PEER_028, PEER_110, Peer, PeerUnavailable, peer_python, run_peer
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X, PACKAGE_VERSION_3X
from mlagents_sim.build import build_executable
from mlagents_sim.catalog import ENVIRONMENTS

pytestmark = pytest.mark.peer

PEER_SCRIPT = Path(__file__).with_name("peer_drive.py")
# Steps per run: enough for episodes to end everywhere, by max_step too where episodes
# are long (PushBlock's are 500, StrikersVsGoalie's and SoccerTwos' 300, Pyramids' 200).
STEPS = 200
LONGER = {"PushBlock": 510, "StrikersVsGoalie": 310, "Pyramids": 210, "SoccerTwos": 310}
SEED = 5
# Seconds for a peer's whole run over every environment; a cached peer needs about 15.
PEER_TIMEOUT = 300

GENERATIONS: dict[str, tuple[Peer, str]] = {
    "2.x": (PEER_028, PACKAGE_VERSION_2X),
    "3.x": (PEER_110, PACKAGE_VERSION_3X),
}


@dataclass
class Runs:
    generation: str
    ours: Path
    peer: Path


@pytest.fixture(scope="module", params=sorted(GENERATIONS))
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    generation = request.param
    peer, package_version = GENERATIONS[generation]
    try:
        peer_python(peer=peer)
    except PeerUnavailable as error:
        pytest.skip(f"mlagents-envs {peer.version} is unavailable: {error}")
    folder = tmp_path_factory.mktemp(f"wire_peer_{generation}")
    executables = {
        name: build_executable(name, folder / "build", package_version=package_version)
        for name in sorted(ENVIRONMENTS)
    }

    def request_for(client: str) -> dict:
        # The peer gets the paths without their platform suffix, as users of Unity builds
        # pass them; ours the full paths.
        runs = [
            {
                "name": name,
                "path": str(path.with_suffix("") if client == "peer" else path),
                "port": free_port(),
                "steps": LONGER.get(name, STEPS),
            }
            for name, path in executables.items()
        ]
        return {"steps": STEPS, "seed": SEED, "runs": runs}

    peer_request = request_for("peer")
    # The peer runs without our PYTHONPATH; the executables it launches need our code.
    src = str(Path(mlagents_sim.__file__).resolve().parent.parent)
    peer_request["env_pythonpath"] = os.pathsep.join(
        filter(None, [src, os.environ.get("PYTHONPATH", "")])
    )
    (folder / "peer_request.json").write_text(json.dumps(peer_request))
    peer_args = [str(folder / "peer_request.json"), str(folder / "peer")]
    with ThreadPoolExecutor(max_workers=1) as pool:
        done = pool.submit(run_peer, PEER_SCRIPT, *peer_args, timeout=PEER_TIMEOUT, peer=peer)
        drive_ours(request_for("ours"), folder / "ours")
        done.result()
    return Runs(generation, folder / "ours", folder / "peer")


def _load(folder: Path, name: str) -> tuple[dict, dict[str, np.ndarray]]:
    info = json.loads((folder / f"{name}.json").read_text())
    with np.load(folder / f"{name}.npz", allow_pickle=False) as archive:
        return info, {key: archive[key] for key in archive.files}


def _allow_empty_masks(
    name: str, ours: dict[str, np.ndarray], ours_info: dict, peer: dict[str, np.ndarray]
) -> None:
    """Where upstream has action_mask=None and ours does not, check that no agent decided
    and that ours are empty, then drop ours' empty masks at those steps (in place)."""
    for behavior in range(len(ours_info["behaviors"])):
        flag = f"{behavior}.decision.mask_is_none"
        differ = ours[flag] != peer[flag]
        if not differ.any():
            continue
        deciding = ours[f"{behavior}.decision.agent_id#len"][differ]
        assert peer[flag][differ].all() and (deciding == 0).all(), (
            f"{name}: behavior {behavior} has action masks where upstream has None, at "
            f"steps {np.flatnonzero(differ)[:10]} with {deciding[:10]} deciding agents"
        )
        with_masks = np.flatnonzero(~ours[flag])
        keep = ~np.isin(with_masks, np.flatnonzero(differ))
        ours[flag] = peer[flag]
        j = 0
        while f"{behavior}.decision.mask{j}" in ours:
            key = f"{behavior}.decision.mask{j}"
            assert (ours[f"{key}#len"][~keep] == 0).all()
            ours[f"{key}#len"] = ours[f"{key}#len"][keep]
            if key not in peer and not keep.any():
                del ours[key], ours[f"{key}#len"], ours_info["signatures"][key]
            j += 1


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_the_reference_client_sees_the_same_arrays(runs: Runs, name: str) -> None:
    ours_info, ours = _load(runs.ours, name)
    peer_info, peer = _load(runs.peer, name)
    assert ours_info["behaviors"] == peer_info["behaviors"]
    assert ours_info["specs"] == peer_info["specs"]
    _allow_empty_masks(name, ours, ours_info, peer)
    assert ours_info["signatures"] == peer_info["signatures"]
    assert sorted(ours) == sorted(peer)
    for key in sorted(ours):
        a, b = ours[key], peer[key]
        if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
            # strict: dtypes and shapes must agree too, not only values.
            np.testing.assert_array_equal(a, b, strict=True, err_msg=f"{name} {key}")


def test_the_executables_send_their_generation(runs: Runs) -> None:
    """Image observations in the layout of the generation, as both clients report them."""
    expected = {"2.x": [42, 42, 3], "3.x": [3, 42, 42]}[runs.generation]
    for folder in (runs.ours, runs.peer):
        info, arrays = _load(folder, "GridWorld")
        (spec,) = info["specs"].values()
        assert spec["observations"][0]["shape"] == expected
        assert list(arrays["0.decision.obs0"].shape[1:]) == expected


def test_the_runs_cover_episode_ends(runs: Runs) -> None:
    """Every environment ends episodes within the run; between them, the runs hold
    interruptions, an agent terminal and deciding in one output, and group rewards."""
    interrupted = both = group_rewards = 0
    for name in ENVIRONMENTS:
        info, arrays = _load(runs.ours, name)
        ends = 0
        for b in range(len(info["behaviors"])):
            ends += int(arrays[f"{b}.terminal.agent_id#len"].sum())
            interrupted += int(arrays[f"{b}.terminal.interrupted"].sum())
            group_rewards += int(np.count_nonzero(arrays[f"{b}.terminal.group_reward"]))
            group_rewards += int(np.count_nonzero(arrays[f"{b}.decision.group_reward"]))
            both += _outputs_with_agents_on_both_sides(arrays, b)
        assert ends > 0, f"{name}: no episode ended in {LONGER.get(name, STEPS)} steps"
    assert interrupted > 0
    assert both > 0
    assert group_rewards > 0


def _outputs_with_agents_on_both_sides(arrays: dict[str, np.ndarray], b: int) -> int:
    def per_output(half: str) -> list[np.ndarray]:
        counts = arrays[f"{b}.{half}.agent_id#len"]
        return np.split(arrays[f"{b}.{half}.agent_id"], np.cumsum(counts)[:-1])

    pairs = zip(per_output("decision"), per_output("terminal"))
    return sum(1 for d, t in pairs if np.intersect1d(d, t).size)

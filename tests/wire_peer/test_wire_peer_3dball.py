"""Our UnityEnvironment and the reference client (mlagents-envs 0.28.0) against the same
executable of ours: the same seed and the same actions must give the same steps, bit for bit.

Each client launches its own process of the 3DBall executable (so this also shows that the
reference client can launch and drive our builds), and both run peer_drive_3dball.drive():
the peer in its own virtual environment, ours in this process, at the same time. Actions are
drawn here once and given to both as a file; each step, the agents that asked take the first
rows. The run is long enough for episodes to end, including outputs where an agent is
terminal and asks for a decision in its next episode.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from peer_drive_3dball import FIELDS, drive

from devtools.envtest import free_port
from devtools.peer_env import PeerUnavailable, peer_python, run_peer
from mlagents_sim.build import build_executable

pytestmark = pytest.mark.peer

PEER_SCRIPT = Path(__file__).with_name("peer_drive_3dball.py")
STEPS = 1000
AGENTS = 12  # 3DBall with one area
SEED = 7
# Seconds for the peer's whole run; a cached peer needs about ten.
PEER_TIMEOUT = 180


def _per_output(arrays: dict[str, np.ndarray], half: str, field: str) -> list[np.ndarray]:
    counts = arrays[f"{half}_count"]
    return np.split(arrays[f"{half}_{field}"], np.cumsum(counts)[:-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    try:
        peer_python()
    except PeerUnavailable as error:
        pytest.skip(f"the reference client cannot be installed: {error}")
    folder = tmp_path_factory.mktemp("wire_peer_3dball")
    executable = build_executable("3DBall", folder / "build")
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1.0, 1.0, size=(STEPS, AGENTS, 2)).astype(np.float32)
    np.save(folder / "actions.npy", actions, allow_pickle=False)

    # The peer gets the path without its platform suffix, as users of Unity builds pass it.
    stem = str(executable.with_suffix("")) if executable.suffix == ".x86_64" else str(executable)
    peer_args = [stem, str(free_port()), str(SEED), str(folder / "actions.npy")]
    peer_args.append(str(folder / "peer.npz"))
    with ThreadPoolExecutor(max_workers=1) as pool:
        peer_done = pool.submit(run_peer, PEER_SCRIPT, *peer_args, timeout=PEER_TIMEOUT)
        ours = drive(str(executable), free_port(), SEED, actions)
        peer_done.result()
    with np.load(folder / "peer.npz", allow_pickle=False) as archive:
        peer = {key: archive[key] for key in archive.files}
    return ours, peer


def test_both_clients_see_the_same_steps(runs: tuple[dict, dict]) -> None:
    ours, peer = runs
    assert sorted(ours) == sorted(peer)
    for key in sorted(ours):
        # strict: dtypes and shapes must agree too, not only values.
        np.testing.assert_array_equal(ours[key], peer[key], strict=True, err_msg=key)


def test_the_run_covers_episode_ends(runs: tuple[dict, dict]) -> None:
    ours, _ = runs
    assert len(ours["decision_count"]) == STEPS + 1
    assert ours["decision_count"][0] == AGENTS
    for name, dtype in FIELDS.items():
        assert ours[name].dtype == dtype
    assert ours["decision_obs"].shape[1:] == (8,)
    assert ours["terminal_count"].sum() > 0
    # An agent whose episode ended and that asks again in its next one, in the same output.
    decision_ids = _per_output(ours, "decision", "id")
    terminal_ids = _per_output(ours, "terminal", "id")
    both = [
        i for i, (d, t) in enumerate(zip(decision_ids, terminal_ids)) if np.intersect1d(d, t).size
    ]
    assert both, "no output held an agent both as terminal and as deciding"
    # The failure reward of 3DBall, on the terminal side.
    assert (ours["terminal_reward"] == np.float32(-1.0)).any()

"""Byte compatibility of our .demo files with the reference trainer: mlagents 0.28.0's own
demo_to_buffer (run in the reference trainer's environment) reads the files our recorder
writes, and gets, field by field, what our loader gets: observations, the next ones (as its
client decodes them), actions, rewards, done flags and action masks, sequence padding too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from devtools.demo_runs import play, random_policy
from devtools.peer_env import REFERENCE_TRAINER, PeerUnavailable, run_peer
from mlagents.trainers.buffer import key_name
from mlagents.trainers.demo_loader import demo_to_buffer
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X, PACKAGE_VERSION_3X
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv

SCRIPT = Path(__file__).with_name("peer_demo_buffer.py")

#: name -> (environment, outputs played, package version, sequence length)
CASES = {
    "Basic": ("Basic", 120, PACKAGE_VERSION_3X, 1),  # discrete, with masks
    "Basic-sequences": ("Basic", 120, PACKAGE_VERSION_3X, 4),  # episodes padded
    "3DBall": ("3DBall", 80, PACKAGE_VERSION_3X, 1),  # continuous
    "Hybrid": ("Hybrid", 240, PACKAGE_VERSION_3X, 1),  # both action parts
    "GridWorld": ("GridWorld", 60, PACKAGE_VERSION_2X, 1),  # a PNG image and a goal signal
    "VisualHallway": ("VisualHallway", 90, PACKAGE_VERSION_2X, 1),  # 4 channels: two PNGs
}


@pytest.fixture(scope="module")
def reference_buffers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each case recorded by our recorder and read by the reference trainer, in one run."""
    folder = tmp_path_factory.mktemp("demo_peer")
    arguments: list[str] = []
    for case, (env_name, outputs, version, sequence_length) in CASES.items():
        path = folder / f"{case}.demo"
        sim = make_simulation(env_name, seed=11)
        with InProcessEnv(sim, package_version=version, record_demo=path) as env:
            play(env, outputs, random_policy(env, seed=12))
        arguments += [str(path), str(sequence_length), str(folder / f"{case}.npz")]
    try:
        run_peer(SCRIPT, *arguments, peer=REFERENCE_TRAINER, timeout=900)
    except PeerUnavailable as error:
        pytest.skip(f"the reference trainer is unavailable: {error}")
    return {case: folder / case for case in CASES}


@pytest.mark.peer
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_reference_trainer_reads_what_our_loader_reads(
    reference_buffers: dict[str, Path], case: str
) -> None:
    stem = reference_buffers[case]
    sequence_length = CASES[case][3]
    spec, buffer = demo_to_buffer(stem.with_suffix(".demo"), sequence_length)
    with np.load(stem.with_suffix(".npz")) as saved:
        theirs = {name: saved[name] for name in saved.files}
    assert [str(tuple(o.shape)) for o in spec.observation_specs] == theirs["spec:shapes"].tolist()
    assert spec.action_spec.continuous_size == int(theirs["spec:continuous"])
    assert list(spec.action_spec.discrete_branches) == theirs["spec:branches"].tolist()

    ours = {key_name(key): buffer[key] for key in buffer}
    compared = [name for name in theirs if not name.startswith("spec:")]
    # Everything of theirs, and of ours all but what 0.28 keeps no column for.
    absent_parts = {n for n in ("continuous_action", "discrete_action") if not ours[n].shape[1]}
    not_dumped = {n for n in ours if n.startswith("next_obs") or n == "action_mask"}
    assert set(compared) <= set(ours)
    assert set(ours) - set(compared) == {"interrupted"} | absent_parts | (
        not_dumped if sequence_length > 1 else set()
    )
    assert any(ours["done"]), "the case should hold an episode end"
    for name in compared:
        mine = ours[name]
        np.testing.assert_array_equal(mine, theirs[name].astype(mine.dtype), err_msg=name)

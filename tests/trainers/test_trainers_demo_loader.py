"""The .demo loader on files written byte by byte: which reward and done go with which step,
episodes and padding, actions from either field, Unity's metadata trailer, several files, and
an error naming the file for everything that can be wrong with one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlagents.trainers.buffer import BufferKey, obs_key
from mlagents.trainers.demo_loader import (
    DemonstrationException,
    DemonstrationFileException,
    DemonstrationNotFoundException,
    DemonstrationPathException,
    DemonstrationSpecException,
    demo_to_buffer,
    get_demo_files,
    load_demonstration,
    read_demonstration_file,
)
from mlagents_envs.base_env import ActionSpec, BehaviorSpec, ObservationSpec, ObservationType
from tests.trainers.demo_files import brain, delimited, demo_bytes, meta, pair, write_demo

# Two episodes of one agent with one branch of 3: the first ends (done) at step 2.
STEPS = [
    pair([0, 0, 1], reward=0.0, mask=[False, True, False], discrete=[0]),
    pair([0, 1, 0], reward=0.25, mask=[False, False, False], discrete=[2]),
    pair([1, 0, 0], reward=1.0, done=True, discrete=[2]),
    pair([0, 0, 1], reward=0.0, mask=[True, False, False], discrete=[0]),
    pair([0, 1, 0], reward=-0.5, done=True, max_step=True, discrete=[1]),
    pair([0, 0, 1], reward=0.0, discrete=[0]),
]


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return write_demo(tmp_path / "Test.demo", meta(len(STEPS), episodes=3), brain(0, [3]), STEPS)


def test_rows_pair_each_step_with_what_the_next_one_brought(demo: Path) -> None:
    spec, buffer = demo_to_buffer(demo, 1)
    assert spec.action_spec == ActionSpec(0, (3,))
    assert [s.shape for s in spec.observation_specs] == [(3,)]
    # The last step only serves as the step after the one before it.
    assert len(buffer) == len(STEPS) - 1
    obs = np.array([list(p.agent_info.observations[0].float_data.data) for p in STEPS])
    np.testing.assert_array_equal(buffer[obs_key(0)], obs[:-1])
    np.testing.assert_array_equal(buffer[obs_key(0, following=True)], obs[1:])
    assert buffer[BufferKey.DISCRETE_ACTION].tolist() == [[0], [2], [2], [0], [1]]
    assert buffer[BufferKey.DISCRETE_ACTION].dtype == np.int32
    assert buffer[BufferKey.CONTINUOUS_ACTION].shape == (5, 0)
    assert buffer[BufferKey.ENVIRONMENT_REWARDS].tolist() == [0.25, 1.0, 0.0, -0.5, 0.0]
    assert buffer[BufferKey.DONE].tolist() == [False, True, False, True, False]
    assert buffer[BufferKey.INTERRUPTED].tolist() == [False, False, False, True, False]
    # Float, 1 = allowed; a terminal step has no mask (everything allowed).
    assert buffer[BufferKey.ACTION_MASK].tolist() == [
        [1, 0, 1],
        [1, 1, 1],
        [1, 1, 1],
        [0, 1, 1],
        [1, 1, 1],
    ]


def test_sequences_pad_each_episode_with_zero_rows(demo: Path) -> None:
    _, buffer = demo_to_buffer(demo, 3)
    # Episodes of rows [0, 1], [2, 3] and [4], each padded to 3 rows.
    assert len(buffer) == 9
    real = [True, True, False, True, True, False, True, False, False]
    assert buffer[BufferKey.DONE].tolist() == [
        False, True, False, False, True, False, False, False, False
    ]  # fmt: skip
    assert buffer[BufferKey.DISCRETE_ACTION][:, 0].tolist() == [0, 2, 0, 2, 0, 0, 1, 0, 0]
    assert not buffer[obs_key(0)][~np.array(real)].any()
    assert buffer[BufferKey.ACTION_MASK][~np.array(real)].all()


def test_load_demonstration_returns_the_steps_and_the_announced_count(demo: Path) -> None:
    spec, pairs, expected = load_demonstration(demo)
    assert expected == len(STEPS) and pairs == STEPS
    assert spec.observation_specs[0].observation_type == ObservationType.DEFAULT
    file = read_demonstration_file(demo)
    assert (file.meta.number_steps, file.meta.number_episodes) == (6, 3)
    assert file.brain_parameters.brain_name == "Test?team=0"


def test_actions_come_from_the_deprecated_field_when_the_others_are_empty(tmp_path: Path) -> None:
    steps = [pair([0.5], deprecated=[0.1, -0.2]), pair([0.25], deprecated=[0.3, 0.4])]
    path = write_demo(tmp_path / "c.demo", meta(2), brain(2), steps)
    spec, buffer = demo_to_buffer(path, 1)
    assert spec.action_spec == ActionSpec(2, ())
    np.testing.assert_allclose(buffer[BufferKey.CONTINUOUS_ACTION], [[0.1, -0.2]])
    assert BufferKey.ACTION_MASK not in buffer


def test_hybrid_actions_fill_both_columns(tmp_path: Path) -> None:
    steps = [pair([0.0], continuous=[0.5, -1], discrete=[1]), pair([1.0], continuous=[0, 0])]
    steps[1].action_info.discrete_actions.append(0)
    path = write_demo(tmp_path / "h.demo", meta(2), brain(2, [2]), steps)
    _, buffer = demo_to_buffer(path, 1)
    assert buffer[BufferKey.CONTINUOUS_ACTION].tolist() == [[0.5, -1.0]]
    assert buffer[BufferKey.DISCRETE_ACTION].tolist() == [[1]]


def test_unclosed_recordings_and_the_trailer(tmp_path: Path) -> None:
    # No trailer: the same rows.
    plain = write_demo(tmp_path / "a.demo", meta(len(STEPS)), brain(0, [3]), STEPS, trailer=False)
    assert len(demo_to_buffer(plain, 1)[1]) == len(STEPS) - 1
    # Never closed: the metadata announces no steps, and every complete one is read.
    unclosed = write_demo(tmp_path / "b.demo", meta(0), brain(0, [3]), STEPS, trailer=False)
    assert len(load_demonstration(unclosed)[1]) == len(STEPS)
    # A recorder killed in the middle of a step: the complete steps before it are read.
    unclosed.write_bytes(unclosed.read_bytes()[:-3])
    assert len(load_demonstration(unclosed)[1]) == len(STEPS) - 1
    # A closed file cut short announces more than it holds: truncated.
    plain.write_bytes(plain.read_bytes()[:-3])
    with pytest.raises(DemonstrationFileException, match="truncated") as error:
        load_demonstration(plain)
    assert str(plain) in str(error.value)


def test_a_folder_keeps_each_file_apart(tmp_path: Path, demo: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    write_demo(folder / "b.demo", meta(len(STEPS)), brain(0, [3]), STEPS)
    write_demo(folder / "a.demo", meta(3), brain(0, [3]), STEPS[3:])
    (folder / "notes.txt").write_text("not a demonstration")
    assert get_demo_files(folder) == [str(folder / "a.demo"), str(folder / "b.demo")]
    _, buffer = demo_to_buffer(folder, 1)
    # No row joins the last step of a.demo to the first of b.demo.
    assert len(buffer) == 2 + 5
    assert buffer[BufferKey.DONE].tolist() == [True, False, False, True, False, True, False]
    _, pairs, expected = load_demonstration(folder)
    assert len(pairs) == expected == 9


def test_files_of_another_behavior_in_a_folder_are_refused(tmp_path: Path) -> None:
    write_demo(tmp_path / "a.demo", meta(len(STEPS)), brain(0, [3]), STEPS)
    write_demo(tmp_path / "b.demo", meta(2), brain(2), [pair([0.5]), pair([0.5])])
    with pytest.raises(DemonstrationSpecException, match="does not match") as error:
        demo_to_buffer(tmp_path, 1)
    assert error.value.path == str(tmp_path / "b.demo")


DISCRETE_3 = ActionSpec(0, (3,))


def expected_spec(
    shape: tuple[int, ...] = (3,),
    actions: ActionSpec = DISCRETE_3,
    kind: ObservationType = ObservationType.DEFAULT,
) -> BehaviorSpec:
    return BehaviorSpec([ObservationSpec(shape, (), kind, "VectorSensor")], actions)


@pytest.mark.parametrize(
    ("spec", "part"),
    [
        (expected_spec(actions=ActionSpec(0, (2,))), r"its actions are .*\(3,\).*\(2,\)"),
        (expected_spec(actions=ActionSpec(1, (3,))), "its actions are"),
        (expected_spec(shape=(4,)), r"observation 0 .* shape \(3,\), the policy's \(4,\)"),
        (expected_spec(kind=ObservationType.GOAL_SIGNAL), "of type DEFAULT.*GOAL_SIGNAL"),
        (
            BehaviorSpec(expected_spec().observation_specs * 2, ActionSpec(0, (3,))),
            "1 observations, the policy 2",
        ),
    ],
)
def test_a_spec_that_differs_from_the_policy_is_refused(
    demo: Path, spec: BehaviorSpec, part: str
) -> None:
    with pytest.raises(DemonstrationSpecException, match=part) as error:
        demo_to_buffer(demo, 1, spec)
    assert str(demo) in str(error.value)
    assert isinstance(error.value, RuntimeError)  # what ML-Agents raises


def test_the_matching_spec_is_accepted(demo: Path) -> None:
    spec, _ = demo_to_buffer(demo, 1, expected_spec())
    assert spec.action_spec == ActionSpec(0, (3,))


def test_truncated_files_are_refused_naming_the_file(tmp_path: Path, demo: Path) -> None:
    data = demo.read_bytes()
    end = len(data) - len(meta(len(STEPS), episodes=3).SerializeToString())
    last = len(delimited(STEPS[-1].SerializeToString()))
    for cut, why in [
        (end - last, "holds 5 complete steps of the 6"),
        (end - 1, f"step 5 at byte {end - last} runs past the end"),
        (40, "brain parameters at byte 33 runs past the end"),
        (20, "brain parameters at byte 33 runs past the end"),
        (5, "metadata at byte 0 runs past the end"),
        (0, "is empty"),
    ]:
        path = tmp_path / f"cut{cut}.demo"
        path.write_bytes(data[:cut])
        with pytest.raises(DemonstrationFileException, match=why) as error:
            demo_to_buffer(path, 1)
        assert str(path) in str(error.value)


def test_unsupported_api_versions_are_refused(tmp_path: Path) -> None:
    for version in (0, 1):
        ok = write_demo(
            tmp_path / f"v{version}.demo", meta(6, api_version=version), brain(0, [3]), STEPS
        )
        assert len(demo_to_buffer(ok, 1)[1]) == 5
    path = write_demo(tmp_path / "v2.demo", meta(6, api_version=2), brain(0, [3]), STEPS)
    with pytest.raises(DemonstrationFileException, match=r"api_version 2.*\[0, 1\]") as error:
        demo_to_buffer(path, 1)
    assert str(path) in str(error.value) and isinstance(error.value, RuntimeError)


def test_files_that_are_not_demonstrations_are_refused(tmp_path: Path) -> None:
    for name, data in [
        ("text.demo", b"This is a text file, not a demonstration at all.\n" * 3),
        ("garbage.demo", bytes([0x0F]) + b"\xff" * 64),
        ("shifted.demo", b"\0" * 3 + demo_bytes(meta(6), brain(0, [3]), STEPS)),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(DemonstrationFileException, match=r"not a demonstration|corrupt") as err:
            demo_to_buffer(path, 1)
        assert str(path) in str(err.value)


def test_paths_that_hold_no_demonstration(tmp_path: Path) -> None:
    other = tmp_path / "model.onnx"
    other.write_bytes(b"x")
    with pytest.raises(DemonstrationPathException, match=r"model\.onnx is not a \.demo file"):
        get_demo_files(other)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DemonstrationPathException, match=r"holds no \.demo files") as error:
        demo_to_buffer(empty, 1)
    assert isinstance(error.value, ValueError)
    missing = tmp_path / "missing.demo"
    with pytest.raises(DemonstrationNotFoundException, match="does not exist") as found:
        demo_to_buffer(missing, 1)
    assert isinstance(found.value, FileNotFoundError)
    assert isinstance(found.value, DemonstrationException) and found.value.path == str(missing)


def test_a_sequence_length_below_one_is_refused(demo: Path) -> None:
    with pytest.raises(ValueError, match="sequence_length"):
        demo_to_buffer(demo, 0)

"""Recording demonstrations: what the recorder writes is what the client saw (observations,
the action each agent held, rewards, episode ends), laid out as Unity lays out a .demo file
and read back by the trainer's loader; in process, by several agents, and by a real
executable that UnityEnvironment drives with --record-demo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from devtools.demo_runs import SeenStep, expected_rows, play, random_policy
from devtools.envtest import launch
from mlagents.trainers.buffer import key_name
from mlagents.trainers.demo_loader import demo_to_buffer, read_demonstration_file, spec_difference
from mlagents_envs.base_env import ActionTuple
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X, PACKAGE_VERSION_3X
from mlagents_envs.codec.wire_steps import varint
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_sim.build import build_executable
from mlagents_sim.catalog import make_simulation
from mlagents_sim.demonstrations import DemonstrationRecorder, sanitize_name
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.player import parse_args


def assert_file_holds(path: Path, seen: list[SeenStep], *, image_atol: float = 0.0) -> None:
    """The buffer read from path has exactly the rows the client's view gives."""
    _, buffer = demo_to_buffer(path, 1)
    expected = expected_rows(seen)
    assert sorted(key_name(k) for k in buffer) == sorted(expected)
    for key in buffer:
        name = key_name(key)
        got = buffer[key]
        want = expected[name].astype(got.dtype)
        if name.startswith(("obs", "next_obs")) and got.ndim == 4:
            np.testing.assert_allclose(got, want, atol=image_atol, err_msg=name)
        else:
            np.testing.assert_array_equal(got, want, err_msg=name)


def assert_meta_counts(path: Path, seen: list[SeenStep]) -> None:
    meta = read_demonstration_file(path).meta
    episodes = sum(s.done for s in seen) + 1  # Unity counts the episode under way
    assert meta.api_version == 1
    assert meta.number_steps == len(seen)
    assert meta.number_episodes == episodes
    total = np.float32(0)
    for s in seen:
        total += np.float32(s.reward)
    assert meta.mean_reward == pytest.approx(float(total / episodes), rel=1e-6)


@pytest.mark.parametrize(
    ("env_name", "outputs", "package_version"),
    [
        ("Basic", 80, PACKAGE_VERSION_3X),  # discrete, episodes end at goals and max step
        ("3DBall", 60, PACKAGE_VERSION_3X),  # continuous, decision period 5, 12 agents
        ("Hybrid", 220, PACKAGE_VERSION_3X),  # both action parts, max step 200
        ("GridWorld", 40, PACKAGE_VERSION_2X),  # PNG images, goal signal, action masks
        ("GridWorld", 40, PACKAGE_VERSION_3X),  # the same, channels-first
    ],
)
def test_in_process_recording_holds_what_the_client_saw(
    tmp_path: Path, env_name: str, outputs: int, package_version: str
) -> None:
    path = tmp_path / f"{env_name}.demo"
    env = InProcessEnv(
        make_simulation(env_name, seed=3), package_version=package_version, record_demo=path
    )
    with env:
        seen = play(env, outputs, random_policy(env, seed=4))
        spec = next(iter(env.behavior_specs.values()))
    assert any(s.done for s in seen) and not seen[0].done
    assert_file_holds(path, seen, image_atol=0.5 / 255)
    assert_meta_counts(path, seen)
    loaded, _ = demo_to_buffer(path, 1, spec)
    assert spec_difference(loaded, spec) == ""


def test_environments_given_one_file_record_side_by_side(tmp_path: Path) -> None:
    # As mlagents-learn --num-envs 2 --env-args --record-demo F gives every worker F: the
    # second finds F held and records beside it, neither overwriting the other.
    path = tmp_path / "shared.demo"
    envs = [InProcessEnv(make_simulation("Basic", seed=s), record_demo=path) for s in (1, 2)]
    seen = [play(env, 30, random_policy(env, seed=5)) for env in envs]
    for env in envs:
        env.close()
    second = tmp_path / "shared_0.demo"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.demo", "shared_0.demo"]
    assert_file_holds(path, seen[0])
    assert_file_holds(second, seen[1])


def test_the_file_is_laid_out_as_unity_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "Unity Layout!.demo"
    with InProcessEnv(make_simulation("Basic", seed=1), record_demo=path) as env:
        seen = play(env, 30, random_policy(env, seed=2))
    data = path.read_bytes()
    demo = read_demonstration_file(path)
    meta = demo.meta.SerializeToString()
    # The metadata, zero padding to byte 33, the brain parameters at 33.
    head = varint(len(meta)) + meta
    assert data[: len(head)] == head and not data[len(head) : 33].strip(b"\0")
    brain = demo.brain_parameters
    assert data[33:].startswith(varint(brain.ByteSize()) + brain.SerializeToString())
    assert brain.brain_name == "Basic?team=0" and not brain.is_training
    # Unity's closing leaves a copy of the metadata after the last step.
    assert data.endswith(meta)
    assert demo.meta.demonstration_name == sanitize_name("Unity Layout!") == "Unity Layout"
    assert len(demo.pairs) == len(seen)


def test_names_are_kept_to_unity_characters_and_length() -> None:
    assert sanitize_name("My_Expert: Run #12 of many") == "MyExpert Run 12 "


def test_several_agents_record_a_file_each_into_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "demos"
    for seed in (1, 2):
        recorder = DemonstrationRecorder(folder, agents=2)
        with InProcessEnv(make_simulation("Hybrid", seed=seed), record_demo=recorder) as env:
            play(env, 25, random_policy(env, seed=seed))
        # Unity's numbering: nothing already there is overwritten.
        assert len(recorder.paths) == 2
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["Hybrid.demo", "Hybrid_0.demo", "Hybrid_1.demo", "Hybrid_2.demo"]
    files = [read_demonstration_file(folder / n) for n in names]
    _, buffer = demo_to_buffer(folder, 1)
    # Each file is its own stream of steps: its last step only ends its own rows.
    assert len(buffer) == sum(len(f.pairs) - 1 for f in files)
    assert {f.pairs[0].agent_info.id for f in files[:2]} == {0, 1}


def test_a_demo_path_with_several_agents_numbers_the_others(tmp_path: Path) -> None:
    recorder = DemonstrationRecorder(tmp_path / "Two.demo", agents=3, behavior="3DBall")
    with InProcessEnv(make_simulation("3DBall"), record_demo=recorder) as env:
        play(env, 12, random_policy(env, seed=0))
    assert [p.name for p in recorder.paths] == ["Two.demo", "Two_0.demo", "Two_1.demo"]
    ids = [read_demonstration_file(p).pairs[0].agent_info.id for p in recorder.paths]
    assert ids == [0, 1, 2]


def test_max_steps_closes_the_file_at_exactly_that_many(tmp_path: Path) -> None:
    recorder = DemonstrationRecorder(tmp_path / "b.demo", max_steps=17)
    env = InProcessEnv(make_simulation("Basic"), record_demo=recorder)
    seen = play(env, 60, random_policy(env, seed=1))
    # Complete before the environment closes.
    assert recorder.done
    assert_meta_counts(tmp_path / "b.demo", seen[:17])
    env.close()
    assert read_demonstration_file(tmp_path / "b.demo").meta.number_steps == 17


def test_a_reset_clears_the_held_actions(tmp_path: Path) -> None:
    path = tmp_path / "reset.demo"
    with InProcessEnv(make_simulation("3DBall"), record_demo=path) as env:
        env.reset()
        name = next(iter(env.behavior_specs))
        env.set_actions(name, ActionTuple(continuous=np.full((12, 2), 0.5, np.float32)))
        env.step()
        env.reset()
    actions = [list(p.action_info.continuous_actions) for p in read_demonstration_file(path).pairs]
    assert actions == [[0, 0], [0.5, 0.5], [0, 0]]


def test_recording_an_unknown_behavior_is_refused() -> None:
    with pytest.raises(UnityEnvironmentException, match=r"'Walker'.*StrikersVsGoalie|Striker"):
        InProcessEnv(
            make_simulation("StrikersVsGoalie"),
            record_demo=DemonstrationRecorder("x.demo", behavior="Walker"),
        )


def test_the_goalie_records_at_its_own_decision_period(tmp_path: Path) -> None:
    recorder = DemonstrationRecorder(tmp_path, behavior="Goalie")
    with InProcessEnv(make_simulation("StrikersVsGoalie", seed=2), record_demo=recorder) as env:
        seen = play(env, 60, random_policy(env, seed=3), behavior="Goalie?team=1")
    (path,) = recorder.paths
    assert path.name == "Goalie.demo"
    assert_file_holds(path, seen)
    assert len(seen) < 40  # a decision every 2 ticks


def test_the_player_flag_records_while_unity_environment_drives(tmp_path: Path) -> None:
    executable = build_executable("Hybrid", tmp_path / "build")
    path = tmp_path / "recorded" / "Driven.demo"
    env = launch(executable, seed=5, additional_args=["--record-demo", str(path)])
    try:
        seen = play(env, 60, random_policy(env, seed=6))
    finally:
        env.close()
    assert_file_holds(path, seen)
    assert_meta_counts(path, seen)


def test_the_player_flags_choose_behavior_agents_and_steps(tmp_path: Path) -> None:
    executable = build_executable("StrikersVsGoalie", tmp_path / "build")
    folder = tmp_path / "strikers"
    flags = ["--record-demo", str(folder), "--record-demo-behavior", "Striker"]
    flags += ["--record-demo-agents", "2", "--record-demo-steps", "10"]
    env = launch(executable, seed=1, additional_args=flags)
    try:
        play(env, 60, random_policy(env, seed=2))
        # Complete as soon as each agent has its steps, before the environment quits.
        files = [read_demonstration_file(folder / n) for n in ("Striker.demo", "Striker_0.demo")]
    finally:
        env.close()
    assert [f.meta.number_steps for f in files] == [10, 10]
    assert [f.brain_parameters.brain_name for f in files] == ["Striker?team=0"] * 2
    assert sorted(p.name for p in folder.iterdir()) == ["Striker.demo", "Striker_0.demo"]
    assert [f.pairs[0].agent_info.id for f in files] == [0, 1]


def test_the_player_refuses_bad_recording_flags() -> None:
    args = parse_args(["--record-demo", "d", "--record-demo-steps", "0", "-batchmode"])
    assert (args.record_demo, args.record_demo_agents, args.record_demo_steps) == ("d", 1, 0)
    with pytest.raises(SystemExit, match="--record-demo-agents needs a number >= 1"):
        parse_args(["--record-demo-agents", "0"])
    with pytest.raises(SystemExit, match="--record-demo-steps needs an integer"):
        parse_args(["--record-demo-steps", "many"])

"""UnityEnvironment against environment executables, over real gRPC and real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest
from wire_sims import EchoSim

from devtools.envtest import assert_same_records, free_port, record_steps
from mlagents_envs.base_env import ActionTuple
from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.exception import UnityActionException, UnityEnvironmentException
from mlagents_sim.in_process import InProcessEnv

Launch = Callable[..., UnityEnvironment]


def test_constants_of_the_api() -> None:
    assert UnityEnvironment.API_VERSION == "1.5.0"
    assert UnityEnvironment.DEFAULT_EDITOR_PORT == 5004
    assert UnityEnvironment.BASE_ENVIRONMENT_PORT == 5005


def test_3dball_specs_and_a_random_loop(launch: Launch) -> None:
    env = launch("3DBall", seed=3)
    env.reset()
    assert list(env.behavior_specs) == ["3DBall?team=0"]
    spec = env.behavior_specs["3DBall?team=0"]
    assert [o.shape for o in spec.observation_specs] == [(8,)]
    assert spec.action_spec.continuous_size == 2 and spec.action_spec.discrete_branches == ()
    rng = np.random.default_rng(0)
    ended = 0
    for _ in range(120):
        decision, terminal = env.get_steps("3DBall?team=0")
        ended += len(terminal)
        assert decision.obs[0].dtype == np.float32
        assert len(set(decision.agent_id.tolist())) == len(decision)
        env.set_actions("3DBall?team=0", spec.action_spec.random_action(len(decision), rng))
        env.step()
    assert ended > 0  # random actions drop balls


def test_executable_and_in_process_give_identical_steps(launch: Launch) -> None:
    # The built-in environments are compared in tests/sim/test_sim_catalog.py.
    over_wire = record_steps(launch("Echo", seed=11, num_areas=2), 150, seed=5)
    with InProcessEnv(EchoSim(seed=11, num_areas=2)) as local:
        in_process = record_steps(local, 150, seed=5)
    assert_same_records(over_wire, in_process)


def test_same_id_done_and_asking_again_over_the_wire(launch: Launch) -> None:
    env = launch("Echo")
    env.step()
    env.step()
    env.step()
    decision, terminal = env.get_steps("Echo?team=0")
    assert terminal.agent_id.tolist() == [0]
    assert 0 in decision
    assert terminal[0].obs[0][1] == 2 and decision[0].obs[0][1] == 0


def test_set_action_for_agent_over_the_wire(launch: Launch) -> None:
    env = launch("Echo")
    env.reset()
    env.set_action_for_agent("Echo?team=0", 1, ActionTuple(np.array([[0.75]]), np.array([[2]])))
    env.step()
    obs = env.get_steps("Echo?team=0")[0].obs[0]
    assert obs[:, 4].tolist() == [0, 0.75, 0]
    assert obs[:, 5].tolist() == [0, 2, 0]


def test_behaviors_appear_as_they_connect(launch: Launch) -> None:
    env = launch("TwoRate")
    env.reset()
    assert list(env.behavior_specs) == ["Fast?team=0"]
    env.step()
    assert sorted(env.behavior_specs) == ["Fast?team=0", "Slow?team=0"]
    env.step()
    assert len(env.get_steps("Slow?team=0")[0]) == 0


def test_bad_actions_and_unknown_behavior(launch: Launch) -> None:
    env = launch("Echo")
    env.reset()
    with pytest.raises(UnityActionException, match=r"continuous actions of shape \(3, 1\)"):
        env.set_actions("Echo?team=0", ActionTuple(np.zeros((3, 2)), np.zeros((3, 1))))
    with pytest.raises(UnityActionException, match="booleans"):
        env.set_actions("Echo?team=0", ActionTuple(np.zeros((3, 1)), np.zeros((3, 1), dtype=bool)))
    with pytest.raises(UnityActionException, match="'Nope' is not in the environment"):
        env.get_steps("Nope")
    with pytest.raises(UnityActionException, match="'Nope'"):
        env.set_actions("Nope", ActionTuple(np.zeros((3, 1)), np.zeros((3, 1))))
    env.step()  # still usable


def test_close_twice_then_calls_refused_then_reopen_on_the_same_port(launch: Launch) -> None:
    port = free_port()
    env = launch("Echo", base_port=port)
    env.reset()
    env.close()
    env.close()
    for call in (env.step, env.reset, lambda: env.get_steps("Echo?team=0")):
        with pytest.raises(UnityEnvironmentException, match="closed"):
            call()
    with launch("Echo", base_port=port) as again:
        again.reset()
        assert len(again.get_steps("Echo?team=0")[0]) == 3


def test_two_environments_side_by_side_on_two_worker_ids(launch: Launch) -> None:
    port = free_port()
    first = launch("3DBall", base_port=port, worker_id=0, seed=1)
    second = launch("Echo", base_port=port, worker_id=1)
    first.reset()
    second.reset()
    for _ in range(5):
        first.step()
        second.step()
    assert len(first.get_steps("3DBall?team=0")[0]) == 12
    assert second.get_steps("Echo?team=0")[0].obs[0].shape == (3, 6)


def test_log_folder_gets_the_player_log(launch: Launch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = launch("Echo", worker_id=0, log_folder=str(tmp_path))
    env.reset()
    env.close()
    log = (tmp_path / "Player-0.log").read_text()
    assert "Connected to a trainer" in log
    assert "Stopping: the trainer closed the connection (status 400)" in log


def test_environment_is_closed_at_interpreter_exit(builds, tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "forgets_close.py"
    script.write_text(
        "import sys\n"
        "from mlagents_envs.environment import UnityEnvironment\n"
        "env = UnityEnvironment(sys.argv[1], base_port=int(sys.argv[2]), no_graphics=True)\n"
        "env.reset()\n"
        "print(env._process.pid, flush=True)\n"
    )
    result = subprocess.run(
        [sys.executable, str(script), str(builds["Echo"]), str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    pid = int(result.stdout.split()[0])
    # The exit hook told the environment to quit and waited for it.
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_messages_above_four_megabytes(launch: Launch, builds, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mlagents_sim.build import build_executable

    exe = build_executable("wire_sims:BigSim", tmp_path, name="Big")
    with UnityEnvironment(str(exe), base_port=free_port(), no_graphics=True) as env:
        env.reset()
        env.step()
        obs = env.get_steps("Big?team=0")[0].obs[0]
        assert obs.shape == (1, 1_500_000) and obs[0, -1] == 1.0


def test_log_folder_is_created(launch: Launch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "new" / "logs"
    env = launch("Echo", log_folder=str(folder))
    env.reset()
    env.close()
    assert "Connected to a trainer" in (folder / "Player-0.log").read_text()

"""Unit tests written as ML-Agents' users write them, with its MockCommunicator patched in
for the communicator and the launcher (the patterns of ML-Agents' own test_envs.py)."""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from mlagents_envs.base_env import ActionTuple, DecisionSteps, TerminalSteps
from mlagents_envs.communicator import Communicator
from mlagents_envs.communicator_objects.command_pb2 import RESET, STEP
from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.exception import UnityActionException, UnityEnvironmentException
from mlagents_envs.mock_communicator import MockCommunicator

LAUNCHER = "mlagents_envs.env_utils.launch_executable"
FACTORY = "mlagents_envs.environment.UnityEnvironment._get_communicator"


@mock.patch(FACTORY)
def test_handles_bad_filename(get_communicator: mock.MagicMock) -> None:
    with pytest.raises(UnityEnvironmentException):
        UnityEnvironment(" ")


@mock.patch(LAUNCHER)
@mock.patch(FACTORY)
def test_initialization(mock_communicator: mock.MagicMock, mock_launcher: mock.MagicMock) -> None:
    mock_communicator.return_value = MockCommunicator(discrete_action=False, visual_inputs=0)
    env = UnityEnvironment(" ")
    assert list(env.behavior_specs.keys()) == ["RealFakeBrain"]
    env.close()
    mock_launcher.assert_called_once()


@pytest.mark.parametrize(
    ("base_port", "file_name", "expected"),
    [
        (6001, "foo.exe", 6001),
        (None, "foo.exe", UnityEnvironment.BASE_ENVIRONMENT_PORT),
        (None, None, UnityEnvironment.DEFAULT_EDITOR_PORT),
    ],
)
@mock.patch(LAUNCHER)
@mock.patch(FACTORY)
def test_port_defaults(
    mock_communicator: mock.MagicMock,
    mock_launcher: mock.MagicMock,
    base_port: int | None,
    file_name: str | None,
    expected: int,
) -> None:
    mock_communicator.return_value = MockCommunicator(discrete_action=False, visual_inputs=0)
    env = UnityEnvironment(file_name=file_name, worker_id=0, base_port=base_port)
    assert expected == env._port
    env.close()


@mock.patch(LAUNCHER)
@mock.patch(FACTORY)
def test_log_file_path_is_set(
    mock_communicator: mock.MagicMock, mock_launcher: mock.MagicMock, tmp_path: Path
) -> None:
    mock_communicator.return_value = MockCommunicator()
    folder = os.path.join(str(tmp_path), "some-log-folder-path")
    env = UnityEnvironment(file_name="myfile", worker_id=0, log_folder=folder)
    args = env._executable_args()
    log_file_index = args.index("-logFile")
    assert args[log_file_index + 1] == os.path.join(folder, "Player-0.log")
    env.close()


@mock.patch(LAUNCHER)
@mock.patch(FACTORY)
def test_reset(mock_communicator: mock.MagicMock, mock_launcher: mock.MagicMock) -> None:
    mock_communicator.return_value = MockCommunicator(discrete_action=False, visual_inputs=0)
    env = UnityEnvironment(" ")
    spec = env.behavior_specs["RealFakeBrain"]
    env.reset()
    decision_steps, terminal_steps = env.get_steps("RealFakeBrain")
    env.close()
    assert isinstance(decision_steps, DecisionSteps)
    assert isinstance(terminal_steps, TerminalSteps)
    assert len(spec.observation_specs) == len(decision_steps.obs)
    assert len(spec.observation_specs) == len(terminal_steps.obs)
    n_agents = len(decision_steps)
    for sensor_spec, obs in zip(spec.observation_specs, decision_steps.obs, strict=True):
        assert (n_agents, *sensor_spec.shape) == obs.shape
    n_agents = len(terminal_steps)
    for sensor_spec, obs in zip(spec.observation_specs, terminal_steps.obs, strict=True):
        assert (n_agents, *sensor_spec.shape) == obs.shape


@mock.patch(LAUNCHER)
@mock.patch(FACTORY)
def test_step(mock_communicator: mock.MagicMock, mock_launcher: mock.MagicMock) -> None:
    comm = MockCommunicator(discrete_action=False, visual_inputs=0)
    mock_communicator.return_value = comm
    env = UnityEnvironment(" ")
    spec = env.behavior_specs["RealFakeBrain"]
    env.step()
    decision_steps, terminal_steps = env.get_steps("RealFakeBrain")
    n_agents = len(decision_steps)
    env.set_actions("RealFakeBrain", spec.action_spec.empty_action(n_agents))
    env.step()
    with pytest.raises(UnityActionException):
        env.set_actions("RealFakeBrain", spec.action_spec.empty_action(n_agents - 1))
    decision_steps, terminal_steps = env.get_steps("RealFakeBrain")
    n_agents = len(decision_steps)
    empty = spec.action_spec.empty_action(n_agents)
    env.set_actions("RealFakeBrain", ActionTuple(empty.continuous - 1, empty.discrete - 1))
    env.step()
    env.close()
    assert isinstance(decision_steps, DecisionSteps)
    assert isinstance(terminal_steps, TerminalSteps)
    for sensor_spec, obs in zip(spec.observation_specs, decision_steps.obs, strict=True):
        assert (n_agents, *sensor_spec.shape) == obs.shape
    assert 0 in decision_steps
    assert 2 in terminal_steps
    # What the environment was sent: the handshake, a reset (the first step() resets),
    # then two steps, the last with the actions set (-1 for both agents that asked).
    commands = [i.rl_input.command for i in comm.inputs[1:]]
    assert comm.inputs[0].HasField("rl_initialization_input")
    assert commands == [RESET, STEP, STEP]
    sent = comm.inputs[-1].rl_input.agent_actions["RealFakeBrain"].value
    assert [list(a.continuous_actions) for a in sent] == [[-1.0, -1.0], [-1.0, -1.0]]


@mock.patch(LAUNCHER)
@mock.patch(FACTORY)
def test_close(mock_communicator: mock.MagicMock, mock_launcher: mock.MagicMock) -> None:
    comm = MockCommunicator(discrete_action=False, visual_inputs=0)
    mock_communicator.return_value = comm
    env = UnityEnvironment(" ")
    assert env._loaded
    env.close()
    assert not env._loaded
    assert comm.has_been_closed


def test_check_communication_compatibility() -> None:
    check = UnityEnvironment._check_communication_compatibility
    assert check("1.0.0", "1.0.0", "0.15.0")
    assert check("1.1.0", "1.0.0", "0.15.0")
    assert not check("2.0.0", "1.0.0", "0.15.0")
    assert check("0.16.0", "0.16.0", "0.15.0")
    assert not check("0.17.0", "0.16.0", "0.15.0")
    assert not check("1.16.0", "0.16.0", "0.15.0")


# What the mock sends, option by option.


@mock.patch(LAUNCHER)
@mock.patch(FACTORY)
def test_default_outputs(mock_communicator: mock.MagicMock, mock_launcher: mock.MagicMock) -> None:
    mock_communicator.return_value = MockCommunicator()
    with UnityEnvironment(" ") as env:
        spec = env.behavior_specs["RealFakeBrain"]
        assert spec.action_spec.continuous_size == 2
        assert spec.action_spec.discrete_branches == ()
        env.reset()
        decision, terminal = env.get_steps("RealFakeBrain")
    assert decision.agent_id.tolist() == [0, 1]
    assert terminal.agent_id.tolist() == [2]
    assert decision.obs[0].tolist() == [[1.0, 2.0, 3.0]] * 2
    assert decision.reward.tolist() == [1.0, 1.0]
    assert terminal.reward.tolist() == [1.0]
    assert terminal.interrupted.tolist() == [False]


@mock.patch(LAUNCHER)
@mock.patch(FACTORY)
def test_discrete_visual_and_sized(
    mock_communicator: mock.MagicMock, mock_launcher: mock.MagicMock
) -> None:
    mock_communicator.return_value = MockCommunicator(
        discrete_action=True, visual_inputs=2, num_agents=5, brain_name="Walker", vec_obs_size=4
    )
    with UnityEnvironment(" ") as env:
        spec = env.behavior_specs["Walker"]
        assert spec.action_spec.discrete_branches == (3, 2)
        assert spec.action_spec.continuous_size == 0
        assert [s.shape for s in spec.observation_specs] == [(30, 40, 3), (30, 40, 3), (4,)]
        env.step()
        decision, terminal = env.get_steps("Walker")
        assert decision.agent_id.tolist() == [0, 1, 3, 4]
        env.set_actions("Walker", ActionTuple(discrete=np.array([[2, 1]] * 4, dtype=np.int32)))
        env.step()
    assert decision.obs[0].shape == (4, 30, 40, 3)
    assert float(np.abs(decision.obs[1]).max()) == 0.0  # black images
    assert decision.obs[2].tolist() == [[1.0, 2.0, 3.0, 4.0]] * 4
    assert terminal.agent_id.tolist() == [2]


def test_it_is_a_communicator_of_ours() -> None:
    comm = MockCommunicator()
    assert isinstance(comm, Communicator)
    assert (comm.is_discrete, comm.visual_inputs, comm.num_agents) == (False, 0, 3)
    assert (comm.brain_name, comm.vec_obs_size, comm.steps) == ("RealFakeBrain", 3, 0)
    assert not comm.has_been_closed

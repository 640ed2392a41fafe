"""The player (what an executable of mlagents_sim runs) and the executable builder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devtools.envtest import free_port
from mlagents_envs.communicator_objects.command_pb2 import QUIT, RESET
from mlagents_envs.communicator_objects.unity_input_pb2 import UnityInputProto
from mlagents_envs.communicator_objects.unity_rl_initialization_input_pb2 import (
    UnityRLInitializationInputProto,
)
from mlagents_envs.communicator_objects.unity_rl_input_pb2 import UnityRLInputProto
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_envs.rpc_communicator import RpcCommunicator
from mlagents_sim.build import build_executable, executable_name
from mlagents_sim.player import parse_args


def test_unity_arguments() -> None:
    args = parse_args(
        [
            "--mlagents-port",
            "6000",
            "-nographics",
            "-BatchMode",
            "-logFile",
            "/tmp/x.log",
            "--env",
            "3DBall",
            "-screen-width",
            "84",
            "-force-vulkan",
        ]
    )
    assert (args.port, args.no_graphics, args.batch_mode) == (6000, True, True)
    assert (args.log_file, args.env) == ("/tmp/x.log", "3DBall")
    assert args.ignored == ["-screen-width", "84", "-force-vulkan"]
    assert parse_args(["-logfile"]).log_file == "-"
    assert parse_args(["-logFile", "-nographics"]).log_file == "-"
    assert parse_args([]).port == 5004


def test_bad_port_value() -> None:
    with pytest.raises(SystemExit, match="integer"):
        parse_args(["--mlagents-port", "abc"])


def player(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mlagents_sim.player", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_unknown_environment_exits_with_a_message() -> None:
    with player("--env", "NoSuchEnv") as process:
        out, _ = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "Unknown environment 'NoSuchEnv'" in out and "3DBall" in out
    with player() as process:
        out, _ = process.communicate(timeout=30)
    assert process.returncode == 2 and "--env" in out


def handshake(communicator: RpcCommunicator) -> None:
    communicator.initialize(
        UnityInputProto(rl_initialization_input=UnityRLInitializationInputProto(seed=1))
    )


def test_quit_ends_the_process_cleanly() -> None:
    port = free_port()
    communicator = RpcCommunicator(base_port=port, timeout_wait=30)
    process = player("--env", "3DBall", "--mlagents-port", str(port))
    try:
        handshake(communicator)
        out = communicator.exchange(UnityInputProto(rl_input=UnityRLInputProto(command=RESET)))
        assert out is not None and len(out.rl_output.agentInfos["3DBall?team=0"].value) == 12
        assert out.rl_initialization_output.brain_parameters[0].brain_name == "3DBall?team=0"

        def exited() -> None:
            if process.poll() is not None:
                raise ProcessLookupError("the environment exited")

        # QUIT has no answer: the wait ends when the process is gone.
        with pytest.raises(ProcessLookupError):
            communicator.exchange(UnityInputProto(rl_input=UnityRLInputProto(command=QUIT)), exited)
        text, _ = process.communicate(timeout=30)
    finally:
        communicator.close()
        process.kill()
        process.communicate()
    assert process.returncode == 0, text
    assert "Stopping: the trainer sent QUIT" in text


def test_broken_connection_ends_the_process_cleanly() -> None:
    port = free_port()
    communicator = RpcCommunicator(base_port=port, timeout_wait=30)
    process = player("--env", "3DBall", "--mlagents-port", str(port))
    try:
        handshake(communicator)
        # The trainer vanishes without a reply: the open call is cut off.
        communicator._server.stop(None).wait(5)
        text, _ = process.communicate(timeout=30)
    finally:
        communicator._open_call = None
        communicator.close()
        process.kill()
        process.communicate()
    assert process.returncode == 0, text
    assert "the connection to the trainer broke" in text


def test_no_trainer_listening_fails_with_a_message() -> None:
    with player(
        "--env", "3DBall", "--mlagents-port", str(free_port()), "--connect-timeout", "1"
    ) as process:
        text, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "connection to the trainer broke" in text


def test_build_writes_an_executable_launcher(tmp_path: Path) -> None:
    path = build_executable("3DBall", tmp_path / "out")
    assert path.name == executable_name("3DBall")
    assert path.stat().st_mode & 0o111
    assert "mlagents_sim.player --env 3DBall" in path.read_text()
    with pytest.raises(UnityEnvironmentException, match="Cannot build 'Nope'"):
        build_executable("Nope", tmp_path)

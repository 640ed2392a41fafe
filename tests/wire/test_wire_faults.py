"""What goes wrong between Python and an environment, and the error each case gives.

No test measures time: an environment that died is detected while timeout_wait is 60 s,
so getting UnityEnvironmentException rather than UnityTimeOutException is the proof that
the death was noticed without waiting for the timeout.
"""

from __future__ import annotations

import logging
import socket
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from devtools.envtest import free_port
from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.exception import (
    UnityCommunicatorStoppedException,
    UnityEnvironmentException,
    UnityTimeOutException,
    UnityWorkerInUseException,
)

Launch = Callable[..., UnityEnvironment]
HERE = Path(__file__).resolve().parent


def script(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.x86_64"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def raw_env(folder: Path, mode: str) -> Path:
    return script(folder, mode, f'exec "{sys.executable}" "{HERE / "wire_raw_env.py"}" {mode} "$@"')


def test_missing_executable(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(UnityEnvironmentException, match="nowhere"):
        UnityEnvironment(str(tmp_path / "nowhere"), base_port=port)
    # The port was released: the next environment can use it.
    with pytest.raises(UnityEnvironmentException, match="nowhere"):
        UnityEnvironment(str(tmp_path / "nowhere"), base_port=port)


def test_not_executable(tmp_path: Path) -> None:
    path = tmp_path / "Env.x86_64"
    path.write_text("not a program")
    with pytest.raises(UnityEnvironmentException, match="chmod"):
        UnityEnvironment(str(path), base_port=free_port())


def test_port_in_use_names_the_port(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(UnityWorkerInUseException, match=f"port {port}") as info:
            UnityEnvironment(str(tmp_path / "unused"), base_port=port - 2, worker_id=2)
        assert info.value.worker_id == 2 and info.value.port == port


def test_port_held_by_another_environment(launch: Launch) -> None:
    port = free_port()
    launch("Echo", base_port=port).reset()
    with pytest.raises(UnityWorkerInUseException, match=f"port {port}"):
        launch("Echo", base_port=port)


def test_process_exits_during_the_handshake(tmp_path: Path) -> None:
    exe = raw_env(tmp_path, "exit_in_handshake")
    with pytest.raises(UnityEnvironmentException, match="return code 3"):
        UnityEnvironment(str(exe), base_port=free_port(), timeout_wait=60)


def test_process_that_never_connects_and_exits(tmp_path: Path) -> None:
    exe = script(tmp_path, "quits", "exit 9")
    with pytest.raises(UnityEnvironmentException, match="return code 9"):
        UnityEnvironment(str(exe), base_port=free_port(), timeout_wait=60)


def test_process_killed_mid_run(launch: Launch) -> None:
    env = launch("3DBall", timeout_wait=60)
    env.reset()
    assert env._process is not None
    env._process.kill()
    with pytest.raises(UnityEnvironmentException, match="SIGKILL"):
        env.step()
    # The environment is closed now, and says so.
    with pytest.raises(UnityEnvironmentException, match="closed"):
        env.step()


def test_simulation_crash_mid_step(launch: Launch, tmp_path: Path) -> None:
    from mlagents_sim.build import build_executable

    exe = build_executable("wire_sims:CrashSim", tmp_path, name="Crash")
    env = launch_path(exe, log_folder=str(tmp_path))
    try:
        env.reset()
        with pytest.raises(UnityEnvironmentException, match="return code 1"):
            for _ in range(5):
                env.step()
    finally:
        env.close()
    assert "the simulation broke on purpose" in (tmp_path / "Player-0.log").read_text()


def launch_path(path: Path, **kwargs: object) -> UnityEnvironment:
    return UnityEnvironment(str(path), base_port=free_port(), timeout_wait=60, **kwargs)  # type: ignore[arg-type]


def test_silent_process_times_out(tmp_path: Path) -> None:
    exe = script(tmp_path, "silent", "exec sleep 60")
    with pytest.raises(UnityTimeOutException, match="did not answer within 1"):
        UnityEnvironment(str(exe), base_port=free_port(), timeout_wait=1)


def test_environment_silent_mid_step_times_out(tmp_path: Path) -> None:
    from mlagents_sim.build import build_executable

    exe = build_executable("wire_sims:HangSim", tmp_path, name="Hang")
    env = UnityEnvironment(str(exe), base_port=free_port(), timeout_wait=2)
    try:
        env.reset()
        env.step()
        with pytest.raises(UnityTimeOutException, match="did not answer within 2"):
            env.step()
        with pytest.raises(UnityEnvironmentException, match="closed"):
            env.step()
    finally:
        env.close()


def test_incompatible_communication_version(tmp_path: Path) -> None:
    exe = raw_env(tmp_path, "version_2")
    with pytest.raises(UnityEnvironmentException, match=r"2\.0\.0.*1\.5\.0"):
        UnityEnvironment(str(exe), base_port=free_port(), timeout_wait=30)


@pytest.mark.parametrize(
    ("unity", "compatible"),
    [
        ("1.5.0", True),
        ("1.0.0", True),
        ("1.9.2", True),
        ("2.0.0", False),
        ("0.15.0", False),
        ("", False),
        ("one.two", False),
    ],
)
def test_communication_version_rule(unity: str, compatible: bool) -> None:
    check = UnityEnvironment._check_communication_compatibility
    assert check(unity, "1.5.0", "2.0.0") is compatible


def test_major_zero_needs_the_same_minor() -> None:
    check = UnityEnvironment._check_communication_compatibility
    assert check("0.15.1", "0.15.0", "")
    assert not check("0.16.0", "0.15.0", "")


def test_environment_stops_the_connection(tmp_path: Path) -> None:
    exe = raw_env(tmp_path, "stop_on_reset")
    env = UnityEnvironment(str(exe), base_port=free_port(), timeout_wait=30)
    with pytest.raises(UnityCommunicatorStoppedException, match="ended the connection"):
        env.reset()
    env.close()


def test_editor_needs_worker_zero() -> None:
    with pytest.raises(UnityEnvironmentException, match="worker_id=1"):
        UnityEnvironment(file_name=None, worker_id=1)


def test_editor_mode_says_where_it_listens(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    with (
        caplog.at_level(logging.INFO, logger="mlagents_envs.environment"),
        pytest.raises(UnityTimeOutException),
    ):
        UnityEnvironment(file_name=None, base_port=port, timeout_wait=1)
    assert f"Listening on port {port}" in caplog.text
    assert "Play button" in caplog.text

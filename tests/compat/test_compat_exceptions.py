"""Every `except` written against ML-Agents still catches: each failure is caused for real
(a faulty environment over gRPC, real side-channel bytes, a real registry download) and
caught with the class ML-Agents raises for it; our own family still catches it too."""

from __future__ import annotations

import socket
import stat
import sys
import urllib.error
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devtools.envtest import free_port
from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.exception import (
    UnityCommunicationException,
    UnityEnvironmentException,
    UnityObservationException,
    UnityPolicyException,
    UnitySideChannelException,
    UnityTimeOutException,
    UnityWorkerInUseException,
)
from mlagents_envs.registry.binary_utils import get_local_binary_path
from mlagents_envs.registry.remote_registry_entry import RemoteRegistryEntry
from mlagents_envs.side_channel.default_training_analytics_side_channel import (
    DefaultTrainingAnalyticsSideChannel,
)
from mlagents_envs.side_channel.engine_configuration_channel import EngineConfigurationChannel
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_envs.side_channel.framing import encode_frame
from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage
from mlagents_envs.side_channel.side_channel import SideChannel
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager
from mlagents_envs.side_channel.stats_side_channel import StatsSideChannel

HERE = Path(__file__).resolve().parent
Launch = Callable[..., UnityEnvironment]


@pytest.fixture
def raw_env(tmp_path: Path) -> Iterator[Launch]:
    """Start compat_raw_env.py in a mode, as a build; every environment is closed after."""
    started: list[UnityEnvironment] = []

    def start(mode: str, **kwargs: object) -> UnityEnvironment:
        path = tmp_path / f"{mode}.x86_64"
        path.write_text(
            f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "compat_raw_env.py"}" {mode} "$@"\n'
        )
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        env = UnityEnvironment(str(path), base_port=free_port(), timeout_wait=60, **kwargs)  # type: ignore[arg-type]
        started.append(env)
        return env

    yield start
    for env in started:
        env.close()


# Messages from the environment.


@pytest.mark.parametrize(
    "channel",
    [EngineConfigurationChannel, EnvironmentParametersChannel, DefaultTrainingAnalyticsSideChannel],
)
def test_a_message_on_a_python_to_environment_channel(channel: type[SideChannel]) -> None:
    # ML-Agents raises UnityCommunicationException when such a channel receives a message.
    instance = channel()
    manager = SideChannelManager([instance])
    with pytest.raises(UnityCommunicationException) as caught:
        manager.process_side_channel_message(encode_frame(instance.channel_id, b"\x01"))
    assert isinstance(caught.value, UnitySideChannelException)


def test_an_environment_writing_on_the_engine_channel(raw_env: Launch) -> None:
    env = raw_env("engine_channel_message", side_channels=[EngineConfigurationChannel()])
    with pytest.raises(UnityCommunicationException, match="only goes from Python"):
        env.reset()


def test_truncated_side_channel_data(raw_env: Launch) -> None:
    # ML-Agents' SideChannelManager raises UnityEnvironmentException for malformed data.
    env = raw_env("truncated_side_channel", side_channels=[EngineConfigurationChannel()])
    with pytest.raises(UnityEnvironmentException, match="truncated") as caught:
        env.reset()
    assert isinstance(caught.value, UnitySideChannelException)


@pytest.mark.parametrize(
    ("mode", "what"),
    [
        ("nan_observation", "NaN or infinite"),
        ("inf_observation", "NaN or infinite"),
        ("nan_reward", "rewards of agents \\[7\\]"),
        ("inf_group_reward", "group rewards of agents \\[7\\]"),
    ],
)
def test_nan_or_infinite_values_from_the_environment(mode: str, what: str, raw_env: Launch) -> None:
    # ML-Agents raises RuntimeError for NaN or infinite observations and rewards.
    env = raw_env(mode)
    with pytest.raises(RuntimeError, match=what) as caught:
        env.reset()
    assert isinstance(caught.value, UnityObservationException)


def test_finite_values_pass(raw_env: Launch) -> None:
    # The raw environment itself is sound: only its faults raise.
    env = raw_env("fine", side_channels=[EngineConfigurationChannel()])
    env.reset()
    decision, _ = env.get_steps("Raw")
    assert decision.obs[0].tolist() == [[0.5, 1.5]]


# Side-channel content.


def test_an_unknown_stats_aggregation_method() -> None:
    # ML-Agents lets the enum's ValueError through.
    msg = OutgoingMessage()
    msg.write_string("reward")
    msg.write_float32(1.0)
    msg.write_int32(9)
    with pytest.raises(ValueError, match="aggregation method 9"):
        StatsSideChannel().on_message_received(IncomingMessage(msg.buffer))


def test_a_string_that_is_not_ascii() -> None:
    # ML-Agents lets str.encode's and bytes.decode's errors through.
    with pytest.raises(UnicodeEncodeError, match="must be ASCII") as encode:
        OutgoingMessage().write_string("vitesse-é")
    assert (encode.value.start, encode.value.encoding) == (8, "ascii")
    assert isinstance(encode.value, UnitySideChannelException)
    payload = b"\x02\x00\x00\x00\xc3\xa9"
    with pytest.raises(UnicodeDecodeError, match="not ASCII") as decode:
        IncomingMessage(payload).read_string()
    assert decode.value.object == b"\xc3\xa9"
    assert isinstance(decode.value, UnitySideChannelException)


def test_two_channels_with_one_id() -> None:
    # ML-Agents raises UnityEnvironmentException.
    with pytest.raises(UnityEnvironmentException, match="Two side channels use the id"):
        SideChannelManager([EngineConfigurationChannel(), EngineConfigurationChannel()])


# Launching and waiting.


def test_worker_in_use_takes_the_worker_id_alone() -> None:
    error = UnityWorkerInUseException(3)
    assert "worker number 3" in str(error)
    assert error.worker_id == 3


def test_a_taken_port_raises_worker_in_use(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        with pytest.raises(UnityWorkerInUseException, match="worker number 2"):
            UnityEnvironment(str(tmp_path / "never"), worker_id=2, base_port=port - 2)


def test_timeout_takes_a_log_file_path_and_quotes_its_errors(tmp_path: Path) -> None:
    log = tmp_path / "Player-0.log"
    log.write_text(
        "Initialize engine\n\nException\nNullReferenceException: no agent\n"
        "  at Academy.Step ()\n\nShutting down\n"
    )
    error = UnityTimeOutException("The environment did not answer.", log_file_path=log)
    assert error.log_file_path == str(log)
    text = str(error)
    assert text.startswith("The environment did not answer.")
    assert "NullReferenceException: no agent\nat Academy.Step ()" in text
    assert "Initialize engine" not in text and "Shutting down" not in text
    missing = UnityTimeOutException("Silent.", str(tmp_path / "none.log"))
    assert "could not be read" in str(missing)
    assert str(UnityTimeOutException("Silent.")) == "Silent."


def test_policy_exception_exists() -> None:
    assert issubclass(UnityPolicyException, Exception)


# The registry.


@pytest.fixture
def binaries_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MLAGENTS_BINARIES_DIR", str(folder))
    return folder


def test_an_entry_without_a_build_for_this_platform(binaries_dir: Path) -> None:
    # ML-Agents' RemoteRegistryEntry.make raises FileNotFoundError.
    entry = RemoteRegistryEntry("Elsewhere", None, None, None, None, None)
    with pytest.raises(FileNotFoundError, match="no build for"):
        entry.make()


def test_a_zip_without_an_executable(binaries_dir: Path, tmp_path: Path) -> None:
    # ML-Agents' get_local_binary_path raises FileNotFoundError.
    archive = tmp_path / "Empty.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("Empty/readme.txt", "no build here")
    with pytest.raises(FileNotFoundError, match="holds no executable") as caught:
        get_local_binary_path("Empty", archive.as_uri())
    assert isinstance(caught.value, UnityEnvironmentException)


def test_a_download_that_fails(binaries_dir: Path, tmp_path: Path) -> None:
    # ML-Agents lets urllib's URLError through.
    url = (tmp_path / "missing.zip").as_uri()
    with pytest.raises(urllib.error.URLError, match="Cannot download") as caught:
        get_local_binary_path("Missing", url)
    assert isinstance(caught.value, UnityEnvironmentException)
    assert caught.value.reason is not None

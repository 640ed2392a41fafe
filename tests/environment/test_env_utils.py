"""Finding and launching environment executables, with real files and real processes."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from mlagents_envs.env_utils import get_platform, launch_executable, validate_environment_path
from mlagents_envs.exception import UnityEnvironmentException

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="uses shell scripts")


def make_file(path: Path, text: str = "", executable: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if executable:
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def make_script(path: Path, body: str) -> Path:
    return make_file(path, "#!/bin/sh\n" + body, executable=True)


@pytest.fixture
def on_linux(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("linux", "linux"),
        ("linux2", "linux"),
        ("darwin", "darwin"),
        ("win32", "win32"),
        ("cygwin", "win32"),
        ("msys", "win32"),
        ("freebsd14", "linux"),
    ],
)
def test_get_platform_normalises_sys_platform(monkeypatch, platform, expected):
    monkeypatch.setattr(sys, "platform", platform)
    assert get_platform() == expected


@pytest.mark.parametrize("suffix", [".x86_64", ".x86"])
@pytest.mark.parametrize("given_suffix", ["", ".x86_64", ".x86"])
def test_linux_path_resolves_with_or_without_suffix(on_linux, tmp_path, suffix, given_suffix):
    executable = make_file(tmp_path / f"env{suffix}")
    assert validate_environment_path(str(tmp_path / f"env{given_suffix}")) == str(executable)
    assert validate_environment_path(tmp_path / f"env{given_suffix}") == str(executable)


def test_linux_prefers_the_bare_file_then_x86_64_then_x86(on_linux, tmp_path):
    make_file(tmp_path / "env.x86")
    assert validate_environment_path(tmp_path / "env") == str(tmp_path / "env.x86")
    make_file(tmp_path / "env.x86_64")
    assert validate_environment_path(tmp_path / "env") == str(tmp_path / "env.x86_64")
    make_file(tmp_path / "env")
    assert validate_environment_path(tmp_path / "env") == str(tmp_path / "env")


def test_the_exact_path_given_wins(on_linux, tmp_path):
    make_file(tmp_path / "env")
    named = make_file(tmp_path / "env.x86_64")
    assert validate_environment_path(named) == str(named)
    # A suffix that is not Linux's is still accepted when it names an existing file.
    other = make_file(tmp_path / "tool.exe")
    assert validate_environment_path(other) == str(other)


def test_missing_path_and_directory_resolve_to_none(on_linux, tmp_path):
    assert validate_environment_path(tmp_path / "nothing") is None
    (tmp_path / "folder").mkdir()
    assert validate_environment_path(tmp_path / "folder") is None


def test_tilde_is_expanded(on_linux, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    executable = make_file(tmp_path / "builds" / "env.x86_64")
    assert validate_environment_path("~/builds/env") == str(executable)


def test_relative_path_is_resolved_from_the_working_directory(on_linux, monkeypatch, tmp_path):
    make_file(tmp_path / "env.x86_64")
    monkeypatch.chdir(tmp_path)
    assert validate_environment_path("env") == "env.x86_64"


def test_macos_bundle_resolves_to_the_executable_named_after_it(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "darwin")
    macos_dir = tmp_path / "env.app" / "Contents" / "MacOS"
    make_file(macos_dir / "aaa")
    executable = make_file(macos_dir / "env")
    for given in ("env", "env.app", "env.app/"):
        assert validate_environment_path(f"{tmp_path}/{given}") == str(executable)


def test_macos_bundle_falls_back_to_any_executable_inside(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "darwin")
    macos_dir = tmp_path / "Renamed [v2].app" / "Contents" / "MacOS"
    (macos_dir / "a_directory").mkdir(parents=True)
    executable = make_file(macos_dir / "Product")
    assert validate_environment_path(tmp_path / "Renamed [v2].app") == str(executable)


def test_macos_accepts_a_bare_file(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "darwin")
    executable = make_file(tmp_path / "env")
    assert validate_environment_path(tmp_path / "env.app") == str(executable)


def test_windows_tries_exe_then_the_bare_path(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "win32")
    make_file(tmp_path / "env")
    assert validate_environment_path(tmp_path / "env") == str(tmp_path / "env")
    make_file(tmp_path / "env.exe")
    assert validate_environment_path(tmp_path / "env") == str(tmp_path / "env.exe")
    assert validate_environment_path(tmp_path / "env.EXE") == str(tmp_path / "env.exe")
    # Linux build suffixes are not candidates on Windows.
    make_file(tmp_path / "linux_only.x86_64")
    assert validate_environment_path(tmp_path / "linux_only") is None


def test_launch_refuses_a_missing_file_listing_the_candidates(on_linux, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnityEnvironmentException) as caught:
        launch_executable("builds/env", [])
    message = str(caught.value)
    assert "'builds/env'" in message
    for candidate in ("builds/env", "builds/env.x86_64", "builds/env.x86"):
        assert f"  {candidate}\n" in message
    assert str(tmp_path) in message


def test_launch_refuses_a_directory(on_linux, tmp_path):
    (tmp_path / "env").mkdir()
    with pytest.raises(UnityEnvironmentException, match="is a directory") as caught:
        launch_executable(tmp_path / "env", [])
    assert str(tmp_path / "env") in str(caught.value)


@posix_only
def test_launch_refuses_a_file_that_is_not_executable(tmp_path):
    path = make_file(tmp_path / "my env.x86_64", "#!/bin/sh\n")
    with pytest.raises(UnityEnvironmentException, match="not executable") as caught:
        launch_executable(tmp_path / "my env", [])
    assert f"chmod +x '{path}'" in str(caught.value)


@posix_only
def test_launch_turns_an_exec_failure_into_a_unity_exception(tmp_path):
    path = make_file(tmp_path / "env.x86_64", "not a program, no interpreter line\n", True)
    with pytest.raises(UnityEnvironmentException, match="Exec format error") as caught:
        launch_executable(tmp_path / "env", [])
    assert str(path) in str(caught.value)
    assert isinstance(caught.value.__cause__, OSError)


@posix_only
def test_launch_runs_the_executable_with_its_arguments(tmp_path):
    out = tmp_path / "out.txt"
    make_script(
        tmp_path / "env.x86_64",
        f"""printf '%s\\n' "$@" > '{out}'
if read -r line; then echo "stdin: $line" >> '{out}'; else echo "stdin: eof" >> '{out}'; fi
exit 3
""",
    )
    args = ["--mlagents-port", "5005", "-logFile", "a path with spaces"]
    process = launch_executable(str(tmp_path / "env"), args)
    try:
        assert process.wait(timeout=30) == 3
    finally:
        process.kill()
        process.wait()
    assert process.args == [str(tmp_path / "env.x86_64"), *args]
    assert out.read_text().splitlines() == [*args, "stdin: eof"]


@posix_only
def test_launch_starts_the_environment_in_its_own_session(tmp_path):
    make_script(tmp_path / "env.x86_64", "exec sleep 60\n")
    process = launch_executable(tmp_path / "env.x86_64", [])
    try:
        # Popen returns after the exec, so the setsid has happened by now.
        assert os.getsid(process.pid) == process.pid
        assert os.getsid(process.pid) != os.getsid(0)
    finally:
        process.kill()
        process.wait()


@posix_only
def test_launch_runs_a_bare_name_from_the_working_directory(on_linux, monkeypatch, tmp_path):
    # "put the file in the same directory": a name without a folder is not looked up on PATH.
    make_script(tmp_path / "3DBall.x86_64", "exit 4\n")
    monkeypatch.chdir(tmp_path)
    process = launch_executable("3DBall", [])
    assert process.wait(timeout=30) == 4
    assert process.args == [str(tmp_path / "3DBall.x86_64")]

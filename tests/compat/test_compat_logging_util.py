"""mlagents_envs.logging_util: ML-Agents' get_logger / set_log_level over our packages'
standard loggers, printed as ML-Agents prints them, and only once."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlagents_envs import logging_util

HERE = Path(__file__).resolve().parent
SRC = HERE.parent.parent / "src"
SCRIPT = str(HERE / "compat_logging_script.py")
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", re.MULTILINE)


def run(python: str, mode: str, ours: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the script with our mlagents_envs, or (ours=False) the one python has."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if ours:
        env["PYTHONPATH"] = str(SRC)
    done = subprocess.run([python, SCRIPT, mode], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the loggers logging_util touches back as they were."""
    names = [*logging_util.PACKAGES, "myscript", "later"]
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in levels.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.removeHandler(logging_util._handler)
    logging_util._loggers.clear()
    logging_util._log_level = logging_util.NOTSET


def test_level_constants_are_the_standard_ones() -> None:
    assert (logging_util.CRITICAL, logging_util.FATAL, logging_util.ERROR) == (50, 50, 40)
    assert (logging_util.WARNING, logging_util.INFO, logging_util.DEBUG) == (30, 20, 10)
    assert logging_util.NOTSET == 0


def test_set_log_level_governs_our_packages_and_get_logger(restore_logging: None) -> None:
    mine = logging_util.get_logger("myscript")
    assert mine is logging.getLogger("myscript")
    logging_util.set_log_level(logging_util.DEBUG)
    for name in (
        "mlagents_envs.environment",
        "mlagents_envs.side_channel.side_channel_manager",
        "mlagents.trainers.trainer_controller",
        "mlagents_sim.academy",
        "myscript",
    ):
        assert logging.getLogger(name).getEffectiveLevel() == logging.DEBUG, name
    later = logging_util.get_logger("later")
    assert later.level == logging.DEBUG
    logging_util.set_log_level(logging_util.ERROR)
    assert logging.getLogger("mlagents_envs.rpc_communicator").getEffectiveLevel() == 40
    assert (mine.level, later.level) == (40, 40)
    # Loggers of other libraries are left alone.
    assert logging.getLogger("elsewhere").level == logging.NOTSET


def test_our_library_records_reach_a_configured_root_handler(
    restore_logging: None, caplog: pytest.LogCaptureFixture
) -> None:
    # pytest has configured the root logger, so records go there, once.
    logging_util.set_log_level(logging_util.INFO)
    logging.getLogger("mlagents_envs.environment").info("connected")
    logging.getLogger("mlagents_envs.environment").debug("not shown")
    assert [r.getMessage() for r in caplog.records] == ["connected"]


def test_output_as_ml_agents_prints_it() -> None:
    done = run(sys.executable, "library")
    lines = re.sub(r"\.py:\d+\]", ".py:<line>]", STAMP.sub("<time> ", done.stdout))
    assert lines.splitlines() == [
        "[WARNING] a warning",
        "[INFO] an info",
        "[INFO] from the library",
        "[INFO] from the trainers",
        "<time> DEBUG [compat_logging_script.py:<line>] a debug line",
        "<time> DEBUG [compat_logging_script.py:<line>] made after set_log_level",
        "<time> DEBUG [compat_logging_script.py:<line>] library debug",
        "[ERROR] an error",
    ]
    assert done.stderr == ""


def test_an_application_that_configured_logging_gets_each_record_once() -> None:
    done = run(sys.executable, "configured")
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "root: myscript a warning",
        "root: myscript an info",
        "root: mlagents_envs.environment from the library",
        "root: mlagents.trainers.learn from the trainers",
        "root: myscript a debug line",
        "root: later made after set_log_level",
        "root: mlagents_sim.academy library debug",
        "root: later an error",
    ]


@pytest.mark.peer
def test_same_output_as_ml_agents_own_module() -> None:
    from devtools.peer_env import PeerUnavailable, peer_python

    try:
        peer = peer_python()
    except PeerUnavailable as error:
        pytest.skip(f"the reference client is unavailable: {error}")
    ours = run(sys.executable, "script")
    theirs = run(str(peer), "script", ours=False)
    assert STAMP.sub("", ours.stdout) == STAMP.sub("", theirs.stdout)
    assert (ours.stderr, theirs.stderr) == ("", "")
    assert len(ours.stdout.splitlines()) == 5

"""no_graphics_monitor (mlagents 1.x): every environment but worker 0 runs without graphics,
from UnityEnvironment and from mlagents-learn's engine settings."""

from __future__ import annotations

import os
from pathlib import Path

from devtools.envtest import free_port
from mlagents.trainers.learn import create_environment
from mlagents_envs.environment import UnityEnvironment
from mlagents_sim.build import build_executable


def recording_build(folder: Path) -> tuple[Path, Path]:
    """A build that writes its arguments to a file, then runs Basic."""
    real = build_executable("Basic", folder / "real")
    log = folder / "argv.txt"
    script = folder / "Recorder.x86_64"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{real}" "$@"\n')
    os.chmod(script, 0o755)
    return script, log


def graphics_flags(log: Path) -> list[bool]:
    """Per launch, in order: did it get -nographics and -batchmode?"""
    lines = log.read_text().splitlines()
    return [" -nographics -batchmode" in f" {line}" for line in lines]


def test_only_worker_zero_keeps_its_graphics(tmp_path: Path) -> None:
    script, log = recording_build(tmp_path)
    port = free_port()
    for worker in (0, 1):
        env = UnityEnvironment(
            str(script), worker_id=worker, base_port=port, no_graphics_monitor=True
        )
        env.reset()
        env.close()
    UnityEnvironment(str(script), base_port=port, no_graphics=True).close()
    assert graphics_flags(log) == [False, True, True]


def test_mlagents_learn_passes_it_to_every_worker(tmp_path: Path) -> None:
    script, log = recording_build(tmp_path)
    port = free_port()
    for worker in (0, 1):
        env = create_environment(str(script), 0, 1, False, True, 30, port, None, None, worker, [])
        env.close()
    assert graphics_flags(log) == [False, True]

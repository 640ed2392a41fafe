"""Fixtures of the wrapper tests: executables of built-in environments, and launching them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devtools import envtest
from mlagents_envs.environment import UnityEnvironment
from mlagents_sim.build import build_executable

BUILDS = ("Basic", "3DBall", "StrikersVsGoalie")


@pytest.fixture(scope="session")
def wrapper_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Executables of the environments the wrappers are tried over the wire with."""
    folder = tmp_path_factory.mktemp("wrapper_builds")
    return {name: build_executable(name, folder) for name in BUILDS}


@pytest.fixture
def launch_build(wrapper_builds: dict[str, Path]) -> Iterator[Callable[..., UnityEnvironment]]:
    """Start executables on free ports (no graphics); every one is closed after the test."""
    with envtest.launching(wrapper_builds, timeout_wait=30) as start:
        yield start

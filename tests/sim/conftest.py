"""Fixtures of the environment tests: an executable of every built-in environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlagents_sim.build import build_executable
from mlagents_sim.catalog import ENVIRONMENTS


@pytest.fixture(scope="session")
def executables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The executable of every built-in environment, by name, written once per session."""
    folder = tmp_path_factory.mktemp("sim_builds")
    return {name: build_executable(name, folder) for name in ENVIRONMENTS}

"""Fixtures for the wire tests: environment executables and free ports."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devtools import envtest
from mlagents_envs.environment import UnityEnvironment
from mlagents_sim.build import build_executable

HERE = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _wire_sims_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Environment processes import the test simulations of this folder by module name.
    existing = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HERE), existing])))


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Executables by environment name, built once per session."""
    folder = tmp_path_factory.mktemp("builds")
    return {
        "3DBall": build_executable("3DBall", folder),
        "Echo": build_executable("wire_sims:EchoSim", folder, name="Echo"),
        "TwoRate": build_executable("wire_sims:TwoRateSim", folder, name="TwoRate"),
    }


@pytest.fixture
def launch(builds: dict[str, Path]) -> Iterator[Callable[..., UnityEnvironment]]:
    """Start UnityEnvironments on free ports; every one is closed after the test."""
    with envtest.launching(builds, timeout_wait=30) as start:
        yield start

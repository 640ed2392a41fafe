"""Every built-in environment, both ways: the conformance suite in-process and as an
executable, and identical steps between the two for the same seed and actions."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.envtest import assert_same_records, free_port, record_steps
from mlagents_envs.conformance import check_env
from mlagents_envs.environment import UnityEnvironment
from mlagents_sim.build import build_executable
from mlagents_sim.catalog import ENVIRONMENTS, EXPECTED_REWARDS, make_simulation, simulation_class
from mlagents_sim.in_process import InProcessEnv

NAMES = sorted(ENVIRONMENTS)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("catalog_builds")
    return {name: build_executable(name, folder) for name in NAMES}


def launch(builds: dict[str, Path], name: str, **kwargs: int) -> UnityEnvironment:
    return UnityEnvironment(
        str(builds[name]), base_port=free_port(), no_graphics=True, timeout_wait=60, **kwargs
    )


def test_every_environment_is_documented() -> None:
    for name in NAMES:
        doc = simulation_class(name).__doc__ or ""
        assert len(doc.splitlines()) > 5, name
        assert name in EXPECTED_REWARDS


@pytest.mark.parametrize("name", NAMES)
def test_conformance_in_process(name: str) -> None:
    check_env(InProcessEnv(make_simulation(name, seed=1)), steps=120, seed=1)


@pytest.mark.parametrize("name", NAMES)
def test_conformance_as_executable(builds: dict[str, Path], name: str) -> None:
    check_env(launch(builds, name, seed=1), steps=120, seed=1)


@pytest.mark.parametrize("name", NAMES)
def test_executable_and_in_process_agree(builds: dict[str, Path], name: str) -> None:
    with launch(builds, name, seed=5, num_areas=2) as env:
        over_wire = record_steps(env, 120, seed=9)
    with InProcessEnv(make_simulation(name, seed=5, num_areas=2)) as env:
        in_process = record_steps(env, 120, seed=9)
    assert_same_records(over_wire, in_process)

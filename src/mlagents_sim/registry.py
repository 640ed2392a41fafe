"""The environments of mlagents_sim as registry entries (they join `default_registry`
through the `mlagents_envs.registry` entry point)."""

from __future__ import annotations

import hashlib
import inspect
import sys
from pathlib import Path
from typing import Any

from mlagents_envs.codec.generation import PACKAGE_VERSION_3X, check_package_version
from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.registry.base_registry_entry import BaseRegistryEntry
from mlagents_envs.registry.binary_utils import get_tmp_dir
from mlagents_envs.side_channel.side_channel import SideChannel
from mlagents_sim.build import build_executable
from mlagents_sim.catalog import ENVIRONMENTS, EXPECTED_REWARDS, simulation_class
from mlagents_sim.in_process import InProcessEnv


class SimRegistryEntry(BaseRegistryEntry):
    """A built-in environment: make() launches its executable through UnityEnvironment,
    exactly as a downloaded build; make_in_process() runs it without a process."""

    def __init__(self, identifier: str) -> None:
        cls = simulation_class(identifier)
        super().__init__(
            identifier, EXPECTED_REWARDS.get(identifier), inspect.cleandoc(cls.__doc__ or "")
        )

    def executable(self) -> Path:
        """The executable of this environment for this Python, written on first use."""
        _, bin_dir = get_tmp_dir()
        # One folder per interpreter: the launcher runs the Python it was written for.
        key = hashlib.sha256(sys.executable.encode()).hexdigest()[:12]
        folder = Path(bin_dir) / "mlagents_sim" / key
        # Written anew each time (a few bytes): what runs is what this process wrote.
        return build_executable(self.identifier, folder)

    def make(self, package_version: str | None = None, **kwargs: Any) -> UnityEnvironment:
        """Launch the environment; kwargs go to UnityEnvironment (all but file_name).

        package_version is the Unity package whose builds it behaves like (by default the
        current generation, 3.x).
        """
        if package_version is not None:
            check_package_version(package_version)
            # An argument rather than a different launcher: one launcher serves every
            # environment made at the same time, whatever their generation.
            extra = ["--package-version", package_version]
            kwargs["additional_args"] = extra + list(kwargs.get("additional_args") or [])
        return UnityEnvironment(file_name=str(self.executable()), **kwargs)

    def make_in_process(
        self,
        seed: int = 0,
        num_areas: int = 1,
        side_channels: list[SideChannel] | None = None,
        package_version: str = PACKAGE_VERSION_3X,
        **kwargs: Any,
    ) -> InProcessEnv:
        """The same environment in this process; kwargs go to the simulation (for example
        agents_per_area), side_channels and package_version to InProcessEnv."""
        simulation = simulation_class(self.identifier)(seed=seed, num_areas=num_areas, **kwargs)
        return InProcessEnv(
            simulation, side_channels=side_channels, package_version=package_version
        )


def entries() -> list[BaseRegistryEntry]:
    return [SimRegistryEntry(name) for name in ENVIRONMENTS]

"""RemoteRegistryEntry: an environment executable downloaded from a URL (a zip)."""

from __future__ import annotations

from typing import Any

from mlagents_envs.base_env import BaseEnv
from mlagents_envs.env_utils import get_platform
from mlagents_envs.exception import UnityEnvironmentException, UnityExecutableNotFoundException
from mlagents_envs.registry.base_registry_entry import BaseRegistryEntry
from mlagents_envs.registry.binary_utils import get_local_binary_path


class RemoteRegistryEntry(BaseRegistryEntry):
    """An environment whose executable is a zip at a per-platform URL: one folder at the
    root of the zip, with the executable at the root of that folder.

    sha256 (optional, per platform: {"linux": "...", ...}) is checked after download.
    additional_args are passed to the executable after any the caller gives.
    """

    def __init__(
        self,
        identifier: str,
        expected_reward: float | None,
        description: str | None,
        linux_url: str | None,
        darwin_url: str | None,
        win_url: str | None,
        additional_args: list[str] | None = None,
        sha256: dict[str, str] | None = None,
    ) -> None:
        super().__init__(identifier, expected_reward, description)
        self._urls = {"linux": linux_url, "darwin": darwin_url, "win32": win_url}
        self._add_args = list(additional_args or [])
        self._sha256 = dict(sha256 or {})

    def make(self, **kwargs: Any) -> BaseEnv:
        """Download the executable if it is not cached yet and start it. kwargs go to
        UnityEnvironment (all but file_name)."""
        from mlagents_envs.environment import UnityEnvironment

        if "file_name" in kwargs:
            raise UnityEnvironmentException(
                f"{self.identifier}.make() chooses the executable itself; do not pass file_name."
            )
        platform = get_platform()
        url = self._urls.get(platform)
        if url is None:
            available = sorted(p for p, u in self._urls.items() if u)
            raise UnityExecutableNotFoundException(
                f"The environment {self.identifier!r} has no build for {platform}; it has "
                f"builds for {available or 'no platform'}."
            )
        path = get_local_binary_path(self.identifier, url, sha256=self._sha256.get(platform))
        args = list(kwargs.pop("additional_args", None) or []) + self._add_args
        return UnityEnvironment(file_name=path, additional_args=args, **kwargs)

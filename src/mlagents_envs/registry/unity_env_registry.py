"""UnityEnvRegistry: environments by identifier, registered directly or from manifests."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from importlib import metadata
from typing import Any

from mlagents_envs.exception import UnityEnvironmentException
from mlagents_envs.registry.base_registry_entry import BaseRegistryEntry
from mlagents_envs.registry.binary_utils import (
    check_identifier,
    load_local_manifest,
    load_remote_manifest,
)
from mlagents_envs.registry.remote_registry_entry import RemoteRegistryEntry

logger = logging.getLogger(__name__)

#: Packages add environments to `default_registry` with an entry point in this group that
#: names a function returning a list of BaseRegistryEntry.
ENTRY_POINT_GROUP = "mlagents_envs.registry"

_URL_KEYS = ("linux_url", "darwin_url", "win_url")
_SHA_KEYS = {"linux_sha256": "linux", "darwin_sha256": "darwin", "win_sha256": "win32"}
_KEYS = {"expected_reward", "description", "additional_args", *_URL_KEYS, *_SHA_KEYS}
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


class UnityEnvKeyError(UnityEnvironmentException, KeyError):
    """No environment has this identifier (also a KeyError, as a Mapping must raise)."""

    def __str__(self) -> str:  # KeyError would show the message quoted
        return str(self.args[0])


class UnityEnvRegistry(Mapping[str, BaseRegistryEntry]):
    """Environments by identifier. `registry["3DBall"].make()` starts one.

    Manifests given to register_from_yaml are read when an entry is first looked up.
    Registering an identifier again replaces the earlier entry.
    """

    def __init__(self) -> None:
        self._registered: dict[str, BaseRegistryEntry] = {}
        self._manifests: list[str] = []

    def register(self, new_entry: BaseRegistryEntry) -> None:
        self._registered[new_entry.identifier] = new_entry

    def register_from_yaml(self, path_to_yaml: str) -> None:
        """Register the environments of a manifest (a local path or a URL), lazily."""
        self._manifests.append(path_to_yaml)

    def clear(self) -> None:
        self._registered.clear()
        self._manifests.clear()

    def _load_pending(self) -> None:
        while self._manifests:
            # Dropped only once read: a failed read is retried, and reported, next time.
            for entry in entries_from_manifest(self._manifests[0]):
                self.register(entry)
            self._manifests.pop(0)

    def __getitem__(self, identifier: str) -> BaseRegistryEntry:
        self._load_pending()
        try:
            return self._registered[identifier]
        except KeyError:
            raise UnityEnvKeyError(
                f"No environment {identifier!r} in the registry; it holds "
                f"{sorted(self._registered)}."
            ) from None

    def __iter__(self) -> Iterator[str]:
        self._load_pending()
        return iter(list(self._registered))

    def __len__(self) -> int:
        self._load_pending()
        return len(self._registered)

    def __delitem__(self, identifier: str) -> None:
        self._load_pending()
        del self._registered[identifier]


def entries_from_manifest(source: str) -> list[RemoteRegistryEntry]:
    """The entries of a manifest, validated: a bad key names its entry and key."""
    is_url = source.startswith(("http://", "https://", "file://"))
    manifest = load_remote_manifest(source) if is_url else load_local_manifest(source)
    environments = manifest.get("environments")
    if not isinstance(environments, list):
        raise UnityEnvironmentException(
            f"The manifest {source} needs an 'environments' list, got "
            f"{type(environments).__name__}."
        )
    return [_entry(item, index, source) for index, item in enumerate(environments)]


def _entry(item: Any, index: int, source: str) -> RemoteRegistryEntry:
    if not isinstance(item, dict) or len(item) != 1:
        raise UnityEnvironmentException(
            f"Entry {index} of the manifest {source} must be a mapping of one identifier to "
            "its settings."
        )
    ((identifier, settings),) = item.items()
    where = f"Entry {identifier!r} of the manifest {source}"
    if not isinstance(identifier, str):
        raise UnityEnvironmentException(f"{where}: the identifier must be a string.")
    check_identifier(identifier)
    settings = settings or {}
    if not isinstance(settings, dict):
        raise UnityEnvironmentException(f"{where}: its settings must be a mapping.")
    unknown = sorted(set(settings) - _KEYS)
    if unknown:
        raise UnityEnvironmentException(
            f"{where}: unknown key {unknown[0]!r}; the keys are {sorted(_KEYS)}."
        )
    reward = settings.get("expected_reward")
    if reward is not None and (isinstance(reward, bool) or not isinstance(reward, int | float)):
        raise UnityEnvironmentException(f"{where}: 'expected_reward' must be a number.")
    description = settings.get("description")
    if description is not None and not isinstance(description, str):
        raise UnityEnvironmentException(f"{where}: 'description' must be text.")
    for key in _URL_KEYS:
        if settings.get(key) is not None and not isinstance(settings[key], str):
            raise UnityEnvironmentException(f"{where}: {key!r} must be a URL string.")
    args = settings.get("additional_args") or []
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise UnityEnvironmentException(f"{where}: 'additional_args' must be a list of strings.")
    sha256 = {}
    for key, platform in _SHA_KEYS.items():
        value = settings.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            raise UnityEnvironmentException(
                f"{where}: {key!r} must be 64 hex digits, in quotes (YAML reads a bare run "
                "of digits as a number)."
            )
        sha256[platform] = value
    return RemoteRegistryEntry(
        identifier,
        float(reward) if reward is not None else None,
        description,
        settings.get("linux_url"),
        settings.get("darwin_url"),
        settings.get("win_url"),
        additional_args=args,
        sha256=sha256,
    )


class _DefaultRegistry(UnityEnvRegistry):
    """The registry of every installed package's environments (entry points), loaded on
    first use, so that importing mlagents_envs stays cheap."""

    def __init__(self) -> None:
        super().__init__()
        self._plugins_loaded = False

    def _load_pending(self) -> None:
        if not self._plugins_loaded:
            self._plugins_loaded = True
            for point in metadata.entry_points(group=ENTRY_POINT_GROUP):
                try:
                    for entry in point.load()():
                        self._registered.setdefault(entry.identifier, entry)
                except Exception as error:
                    logger.warning("Skipping registry entries of %s: %s", point.value, error)
        super()._load_pending()

    def clear(self) -> None:
        super().clear()
        self._plugins_loaded = True


default_registry: UnityEnvRegistry = _DefaultRegistry()

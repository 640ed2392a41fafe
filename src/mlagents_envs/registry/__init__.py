"""Environments by name: `default_registry["3DBall"].make()` starts one."""

from mlagents_envs.registry.base_registry_entry import BaseRegistryEntry
from mlagents_envs.registry.remote_registry_entry import RemoteRegistryEntry
from mlagents_envs.registry.unity_env_registry import UnityEnvRegistry, default_registry

__all__ = ["BaseRegistryEntry", "RemoteRegistryEntry", "UnityEnvRegistry", "default_registry"]

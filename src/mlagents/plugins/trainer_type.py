"""The registry of trainer types: the built-in ones and those other packages install.

A trainer type is a name (what `trainer_type:` says in a configuration), a trainer class and
a hyperparameter class (a subclass of `mlagents.trainers.trainer_settings.
HyperparamSettings`). A package provides trainer types through an entry point of the group
`mlagents.trainer_type` that loads a function `get_type_and_setting()` returning
`({name: TrainerClass}, {name: HyperparamSettingsClass})`, e.g. in its pyproject.toml:

    [project.entry-points."mlagents.trainer_type"]
    my_type = "my_package.trainer:get_type_and_setting"

Code can also add one at run time with `register_trainer_type`.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.metadata
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mlagents.plugins import ML_AGENTS_TRAINER_TYPE

if TYPE_CHECKING:
    from mlagents.trainers.trainer_settings import HyperparamSettings

__all__ = ["BUILT_IN_TRAINER_TYPES", "register_trainer_plugins", "register_trainer_type"]

logger = logging.getLogger(__name__)

# Loaded by import path first, so that a source checkout without installed metadata has
# them too; the same targets in the package metadata are then skipped.
BUILT_IN_TRAINER_TYPES = (
    "mlagents.trainers.ppo.trainer:get_type_and_setting",
    "mlagents.trainers.sac.trainer:get_type_and_setting",
    "mlagents.trainers.poca.trainer:get_type_and_setting",
)

TrainerTypes = tuple[dict[str, type], dict[str, "type[HyperparamSettings]"]]


def _target(value: str) -> str:
    return "".join(value.split())  # "module : attr" and "module:attr" are one target


def _load_built_in(target: str) -> Callable[[], Any]:
    """The function at target (a built-in trainer type: any import error propagates)."""
    module_name, _, attribute = target.partition(":")
    function: Callable[[], Any] = getattr(importlib.import_module(module_name), attribute)
    return function


def _checked(result: Any, source: str) -> TrainerTypes:
    """The two mappings a get_type_and_setting() returned; TypeError when malformed."""
    from mlagents.trainers.trainer_settings import HyperparamSettings

    if not (isinstance(result, tuple | list) and len(result) == 2):
        raise TypeError(f"{source} returned {result!r}, not two mappings (trainers, settings)")
    trainers, settings = result
    if not (isinstance(trainers, Mapping) and isinstance(settings, Mapping)):
        raise TypeError(f"{source} returned {result!r}, not two mappings (trainers, settings)")
    if set(trainers) != set(settings):
        raise TypeError(
            f"{source} names trainers {sorted(trainers)} but settings {sorted(settings)}: "
            "each trainer type needs both"
        )
    for name in trainers:
        _check_type(name, trainers[name], settings[name], HyperparamSettings, source)
    return dict(trainers), dict(settings)


def _check_type(name: Any, trainer: Any, settings: Any, base: type, source: str) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"{source}: a trainer type's name must be a string, got {name!r}")
    if not isinstance(trainer, type):
        raise TypeError(f"{source}: the trainer of {name!r} must be a class, got {trainer!r}")
    if not (
        isinstance(settings, type)
        and issubclass(settings, base)
        and dataclasses.is_dataclass(settings)
    ):
        raise TypeError(
            f"{source}: the settings of {name!r} must be a dataclass subclass of "
            f"HyperparamSettings, got {settings!r}"
        )


def _add(registry: TrainerTypes, found: TrainerTypes, source: str) -> None:
    trainers, settings = registry
    for name, trainer in found[0].items():
        if name in trainers and (trainers[name], settings[name]) != (trainer, found[1][name]):
            logger.warning(
                "Trainer type %r of %s is already registered (%s, %s); keeping that one.",
                name,
                source,
                trainers[name].__qualname__,
                settings[name].__qualname__,
            )
            continue
        trainers[name] = trainer
        settings[name] = found[1][name]


@functools.cache
def register_trainer_plugins() -> TrainerTypes:
    """(trainer classes, hyperparameter classes), each keyed by trainer type name: the
    built-in types, then those of every entry point of the group `mlagents.trainer_type`.

    Loaded once (`register_trainer_plugins.cache_clear()` forgets them). A plugin that
    fails to load is logged as a warning and skipped; a built-in one that fails raises.
    The dicts are the registry itself: add to it with `register_trainer_type`.
    """
    registry: TrainerTypes = ({}, {})
    for target in BUILT_IN_TRAINER_TYPES:
        _add(registry, _checked(_load_built_in(target)(), target), target)
    for entry_point in importlib.metadata.entry_points(group=ML_AGENTS_TRAINER_TYPE):
        if _target(entry_point.value) in BUILT_IN_TRAINER_TYPES:
            continue  # this package's own metadata: loaded above
        dist = getattr(entry_point, "dist", None)
        source = f"entry point {entry_point.name} = {entry_point.value}" + (
            f" of {dist.name}" if dist is not None else ""
        )
        try:
            found = _checked(entry_point.load()(), source)
        except Exception as error:  # a broken plugin must not stop training with the others
            logger.warning(
                "Skipped the trainer types of %s: %s: %s", source, type(error).__name__, error
            )
            continue
        _add(registry, found, source)
    return registry


def register_trainer_type(
    name: str, trainer_cls: type, settings_cls: type[HyperparamSettings]
) -> None:
    """Add a trainer type at run time. Registering the same classes again does nothing; a
    name already registered with other classes is a ValueError."""
    from mlagents.trainers.trainer_settings import HyperparamSettings

    _check_type(name, trainer_cls, settings_cls, HyperparamSettings, "register_trainer_type")
    trainers, settings = register_trainer_plugins()
    if name in trainers and (trainers[name], settings[name]) != (trainer_cls, settings_cls):
        raise ValueError(
            f"trainer type {name!r} is already registered with {trainers[name].__qualname__} "
            f"and {settings[name].__qualname__}"
        )
    trainers[name] = trainer_cls
    settings[name] = settings_cls

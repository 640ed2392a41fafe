"""Helpers for tests of trainer types: SAC's settings registered before its trainer exists."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from mlagents.plugins.trainer_type import register_trainer_plugins, register_trainer_type
from mlagents.trainers.sac.settings import SACSettings


@contextlib.contextmanager
def sac_registered() -> Iterator[None]:
    """Within the block, trainer_type sac parses with SACSettings.

    A fallback until mlagents.trainers.sac.trainer exists (it registers sac itself, and
    then this does nothing): sac is registered with `object` as its trainer class, and
    removed again on exit. Remove this helper when SAC lands.
    """
    trainers, settings = register_trainer_plugins()
    added = "sac" not in settings
    if added:
        register_trainer_type("sac", object, SACSettings)
    try:
        yield
    finally:
        if added:
            trainers.pop("sac", None)
            settings.pop("sac", None)

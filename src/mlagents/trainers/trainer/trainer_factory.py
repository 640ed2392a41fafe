"""The trainer of a behavior, by its settings' trainer_type: the built-in ones and those
other packages register under the entry-point group `mlagents.trainer_type`; inside a
ghost trainer when its settings ask for self-play."""

from __future__ import annotations

from mlagents.plugins.trainer_type import register_trainer_plugins
from mlagents.trainers.ghost.controller import GhostController
from mlagents.trainers.ghost.trainer import wrap_self_play
from mlagents.trainers.settings import TrainerSettings
from mlagents.trainers.stats import StatsReporter
from mlagents.trainers.trainer.trainer import Trainer
from mlagents_envs.base_env import BehaviorSpec
from mlagents_envs.exception import UnityEnvironmentException


def create_trainer(
    brain_name: str,
    spec: BehaviorSpec,
    settings: TrainerSettings,
    seed: int = 0,
    stats_reporter: StatsReporter | None = None,
    ghost_controller: GhostController | None = None,
) -> Trainer:
    """A new trainer of the type settings.trainer_type for brain_name. With self_play
    settings it is wrapped in a GhostTrainer coordinated by ghost_controller (the run's
    one controller; a new one if None)."""
    trainer_types, _ = register_trainer_plugins()
    cls = trainer_types.get(settings.trainer_type)
    if cls is None:
        raise UnityEnvironmentException(
            f"No trainer is registered for trainer_type {settings.trainer_type!r} (behavior "
            f"{brain_name!r}); the known ones are {sorted(trainer_types)}. Install the "
            "package that provides it."
        )
    if not (isinstance(cls, type) and issubclass(cls, Trainer)):
        raise UnityEnvironmentException(
            f"trainer_type {settings.trainer_type!r} is registered with {cls!r}, which is not "
            "a subclass of mlagents.trainers.trainer.trainer.Trainer; fix the package that "
            "registers it (entry-point group mlagents.trainer_type)."
        )
    trainer = cls(brain_name, spec, settings, seed=seed, stats_reporter=stats_reporter)
    return wrap_self_play(trainer, settings, ghost_controller or GhostController(), seed)

"""How one behavior is trained: `TrainerSettings`, whose hyperparameters depend on trainer_type.

Each trainer type (`ppo`, `sac`, or one another package registers through the entry-point
group `mlagents.trainer_type`, see `mlagents.plugins.trainer_type`) has its own
`HyperparamSettings` subclass; the registry is asked at parse time, never at import time,
so that trainer modules can import these settings.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, cast

from mlagents.plugins.trainer_type import register_trainer_plugins
from mlagents.trainers.network_settings import EncoderType, NetworkSettings
from mlagents.trainers.settings_schema import (
    NOT_IMPLEMENTED,
    Section,
    TrainerConfigError,
    deep_merge,
    in_range,
    is_section_value,
    key_path,
    parsed_by,
    suggest,
    to_str,
)
from mlagents.trainers.signal_settings import (
    BehavioralCloningSettings,
    RewardSignalSettings,
    parse_reward_signals,
)

__all__ = [
    "BehavioralCloningSettings",
    "EncoderType",
    "HyperparamSettings",
    "NetworkSettings",
    "RewardSignalSettings",
    "ScheduleType",
    "SelfPlaySettings",
    "TrainerSettings",
    "TrainerType",
    "hyperparameter_class",
    "merge_default_settings",
]

logger = logging.getLogger(__name__)

ScheduleType = Literal["linear", "constant"]
#: A trainer type's name: a key of the registry (`register_trainer_plugins()`).
TrainerType = str

_DEFAULT_TRAINER_TYPE = "ppo"


def _settings_types() -> dict[str, type[HyperparamSettings]]:
    return register_trainer_plugins()[1]


def _label(settings_type: type, trainer_type: str) -> str:
    # A class named "<Algo>Settings" gives "<Algo>", how users name the algorithm; else the
    # trainer type's name.
    name = settings_type.__name__
    if name.endswith("Settings") and name != "Settings":
        return name[: -len("Settings")]
    return trainer_type


def hyperparameter_class(trainer_type: str, path: str = "trainer_type") -> type[HyperparamSettings]:
    """The hyperparameter class of a registered trainer type; TrainerConfigError at path
    (naming the registered ones) for any other name."""
    known = _settings_types()
    if trainer_type in known:
        return known[trainer_type]
    listed = ", ".join(sorted(known))
    unimplemented = NOT_IMPLEMENTED["trainer_type"].get(trainer_type)
    if unimplemented:
        raise TrainerConfigError(
            path,
            f"{unimplemented} ({trainer_type!r}) is not implemented here; use one of: {listed}",
        )
    raise TrainerConfigError(
        path,
        f"{trainer_type!r} is not a registered trainer type; the known ones are: {listed} "
        f"({suggest(trainer_type, list(known))}; trainers of other packages register through "
        "the entry-point group mlagents.trainer_type)",
    )


def _parse_trainer_type(value: Any, path: str) -> str:
    name = to_str(value, path)
    hyperparameter_class(name, path)
    return name


@dataclass(frozen=True, kw_only=True)
class HyperparamSettings(Section):
    """What every trainer type's hyperparameters have (ML-Agents' base); a trainer type
    subclasses it with its own fields and defaults."""

    batch_size: int = field(default=1024, metadata=in_range(ge=1))
    buffer_size: int = field(default=10240, metadata=in_range(ge=1))
    learning_rate: float = field(default=3.0e-4, metadata=in_range(gt=0))
    learning_rate_schedule: ScheduleType = "constant"

    @classmethod
    def _unknown(cls, key: str, value: Any) -> str:
        # A key of another trainer type's hyperparameters: say which type it needs.
        owners = [
            (name, other)
            for name, other in sorted(_settings_types().items())
            if key in other.__dataclass_fields__ and key not in cls.__dataclass_fields__
        ]
        if owners:
            labels = " or ".join(_label(other, name) for name, other in owners)
            names = " or ".join(name for name, _ in owners)
            return f"unknown key; it is a {labels} hyperparameter; set trainer_type: {names}"
        return super()._unknown(key, value)


H = TypeVar("H", bound=HyperparamSettings)


@dataclass(frozen=True, kw_only=True)
class SelfPlaySettings(Section):
    """Self-play (ML-Agents' ghost trainer): the other teams play snapshots of the policy.

    A snapshot is taken every save_steps steps of the learning policy; the window latest
    ones are kept. Every swap_steps steps of the opponents they change snapshot: the latest
    policy with probability play_against_latest_model_ratio, else one of the window. The
    learning team changes every team_change steps (5 x save_steps unless given)."""

    save_steps: int = field(default=20000, metadata=in_range(ge=0))
    team_change: int = field(default=cast(Any, None), metadata=in_range(ge=0))
    swap_steps: int = field(default=2000, metadata=in_range(ge=0))
    # The index of the next snapshot cycles modulo window: it cannot be 0.
    window: int = field(default=10, metadata=in_range(ge=1))
    play_against_latest_model_ratio: float = 0.5
    initial_elo: float = 1200.0

    def __post_init__(self) -> None:
        if self.team_change is None:
            object.__setattr__(self, "team_change", 5 * self.save_steps)

    def _check(self, path: str) -> None:
        # ML-Agents warns and goes on (a ratio above 1 always plays the latest policy, one
        # below 0 never does): a file that trains there must train here.
        if not 0.0 <= self.play_against_latest_model_ratio <= 1.0:
            logger.warning(
                "%s: %s is not a probability between 0 and 1.",
                key_path(path, "play_against_latest_model_ratio"),
                self.play_against_latest_model_ratio,
            )


@dataclass(frozen=True, kw_only=True)
class TrainerSettings(Section, Generic[H]):
    """How one behavior is trained. hyperparameters are of trainer_type's class (its
    defaults when not given); a trainer may annotate `TrainerSettings[ItsSettings]`."""

    trainer_type: TrainerType = field(
        default=_DEFAULT_TRAINER_TYPE, metadata=parsed_by(_parse_trainer_type)
    )
    # None until __post_init__ puts trainer_type's defaults there: a default_factory
    # cannot see trainer_type.
    hyperparameters: H = field(default=cast(Any, None))
    network_settings: NetworkSettings = field(default_factory=NetworkSettings)
    reward_signals: dict[str, RewardSignalSettings] = field(
        default_factory=lambda: {"extrinsic": RewardSignalSettings()},
        metadata=parsed_by(parse_reward_signals),
    )
    init_path: str | None = None
    keep_checkpoints: int = field(default=5, metadata=in_range(ge=1))
    even_checkpoints: bool = False
    checkpoint_interval: int = field(default=500000, metadata=in_range(ge=1))
    max_steps: int = field(default=500000, metadata=in_range(ge=0))
    time_horizon: int = field(default=64, metadata=in_range(ge=1))
    summary_freq: int = field(default=50000, metadata=in_range(ge=1))
    threaded: bool = False
    self_play: SelfPlaySettings | None = None
    behavioral_cloning: BehavioralCloningSettings | None = None

    def __post_init__(self) -> None:
        expected = hyperparameter_class(self.trainer_type)
        if self.hyperparameters is None:
            object.__setattr__(self, "hyperparameters", expected())
        elif not isinstance(self.hyperparameters, expected):
            raise TrainerConfigError(
                "hyperparameters",
                f"{type(self.hyperparameters).__name__} given, but trainer_type "
                f"{self.trainer_type!r} takes {expected.__name__}",
            )

    @classmethod
    def _parse_field(cls, name: str, value: Any, path: str, parsed: Mapping[str, Any]) -> Any:
        if name == "hyperparameters":
            trainer_type = parsed.get("trainer_type", _DEFAULT_TRAINER_TYPE)
            return hyperparameter_class(trainer_type).from_dict(value, path)
        return super()._parse_field(name, value, path, parsed)

    @classmethod
    def _subsections(cls) -> dict[str, tuple[type[Section], ...]]:
        return {**super()._subsections(), "hyperparameters": tuple(_settings_types().values())}

    @property
    def effective_checkpoint_interval(self) -> int:
        """Steps between checkpoints: with even_checkpoints, keep_checkpoints of them spread
        evenly over max_steps; otherwise checkpoint_interval."""
        if self.even_checkpoints:
            return max(self.max_steps // self.keep_checkpoints, 1)
        return self.checkpoint_interval


def merge_default_settings(default: Mapping, behavior: Any) -> Any:
    """A behavior's raw settings with default_settings' merged under them, key by key.

    A behavior that names another trainer_type than default_settings keeps only its own
    hyperparameters (the rest are its type's defaults): another type's would not fit.
    A behavior that is not a mapping is returned as it is, for its own error message.
    """
    if not is_section_value(behavior):
        return behavior
    own = behavior or {}
    merged = deep_merge(default, own)
    default_type = default.get("trainer_type", _DEFAULT_TRAINER_TYPE)
    if merged.get("trainer_type", _DEFAULT_TRAINER_TYPE) != default_type:
        merged.pop("hyperparameters", None)
        if "hyperparameters" in own:
            merged["hyperparameters"] = own["hyperparameters"]
    return merged

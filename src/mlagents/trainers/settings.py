"""Trainer configuration: ML-Agents' YAML schema, parsed once into typed, validated settings.

`load_config(path)` reads a file with YAML's safe loader and `RunOptions.from_dict(d)` turns
the mapping into frozen dataclasses: every key is checked against the schema, every value
against its type and range, and a mistake raises `TrainerConfigError` whose message starts
with the key's full path (`behaviors.3DBall.hyperparameters.batch_sze: unknown key; did you
mean batch_size?`). `RunOptions.as_dict()` gives back the resolved configuration, every
default filled in, which `from_dict` reads again to an equal object.

This module holds the run's settings and is the public face of the others: the schema engine
(`settings_schema`), how a behavior is trained (`trainer_settings`; hyperparameters are chosen
by trainer_type) and environment parameters (`environment_parameters`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from mlagents.trainers.environment_parameters import (
    CompletionCriteriaSettings,
    ConstantSettings,
    CurriculumSettings,
    EnvironmentParameterSettings,
    GaussianSettings,
    Lesson,
    LessonUpdate,
    MultiRangeUniformSettings,
    SamplerSettings,
    UniformSettings,
    lesson_values,
    parse_environment_parameters,
    seed_samplers,
)
from mlagents.trainers.settings_schema import (
    Section,
    TrainerConfigError,
    field_types,
    in_range,
    key_path,
    parsed_by,
    to_bool,
    to_brain_name,
    to_mapping,
    to_str,
)
from mlagents.trainers.signal_settings import (
    BehavioralCloningSettings,
    CuriositySettings,
    GAILSettings,
    RNDSettings,
)
from mlagents.trainers.trainer_settings import (
    EncoderType,
    HyperparamSettings,
    NetworkSettings,
    RewardSignalSettings,
    ScheduleType,
    TrainerSettings,
    TrainerType,
    merge_default_settings,
)

__all__ = [
    "BehavioralCloningSettings",
    "CheckpointSettings",
    "CompletionCriteriaSettings",
    "ConstantSettings",
    "CuriositySettings",
    "CurriculumSettings",
    "EncoderType",
    "EngineSettings",
    "EnvironmentParameterSettings",
    "EnvironmentSettings",
    "GAILSettings",
    "GaussianSettings",
    "HyperparamSettings",
    "Lesson",
    "LessonUpdate",
    "MultiRangeUniformSettings",
    "NetworkSettings",
    "RNDSettings",
    "RewardSignalSettings",
    "RunOptions",
    "SamplerSettings",
    "ScheduleType",
    "TorchSettings",
    "TrainerConfigError",
    "TrainerSettings",
    "TrainerType",
    "UniformSettings",
    "lesson_values",
    "load_config",
    "seed_samplers",
]


@dataclass(frozen=True, kw_only=True)
class EnvironmentSettings(Section):
    """Which environment to launch (None waits for the Unity Editor) and how many."""

    env_path: str | None = None
    env_args: tuple[str, ...] | None = None
    base_port: int = field(default=5005, metadata=in_range(ge=1, le=65535))
    num_envs: int = field(default=1, metadata=in_range(ge=1))
    num_areas: int = field(default=1, metadata=in_range(ge=1))
    seed: int = -1
    timeout_wait: int = field(default=60, metadata=in_range(gt=0))
    max_lifetime_restarts: int = field(default=10, metadata=in_range(ge=-1))  # -1: no limit
    restarts_rate_limit_n: int = field(default=1, metadata=in_range(ge=-1))  # -1: no limit
    restarts_rate_limit_period_s: int = field(default=60, metadata=in_range(ge=1))


@dataclass(frozen=True, kw_only=True)
class EngineSettings(Section):
    """What the engine configuration channel sends to the environment."""

    width: int = field(default=84, metadata=in_range(ge=1))
    height: int = field(default=84, metadata=in_range(ge=1))
    quality_level: int = field(default=5, metadata=in_range(ge=0))
    time_scale: float = field(default=20.0, metadata=in_range(gt=0))
    target_frame_rate: int = -1
    capture_frame_rate: int = field(default=60, metadata=in_range(ge=0))
    no_graphics: bool = False
    no_graphics_monitor: bool = False


def _run_name(value: Any, path: str) -> str:
    # A run id names a folder under results_dir: it must stay inside it.
    name = to_str(value, path)
    if name in ("", ".", "..") or "/" in name or "\\" in name:
        raise TrainerConfigError(path, f"{name!r} cannot name a folder of results_dir")
    return name


def _maybe_run_name(value: Any, path: str) -> str | None:
    return None if value is None else _run_name(value, path)


@dataclass(frozen=True, kw_only=True)
class CheckpointSettings(Section):
    """Where results go and how a run starts: anew, resumed, or from another run."""

    # Old flags ML-Agents still writes: load_model became resume (handled in from_dict),
    # train_model became inference.
    _IGNORED: ClassVar[frozenset[str]] = frozenset({"load_model", "train_model"})
    run_id: str = field(default="ppo", metadata=parsed_by(_run_name))
    initialize_from: str | None = field(default=None, metadata=parsed_by(_maybe_run_name))
    resume: bool = False
    force: bool = False
    inference: bool = False
    results_dir: str = "results"

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> CheckpointSettings:
        if isinstance(d, Mapping) and to_bool(
            d.get("load_model", False), key_path(path, "load_model")
        ):
            d = {**d, "resume": True}
        return super().from_dict(d, path)

    @property
    def write_path(self) -> Path:
        """The folder of this run's results."""
        return Path(self.results_dir) / self.run_id

    @property
    def maybe_init_path(self) -> Path | None:
        """The folder of the run to initialize from, if any."""
        return (
            None if self.initialize_from is None else Path(self.results_dir) / self.initialize_from
        )

    @property
    def run_logs_dir(self) -> Path:
        return self.write_path / "run_logs"


@dataclass(frozen=True, kw_only=True)
class TorchSettings(Section):
    """device: a torch device string ("cpu", "cuda", "cuda:0"); None picks one."""

    device: str | None = None


def _parse_behaviors(value: Any, path: str) -> dict[str, TrainerSettings]:
    mapping = to_mapping(value, path, "a mapping of behavior names to trainer settings")
    return {
        to_brain_name(name, key_path(path, str(name))): TrainerSettings.from_dict(
            item, key_path(path, name)
        )
        for name, item in mapping.items()
    }


# The sections whose fields the CLI overrides by their bare names ("num_envs", "run_id").
_CLI_SECTIONS = ("env_settings", "engine_settings", "checkpoint_settings", "torch_settings")


@dataclass(frozen=True, kw_only=True)
class RunOptions(Section):
    """A whole training run: the behaviors' trainers and the environment they train in."""

    default_settings: TrainerSettings | None = None
    behaviors: dict[str, TrainerSettings] = field(
        default_factory=dict, metadata=parsed_by(_parse_behaviors)
    )
    env_settings: EnvironmentSettings = field(default_factory=EnvironmentSettings)
    engine_settings: EngineSettings = field(default_factory=EngineSettings)
    environment_parameters: dict[str, EnvironmentParameterSettings] | None = field(
        default=None, metadata=parsed_by(parse_environment_parameters)
    )
    checkpoint_settings: CheckpointSettings = field(default_factory=CheckpointSettings)
    torch_settings: TorchSettings = field(default_factory=TorchSettings)
    debug: bool = False

    @classmethod
    def from_dict(
        cls, d: Any, path: str = "", *, overrides: Mapping[str, Any] | None = None
    ) -> RunOptions:
        """Validate a configuration mapping (None: all defaults).

        default_settings is merged under every behavior, key by key, before the behavior's
        own keys. overrides (the CLI's values) are written over d first, by dotted path
        ("env_settings.num_envs") or by bare field name of env_settings, engine_settings,
        checkpoint_settings, torch_settings and debug ("num_envs", "run_id", "device").
        Values are applied as given, None included: pass only what the user set.
        """
        raw = dict(to_mapping({} if d is None else d, path))
        for key, value in (overrides or {}).items():
            raw = _override(raw, _override_path(key), value, path)
        default = raw.get("default_settings")
        if default is not None:
            to_mapping(default, key_path(path, "default_settings"))
            behaviors = raw.get("behaviors")
            if isinstance(behaviors, Mapping):
                # A behavior that is not a mapping is left for its own error message.
                raw["behaviors"] = {
                    name: merge_default_settings(default, item) for name, item in behaviors.items()
                }
        return super().from_dict(raw, path)

    @classmethod
    def _unknown(cls, key: str, value: Any) -> str:
        if isinstance(value, Mapping) and {"trainer", "trainer_type", "hyperparameters"} & set(
            value
        ):
            return (
                "unknown key; behaviors are listed under behaviors (ML-Agents' format since 2020)"
            )
        if key in ("curriculum", "parameter_randomization"):
            return "unknown key; samplers and curricula go under environment_parameters"
        return super()._unknown(key, value)

    def _check(self, path: str) -> None:
        if self.env_settings.env_path is None and self.env_settings.num_envs > 1:
            raise TrainerConfigError(
                key_path(path, "env_settings.num_envs"),
                f"{self.env_settings.num_envs} environments need an env_path (--env): the "
                "Unity Editor is a single environment",
            )
        self._check_elo_criteria(path)

    def _check_elo_criteria(self, path: str) -> None:
        """An Elo completion measure reads a self-play rating: its behavior needs self_play."""
        for key, parameter in (self.environment_parameters or {}).items():
            if not isinstance(parameter, CurriculumSettings):
                continue
            for i, lesson in enumerate(parameter.lessons):
                criteria = lesson.completion_criteria
                if criteria is None or criteria.measure != "Elo":
                    continue
                if self.settings_for(criteria.behavior).self_play is None:
                    raise TrainerConfigError(
                        key_path(
                            path,
                            f"environment_parameters.{key}.curriculum[{i}]"
                            ".completion_criteria.measure",
                        ),
                        f"Elo rates self-play, but behavior {criteria.behavior!r} has no "
                        f"self_play settings; add behaviors.{criteria.behavior}.self_play or "
                        "measure reward or progress",
                    )

    def settings_for(self, behavior_name: str) -> TrainerSettings:
        """The settings of a behavior, by brain name or behavior id ("3DBall?team=1" gets
        those of "3DBall"); one the configuration does not list gets default_settings (or
        the defaults), as in ML-Agents."""
        listed = self.behaviors.get(behavior_name.partition("?")[0])
        if listed is not None:
            return listed
        return self.default_settings or TrainerSettings()

    def with_overrides(
        self, overrides: Mapping[str, Any] | None = None, **fields: Any
    ) -> RunOptions:
        """A copy with overrides applied and validated (see from_dict)."""
        return RunOptions.from_dict(self.as_dict(), overrides={**(overrides or {}), **fields})

    def to_yaml(self) -> str:
        """The resolved configuration as YAML."""
        return yaml.safe_dump(self.as_dict(), sort_keys=False)

    def save(self, path: str | Path) -> None:
        """Write the resolved configuration to path (a run folder's configuration.yaml)."""
        Path(path).write_text(self.to_yaml(), encoding="utf-8")


def _override_path(key: str) -> tuple[str, ...]:
    if "." in key:
        return tuple(key.split("."))
    if key in RunOptions.__dataclass_fields__:
        return (key,)
    for section in _CLI_SECTIONS:
        if key in field_types(RunOptions)[section].__dataclass_fields__:
            return (section, key)
    raise TrainerConfigError(key, "unknown override; give a dotted path or a run setting's name")


def _override(raw: Mapping, keys: tuple[str, ...], value: Any, path: str) -> dict:
    """raw with keys' value replaced (sections created as needed); raw is left as it was."""
    head, *rest = keys
    out = dict(raw)
    if not rest:
        out[head] = value
        return out
    sub = key_path(path, head)
    below = to_mapping(out.get(head) or {}, sub)
    out[head] = _override(below, tuple(rest), value, sub)
    return out


def load_config(path: str | Path, overrides: Mapping[str, Any] | None = None) -> RunOptions:
    """Read a trainer configuration file (YAML, safe loader) into RunOptions."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        # Tags such as !!python/object land here: the safe loader builds no objects.
        raise TrainerConfigError(
            "", f"not a plain YAML configuration: {error}", source=str(path)
        ) from None
    try:
        return RunOptions.from_dict(data, overrides=overrides)
    except TrainerConfigError as error:
        raise TrainerConfigError(error.path, error.problem, source=str(path)) from None

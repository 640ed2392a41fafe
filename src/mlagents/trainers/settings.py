"""Trainer configuration: ML-Agents' YAML schema, parsed once into typed, validated settings.

`load_config(path)` reads a file with YAML's safe loader and `RunOptions.from_dict(d)` turns
the mapping into frozen dataclasses: every key is checked against the schema, every value
against its type and range, and a mistake raises `TrainerConfigError` whose message starts
with the key's full path (`behaviors.3DBall.hyperparameters.batch_sze: unknown key; did you
mean batch_size?`). `RunOptions.as_dict()` gives back the resolved configuration, every
default filled in, which `from_dict` reads again to an equal object.

Environment parameters are constants, samplers or curricula; each has `apply(key, channel)`
to queue its (current lesson's) value on an `EnvironmentParametersChannel`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import logging
import math
import operator
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import (
    Any,
    ClassVar,
    Literal,
    NamedTuple,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

import yaml

from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)

logger = logging.getLogger(__name__)

ScheduleType = Literal["linear", "constant"]
TrainerType = Literal["ppo"]
EncoderType = Literal["simple", "nature_cnn", "resnet", "match3", "fully_connected"]


class TrainerConfigError(ValueError):
    """A trainer configuration that cannot be used; the message starts with the key path
    (after the file's name, when it came from a file)."""

    def __init__(self, path: str, problem: str, source: str | None = None) -> None:
        self.path = path
        self.problem = problem
        self.source = source
        where = ": ".join(part for part in (source, path) if part)
        super().__init__(f"{where}: {problem}" if where else problem)


# ML-Agents names that this package knows but does not implement: a clearer error than
# "unknown", since the same file may train upstream.
_NOT_IMPLEMENTED = {
    "trainer_type": {"sac": "the SAC trainer", "poca": "the MA-POCA trainer"},
    "reward_signals": {
        "curiosity": "the curiosity reward signal",
        "gail": "the GAIL reward signal",
        "rnd": "the RND reward signal",
    },
    "measure": {"Elo": "the Elo completion measure (it needs self-play)"},
}
_SAC_KEYS = {"buffer_init_steps", "init_entcoef", "save_replay_buffer", "tau", "steps_per_update"}


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean {close[0]}?" if close else "check the spelling"


# Value converters: each takes a raw YAML value and the path it came from.


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise TrainerConfigError(path, f"expected true or false, got {_describe(value)}")
    return value


def _float(value: Any, path: str) -> float:
    # YAML 1.1 reads `1e-3` (no dot) as a string; upstream accepts it, so do we.
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TrainerConfigError(path, f"expected a number, got {_describe(value)}")
    if not math.isfinite(value):
        raise TrainerConfigError(path, f"expected a finite number, got {value!r}")
    return float(value)


def _int(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        number = _float(value, path)  # 5.0e5 and "5e5" are whole numbers written as floats
    except TrainerConfigError:
        number = math.nan
    if not number.is_integer():
        raise TrainerConfigError(path, f"expected an integer, got {_describe(value)}")
    return int(number)


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise TrainerConfigError(
            path, f"expected a string, got {_describe(value)}; quote it in YAML"
        )
    return value


def _brain_name(value: Any, path: str) -> str:
    # Settings are keyed by the behavior name without Unity's "?team=N" suffix (the brain
    # name) and apply to every team of it; ML-Agents would silently never match such a key.
    name = _str(value, path)
    if "?" in name:
        brain = name.partition("?")[0]
        raise TrainerConfigError(
            path,
            f"{name!r}: name the behavior without its team suffix, {brain!r}; its settings "
            "apply to every team id of it",
        )
    return name


def _choice(value: Any, choices: Sequence[str], path: str, kind: str = "") -> str:
    """value, one of choices; kind names the setting in _NOT_IMPLEMENTED."""
    name = _str(value, path)
    listed = ", ".join(choices)
    unimplemented = _NOT_IMPLEMENTED.get(kind, {}).get(name)
    if unimplemented:
        raise TrainerConfigError(
            path, f"{unimplemented} ({name!r}) is not implemented here; use one of: {listed}"
        )
    if name not in choices:
        raise TrainerConfigError(
            path, f"{name!r} is not one of: {listed}; {_suggest(name, choices)}"
        )
    return name


def _mapping(value: Any, path: str, what: str = "a mapping of keys to values") -> Mapping:
    if not isinstance(value, Mapping):
        raise TrainerConfigError(path, f"expected {what}, got {_describe(value)}")
    return value


def _convert(value: Any, tp: Any, path: str) -> Any:
    """Check value against the type annotation tp and return it in that type."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(tp) if arg is not type(None)]
        if value is None and len(options) < len(get_args(tp)):
            return None
        (option,) = options
        return _convert(value, option, path)
    if origin is Literal:
        return _choice(value, get_args(tp), path, path.rpartition(".")[2])
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise TrainerConfigError(path, f"expected a list, got {_describe(value)}")
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            args = (args[0],) * len(value)
        elif len(value) != len(args):
            raise TrainerConfigError(path, f"expected {len(args)} items, got {len(value)}")
        return tuple(_convert(v, a, f"{path}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
    if isinstance(tp, type) and issubclass(tp, _Section):
        return tp.from_dict(value, path)
    converters: dict[Any, Callable[[Any, str], Any]] = {
        bool: _bool,
        int: _int,
        float: _float,
        str: _str,
    }
    return converters[tp](value, path)


def _range(**bounds: float) -> dict[str, Any]:
    """Field metadata: the number must lie within bounds (ge, gt, le)."""
    return {"bounds": bounds}


def _via(parse: Callable[[Any, str], Any]) -> dict[str, Any]:
    """Field metadata: the value is read by parse(value, path) instead of by its type."""
    return {"parse": parse}


_COMPARISONS = {"ge": (">=", operator.ge), "gt": (">", operator.gt), "le": ("<=", operator.le)}


def _check_bounds(value: Any, bounds: Mapping[str, float], path: str) -> None:
    for name, limit in bounds.items():
        sign, holds = _COMPARISONS[name]
        if not holds(value, limit):
            raise TrainerConfigError(path, f"must be {sign} {limit:g}, got {value!r}")


def _plain(value: Any) -> Any:
    """A settings value as YAML-safe data (mappings, lists, scalars)."""
    if hasattr(value, "to_config"):
        return value.to_config()
    if isinstance(value, _Section):
        return value.as_dict()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


S = TypeVar("S", bound="_Section")


class _Section:
    """A block of settings: a frozen dataclass read from a mapping by its fields' types."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]
    # Keys that are accepted and dropped: ML-Agents writes them, they mean nothing here.
    _IGNORED: ClassVar[frozenset[str]] = frozenset()
    # ML-Agents features not implemented here, accepted with a null value only (upstream
    # writes `memory: null` and the like in every resolved configuration): key -> feature.
    _NULL_ONLY: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def from_dict(cls: type[S], d: Any, path: str = "") -> S:
        """Validate d (a mapping; None means all defaults) and build the settings."""
        mapping = _mapping({} if d is None else d, path)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for key, value in mapping.items():
            if key in cls._NULL_ONLY and value is not None:
                raise TrainerConfigError(
                    _join(path, key),
                    f"{cls._NULL_ONLY[key]} is not implemented here; remove the key or set it "
                    "to null",
                )
            if key not in fields and key not in cls._NULL_ONLY and key not in cls._IGNORED:
                raise TrainerConfigError(_join(path, key), cls._unknown(str(key), value))
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for name, f in fields.items():
            sub = _join(path, name)
            if name not in mapping:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise TrainerConfigError(sub, "missing; this key is required")
                continue
            parse = f.metadata.get("parse")
            value = (
                parse(mapping[name], sub) if parse else _convert(mapping[name], hints[name], sub)
            )
            if "bounds" in f.metadata and value is not None:
                _check_bounds(value, f.metadata["bounds"], sub)
            values[name] = value
        settings = cls(**values)
        settings._check(path)
        return settings

    @classmethod
    def _unknown(cls, key: str, value: Any) -> str:
        names = [f.name for f in dataclasses.fields(cls)]
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
        if close:
            return f"unknown key; did you mean {close[0]}?"
        # A key of a sub-section written one level too high (the pre-2020 flat format).
        hints = _hints(cls)
        for name in names:
            sub = hints[name]
            if (
                isinstance(sub, type)
                and issubclass(sub, _Section)
                and key in sub.__dataclass_fields__
            ):
                return f"unknown key; it belongs under {name}"
        if key in _SAC_KEYS:
            return "unknown key; it is a SAC hyperparameter, and SAC is not implemented here"
        return f"unknown key; the keys here are {', '.join(names)}"

    def _check(self, path: str) -> None:
        """Rules that involve several fields; raise TrainerConfigError with a path."""

    def as_dict(self) -> dict[str, Any]:
        """The settings as YAML-safe data, every default filled in."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved field types of cls (annotations are strings until resolved)."""
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


# Environment parameters: constants, samplers, curricula.


class SamplerSettings(_Section):
    """How an environment parameter is set: a value, or a distribution drawn per episode."""

    sampler_type: ClassVar[str]

    def apply(self, key: str, channel: EnvironmentParametersChannel) -> None:
        """Queue this value of parameter key on channel."""
        raise NotImplementedError

    def with_seed(self, seed: int) -> SamplerSettings:
        """A copy whose seed is seed, unless the configuration chose one (-1 means not)."""
        if getattr(self, "seed", None) == -1:
            return dataclasses.replace(self, seed=seed)
        return self

    def to_config(self) -> Any:
        return {"sampler_type": self.sampler_type, "sampler_parameters": self.as_dict()}


@dataclass(frozen=True, kw_only=True)
class ConstantSettings(SamplerSettings):
    """A fixed value (written as a bare number, or as `sampler_type: constant`)."""

    sampler_type: ClassVar[str] = "constant"
    _IGNORED: ClassVar[frozenset[str]] = frozenset({"seed"})  # a constant draws nothing
    value: float

    def apply(self, key: str, channel: EnvironmentParametersChannel) -> None:
        channel.set_float_parameter(key, self.value)

    def to_config(self) -> Any:
        return self.value


@dataclass(frozen=True, kw_only=True)
class UniformSettings(SamplerSettings):
    """A uniform draw from [min_value, max_value]."""

    sampler_type: ClassVar[str] = "uniform"
    min_value: float
    max_value: float = 1.0
    seed: int = -1

    def _check(self, path: str) -> None:
        if self.min_value > self.max_value:
            raise TrainerConfigError(
                _join(path, "min_value"),
                f"{self.min_value} is greater than max_value {self.max_value}",
            )

    def apply(self, key: str, channel: EnvironmentParametersChannel) -> None:
        channel.set_uniform_sampler_parameters(key, self.min_value, self.max_value, self.seed)


@dataclass(frozen=True, kw_only=True)
class GaussianSettings(SamplerSettings):
    """A draw from the normal distribution N(mean, st_dev ** 2)."""

    sampler_type: ClassVar[str] = "gaussian"
    mean: float = 1.0
    st_dev: float = field(default=1.0, metadata=_range(ge=0))
    seed: int = -1

    def apply(self, key: str, channel: EnvironmentParametersChannel) -> None:
        channel.set_gaussian_sampler_parameters(key, self.mean, self.st_dev, self.seed)


@dataclass(frozen=True, kw_only=True)
class MultiRangeUniformSettings(SamplerSettings):
    """A uniform draw from the union of [min, max] intervals."""

    sampler_type: ClassVar[str] = "multirangeuniform"
    intervals: tuple[tuple[float, float], ...]
    seed: int = -1

    def _check(self, path: str) -> None:
        if not self.intervals:
            raise TrainerConfigError(_join(path, "intervals"), "give at least one [min, max]")
        for i, (low, high) in enumerate(self.intervals):
            if low > high:
                raise TrainerConfigError(
                    f"{_join(path, 'intervals')}[{i}]", f"min {low} is greater than max {high}"
                )

    def apply(self, key: str, channel: EnvironmentParametersChannel) -> None:
        channel.set_multirangeuniform_sampler_parameters(key, self.intervals, self.seed)


_SAMPLERS: dict[str, type[SamplerSettings]] = {
    cls.sampler_type: cls
    for cls in (ConstantSettings, UniformSettings, GaussianSettings, MultiRangeUniformSettings)
}


def _parse_sampler(value: Any, path: str) -> SamplerSettings:
    """A number, or {sampler_type, sampler_parameters}."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return ConstantSettings(value=_float(value, path))
    what = "a number or a sampler (sampler_type, sampler_parameters)"
    mapping = _mapping(value, path, what)
    for key in mapping:
        if key not in ("sampler_type", "sampler_parameters"):
            raise TrainerConfigError(_join(path, key), f"unknown key; expected {what}")
    for key in ("sampler_type", "sampler_parameters"):
        if key not in mapping:
            raise TrainerConfigError(_join(path, key), "missing; this key is required")
    kind = _choice(mapping["sampler_type"], list(_SAMPLERS), _join(path, "sampler_type"))
    return _SAMPLERS[kind].from_dict(
        mapping["sampler_parameters"], _join(path, "sampler_parameters")
    )


@dataclass(frozen=True, kw_only=True)
class CompletionCriteriaSettings(_Section):
    """When a lesson is complete: training progress, or the mean episode reward, of a behavior
    passing threshold, after at least min_lesson_length episodes in the lesson."""

    behavior: str = field(metadata=_via(_brain_name))
    measure: Literal["progress", "reward"] = "reward"
    min_lesson_length: int = field(default=0, metadata=_range(ge=0))
    signal_smoothing: bool = True
    threshold: float = 0.0
    require_reset: bool = False

    def _check(self, path: str) -> None:
        if self.measure == "progress" and not 0.0 <= self.threshold <= 1.0:
            raise TrainerConfigError(
                _join(path, "threshold"),
                f"a progress threshold is a fraction of max_steps in [0, 1], got {self.threshold}",
            )

    def reached(
        self, *, progress: float, rewards: Sequence[float], smoothing: float = 0.0
    ) -> tuple[bool, float]:
        """Whether the lesson is complete, and the smoothed reward to pass next time.

        progress is the behavior's step / max_steps; rewards are its episode rewards since
        the lesson began; smoothing is the value this returned last time (0.0 at first).
        """
        if len(rewards) < self.min_lesson_length:
            return False, smoothing
        if self.measure == "progress":
            return progress > self.threshold, smoothing
        if len(rewards) == 0:
            return False, smoothing
        measure = float(sum(rewards)) / len(rewards)
        if math.isnan(measure):
            return False, smoothing
        if self.signal_smoothing:
            # ML-Agents' smoothing: a quarter of the previous value, three quarters of now.
            measure = 0.25 * smoothing + 0.75 * measure
            smoothing = measure
        return measure > self.threshold, smoothing


def _parse_lesson_value(value: Any, path: str) -> SamplerSettings:
    if isinstance(value, Mapping) and "curriculum" in value:
        raise TrainerConfigError(path, "a lesson's value cannot be a curriculum")
    return _parse_sampler(value, path)


@dataclass(frozen=True, kw_only=True)
class Lesson(_Section):
    """One step of a curriculum: the parameter's value, and when to move on."""

    name: str
    value: SamplerSettings = field(metadata=_via(_parse_lesson_value))
    completion_criteria: CompletionCriteriaSettings | None = None


class LessonUpdate(NamedTuple):
    """The outcome of checking a lesson's completion criteria."""

    lesson: int  # the lesson to be in from now on
    smoothing: float  # the smoothed reward, for the next check
    changed: bool
    require_reset: bool  # the completed lesson asks for the environments to be reset


@dataclass(frozen=True)
class CurriculumSettings:
    """Lessons taken in order; each but the last has completion criteria."""

    lessons: tuple[Lesson, ...]

    @classmethod
    def from_list(cls, value: Any, path: str) -> CurriculumSettings:
        if not isinstance(value, list | tuple) or not value:
            raise TrainerConfigError(path, f"expected a list of lessons, got {_describe(value)}")
        lessons = tuple(Lesson.from_dict(item, f"{path}[{i}]") for i, item in enumerate(value))
        for i, lesson in enumerate(lessons[:-1]):
            if lesson.completion_criteria is None:
                raise TrainerConfigError(
                    f"{path}[{i}].completion_criteria",
                    "missing; every lesson but the last needs completion criteria",
                )
        if lessons[-1].completion_criteria is not None:
            logger.warning("%s: the last lesson's completion_criteria are never used.", path)
        return cls(lessons)

    def at(self, lesson: int) -> SamplerSettings:
        """The value of the parameter in lesson (0-based)."""
        return self.lessons[lesson].value

    def apply(self, key: str, channel: EnvironmentParametersChannel, lesson: int = 0) -> None:
        """Queue the value of lesson on channel."""
        self.at(lesson).apply(key, channel)

    def update(
        self, lesson: int, *, progress: float, rewards: Sequence[float], smoothing: float = 0.0
    ) -> LessonUpdate:
        """Check the completion criteria of lesson with the measures of its behavior
        (`lessons[lesson].completion_criteria.behavior`); move on by at most one lesson."""
        criteria = self.lessons[lesson].completion_criteria
        if lesson >= len(self.lessons) - 1 or criteria is None:
            return LessonUpdate(lesson, smoothing, False, False)
        done, smoothing = criteria.reached(progress=progress, rewards=rewards, smoothing=smoothing)
        if not done:
            return LessonUpdate(lesson, smoothing, False, False)
        return LessonUpdate(lesson + 1, smoothing, True, criteria.require_reset)

    def with_seed(self, seed: int) -> CurriculumSettings:
        lessons = (dataclasses.replace(x, value=x.value.with_seed(seed)) for x in self.lessons)
        return CurriculumSettings(tuple(lessons))

    def to_config(self) -> Any:
        return {"curriculum": [lesson.as_dict() for lesson in self.lessons]}


EnvironmentParameterSettings = SamplerSettings | CurriculumSettings


def _parse_environment_parameter(value: Any, path: str) -> EnvironmentParameterSettings:
    if isinstance(value, Mapping) and "curriculum" in value:
        for key in value:
            if key != "curriculum":
                raise TrainerConfigError(_join(path, key), "unknown key next to curriculum")
        return CurriculumSettings.from_list(value["curriculum"], _join(path, "curriculum"))
    return _parse_sampler(value, path)


def _parse_environment_parameters(
    value: Any, path: str
) -> dict[str, EnvironmentParameterSettings] | None:
    if value is None:
        return None
    mapping = _mapping(value, path, "a mapping of parameter names to settings")
    return {
        _str(key, path): _parse_environment_parameter(item, _join(path, key))
        for key, item in mapping.items()
    }


def lesson_values(
    parameters: Mapping[str, EnvironmentParameterSettings] | None,
    lessons: Mapping[str, int] | None = None,
) -> dict[str, SamplerSettings]:
    """The value of every parameter in its current lesson (lessons: name -> lesson, 0 when
    absent): what `EnvManager.reset` and `set_env_parameters` take."""
    values: dict[str, SamplerSettings] = {}
    for key, settings in (parameters or {}).items():
        if isinstance(settings, CurriculumSettings):
            values[key] = settings.at((lessons or {}).get(key, 0))
        else:
            values[key] = settings
    return values


def seed_samplers(
    parameters: Mapping[str, EnvironmentParameterSettings] | None, run_seed: int
) -> dict[str, EnvironmentParameterSettings]:
    """Give every sampler without a seed of its own (-1) one derived from the run's seed:
    run_seed for the first parameter, run_seed + 1 for the next, ...; so that a run with a
    fixed seed draws the same parameters, and two parameters do not draw alike."""
    return {
        key: settings.with_seed(run_seed + i)
        for i, (key, settings) in enumerate((parameters or {}).items())
    }


# Trainer settings.


@dataclass(frozen=True, kw_only=True)
class PPOSettings(_Section):
    """PPO's hyperparameters. beta_schedule and epsilon_schedule follow
    learning_rate_schedule when not given."""

    batch_size: int = field(default=1024, metadata=_range(ge=1))
    buffer_size: int = field(default=10240, metadata=_range(ge=1))
    learning_rate: float = field(default=3.0e-4, metadata=_range(gt=0))
    beta: float = field(default=5.0e-3, metadata=_range(ge=0))
    epsilon: float = field(default=0.2, metadata=_range(gt=0))
    lambd: float = field(default=0.95, metadata=_range(ge=0, le=1))
    num_epoch: int = field(default=3, metadata=_range(ge=1))
    shared_critic: bool = False
    learning_rate_schedule: ScheduleType = "linear"
    beta_schedule: ScheduleType = "linear"
    epsilon_schedule: ScheduleType = "linear"

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> PPOSettings:
        if isinstance(d, Mapping):
            lr = d.get("learning_rate_schedule", "linear")
            d = {"beta_schedule": lr, "epsilon_schedule": lr, **d}
        return super().from_dict(d, path)

    def _check(self, path: str) -> None:
        if self.batch_size > self.buffer_size:
            raise TrainerConfigError(
                _join(path, "batch_size"),
                f"{self.batch_size} is larger than buffer_size {self.buffer_size}: no "
                "minibatch could be drawn; make buffer_size a multiple of batch_size",
            )


@dataclass(frozen=True, kw_only=True)
class NetworkSettings(_Section):
    """The policy and value networks: an encoder per observation, then an MLP."""

    _NULL_ONLY: ClassVar[Mapping[str, str]] = {"memory": "recurrent memory (an LSTM)"}
    normalize: bool = False
    hidden_units: int = field(default=128, metadata=_range(ge=1))
    num_layers: int = field(default=2, metadata=_range(ge=1))
    vis_encode_type: EncoderType = "simple"
    goal_conditioning_type: Literal["hyper", "none"] = "hyper"
    deterministic: bool = False


@dataclass(frozen=True, kw_only=True)
class RewardSignalSettings(_Section):
    """A reward signal: its discount and the factor its rewards are scaled by."""

    # ML-Agents writes a network_settings block under every signal; the extrinsic one has
    # no network, so it is checked and dropped.
    _IGNORED: ClassVar[frozenset[str]] = frozenset({"network_settings"})
    gamma: float = field(default=0.99, metadata=_range(ge=0, le=1))
    strength: float = 1.0

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> RewardSignalSettings:
        if isinstance(d, Mapping) and "network_settings" in d:
            NetworkSettings.from_dict(d["network_settings"], _join(path, "network_settings"))
        return super().from_dict(d, path)


def _parse_reward_signals(value: Any, path: str) -> dict[str, RewardSignalSettings]:
    mapping = _mapping(value, path, "a mapping of reward signal names to settings")
    signals = {}
    for key, item in mapping.items():
        name = _choice(key, ["extrinsic"], _join(path, key), "reward_signals")
        signals[name] = RewardSignalSettings.from_dict(item, _join(path, name))
    if not signals:
        raise TrainerConfigError(path, "give at least one reward signal (extrinsic)")
    return signals


@dataclass(frozen=True, kw_only=True)
class TrainerSettings(_Section):
    """How one behavior is trained."""

    _NULL_ONLY: ClassVar[Mapping[str, str]] = {
        "self_play": "self-play",
        "behavioral_cloning": "behavioral cloning",
    }
    trainer_type: TrainerType = "ppo"
    hyperparameters: PPOSettings = field(default_factory=PPOSettings)
    network_settings: NetworkSettings = field(default_factory=NetworkSettings)
    reward_signals: dict[str, RewardSignalSettings] = field(
        default_factory=lambda: {"extrinsic": RewardSignalSettings()},
        metadata=_via(_parse_reward_signals),
    )
    init_path: str | None = None
    keep_checkpoints: int = field(default=5, metadata=_range(ge=1))
    even_checkpoints: bool = False
    checkpoint_interval: int = field(default=500000, metadata=_range(ge=1))
    max_steps: int = field(default=500000, metadata=_range(ge=0))
    time_horizon: int = field(default=64, metadata=_range(ge=1))
    summary_freq: int = field(default=50000, metadata=_range(ge=1))
    threaded: bool = False

    @property
    def effective_checkpoint_interval(self) -> int:
        """Steps between checkpoints: with even_checkpoints, keep_checkpoints of them spread
        evenly over max_steps; otherwise checkpoint_interval."""
        if self.even_checkpoints:
            return max(self.max_steps // self.keep_checkpoints, 1)
        return self.checkpoint_interval


def _is_section(value: Any) -> bool:
    return value is None or isinstance(value, Mapping)


def _deep_merge(base: Mapping, top: Mapping) -> dict:
    """base with top's keys written over it, mappings merged key by key."""
    merged = dict(base)
    for key, value in top.items():
        below = merged.get(key)
        if isinstance(below, Mapping) and _is_section(value):
            merged[key] = _deep_merge(below, value or {})
        else:
            merged[key] = value
    return merged


# Run settings.


@dataclass(frozen=True, kw_only=True)
class EnvironmentSettings(_Section):
    """Which environment to launch (None waits for the Unity Editor) and how many."""

    env_path: str | None = None
    env_args: tuple[str, ...] | None = None
    base_port: int = field(default=5005, metadata=_range(ge=1, le=65535))
    num_envs: int = field(default=1, metadata=_range(ge=1))
    num_areas: int = field(default=1, metadata=_range(ge=1))
    seed: int = -1
    timeout_wait: int = field(default=60, metadata=_range(gt=0))
    max_lifetime_restarts: int = field(default=10, metadata=_range(ge=-1))  # -1: no limit
    restarts_rate_limit_n: int = field(default=1, metadata=_range(ge=-1))  # -1: no limit
    restarts_rate_limit_period_s: int = field(default=60, metadata=_range(ge=1))


@dataclass(frozen=True, kw_only=True)
class EngineSettings(_Section):
    """What the engine configuration channel sends to the environment."""

    width: int = field(default=84, metadata=_range(ge=1))
    height: int = field(default=84, metadata=_range(ge=1))
    quality_level: int = field(default=5, metadata=_range(ge=0))
    time_scale: float = field(default=20.0, metadata=_range(gt=0))
    target_frame_rate: int = -1
    capture_frame_rate: int = field(default=60, metadata=_range(ge=0))
    no_graphics: bool = False
    no_graphics_monitor: bool = False


def _run_name(value: Any, path: str) -> str:
    # A run id names a folder under results_dir: it must stay inside it.
    name = _str(value, path)
    if name in ("", ".", "..") or "/" in name or "\\" in name:
        raise TrainerConfigError(path, f"{name!r} cannot name a folder of results_dir")
    return name


def _maybe_run_name(value: Any, path: str) -> str | None:
    return None if value is None else _run_name(value, path)


@dataclass(frozen=True, kw_only=True)
class CheckpointSettings(_Section):
    """Where results go and how a run starts: anew, resumed, or from another run."""

    # Old flags ML-Agents still writes: load_model became resume (handled in from_dict),
    # train_model became inference.
    _IGNORED: ClassVar[frozenset[str]] = frozenset({"load_model", "train_model"})
    run_id: str = field(default="ppo", metadata=_via(_run_name))
    initialize_from: str | None = field(default=None, metadata=_via(_maybe_run_name))
    resume: bool = False
    force: bool = False
    inference: bool = False
    results_dir: str = "results"

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> CheckpointSettings:
        if isinstance(d, Mapping) and _bool(d.get("load_model", False), _join(path, "load_model")):
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
class TorchSettings(_Section):
    """device: a torch device string ("cpu", "cuda", "cuda:0"); None picks one."""

    device: str | None = None


def _parse_behaviors(value: Any, path: str) -> dict[str, TrainerSettings]:
    mapping = _mapping(value, path, "a mapping of behavior names to trainer settings")
    return {
        _brain_name(name, _join(path, str(name))): TrainerSettings.from_dict(
            item, _join(path, name)
        )
        for name, item in mapping.items()
    }


# The sections whose fields the CLI overrides by their bare names ("num_envs", "run_id").
_CLI_SECTIONS = ("env_settings", "engine_settings", "checkpoint_settings", "torch_settings")


@dataclass(frozen=True, kw_only=True)
class RunOptions(_Section):
    """A whole training run: the behaviors' trainers and the environment they train in."""

    default_settings: TrainerSettings | None = None
    behaviors: dict[str, TrainerSettings] = field(
        default_factory=dict, metadata=_via(_parse_behaviors)
    )
    env_settings: EnvironmentSettings = field(default_factory=EnvironmentSettings)
    engine_settings: EngineSettings = field(default_factory=EngineSettings)
    environment_parameters: dict[str, EnvironmentParameterSettings] | None = field(
        default=None, metadata=_via(_parse_environment_parameters)
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
        raw = dict(_mapping({} if d is None else d, path))
        for key, value in (overrides or {}).items():
            raw = _override(raw, _override_path(key), value, path)
        default = raw.get("default_settings")
        if default is not None:
            _mapping(default, _join(path, "default_settings"))
            behaviors = raw.get("behaviors")
            if isinstance(behaviors, Mapping):
                # A behavior that is not a mapping is left for its own error message.
                raw["behaviors"] = {
                    name: _deep_merge(default, item or {}) if _is_section(item) else item
                    for name, item in behaviors.items()
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
                _join(path, "env_settings.num_envs"),
                f"{self.env_settings.num_envs} environments need an env_path (--env): the "
                "Unity Editor is a single environment",
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
        if key in _hints(RunOptions)[section].__dataclass_fields__:
            return (section, key)
    raise TrainerConfigError(key, "unknown override; give a dotted path or a run setting's name")


def _override(raw: Mapping, keys: tuple[str, ...], value: Any, path: str) -> dict:
    """raw with keys' value replaced (sections created as needed); raw is left as it was."""
    head, *rest = keys
    out = dict(raw)
    if not rest:
        out[head] = value
        return out
    sub = _join(path, head)
    below = _mapping(out.get(head) or {}, sub)
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
